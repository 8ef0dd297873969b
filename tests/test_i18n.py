"""The site in Simplified Chinese and English: every page type reads fully in Chinese, the language switcher
keeps the page and its filters, search engines get the alternates, dates and numbers follow the language,
and content missing in one language shows the other one, marked as such."""

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import polib
import pytest
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

from casebook.cases.models import CollectionEntry, Metric, Participation
from casebook.cases.templatetags.casebook import translated, translated_text

from .factories import (
    make_case,
    make_collection,
    make_commissioner,
    make_figure,
    make_initiative,
    make_metric,
    make_organization,
    make_outcome,
    make_posting,
    make_region,
    make_source,
    make_theme,
    make_type,
)

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# Latin words a Chinese page may show: units and names that Chinese text writes in Latin letters too.
ALLOWED_LATIN_WORDS = {"RMB", "kg"}


def zh(name, **kwargs):
    with translation.override("zh-hans"):
        return reverse(name, **kwargs)


def en(name, **kwargs):
    with translation.override("en"):
        return reverse(name, **kwargs)


class VisibleText(HTMLParser):
    """What a reader sees or hears: text and the alt, title, aria-label and placeholder attributes;
    not scripts, styles, or anything inside an element marked as English (lang="en")."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skipping = 0  # depth inside a skipped element

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        opens = tag not in self.VOID
        if self.skipping:
            self.skipping += opens
            return
        if tag in ("script", "style") or (attrs.get("lang") or "").lower().startswith("en"):
            self.skipping = int(opens)
            return
        self.parts.extend(attrs[name] for name in ("alt", "title", "aria-label", "placeholder") if attrs.get(name))
        if tag == "meta" and attrs.get("name") == "description":
            self.parts.append(attrs.get("content") or "")

    def handle_endtag(self, tag):
        if self.skipping and tag not in self.VOID:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def latin_words(response):
    parser = VisibleText()
    parser.feed(response.content.decode())
    return set(re.findall(r"[A-Za-z]{2,}", " ".join(parser.parts))) - ALLOWED_LATIN_WORDS


@pytest.fixture
def chinese_site(db):
    """A case with every part a page shows, and twenty more to page through: all of it in Chinese only."""
    with translation.override("zh-hans"):
        shaanxi = make_region(name="陕西省", slug="shaanxi", code="610000")
        tongchuan = make_region(parent=shaanxi, name="铜川市", slug="tongchuan", code="610200")
        yijun = make_region(parent=tongchuan, name="宜君县", slug="yijun", code="610222")
        nrra = make_organization(name="国家乡村振兴局", slug="nrra", kind="government-office")
        alibaba = make_organization(name="阿里巴巴集团", slug="alibaba")
        county = make_organization(name="宜君县人民政府", slug="yijun-gov", kind="local-government")
        kind = make_type(name="企业和社会组织帮扶", slug="enterprise")
        theme = make_theme(name="电子商务", slug="e-commerce")
        batch = make_collection(
            title="社会帮扶典型案例（第一批）",
            short_title="第一批典型案例",
            slug="first-batch",
            publisher=nrra,
            published_on=date(2022, 10, 24),
            case_count=36,
        )
        case = make_case(
            title="宜君县县域物流配送中心",
            slug="yijun",
            summary="阿里巴巴帮助宜君县在网上销售农产品。",
            background="宜君县的农产品**滞销**。",
            approach="- 建设县域共配中心\n- 开设网店",
            results="2021年销售额超过1亿元。",
            lessons="> 物流先行。",
            start_year=2019,
            end_year=2021,
            assistance_type=kind,
            regions=[yijun],
            themes=[theme],
        )
        Participation.objects.create(case=case, organization=alibaba, role=Participation.Role.ASSISTING)
        Participation.objects.create(case=case, organization=county, role=Participation.Role.ASSISTED, note="运营")
        commissioner = make_commissioner(name="刘特派", slug="liu", organization=alibaba, title="乡村振兴特派员")
        make_posting(commissioner, yijun, start_year=2019)
        case.commissioners.add(commissioner)
        case.initiatives.add(make_initiative(name="设计赋能县域", organization=alibaba))
        CollectionEntry.objects.create(collection=batch, case=case, number=12)
        source = make_source(
            title="典型案例公告",
            slug="announcement",
            publisher=nrra,
            published_on=date(2022, 11, 7),
            text="第一段。\n\n第二段。",
        )
        case.sources.add(source)
        make_figure(case, caption="图1 县域共配中心", alt_text="仓库里传送带上的包裹", credit="阿里巴巴集团")
        sales = make_metric(name="销售额", unit="元", display_format="{value}元")
        make_outcome(
            case, indicator="农产品销售额", metric=sales, value=100_000_000, year=2021, note="约数", source=source
        )
        make_outcome(
            case,
            indicator="玉米糁售价",
            metric=make_metric(name="价格", unit="元", display_format="{value}元", higher_is_better=False),
            value="5.8",
            year=2021,
            baseline_value=16,
            baseline_year=2019,
        )
        make_outcome(
            case,
            indicator="苹果销量排名",
            metric=make_metric(name="排名", unit="", kind=Metric.Kind.RANK, higher_is_better=False),
            value=13,
            year=2021,
            baseline_value=660,
            baseline_year=2019,
        )
        for n in range(20):
            make_case(title=f"铜川案例{n}", summary="摘要。", assistance_type=kind, regions=[tongchuan])
    return case


def test_catalogue_is_complete_and_compiled():
    catalogue = polib.pofile(str(CATALOGUE))
    assert catalogue.metadata["Plural-Forms"].startswith("nplurals=1;")
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    # What Django serves is the catalogue as written: a stale or missing .mo fails here, not on the site.
    with translation.override("zh-hans"):
        for entry in catalogue.translated_entries():
            if entry.msgid_plural:
                served = (
                    translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 2)
                    if entry.msgctxt
                    else (translation.ngettext(entry.msgid, entry.msgid_plural, 2))
                )
                expected = entry.msgstr_plural[0]
            else:
                served = (
                    translation.pgettext(entry.msgctxt, entry.msgid)
                    if entry.msgctxt
                    else translation.gettext(entry.msgid)
                )
                expected = entry.msgstr
            assert served == expected, f"{entry.msgid!r}: compile the catalogue (manage.py compilemessages)"


@pytest.mark.parametrize(
    ("page", "status"),
    [
        ("home", 200),
        ("listing", 200),
        ("listing with every filter", 200),
        ("listing, second page", 200),
        ("listing with invalid filters", 400),
        ("listing past its last page", 404),
        ("case", 200),
        ("about", 200),
        ("address that does not exist", 404),
        ("forged host", 400),
    ],
)
def test_every_page_reads_in_chinese(client, chinese_site, page, status):
    listing = zh("cases:list")
    every_filter = {
        "q": "宜君",
        "region": "shaanxi",
        "type": "enterprise",
        "theme": "e-commerce",
        "organization": "alibaba",
        "org_kind": "enterprise",
        "commissioner": "liu",
        "collection": "first-batch",
        "year": "2020",
        "sort": "title",
    }
    requests = {
        "home": (zh("cases:home"), {}, {}),
        "listing": (listing, {}, {}),
        "listing with every filter": (listing, every_filter, {}),
        "listing, second page": (listing, {"region": "shaanxi", "page": "2"}, {}),
        "listing with invalid filters": (listing, {"region": "nowhere", "year": "abc", "q": "x" * 201}, {}),
        "listing past its last page": (listing, {"region": "shaanxi", "page": "99"}, {}),
        "case": (chinese_site.get_absolute_url().replace("/en/", "/zh-hans/"), {}, {}),
        "about": (zh("about"), {}, {}),
        "address that does not exist": ("/zh-hans/no/such/page/", {}, {}),
        "forged host": (zh("cases:home"), {}, {"host": "evil.example"}),
    }
    path, params, headers = requests[page]
    response = client.get(path, params, headers=headers)
    assert response.status_code == status
    assert '<html lang="zh-Hans">' in response.content.decode()
    assert latin_words(response) == set(), f"English left on the Chinese {page} page"
    if page == "listing with every filter":
        assert "宜君县县域物流配送中心" in response.content.decode()


def test_the_english_word_check_sees_text_and_attributes_but_not_english_passages():
    class Page:
        content = (
            '<html lang="zh-Hans"><head><title>Cases</title><style>p { color: red }</style></head>'
            '<body><p>案例 in <span lang="en">Only in English <b>bold</b></span></p>'
            '<img alt="Photo"><br><a aria-label="Next">›</a><span class="visually-hidden">page</span>'
            "<script>var skipped = 1;</script> 2,000 RMB</body></html>"
        ).encode()

    assert latin_words(Page) == {"Cases", "in", "Photo", "Next", "page"}


def test_the_chinese_case_page_shows_its_parts(client, chinese_site):
    content = client.get(zh("cases:detail", kwargs={"slug": "yijun"})).content.decode()
    assert "<h1>宜君县县域物流配送中心</h1>" in content
    assert "<strong>滞销</strong>" in content
    assert "第12个案例（共36个）" in content
    assert "2019年起派驻宜君县" in content
    assert "上升647位" in content
    assert "fallback" not in content


def test_switcher_keeps_the_page_and_its_filters(client, chinese_site):
    params = {"region": "shaanxi", "page": "2"}
    chinese = client.get(zh("cases:list"), params).content.decode()
    assert '<a href="/en/cases/?region=shaanxi&amp;page=2" hreflang="en" lang="en">English</a>' in chinese
    english = client.get(en("cases:list"), params).content.decode()
    assert '<a href="/zh-hans/cases/?region=shaanxi&amp;page=2" hreflang="zh-Hans" lang="zh-Hans">简体中文</a>' in (
        english
    )


def test_switcher_on_a_case_and_on_a_missing_page(client, chinese_site):
    case_page = client.get(en("cases:detail", kwargs={"slug": "yijun"})).content.decode()
    assert 'href="/zh-hans/cases/yijun/" hreflang="zh-Hans"' in case_page
    missing = client.get("/zh-hans/no/such/page/?x=1").content.decode()
    assert 'href="/en/no/such/page/?x=1" hreflang="en"' in missing


def test_every_page_names_its_other_language_versions(client, chinese_site):
    content = client.get(zh("cases:list"), {"region": "shaanxi", "page": "2"}).content.decode()
    query = "?region=shaanxi&amp;page=2"
    assert f'<link rel="alternate" hreflang="zh-Hans" href="http://testserver/zh-hans/cases/{query}">' in content
    assert f'<link rel="alternate" hreflang="en" href="http://testserver/en/cases/{query}">' in content
    assert f'<link rel="alternate" hreflang="x-default" href="http://testserver/cases/{query}">' in content


def test_html_lang_follows_the_language(client, db):
    assert '<html lang="zh-Hans">' in client.get(zh("about")).content.decode()
    assert '<html lang="en">' in client.get(en("about")).content.decode()


@pytest.mark.parametrize(("accept", "prefix"), [("zh-CN,zh;q=0.9", "/zh-hans/"), ("en-GB,en;q=0.8", "/en/")])
def test_an_address_without_a_language_goes_to_the_readers_language(client, db, accept, prefix):
    response = client.get("/", headers={"accept-language": accept})
    assert response.status_code == 302
    assert response["Location"] == prefix
    response = client.get("/cases/", {"region": "shaanxi", "page": "2"}, headers={"accept-language": accept})
    assert response["Location"] == f"{prefix}cases/?region=shaanxi&page=2"


def test_the_admin_has_no_language_prefix():
    assert reverse("admin:index") == "/admin/"


def test_dates_follow_the_language(client, chinese_site):
    chinese = client.get(zh("cases:detail", kwargs={"slug": "yijun"})).content.decode()
    english = client.get(en("cases:detail", kwargs={"slug": "yijun"})).content.decode()
    assert '<time datetime="2022-10-24">2022年10月24日</time>' in chinese
    assert '<time datetime="2022-10-24">24 October 2022</time>' in english
    assert '<time datetime="2022-11-07">2022年11月7日</time>' in chinese
    assert '<time datetime="2022-11-07">7 November 2022</time>' in english


def test_numbers_are_grouped_by_thousands_in_both_languages():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert intcomma(1234567) == "1,234,567"


@pytest.fixture
def english_only_case(db):
    with translation.override("en"):
        case = make_case(title="Only in English", slug="english", background="Told in **English**.")
        make_figure(case, caption="Figure 1 A warehouse", alt_text="Parcels on a belt")
    return case


def test_content_missing_in_chinese_shows_the_english_marked(client, english_only_case):
    content = client.get(zh("cases:detail", kwargs={"slug": "english"})).content.decode()
    marked = '<span lang="en" class="fallback">Only in English</span> <span class="fallback-marker">（英文）</span>'
    assert f"<h1>{marked}</h1>" in content
    assert '<p class="fallback-note">此部分尚无中文版本，以下为英文原文。</p>' in content
    assert '<div lang="en"><p>Told in <strong>English</strong>.</p></div>' in content
    # An attribute cannot hold markup: the alt text falls back as plain text.
    assert 'alt="Parcels on a belt"' in content
    assert "<title>Only in English · 帮扶案例库</title>" in content
    listing = client.get(zh("cases:list")).content.decode()
    assert marked in listing


def test_content_in_its_own_language_is_not_marked(client, english_only_case):
    content = client.get(en("cases:detail", kwargs={"slug": "english"})).content.decode()
    assert "<h1>Only in English</h1>" in content
    assert "fallback" not in content


def test_content_missing_in_english_shows_the_chinese_marked(client, chinese_site):
    content = client.get(en("cases:detail", kwargs={"slug": "yijun"})).content.decode()
    assert (
        '<h1><span lang="zh-Hans" class="fallback">宜君县县域物流配送中心</span> '
        '<span class="fallback-marker">(Chinese)</span></h1>'
    ) in content
    assert '<p class="fallback-note">Not yet translated into English; shown in Chinese.</p>' in content


def test_server_error_page_speaks_both_languages():
    page = get_template("500.html").render()
    assert '<html lang="zh-Hans">' in page
    assert "服务器出错了" in page
    assert '<section lang="en">' in page and "Something went wrong on our side" in page


def test_sorting_by_title_uses_the_titles_the_reader_sees(client, db):
    for english, chinese in [("Apple", "甲"), ("Banana", "乙"), ("Cherry", "")]:
        with translation.override("en"):
            case = make_case(title=english)
        with translation.override("zh-hans"):
            case.title = chinese
            case.save()
    english = client.get(en("cases:list"), {"sort": "title"}).content.decode()
    chinese = client.get(zh("cases:list"), {"sort": "title"}).content.decode()

    def order(content, *titles):
        return sorted(titles, key=content.index)

    assert order(english, "Apple", "Banana", "Cherry") == ["Apple", "Banana", "Cherry"]
    # 乙 (U+4E59) before 甲 (U+7532); a title missing in Chinese sorts by its English one, first.
    assert order(chinese, "乙", "甲", ">Cherry<") == [">Cherry<", "乙", "甲"]


def test_translated_tag_escapes_and_reads_untranslated_fields_plainly():
    with translation.override("zh-hans"):
        assert translated(SimpleNamespace(name="<b>Plain</b>"), "name") == "&lt;b&gt;Plain&lt;/b&gt;"
        assert translated(SimpleNamespace(title_zh_hans="", title_en="A & B"), "title") == (
            '<span lang="en" class="fallback">A &amp; B</span> <span class="fallback-marker">（英文）</span>'
        )
        assert translated_text(SimpleNamespace(title_zh_hans="", title_en="A & B"), "title") == "A & B"
        assert translated(SimpleNamespace(title_zh_hans="", title_en=""), "title") == ""
