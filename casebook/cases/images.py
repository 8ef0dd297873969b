"""Figure images: what an upload must be, and the renditions the pages show.

Pillow accepts far too much by default (a 12 KB PNG that decodes to 100 megapixels, a JPEG
cut in half that fails only when a thumbnail is made), so an upload is checked in order:
size on disk, format by content, pixel count, then a full decode.
"""

import io
import logging
import uuid
import warnings
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

logger = logging.getLogger(__name__)

RENDITION_WIDTHS = (160, 480, 960)


def validate_image(field_file):
    """Refuse what a figure must not be; an upload, or a file already in storage (a model's full_clean()).

    Error codes differ from Django's form field's own ("invalid_image"): a ModelForm would otherwise
    replace these messages with its generic “Upload a valid image”.
    """
    max_bytes = settings.CASEBOOK_IMAGE_MAX_BYTES
    try:
        size = field_file.size
    except FileNotFoundError as error:
        # A stored figure whose file has gone (a restored database, a fixture without its media).
        raise ValidationError(
            "The image file is missing from storage; upload it again.", code="missing_image"
        ) from error
    if size > max_bytes:
        raise ValidationError(
            f"The file is {filesizeformat(size)}; the limit is {filesizeformat(max_bytes)}.",
            code="file_too_large",
        )
    formats = settings.CASEBOOK_IMAGE_FORMATS
    field_file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(field_file, formats=formats) as image:
                width, height = image.size
                max_pixels = settings.CASEBOOK_IMAGE_MAX_PIXELS
                if width * height > max_pixels:
                    raise ValidationError(
                        f"The image is {width}×{height} pixels; the limit is {pixel_count(max_pixels)}.",
                        code="too_many_pixels",
                    )
                image.load()
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
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError("The image file is damaged or incomplete.", code="broken_image") from error
    finally:
        if getattr(field_file, "_committed", False):
            field_file.close()  # a stored file was opened just for this check
        else:
            field_file.seek(0)


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


def rendition_url(field_file, width):
    """URL of a JPEG at most ``width`` pixels wide, made once and then reused; None if the original is unusable."""
    if not field_file:
        return None
    name = rendition_name(field_file.name, width)
    if not default_storage.exists(name):
        try:
            with default_storage.open(field_file.name) as original, Image.open(original) as image:
                if image.mode in ("1", "P"):
                    # Palette images would be resized by nearest neighbour, jagged.
                    image = image.convert("RGBA" if "transparency" in image.info else "RGB")
                image.thumbnail((width, width * 4))
                buffer = io.BytesIO()
                on_white(image).save(buffer, format="JPEG", quality=85, optimize=True)
            default_storage.save(name, ContentFile(buffer.getvalue()))
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            logger.warning("Cannot make a %spx rendition of %s", width, field_file.name)
            return None
    return default_storage.url(name)


def on_white(image):
    """The image in a mode JPEG can store; transparent parts (logos) become white rather than black."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA"):
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        return flat
    return image.convert("RGB")
