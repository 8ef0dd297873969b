"""/media/: an uploaded file goes to the public only while a public page shows it.

That is the current image of a figure of a published case, or one of its renditions. Every other file under
MEDIA_ROOT answers 404 to the public and is served to staff (the admin shows drafts' figures): a draft's or a
scheduled case's figures, those of a withdrawn case, an image replaced or deleted (its file stays on disk for
the case's history to restore), organizations' logos (shown in the admin only).

The answer to "is this file public" is cached under the data version, which every publication, withdrawal
and figure change renews. The file itself is sent by the reverse proxy when ``MEDIA_ACCEL_REDIRECT`` names
its internal location (nginx's X-Accel-Redirect, README "Deploy"), else by Django.
"""

import mimetypes
import os
import posixpath
import re
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from casebook.cases.images import rendition_name
from casebook.cases.models import Case, Figure
from casebook.cases.versions import cached

# renditions/figures/2026/3f2a…9c-jpg-w480.jpg: the rendition of figures/2026/3f2a…9c.jpg (images.rendition_name).
RENDITION = re.compile(r"renditions/(?P<folder>.+)/(?P<stem>[^/]+)-w(?P<width>\d+)\.jpg")
# How long a browser or a shared cache may keep a public file: a withdrawn case's images are gone by then.
PUBLIC_MAX_AGE = 3600


@require_safe
def serve_media(request, path):
    name = clean(path)
    if name is None or not os.path.isfile(default_storage.path(name)):
        raise Http404
    public = cached(f"media-public:{name}", lambda: is_public(name))
    if not public and not (request.user.is_active and request.user.is_staff):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if settings.MEDIA_ACCEL_REDIRECT:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT + quote(name)
    else:
        response = FileResponse(default_storage.open(name), content_type=content_type)
    if public:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response


def clean(path):
    """The storage name of ``path``, or None when it is not a plain relative path (``..``, ``//``, ``\\``)."""
    if not path or "\\" in path or "\x00" in path or path.startswith("/"):
        return None
    if posixpath.normpath(path) != path or any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return path


def is_public(name):
    """Whether ``name`` is the image of a figure of a published case, or a rendition of one."""
    return Figure.objects.filter(image__in=originals(name), case__in=Case.objects.published()).exists()


def originals(name):
    """The names whose image ``name`` shows: itself, or for a rendition the original it was made from."""
    rendition = RENDITION.fullmatch(name)
    if rendition is None:
        return [name]
    folder, stem, width = rendition["folder"], rendition["stem"], int(rendition["width"])
    # The stem is the original's, with its extension after a last hyphen (photo.png → photo-png), or without one.
    head, _hyphen, kind = stem.rpartition("-")
    candidates = [f"{folder}/{head}.{kind}", f"{folder}/{stem}"] if head else [f"{folder}/{stem}"]
    return [original for original in candidates if rendition_name(original, width) == name]
