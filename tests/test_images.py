import io
import logging
import os
import re
import struct
import zlib
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin

from casebook.cases.images import RENDITION_WIDTHS, rendition_name, rendition_url, sanitized, validate_image
from casebook.cases.models import Case, Figure

from .factories import image_bytes, image_upload, make_case, make_figure
from .test_admin import admin_url, case_form, form_errors, in_both_languages
from .test_admin import reference as admin_reference  # noqa: F401 (a fixture: the data a case refers to)


def upload(data, name="upload.bin"):
    return SimpleUploadedFile(name, data)


def noisy_jpeg(size=(400, 300)):
    """A photograph-like JPEG: noise does not compress, so half of the file is half of the picture."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def png_claiming(width, height):
    """A PNG whose header claims width×height pixels, a few dozen bytes on disk."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def refusal(data, name="upload.bin"):
    with pytest.raises(ValidationError) as caught:
        validate_image(upload(data, name))
    return caught.value


@pytest.mark.parametrize("format", ["PNG", "JPEG", "WEBP", "GIF"])
def test_accepts_images_in_allowed_formats(format):
    file = image_upload(f"photo.{format.lower()}", format=format)
    validate_image(file)
    assert file.tell() == 0, "the file is rewound for whoever reads it next"


def test_accepts_a_real_photograph():
    validate_image(upload(noisy_jpeg(), "photo.jpg"))


def test_refuses_a_file_over_the_size_limit(settings):
    settings.CASEBOOK_IMAGE_MAX_BYTES = 2048
    error = refusal(noisy_jpeg(), "big.jpg")
    assert error.code == "file_too_large"
    assert "2.0\xa0KB" in error.message, error.message


def test_size_limit_is_checked_before_the_file_is_decoded(settings):
    settings.CASEBOOK_IMAGE_MAX_BYTES = 10
    assert refusal(b"not an image at all", "notes.txt").code == "file_too_large"


