"""load_regions: the whole division tree from fixtures/divisions/, idempotent, keeping editors' slugs."""

import csv
import io
import re

import pytest
from django.core.management import CommandError, call_command

from casebook.regions.divisions import DIVISIONS_FILE
from casebook.regions.models import Region

pytestmark = pytest.mark.django_db

FIXTURE_SLUGS = {"610000": "shaanxi", "610200": "tongchuan", "610222": "yijun", "522300": "qianxinan", "522323": "puan"}


def file_rows():
    with DIVISIONS_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load(**options):
    out = io.StringIO()
    call_command("load_regions", stdout=out, **options)
    return out.getvalue()


def test_loads_every_division_of_the_file_with_parents_and_paths():
    rows = file_rows()
    assert 3000 < len(rows) < 3500
    assert f"{len(rows)} created, 0 updated, 0 unchanged" in load()
    assert Region.objects.count() == len(rows)
    assert Region.objects.provinces().count() == 31
    yijun = Region.objects.get(code="610222")
    assert (yijun.name_zh_hans, yijun.level, yijun.path) == ("宜君县", "county", "/610000/610200/610222/")
    assert yijun.parent.code == "610200" and yijun.parent.parent.code == "610000"
    assert yijun.parent.parent.parent is None
    for region in Region.objects.select_related("parent"):
        assert region.path == (region.parent.path if region.parent else "/") + f"{region.code}/"


def test_municipalities_and_province_administered_counties_hang_under_the_province():
    load()
    assert Region.objects.get(code="110105").parent.code == "110000"  # 朝阳区, Beijing
    assert Region.objects.get(code="419001").parent.code == "410000"  # 济源市, Henan
    assert not Region.objects.filter(name_zh_hans__in=["市辖区", "省直辖县级行政区划"]).exists()


def test_slugs_are_unique_lowercase_ascii_and_disambiguated_by_parent():
    load()
    slugs = list(Region.objects.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) for slug in slugs)
    assert Region.objects.get(code="110105").slug == "beijing-chaoyang-qu"
    assert Region.objects.get(code="220104").slug == "changchun-chaoyang-qu"


def test_second_run_changes_nothing():
    load()
    before = list(Region.objects.order_by("code").values())
    output = load()
    assert f"0 created, 0 updated, {len(before)} unchanged" in output
    assert list(Region.objects.order_by("code").values()) == before


def test_fixture_regions_keep_their_slugs_and_english_names():
    call_command("loaddata", "fixtures/regions.json", verbosity=0)
    Region.objects.filter(code="610222").update(name_en="Yijun County (edited)", slug="yijun")
    output = load()
    assert "0 updated, 35 unchanged" in output
    assert dict(Region.objects.filter(code__in=FIXTURE_SLUGS).values_list("code", "slug")) == FIXTURE_SLUGS
    assert Region.objects.get(code="610222").name_en == "Yijun County (edited)"
    assert Region.objects.get(code="522323").name_en == "Pu'an County"


def test_a_changed_chinese_name_is_updated_and_a_taken_slug_is_not_reused():
    load()
    Region.objects.filter(code="610222").update(name_zh_hans="旧名", name="旧名")
    Region.objects.filter(code="610202").delete()  # 王益区: created again on the next run
    Region.objects.filter(code="610203").update(slug="wangyi")  # …but its slug is taken meanwhile
    output = load()
    assert "1 created, 1 updated" in output
    assert Region.objects.get(code="610222").name_zh_hans == "宜君县"
    assert Region.objects.get(code="610202").slug == "wangyi-610202"


def test_a_broken_file_is_reported_row_by_row_and_nothing_is_loaded(tmp_path):
    broken = tmp_path / "divisions.csv"
    broken.write_text(
        "code,parent_code,level,name_zh_hans,name_en,slug\n"
        "610000,,province,陕西省,Shaanxi,shaanxi\n"
        "61022X,610000,county,宜君县,Yijun,yijun\n"
        "610223,999999,hamlet,,Nowhere,shaanxi\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as error:
        load(file=str(broken))
    assert str(error.value).splitlines() == [
        "divisions.csv: line 3: code: '61022X' is not a 6-digit division code",
        "divisions.csv: line 4: level: 'hamlet' is not one of county, prefecture, province",
        "divisions.csv: line 4: name_zh_hans: must not be empty",
        "divisions.csv: line 4: parent_code: no division 999999 in the file",
        "divisions.csv: line 4: slug: shaanxi appears twice",
        "5 problem(s); nothing was loaded.",
    ]
    assert not Region.objects.exists()
