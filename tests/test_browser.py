"""The foundation as people use it, in headless Chromium: an administrator adds a case with a photo
through the admin, and the public finds it and the seed case through the listing's filters."""

import re

import pytest
from django.core.management import call_command

from .factories import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded(transactional_db):
    call_command("load_fixtures", verbosity=0)


@pytest.fixture
def admin_page(page, live_server, django_user_model):
    django_user_model.objects.create_superuser("boss", password="a long test passphrase")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "a long test passphrase")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return page


def choose(page, select_id, text):
    """Pick an option in a plain select or in the admin's autocomplete (select2) widget."""
    select = page.locator(f"#{select_id}")
    if "admin-autocomplete" in (select.get_attribute("class") or ""):
        page.locator(f"#{select_id} + .select2").click()
        page.locator(".select2-container--open .select2-search__field").fill(text)
        page.locator(".select2-results__option", has_text=text).first.click()
    else:
        select.select_option(select.locator("option", has_text=text).first.get_attribute("value"))


def test_administrator_adds_a_case_with_a_photo_and_the_public_finds_it(seeded, admin_page, live_server, tmp_path):
    page = admin_page
    photo = tmp_path / "apple-orchard.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(800, 600), color=(90, 140, 60)))

    page.goto(f"{live_server.url}/admin/cases/case/add/")
    # Chinese is required (the default language); the slug is made from the English title as it is typed.
    page.fill("#id_title_zh_hans", "普安茶园走上网络")
    page.locator("#id_title_en").press_sequentially("Tea gardens of Pu'an go online")
    # The admin makes the slug from the title as the editor types.
    assert page.input_value("#id_slug") == "tea-gardens-of-puan-go-online"
    page.fill("#id_summary_zh_hans", "通过浏览器在后台录入的第二个案例。")
    page.fill("#id_summary_en", "A second case, entered through the admin in a browser.")
    choose(page, "id_assistance_type", "enterprises and social organizations")
    choose(page, "id_regions", "Pu'an")
    page.fill("#id_start_year", "2021")
    page.select_option("#id_status", "published")

    choose(page, "id_participations-0-organization", "Alibaba")
    page.set_input_files("#id_figures-0-image", str(photo))
    page.fill("#id_figures-0-caption_zh_hans", "图1 普安县的茶园")
    page.fill("#id_figures-0-caption_en", "Figure 1 A tea garden in Pu'an County")
    page.fill("#id_figures-0-alt_text_zh_hans", "阴天里山坡上一排排绿色的茶树")
    page.fill("#id_figures-0-alt_text_en", "Rows of green tea bushes on a hillside under a grey sky")
    choose(page, "id_outcomes-0-metric", "Sales value")
    page.fill("#id_outcomes-0-indicator_zh_hans", "网上销售茶叶")
    page.fill("#id_outcomes-0-indicator_en", "Tea sold online")
    page.fill("#id_outcomes-0-value", "2500000")
    page.fill("#id_outcomes-0-year", "2022")
    page.fill("#id_outcomes-0-baseline_value", "1000000")
    page.fill("#id_outcomes-0-baseline_year", "2021")
    page.click("input[name=_save]")

    page.wait_for_selector(".messagelist .success")
    assert "was added successfully" in page.inner_text(".messagelist")

    page.goto(f"{live_server.url}/en/cases/tea-gardens-of-puan-go-online/")
    image = page.locator("figure img").first
    assert image.get_attribute("alt") == "Rows of green tea bushes on a hillside under a grey sky"
    # The image loads lazily: wait for it (up to the page's timeout) instead of asking once.
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    body = page.inner_text("main")
    assert "Figure 1 A tea garden in Pu'an County" in body
    assert "+150%" in body

    page.goto(f"{live_server.url}/en/cases/?region=guizhou")
    assert "Tea gardens of Pu'an go online" in page.locator("#results .card-title").all_inner_texts()

    # The same case in Chinese, reached through the language switcher.
    page.goto(f"{live_server.url}/en/cases/tea-gardens-of-puan-go-online/")
    page.locator("a[hreflang=zh-Hans]").first.click()
    page.wait_for_url(re.compile(r"/zh-hans/cases/tea-gardens-of-puan-go-online/$"))
    assert page.inner_text("h1") == "普安茶园走上网络"
    assert page.locator("figure img").first.get_attribute("alt") == "阴天里山坡上一排排绿色的茶树"
    assert "图1 普安县的茶园" in page.inner_text("main")


def test_public_filters_the_listing_by_province_and_searches(seeded, page, live_server):
    page.goto(f"{live_server.url}/en/cases/")
    # The place facet: a link per province with its count; then its prefectures, down to the county.
    page.locator(".facet-region a", has_text=re.compile(r"^Shaanxi Province \(1\)$")).click()
    page.wait_for_url(re.compile(r"region=shaanxi"))
    assert "Yijun" in page.inner_text("#results")
    assert page.locator(".facet-trail").inner_text().split() == ["All", "places", "Shaanxi", "Province"]

    # Tick a type box and show the cases: the choice becomes a chip, and removing the chip removes it.
    page.locator(".facet-type input[type=checkbox]").first.check()
    page.get_by_role("button", name="Show cases").click()
    page.wait_for_url(re.compile(r"region=shaanxi&type="))
    chips = page.locator(".chips .chip")
    assert chips.count() == 2
    assert "Yijun" in page.inner_text("#results")
    chips.filter(has_text="Place").click()
    page.wait_for_url(re.compile(r"/en/cases/\?type="))
    assert page.locator(".chips .chip").count() == 1
    page.get_by_role("link", name="Clear all filters").first.click()
    page.wait_for_url(re.compile(r"/en/cases/$"))
    assert page.locator(".chips").count() == 0

    page.goto(f"{live_server.url}/en/cases/?region=yunnan")
    assert page.inner_text("#results .result-count") == "0 cases"
    assert "Yijun" not in page.inner_text("#results")

    page.goto(f"{live_server.url}/en/cases/?q=apples")
    page.get_by_role("link", name=re.compile("Alibaba")).first.click()
    body = page.inner_text("main")
    for number in ("RMB 16", "RMB 5.8", "660th", "13th", "647 places up", "−64%"):
        assert number in body
