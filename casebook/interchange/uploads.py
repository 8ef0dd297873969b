"""An import file uploaded in the admin: kept in a private folder between the dry run and the confirmation.

A .zip is unpacked with the checks an archive from outside needs: no absolute paths, no ``..``, no links,
a limit on the unpacked size and on the number of files, and exactly one JSON document."""

import shutil
import stat
import tempfile
import uuid
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_FILES = 200_000


class UploadError(Exception):
    pass


def uploads_root():
    return Path(getattr(settings, "INTERCHANGE_UPLOAD_DIR", None) or Path(tempfile.gettempdir()) / "casebook-imports")


def folder_of(token):
    """The folder of an earlier upload, or None for a token that is not one of ours."""
    try:
        token = uuid.UUID(str(token)).hex
    except ValueError:
        return None
    folder = uploads_root() / token
    return folder if folder.is_dir() else None


def document_in(folder):
    documents = sorted(path for path in folder.rglob("*.json") if path.is_file())
    return documents[0] if len(documents) == 1 else None


def receive(upload):
    """Keep ``upload`` (a .json or a .zip): returns (token, path of the JSON document inside)."""
    name = PurePosixPath(upload.name).name
    limit = settings.INTERCHANGE_UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise UploadError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    token = uuid.uuid4().hex
    folder = uploads_root() / token
    folder.mkdir(parents=True)
    try:
        if name.lower().endswith(".json"):
            with open(folder / name, "wb") as copy:
                for chunk in upload.chunks():
                    copy.write(chunk)
        elif name.lower().endswith(".zip"):
            unpack(upload, folder)
        else:
            raise UploadError(_("Upload a .json file, or a .zip holding one .json file and its figures."))
        document = document_in(folder)
        if document is None:
            raise UploadError(_("The .zip must hold exactly one .json file."))
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return token, document


def unpack(upload, folder):
    limit = settings.INTERCHANGE_UNZIPPED_MAX_BYTES
    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile as error:
        raise UploadError(_("This is not a .zip file.")) from error
    with archive:
        members = archive.infolist()
        if len(members) > MAX_FILES:
            raise UploadError(_("The .zip holds more than %(count)s files.") % {"count": MAX_FILES})
        if sum(member.file_size for member in members) > limit:
            raise UploadError(_("Unpacked, the .zip would exceed %(limit)s.") % {"limit": filesizeformat(limit)})
        for member in members:
            path = PurePosixPath(member.filename)
            if path.is_absolute() or ".." in path.parts or ":" in member.filename or "\\" in member.filename:
                raise UploadError(_("The .zip holds a path outside its folder: %(name)s") % {"name": member.filename})
            if stat.S_ISLNK(member.external_attr >> 16):
                raise UploadError(_("The .zip holds a link: %(name)s") % {"name": member.filename})
            if member.is_dir():
                continue
            target = folder.joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with archive.open(member) as source, open(target, "wb") as copy:
                while chunk := source.read(1024 * 1024):
                    written += len(chunk)
                    if written > member.file_size:  # a header that lies about the size
                        raise UploadError(_("The .zip is damaged."))
                    copy.write(chunk)


def discard(token):
    folder = folder_of(token)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
