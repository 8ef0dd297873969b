"""Figure images: what an upload must be, and the renditions the pages show.

Pillow accepts far too much by default (a 12 KB PNG that decodes to 100 megapixels, a JPEG
cut in half that fails only when a thumbnail is made), so an upload is checked in order:
size on disk, format by content, pixel count, then a full decode; then only its pixels are
stored, re-encoded (``sanitized``), under a generated name (``figure_upload_to``).
"""

import contextlib
import io
import logging
import uuid
import warnings
from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

RENDITION_WIDTHS = (160, 480, 960)


def validate_image(field_file):
    """Refuse what a figure must not be; an upload, or a file already in storage (a model's full_clean()).

    Error codes differ from Django's form field's own ("invalid_image"): a ModelForm would otherwise
    replace these messages with its generic “Upload a valid image”.
    """
    try:
        size = field_file.size
    except FileNotFoundError as error:
        # A stored figure whose file has gone (a restored database, a fixture without its media).
        raise ValidationError(
            "The image file is missing from storage; upload it again.", code="missing_image"
        ) from error
    refuse_if_too_large(size)
    if getattr(field_file, "_committed", False):
        # A stored file: read it through a handle of its own. Django opens and closes the field's handle
        # when it reads width and height on assignment, and a closed handle cannot be rewound.
        with field_file.storage.open(field_file.name) as stored, decoded(stored):
            pass
    else:
        field_file.seek(0)
        try:
            with decoded(field_file):
                pass
        finally:
            field_file.seek(0)


def refuse_if_too_large(size):
    """Checked first, before anything is decoded."""
    max_bytes = settings.CASEBOOK_IMAGE_MAX_BYTES
    if size > max_bytes:
        raise ValidationError(
            f"The file is {filesizeformat(size)}; the limit is {filesizeformat(max_bytes)}.",
            code="file_too_large",
        )


@contextlib.contextmanager
def decoded(file):
    """``with decoded(file) as image``: the image fully decoded, or a ValidationError; in order, the format
    by content, the pixel count, then a full decode. A damaged file found in the ``with`` body is refused too.
    """
    formats = settings.CASEBOOK_IMAGE_FORMATS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=formats) as image:
                width, height = image.size
                max_pixels = settings.CASEBOOK_IMAGE_MAX_PIXELS
                if width * height > max_pixels:
                    raise ValidationError(
                        f"The image is {width}×{height} pixels; the limit is {pixel_count(max_pixels)}.",
                        code="too_many_pixels",
                    )
                image.load()
                yield image
    except ValidationError:
        raise
    except UnidentifiedImageError as error:
        raise ValidationError(
            f"This is not an image in an allowed format ({', '.join(formats)}).", code="unsupported_format"
        ) from error
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ValidationError(
            "The image has too many pixels to be processed safely.", code="too_many_pixels"
        ) from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError("The image file is damaged or incomplete.", code="broken_image") from error


# What each allowed format is stored as: (Pillow format, extension, save options).
# A GIF keeps its first frame only, as a PNG: figures are photographs and charts, not animations.
STORED_AS = {
    "JPEG": ("JPEG", "jpg", {"quality": 88, "optimize": True}),
    "MPO": ("JPEG", "jpg", {"quality": 88, "optimize": True}),  # a phone's JPEG with a second picture inside
    "PNG": ("PNG", "png", {}),
    "GIF": ("PNG", "png", {}),
    "WEBP": ("WEBP", "webp", {"quality": 88}),
}


def sanitized(uploaded_file, stem=None):
    """The checked upload re-encoded from its pixels alone, as a new file named ``<stem>.<extension>``.

    Only the pixels are copied into a new image, so nothing else of the upload is stored: EXIF (GPS position,
    camera serial numbers), PNG text chunks, GIF and JPEG comments, XMP, further frames. A photograph is turned
    upright first (its EXIF orientation), since the orientation tag goes with the rest of the EXIF. The ICC
    colour profile is kept when it is a valid profile: it is colour data, not personal data, and without it a
    wide-gamut (Display P3, Adobe RGB) photograph shows dull colours. ``stem`` defaults to a random name: the
    client's file name is never used.
    """
    refuse_if_too_large(uploaded_file.size)
    uploaded_file.seek(0)
    with decoded(uploaded_file) as image:
        target, extension, options = STORED_AS.get(image.format, ("PNG", "png", {}))
        source = ImageOps.exif_transpose(image) if target == "JPEG" else image
        clean = pixels_of(source)
        profile = icc_profile(image)
        if profile:
            options = {**options, "icc_profile": profile}
        if target == "JPEG" and clean.mode not in ("RGB", "L", "CMYK"):
            clean = on_white(clean)
        if "transparency" in image.info and clean.mode in ("P", "L", "RGB") and target == "PNG":
            options = {**options, "transparency": image.info["transparency"]}
        buffer = io.BytesIO()
        clean.save(buffer, format=target, **options)
    uploaded_file.seek(0)
    return ContentFile(buffer.getvalue(), name=f"{stem or uuid.uuid4().hex}.{extension}")


