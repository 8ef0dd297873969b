"""Bad input to import_cases: each file is refused with the exact problems, and nothing is written."""

import os

import pytest

from tests.factories import make_region

from .interchange_helpers import case_record, document, png_bytes, run_import, snapshot, tr, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """Imports run from the file's folder, so that messages start with the bare file name."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def existing(folder):
    """The base document imported once: a refused import must leave these rows exactly as they are."""
    ok, _out, err = run_import(write(folder, document(), "base.json"))
    assert ok, err
    return snapshot()


def refused(folder, doc, *problems):
    """Import ``doc`` as batch.json; assert it is refused with exactly ``problems`` and changes nothing."""
    before = snapshot()
    ok, out, err = run_import(write(folder, doc).name)
    assert not ok
    lines = [f"batch.json: {problem}" for problem in problems]
    assert err == [*lines, f"batch.json: {len(problems)} problem(s); nothing was imported."]
    assert out == []
    assert snapshot() == before


def with_case(index=0, **changes):
    doc = document()
    doc["cases"][index].update(changes)
    return doc


def test_malformed_json_gives_line_and_column(folder, existing):
    text = '{"format": "casebook-interchange",\n "version": 1,\n "cases": [}'
    refused(folder, text, "line 3, column 12: Expecting value")


def test_a_document_that_is_not_an_object(folder, existing):
    refused(folder, "[1, 2]", "expected a JSON object")


def test_missing_and_wrong_version_and_format(folder, existing):
    doc = document()
    del doc["version"]
    refused(folder, doc, "document: version: missing required field")
    refused(
        folder,
        document(version=2, format="csv"),
        'document: format: must be "casebook-interchange"',
        "document: version: unsupported version 2; this importer reads version 1",
    )


def test_unknown_fields_at_every_level(folder, existing):
    doc = with_case(colour="red")
    doc["cases"][1]["outcomes"][0]["unit"] = "kg"
    doc["cases"][1]["title"]["fr"] = "Cas"
    doc["extras"] = []
    refused(
        folder,
        doc,
        'cases[0] (slug "case-a"): colour: unknown field',
        'cases[1] (slug "case-b"): title.fr: unknown language',
        'cases[1] (slug "case-b"): outcomes[0].unit: unknown field',
        "extras: unknown field",
    )


def test_missing_required_fields(folder, existing):
    doc = document()
    del doc["cases"][0]["title"]
    del doc["cases"][1]["outcomes"][0]["metric"]
    del doc["cases"][1]["summary"]["en"]
    refused(
        folder,
        doc,
        'cases[0] (slug "case-a"): title: missing required field',
        'cases[1] (slug "case-b"): summary.en: missing language',
        'cases[1] (slug "case-b"): outcomes[0].metric: missing required field',
    )


def test_wrong_types(folder, existing):
    doc = with_case(start_year="2019", regions="610222", published_at="yesterday")
    doc["cases"][1]["outcomes"][0]["value"] = True
    doc["cases"][1]["figures"][0]["decorative"] = "no"
    doc["themes"][0]["name"] = "Tea"
    refused(
        folder,
        doc,
        'themes[0] (slug "tea"): name: expected an object {"zh-hans": …, "en": …}, got a string',
        'cases[0] (slug "case-a"): published_at: "yesterday" is not a date and time with a time zone, '
        'such as "2022-11-06T16:00:00Z"',
        'cases[0] (slug "case-a"): start_year: expected an integer, got a string',
        'cases[0] (slug "case-a"): regions: expected an array of strings, got a string',
        'cases[1] (slug "case-b"): figures[0].decorative: expected true or false, got a string',
        'cases[1] (slug "case-b"): outcomes[0].value: expected a decimal number such as "5.8", got true',
    )


def test_values_too_long_or_out_of_range_by_the_models_own_validation(folder, existing):
    doc = with_case(title=tr("案例", "x" * 300), start_year=1800, status="archived")
    doc["cases"][1]["outcomes"][0]["value"] = "12345678901234567890"
    doc["cases"][1]["end_year"] = 2000
    doc["regions"][1]["code"] = "61-222"
    refused(
        folder,
        doc,
        'regions[1] (code "61-222"): code: Use the official code: 2 to 12 digits or capital letters.',
        'cases[0] (slug "case-a"): status: "archived" is not one of "draft", "review", "published", "withdrawn"',
        'cases[0] (slug "case-a"): start_year: Ensure this value is greater than or equal to 1900.',
        'cases[0] (slug "case-a"): title.en: Ensure this value has at most 255 characters (it has 300).',
        'cases[1] (slug "case-b"): end_year: The period cannot end before it starts.',
        'cases[1] (slug "case-b"): outcomes[0].value: Ensure that there are no more than 18 digits in total.',
    )


def test_references_must_exist_in_the_file_or_the_database(folder):
    make_region(code="620000", slug="gansu", name="Gansu")
    doc = with_case(regions=["620000", "999999"], themes=["tea", "coffee"])
    doc["cases"][1]["outcomes"][0]["metric"] = "foo"
    doc["cases"][1]["organizations"][0]["organization"] = "tencent"
    refused(
        folder,
        doc,
        'cases[0] (slug "case-a"): regions[1]: unknown region "999999"',
        'cases[0] (slug "case-a"): themes[1]: unknown theme "coffee"',
        'cases[1] (slug "case-b"): organizations[0].organization: unknown organization "tencent"',
        'cases[1] (slug "case-b"): outcomes[0].metric: unknown metric "foo"',
    )


def test_duplicate_slugs_in_one_file(folder, existing):
    doc = document()
    doc["cases"].append(case_record("case-a"))
    doc["cases"][1]["outcomes"].append(doc["cases"][1]["outcomes"][0])
    doc["themes"].append({"slug": "tea", "name": tr("茶", "Tea again")})
    refused(
        folder,
        doc,
        'themes[1] (slug "tea"): slug: duplicate slug "tea" (also themes[0])',
        'cases[1] (slug "case-b"): outcomes[1].slug: listed twice in this case',
        'cases[2] (slug "case-a"): slug: duplicate slug "case-a" (also cases[0])',
    )


def test_figures_missing_not_images_too_large_or_outside_the_folder(folder, existing, settings, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.png"
    outside.write_bytes(png_bytes())
    (folder / "figures").mkdir(exist_ok=True)
    (folder / "figures" / "link.png").symlink_to(outside)
    (folder / "figures" / "notes.png").write_text("not a picture")
    (folder / "figures" / "big.png").write_bytes(png_bytes(size=(400, 400)) + b"\0" * 2000)
    settings.CASEBOOK_IMAGE_MAX_BYTES = 2000
    figures = [
        "figures/nope.png",
        "figures/notes.png",
        "figures/big.png",
        "../elsewhere/secret.png",
        str(outside),
        "figures/link.png",
    ]
    doc = document()
    template = doc["cases"][1]["figures"][0]
    doc["cases"][1]["figures"] = [{**template, "slug": f"figure-{n}", "image": path} for n, path in enumerate(figures)]
    refused(
        folder,
        doc,
        'cases[1] (slug "case-b"): figures[0].image: file "figures/nope.png" not found',
        'cases[1] (slug "case-b"): figures[1].image: This is not an image in an allowed format (JPEG, PNG, WEBP, GIF).',
        'cases[1] (slug "case-b"): figures[2].image: The file is 2.0\xa0KB; the limit is 2.0\xa0KB.'.replace(
            "2.0\xa0KB; the limit", f"{os.path.getsize(folder / 'figures' / 'big.png') / 1024:.1f}\xa0KB; the limit"
        ),
        'cases[1] (slug "case-b"): figures[3].image: "../elsewhere/secret.png" points outside the import folder',
        f'cases[1] (slug "case-b"): figures[4].image: "{outside}" is an absolute path; give a path relative to the '
        "import file",
        'cases[1] (slug "case-b"): figures[5].image: "figures/link.png" points outside the import folder',
    )


def test_a_published_case_needs_alt_text_on_its_figures(folder, existing):
    doc = document()
    doc["cases"][0]["figures"][0]["alt_text"] = tr("", "A red square")
    refused(
        folder,
        doc,
        'cases[0] (slug "case-a"): figures[0].alt_text: a published case needs alt text on every figure that is '
        "not decorative",
    )
