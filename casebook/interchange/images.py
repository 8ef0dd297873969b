"""Figure files of an import: where they may be, what they must be, and what is stored.

A figure path is relative to the folder of the import file and must stay inside it (no ``..``, no absolute
path, no symbolic link leading out). The file is checked like an upload (casebook.cases.images: size, format,
pixels, full decode) and stored re-encoded from its pixels (``sanitized``), under a name made from its
content: importing the same picture again, or once for many figures, stores it once.

One exception keeps exports and imports byte for byte identical: a baseline JPEG that carries nothing but
its pixels (no EXIF, XMP, comments or other application data: what ``sanitized`` itself writes) is stored as
it is, since re-encoding it would only lose quality a little more on every round trip.
"""

import hashlib
import io
from pathlib import Path, PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage

from casebook.cases.images import decoded, refuse_if_too_large, sanitized

STORED_UNDER = "figures/imported"

# JPEG markers that hold nothing but the picture: SOFn, DHT, DAC, RSTn, DQT, DNL, DRI, APP0 (JFIF),
# APP2 (an ICC colour profile) and APP14 (Adobe colour transform). Anything else (APP1 EXIF/XMP, COM…)
# means the file carries more than pixels.
PICTURE_MARKERS = {*range(0xC0, 0xD0), 0xDB, 0xDC, 0xDD, 0xE0, 0xE2, 0xEE} - {0xC8}


class FigureFileError(Exception):
    pass


def resolve(folder, relative):
    """The file ``relative`` names inside ``folder``, or FigureFileError saying why it cannot be used."""
    if not isinstance(relative, str) or not relative:
        raise FigureFileError("expected a path relative to the import file")
    posix = PurePosixPath(relative.replace("\\", "/"))
    if posix.is_absolute() or relative.startswith(("/", "\\")) or (len(relative) > 1 and relative[1] == ":"):
        raise FigureFileError(f'"{relative}" is an absolute path; give a path relative to the import file')
    if ".." in posix.parts:
        raise FigureFileError(f'"{relative}" points outside the import folder')
    root = Path(folder).resolve()
    path = root.joinpath(*posix.parts)
    if not path.exists() and not path.is_symlink():
        raise FigureFileError(f'file "{relative}" not found')
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        raise FigureFileError(f'"{relative}" points outside the import folder')
    if not resolved.exists():
        raise FigureFileError(f'file "{relative}" not found')
    if not resolved.is_file():
        raise FigureFileError(f'"{relative}" is not a file')
    return resolved


def check(path):
    """Refuse what a figure must not be, as an upload would be refused."""
    try:
        refuse_if_too_large(path.stat().st_size)
        with open(path, "rb") as stream, decoded(stream):
            pass
    except ValidationError as error:
        raise FigureFileError(" ".join(error.messages)) from error


def only_pixels(data):
    """True for a JPEG whose segments all hold picture data, with nothing after its end."""
    if data[:2] != b"\xff\xd8":
        return False
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if marker not in PICTURE_MARKERS and marker != 0xDA:
            return False
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker that is not RSTn
            position += 2 + length
            while position + 1 < len(data):
                if data[position] == 0xFF and data[position + 1] not in (0x00, *range(0xD0, 0xD8)):
                    break
                position += 1
            if data[position : position + 2] == b"\xff\xd9":
                return position + 2 == len(data)
            continue
        position += 2 + length
    return False


def stored_content(path):
    """(bytes, extension, width, height) of what is stored for the figure file at ``path``."""
    data = path.read_bytes()
    with decoded(io.BytesIO(data)) as image:
        width, height = image.size
        keep = image.format == "JPEG" and only_pixels(data)
    if keep:
        return data, "jpg", width, height
    clean = sanitized(File(io.BytesIO(data), name=path.name))
    return clean.read(), PurePosixPath(clean.name).suffix.lstrip("."), width, height


def content_name(data, extension):
    return f"{STORED_UNDER}/{hashlib.sha256(data).hexdigest()[:40]}.{extension}"


def name_by_content(name):
    """The name a stored figure file would have if it had been imported: to see that an uploaded figure
    and a figure in an import file are the same picture. ``name`` itself for an imported one."""
    if name.startswith(f"{STORED_UNDER}/"):
        return name
    try:
        with default_storage.open(name) as stream:
            data = stream.read()
    except OSError:
        return name
    return content_name(data, PurePosixPath(name).suffix.lstrip(".").lower() or "jpg")


def store(path, write=True):
    """(storage name, width, height) of the figure file at ``path``, saved unless ``write`` is false."""
    data, extension, width, height = stored_content(path)
    name = content_name(data, extension)
    if write and not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:  # a storage that renames; keep whatever name it chose
            name = saved
    return name, width, height
