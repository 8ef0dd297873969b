import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from casebook.cases.images import rendition_name, rendition_url, validate_image

from .factories import image_bytes, image_upload, make_case, make_figure


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