def test_refuses_a_file_that_is_not_an_image():
    error = refusal(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", "report.pdf")
    assert error.code == "unsupported_format"
    assert "not an image in an allowed format (JPEG, PNG, WEBP, GIF)" in error.message


@pytest.mark.parametrize("format", ["BMP", "TIFF"])
def test_refuses_an_image_in_a_format_outside_the_allow_list(format):
    error = refusal(image_bytes(format), f"scan.{format.lower()}")
    assert error.code == "unsupported_format"
    assert "allowed format" in error.message


def test_refuses_an_image_over_the_pixel_limit(settings):
    settings.CASEBOOK_IMAGE_MAX_PIXELS = 10_000_000
    buffer = io.BytesIO()
    Image.new("1", (4000, 3000)).save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 100_000, "small on disk, big in memory"
    error = refusal(buffer.getvalue(), "bomb.png")
    assert error.code == "too_many_pixels"
    assert "4000×3000" in error.message and "10 megapixels" in error.message


def test_pixel_limit_message_reads_well_for_small_limits(settings):
    settings.CASEBOOK_IMAGE_MAX_PIXELS = 500
    error = refusal(image_bytes("PNG", size=(40, 30)), "photo.png")
    assert error.code == "too_many_pixels"
    assert "500 pixels" in error.message


@pytest.mark.parametrize(
    "size",
    [(10_000, 10_000), (30_000, 30_000)],
    ids=["over-pillow-warning-limit", "over-pillow-error-limit"],
)
def test_refuses_a_decompression_bomb_before_decoding_it(size):
    error = refusal(png_claiming(*size), "bomb.png")
    assert error.code == "too_many_pixels"
    assert "too many pixels" in error.message


def test_refuses_a_truncated_jpeg():
    data = noisy_jpeg()
    with Image.open(io.BytesIO(data[: len(data) // 2])) as half:
        assert half.size == (400, 300), "the header alone looks fine"
    error = refusal(data[: len(data) // 2], "cut.jpg")
    assert error.code == "broken_image"
    assert "damaged or incomplete" in error.message


@pytest.mark.django_db
def test_figure_whose_stored_file_is_missing_gets_an_error_not_a_crash():
    figure = make_figure(make_case())
    default_storage.delete(figure.image.name)
    figure = type(figure).objects.get(pk=figure.pk)
    with pytest.raises(ValidationError) as caught:
        figure.full_clean()
    assert "missing" in str(caught.value)


@pytest.mark.django_db
def test_rendition_is_made_once_and_reused(media_root):
    figure = make_figure(make_case(), image=image_upload("photo.png", size=(800, 600)))
    url = rendition_url(figure.image, 160)
    path = Path(media_root) / rendition_name(figure.image.name, 160)
    assert url == f"/media/{rendition_name(figure.image.name, 160)}"
    with Image.open(path) as rendition:
        assert rendition.format == "JPEG"
        assert rendition.size == (160, 120)
    os.utime(path, (1_000_000_000, 1_000_000_000))

    assert rendition_url(figure.image, 160) == url
    assert path.stat().st_mtime == 1_000_000_000, "the second call reused the file"
    assert len(list(path.parent.iterdir())) == 1


@pytest.mark.django_db
def test_rendition_of_a_missing_original_is_none(media_root):
    figure = make_figure(make_case())
    default_storage.delete(figure.image.name)
    assert rendition_url(figure.image, 160) is None
    assert not list(Path(media_root).glob("renditions/**/*.jpg"))


def test_rendition_of_an_empty_field_is_none():
    assert rendition_url(None, 160) is None


def stored(name, data):
    """What a model's file field holds: a name in storage."""
    return File(None, name=default_storage.save(name, ContentFile(data)))


def test_rendition_of_a_damaged_original_is_none():
    assert rendition_url(stored("figures/2022/cut.jpg", noisy_jpeg()[:2000]), 160) is None


def test_rendition_of_an_original_beyond_pillows_limit_is_none():
    assert rendition_url(stored("figures/2022/bomb.png", png_claiming(30_000, 30_000)), 160) is None


def test_originals_with_the_same_name_but_another_format_get_their_own_renditions():
    png = stored("figures/2022/photo.png", image_bytes("PNG", color=(255, 0, 0)))
    jpg = stored("figures/2022/photo.jpg", image_bytes("JPEG", color=(0, 0, 255)))
    assert rendition_url(png, 160) != rendition_url(jpg, 160)


@pytest.mark.parametrize("mode", ["RGBA", "P"])
def test_transparent_images_get_a_white_background(mode):
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    if mode == "P":
        image = image.convert("P")
        image.info["transparency"] = 0
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **({"transparency": 0} if mode == "P" else {}))
    logo = stored("logos/clear.png", buffer.getvalue())
    rendition_url(logo, 160)
    with default_storage.open(rendition_name(logo.name, 160)) as file, Image.open(file) as rendition:
        assert rendition.convert("RGB").getpixel((20, 15)) >= (250, 250, 250)


# Uploads through the admin: every hostile file is a form error, and nothing is stored.


def tiff_bytes():
    return image_bytes("TIFF")


def html_named_jpg():
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def png_of(width, height):
    """A real PNG, width×height 1-bit pixels that compress to almost nothing."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def post_figure(admin_client, admin_reference):  # noqa: F811
    """Posts the admin's add-case form with one figure, the given upload."""

    def post(upload):
        form = case_form(admin_reference, figures=[upload])
        return admin_client.post(admin_url(Case, "add"), in_both_languages(form))

    return post


HOSTILE_UPLOADS = [
    ("over-size", "photo.jpg", noisy_jpeg, "KB; the limit is 2.0"),
    ("not-an-image", "photo.jpg", lambda: b"just some text, no picture", "not an image in an allowed format"),
    ("pdf", "report.png", lambda: b"%PDF-1.4\n1 0 obj << >> endobj\n", "not an image in an allowed format"),
    ("bmp", "scan.bmp", lambda: image_bytes("BMP"), "not an image in an allowed format"),
    ("tiff", "scan.tif", tiff_bytes, "not an image in an allowed format"),
    ("tiff-named-jpg", "scan.jpg", tiff_bytes, "not an image in an allowed format"),
    ("html-named-jpg", "photo.jpg", html_named_jpg, "not an image in an allowed format"),
    ("over-the-pixel-limit", "big.png", lambda: png_of(7000, 6000), "7000×6000 pixels; the limit is 40 megapixels"),
    ("bomb-over-pillow-warning", "bomb.png", lambda: png_claiming(10_000, 10_000), "too many pixels"),
    ("bomb-over-pillow-error", "bomb.png", lambda: png_claiming(30_000, 30_000), "too many pixels"),
    ("truncated-jpeg", "cut.jpg", lambda: noisy_jpeg()[: len(noisy_jpeg()) // 2], "damaged or incomplete"),
    ("empty", "empty.jpg", lambda: b"", "The submitted file is empty."),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "make", "message"), [c[1:] for c in HOSTILE_UPLOADS], ids=[c[0] for c in HOSTILE_UPLOADS]
)
def test_every_hostile_upload_is_a_form_error_and_stores_nothing(
    post_figure, media_root, settings, name, make, message
):
    settings.CASEBOOK_IMAGE_MAX_BYTES = 2048 if "KB" in message else settings.CASEBOOK_IMAGE_MAX_BYTES
    data = make()
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    response = post_figure(upload)
    assert response.status_code == 200
    assert message in str(form_errors(response))
    assert message in response.content.decode()
    assert not Case.objects.exists() and not Figure.objects.exists()
    assert not (Path(media_root) / "figures").exists()
    assert not (Path(media_root) / "renditions").exists()


def test_the_pixel_limit_is_checked_before_decoding(settings):
    """A 40 MP 1-bit PNG is a few kilobytes; its header alone is refused, no pixel buffer is allocated."""
    settings.CASEBOOK_IMAGE_MAX_PIXELS = 1000
    data = png_of(100, 100)
    with mock.patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("decoded")):
        assert refusal(data, "big.png").code == "too_many_pixels"


# What is stored: only the pixels, re-encoded, under a generated name.


def upload_through_admin(post_figure, name, data, content_type="image/jpeg"):
    response = post_figure(SimpleUploadedFile(name, data, content_type=content_type))
    assert response.status_code == 302, form_errors(response)
    return Figure.objects.get()


def stored_bytes(figure):
    with figure.image.open("rb") as file:
        return file.read()


GENERATED_NAME = re.compile(r"figures/\d{4}/[0-9a-f]{32}\.(jpg|png|webp)")


def photo_with_gps(size=(60, 40), orientation=None):
    """A JPEG as a phone writes it: camera, GPS position, and (optionally) an orientation tag."""
    image = Image.new("RGB", size, (200, 80, 40))
    image.paste((20, 160, 60), (0, 0, size[0] // 2, size[1]))  # left half green, right half orange
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 24.0, 36.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (109.0, 7.0, 12.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, exif=exif, comment=b"shot at home")
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo), "the test file does carry a GPS position"
    return data


def close(color, expected, tolerance=12):
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected, strict=True))


@pytest.mark.django_db
def test_a_photo_is_stored_without_exif_or_gps_and_keeps_its_pixels(post_figure):
    figure = upload_through_admin(post_figure, "IMG_0001 at home.jpg", photo_with_gps())
    assert GENERATED_NAME.fullmatch(figure.image.name) and figure.image.name.endswith(".jpg")
    data = stored_bytes(figure)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info and "comment" not in image.info
        assert image.size == (60, 40) == (figure.width, figure.height)
        assert close(image.convert("RGB").getpixel((10, 20)), (20, 160, 60))
        assert close(image.convert("RGB").getpixel((50, 20)), (200, 80, 40))
    assert b"PhoneMaker" not in data and b"shot at home" not in data


@pytest.mark.django_db
def test_a_photo_taken_sideways_is_stored_upright(post_figure):
    # Orientation 6: the camera stored it on its side; viewers turn it 90° clockwise.
    figure = upload_through_admin(post_figure, "photo.jpg", photo_with_gps((60, 40), orientation=6))
    with Image.open(io.BytesIO(stored_bytes(figure))) as image:
        assert image.size == (40, 60) == (figure.width, figure.height)
        assert not image.getexif()
        # The green left half is now the top half.
        assert close(image.convert("RGB").getpixel((20, 10)), (20, 160, 60))
        assert close(image.convert("RGB").getpixel((20, 50)), (200, 80, 40))


@pytest.mark.django_db
def test_png_text_chunks_are_not_stored(post_figure):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-tEXt")
    info.add_text("Author", "secret-zTXt", zip=True)
    info.add_itxt("Description", "secret-iTXt", lang="en")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(buffer, format="PNG", pnginfo=info)
    assert b"secret-tEXt" in buffer.getvalue()
    figure = upload_through_admin(post_figure, "chart.png", buffer.getvalue(), "image/png")
    data = stored_bytes(figure)
    assert figure.image.name.endswith(".png")
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"secret"):
        assert chunk not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.getpixel((5, 5)) == (10, 20, 30)


@pytest.mark.django_db
def test_a_gif_with_a_script_comment_is_stored_as_a_png_without_it(post_figure):
    frames = [Image.new("P", (40, 30), color) for color in (1, 2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], comment=b"<script>alert(1)</script>")
    assert b"<script" in buffer.getvalue()
    figure = upload_through_admin(post_figure, "anim.gif", buffer.getvalue(), "image/gif")
    data = stored_bytes(figure)
    assert b"<script" not in data
    assert figure.image.name.endswith(".png")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (40, 30)
        assert not getattr(image, "is_animated", False), "the first frame only"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("client_name", "format", "extension"),
    [("../../etc/passwd.jpg", "PNG", "png"), ("photo.png", "JPEG", "jpg"), ("x.gif", "WEBP", "webp")],
)
def test_the_stored_name_is_generated_and_its_extension_is_the_stored_format(
    post_figure, client_name, format, extension
):
    figure = upload_through_admin(post_figure, client_name, image_bytes(format, size=(50, 40)))
    assert GENERATED_NAME.fullmatch(figure.image.name), figure.image.name
    assert figure.image.name.endswith(f".{extension}")
    assert Path(client_name).stem not in figure.image.name
    with Image.open(io.BytesIO(stored_bytes(figure))) as image:
        assert image.format == format
    assert (figure.width, figure.height) == (50, 40)


@pytest.mark.parametrize(("format", "mode"), [("PNG", "RGBA"), ("PNG", "P"), ("GIF", "P"), ("WEBP", "RGBA")])
def test_transparency_is_kept(format, mode):
    image = Image.new("RGBA", (40, 30), (255, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 20, 30))
    buffer = io.BytesIO()
    if mode == "P":
        image = image.convert("P")
        image.save(buffer, format=format, transparency=image.getpixel((30, 15)))
    else:
        image.save(buffer, format=format, lossless=True)
    clean = sanitized(upload(buffer.getvalue(), f"logo.{format.lower()}"))
    with Image.open(clean) as stored:
        rgba = stored.convert("RGBA")
        assert rgba.getpixel((30, 15))[3] == 0, "transparent stays transparent"
        assert rgba.getpixel((5, 15))[3] == 255


def test_a_valid_icc_profile_is_kept_and_junk_in_its_place_is_not():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for profile, kept in ((srgb, True), (b"<script>not a profile</script>", False)):
        buffer = io.BytesIO()
        Image.new("RGB", (40, 30), (1, 2, 3)).save(buffer, format="JPEG", icc_profile=profile)
        with Image.open(sanitized(upload(buffer.getvalue(), "photo.jpg"))) as stored:
            assert (stored.info.get("icc_profile") == profile) is kept


@pytest.mark.django_db
def test_an_organization_logo_is_re_encoded_under_a_generated_name(admin_client):
    from casebook.organizations.models import Organization

    form = {"name": "Pinduoduo", "slug": "pinduoduo", "kind": "enterprise", "website": "", "description": ""}
    logo = SimpleUploadedFile("my logo.jpg", photo_with_gps(), content_type="image/jpeg")
    response = admin_client.post(admin_url(Organization, "add"), in_both_languages(form | {"logo": logo}))
    assert response.status_code == 302, form_errors(response)
    stored = Organization.objects.get().logo
    assert re.fullmatch(r"logos/[0-9a-f]{32}\.jpg", stored.name), stored.name
    with stored.open("rb") as file, Image.open(file) as image:
        assert not image.getexif()


# Renditions: made when the figure is saved, never made again, and a broken original is a placeholder.


@pytest.mark.django_db
def test_saving_a_figure_makes_every_rendition_the_site_shows(post_figure, media_root):
    figure = upload_through_admin(post_figure, "photo.jpg", noisy_jpeg((1200, 800)))
    for width in RENDITION_WIDTHS:
        with Image.open(Path(media_root) / rendition_name(figure.image.name, width)) as rendition:
            assert rendition.size == (width, round(width * 2 / 3))


@pytest.mark.django_db
def test_a_present_rendition_is_never_made_again():
    figure = make_figure(make_case(), image=image_upload("photo.png", size=(800, 600)))
    urls = [rendition_url(figure.image, width) for width in RENDITION_WIDTHS]
    with (
        mock.patch.object(Image.Image, "save") as save,
        mock.patch.object(Image, "open", side_effect=AssertionError("the original was opened")),
    ):
        assert [rendition_url(figure.image, width) for width in RENDITION_WIDTHS] == urls
    save.assert_not_called()


@pytest.mark.django_db
@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_broken_original_shows_a_placeholder_and_is_logged_once(client, caplog, damage):
    case = make_case()
    figure = make_figure(case, alt_text="Farmers holding apples")
    if damage == "missing":
        default_storage.delete(figure.image.name)
    else:
        with open(default_storage.path(figure.image.name), "wb") as file:
            file.write(noisy_jpeg()[:1000])
    with caplog.at_level(logging.WARNING, logger="casebook.cases.images"):
        for _ in range(3):
            response = client.get(case.get_absolute_url())
            assert response.status_code == 200
            assert '<div class="figure-missing" role="img" aria-label="Farmers holding apples">' in response.text
    records = [record for record in caplog.records if record.name == "casebook.cases.images"]
    assert len(records) == 1, [record.getMessage() for record in records]
    assert figure.image.name in records[0].getMessage()


# The figure on the case page: stored size, decorative figures.


def figure_html(client, case):
    content = client.get(case.get_absolute_url()).content.decode()
    return re.search(r'<figure class="figure">.*?</figure>', content, re.S).group(0)


@pytest.mark.django_db
def test_the_page_uses_the_stored_size_and_never_opens_the_original(client):
    case = make_case()
    figure = make_figure(case, image=image_upload("photo.png", size=(800, 600)))
    for width in RENDITION_WIDTHS:
        rendition_url(figure.image, width)
    with mock.patch.object(Image, "open", side_effect=AssertionError("the original was opened")):
        html = figure_html(client, case)
    assert 'width="800" height="600"' in html
    assert f'alt="{figure.alt_text}"' in html


@pytest.mark.django_db
def test_a_decorative_figure_has_an_empty_alt(client):
    case = make_case()
    make_figure(case, decorative=True, alt_text="", alt_text_zh_hans="不应出现的说明")
    html = figure_html(client, case)
    assert 'alt=""' in html
    assert "不应出现" not in html and "fallback" not in html


@pytest.mark.django_db
def test_a_decorative_figure_whose_file_is_missing_is_hidden_from_screen_readers(client):
    case = make_case()
    figure = make_figure(case, decorative=True, alt_text="")
    default_storage.delete(figure.image.name)
    html = figure_html(client, case)
    assert '<div class="figure-missing" aria-hidden="true">' in html
    assert "It showed" not in html and "<img" not in html


@pytest.mark.django_db
def test_a_rendition_seen_on_disk_is_not_looked_for_again(media_root):
    figure = make_figure(make_case(), image=image_upload("photo.png", size=(800, 600)))
    url = rendition_url(figure.image, 480)
    with mock.patch.object(default_storage, "exists", side_effect=AssertionError("the disk was asked again")):
        assert rendition_url(figure.image, 480) == url