class UploadedImageField(forms.ImageField):
    """An image upload checked by ``sanitized`` (size first, then format, pixels, full decode) and stored
    as its re-encoded pixels. Django's own check would decode the file before its size is looked at, and
    call a decompression bomb or a BMP only “not a valid image”: it is not run."""

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)  # no file, an empty file, a name too long
        return None if upload is None else sanitized(upload)


def pixels_of(image):
    """A new image with ``image``'s pixels (and palette) and nothing else: no info, no EXIF, no comments."""
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P":
        rawmode = image.palette.mode
        clean.putpalette(image.getpalette(rawmode), rawmode)
    return clean


def icc_profile(image):
    """The image's ICC profile if Little CMS reads it as one, else None (junk in the ICC slot is dropped)."""
    data = image.info.get("icc_profile")
    if not data:
        return None
    try:
        ImageCms.ImageCmsProfile(io.BytesIO(data))
    except (OSError, TypeError, ValueError, ImageCms.PyCMSError):
        return None
    return data


def pixel_count(pixels):
    """40_000_000 → “40 megapixels”, 2_500_000 → “2.5 megapixels”, 500 → “500 pixels”."""
    if pixels >= 1_000_000:
        return f"{pixels / 1_000_000:g} megapixels"
    return f"{pixels:,} pixels"


def figure_upload_to(figure, filename):
    """A generated name, never the client's: figures/2026/3f2a…9c.jpg (the extension is the stored format's)."""
    extension = PurePosixPath(filename).suffix.lower() or ".jpg"
    return f"figures/{timezone.now():%Y}/{uuid.uuid4().hex}{extension}"


def rendition_name(name, width):
    """figures/2022/photo.png → renditions/figures/2022/photo-png-w160.jpg: photo.jpg beside it gets its own."""
    path = PurePosixPath(name)
    kind = path.suffix.lstrip(".").lower()
    stem = f"{path.stem}-{kind}" if kind else path.stem
    return f"renditions/{path.parent}/{stem}-w{width}.jpg"


# The renditions this process has seen on disk, with their URLs: a page of 20 cards would otherwise ask the disk
# 40 times on each view. A rendition never changes once made (its name comes from its original's, and an original
# is stored under a new name, never over an old one). One deleted by hand is forgotten when the workers restart.
_present = {}
PRESENT_LIMIT = 100_000


def rendition_url(field_file, width):
    """URL of a JPEG at most ``width`` pixels wide, made once and then reused; None if the original is unusable.

    An unusable original (missing, damaged) is logged once per file and process, not on every page view.
    """
    if not field_file:
        return None
    key = (getattr(default_storage, "location", ""), field_file.name, width)  # tests give each its own folder
    if key in _present:
        return _present[key]
    name = rendition_name(field_file.name, width)
    if not default_storage.exists(name):
        try:
            with default_storage.open(field_file.name) as original, Image.open(original) as image:
                profile = icc_profile(image)
                if image.mode in ("1", "P"):
                    # Palette images would be resized by nearest neighbour, jagged.
                    image = image.convert("RGBA" if "transparency" in image.info else "RGB")
                image.thumbnail((width, width * 4))
                buffer = io.BytesIO()
                options = {"icc_profile": profile} if profile else {}
                on_white(image).save(buffer, format="JPEG", quality=85, optimize=True, **options)
            default_storage.save(name, ContentFile(buffer.getvalue()))
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            report_unusable(field_file.name, error)
            return None
    if len(_present) >= PRESENT_LIMIT:
        _present.clear()
    _present[key] = default_storage.url(name)
    return _present[key]


def make_renditions(field_file):
    """Every rendition the site shows, made now (after an upload) rather than on the first page view."""
    for width in RENDITION_WIDTHS:
        if rendition_url(field_file, width) is None:
            return


_reported = set()


def report_unusable(name, error):
    """A warning the first time an original cannot be read in this process; the pages show a placeholder."""
    if name in _reported:
        return
    _reported.add(name)
    logger.warning("Cannot make renditions of %s (a placeholder is shown instead): %s", name, error)


def on_white(image):
    """The image in a mode JPEG can store; transparent parts (logos) become white rather than black."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA"):
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        return flat
    return image.convert("RGB")
