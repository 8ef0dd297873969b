"""Figure images: what an upload must be, and the renditions the pages show.

Pillow accepts far too much by default (a 12 KB PNG that decodes to 100 megapixels, a JPEG
cut in half that fails only when a thumbnail is made), so an upload is checked in order:
size on disk, format by content, pixel count, then a full decode.
"""

import io
import logging
import warnings
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

logger = logging.getLogger(__name__)

RENDITION_WIDTHS = (160, 480, 960)


def validate_image(field_file):
    max_bytes = settings.CASEBOOK_IMAGE_MAX_BYTES
    if field_file.size > max_bytes:
        raise ValidationError(
            f"The file is {field_file.size / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.0f} MB.",
            code="file_too_large",
        )
    formats = settings.CASEBOOK_IMAGE_FORMATS
    field_file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(field_file, formats=formats) as image:
                width, height = image.size
                if width * height > settings.CASEBOOK_IMAGE_MAX_PIXELS:
                    raise ValidationError(
                        f"The image is {width}×{height} pixels; the limit is "
                        f"{settings.CASEBOOK_IMAGE_MAX_PIXELS / 1_000_000:.0f} megapixels.",
                        code="too_many_pixels",
                    )
                image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        if isinstance(error, UnidentifiedImageError):
            message = f"This is not an image in an allowed format ({', '.join(formats)})."
        else:
            message = "The image has too many pixels to be processed safely."
        raise ValidationError(message, code="invalid_image") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError("The image file is damaged or incomplete.", code="broken_image") from error
    finally:
        field_file.seek(0)


def rendition_name(name, width):
    path = PurePosixPath(name)
    return f"renditions/{path.parent}/{path.stem}-w{width}.jpg"


def rendition_url(field_file, width):
    """URL of a JPEG at most ``width`` pixels wide, made once and then reused; None if the original is unusable."""
    if not field_file:
        return None
    name = rendition_name(field_file.name, width)
    if not default_storage.exists(name):
        try:
            with default_storage.open(field_file.name) as original, Image.open(original) as image:
                image.thumbnail((width, width * 4))
                if image.mode not in ("RGB", "L"):
                    image = image.convert("RGB")
                buffer = io.BytesIO()
                image.save(buffer, format="JPEG", quality=85, optimize=True)
            default_storage.save(name, ContentFile(buffer.getvalue()))
        except (OSError, SyntaxError, ValueError):
            logger.warning("Cannot make a %spx rendition of %s", width, field_file.name)
            return None
    return default_storage.url(name)
