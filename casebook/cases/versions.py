"""The version of the published data, under which every cached figure of published cases is kept: the home
and index counts, the outcome totals, the facet panel, the listing's cards and whole pages, and whole case pages.

Any change to what the public sees makes a new version (``data_changed``): reindexing a case calls it
(``indexing``), and so do the writes the index does not see (``connect``). A case scheduled for publication
changes nothing when its time comes, so a version also ends at the publication time of the next scheduled
case. The figures of older versions are never read again and expire on their own. With a cache shared by
all processes (settings.CACHES in production) a change made by one is seen at once by every other.
"""

from contextvars import ContextVar
from datetime import datetime
from uuid import uuid4

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from casebook.organizations.models import Posting

from .models import AssistanceType, Case, Collection, Initiative, Metric, Outcome, Source

VERSION_KEY = "casebook:published-data-version"
# A backstop for writes that bypass every signal (SQL by hand); the version serves every other change.
TIMEOUT = 3600

# The version as a request first read it, {"token": …}, while the request lasts: a listing page reads its
# panel, its cards and itself under the version, and each read of it is a round trip to the shared cache.
# None outside a request (commands, tests that call functions), where the version is read each time.
_request_version = ContextVar("request_version", default=None)


def data_version():
    """A token that changes whenever the published cases change, also when a scheduled case comes due."""
    known = _request_version.get()
    if known:
        return known["token"]
    version = cache.get(VERSION_KEY)
    if version is None or (version["due"] is not None and timezone.now() >= datetime.fromisoformat(version["due"])):
        version = new_version()
        cache.set(VERSION_KEY, version, timeout=None)
    if known is not None:
        known["token"] = version["token"]
    return version["token"]


def data_changed(**kwargs):
    """Every cached figure is out of date. Within a transaction once more when it commits: a figure another
    process computed from the data before the commit, and cached under the version of now, is dropped too."""
    set_version()
    if connection.in_atomic_block:
        transaction.on_commit(set_version)


def set_version():
    cache.set(VERSION_KEY, new_version(), timeout=None)
    known = _request_version.get()
    if known:
        known.clear()  # a request that changed the data reads the new version from then on


@receiver(request_started, dispatch_uid="data-version-request-started")
def remember_for_the_request(**kwargs):
    _request_version.set({})


@receiver(request_finished, dispatch_uid="data-version-request-finished")
def forget_after_the_request(**kwargs):
    _request_version.set(None)


def new_version():
    now = timezone.now()
    due = (
        Case.objects.filter(status=Case.Status.PUBLISHED, published_at__gt=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return {"token": uuid4().hex, "due": due.isoformat() if due else None}


def cached(name, compute, keep=None):
    """``compute()``, a figure of published cases, from the cache of the current version when it is there.
    A value for which ``keep(value)`` is false is returned but not kept."""
    key = f"casebook:figures:{data_version()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        if keep is None or keep(value):
            cache.set(key, value, TIMEOUT)
    return value


def cached_many(names, compute):
    """``cached`` for many figures at once, read and written in one round each: ``names`` maps items to the
    names of their figures, ``compute(items)`` gives {item: value} for the items whose figures are not kept.
    Returns {item: value} (an item ``compute`` leaves out has none)."""
    prefix = f"casebook:figures:{data_version()}:"
    kept = cache.get_many([prefix + name for name in names.values()])
    values = {item: kept[prefix + name] for item, name in names.items() if prefix + name in kept}
    missing = [item for item in names if item not in values]
    if missing:
        made = compute(missing)
        cache.set_many({prefix + names[item]: value for item, value in made.items()}, TIMEOUT)
        values.update(made)
    return values


def connect():
    """Called from CasesConfig.ready(): the changes reindexing does not announce. Outcomes are not indexed;
    a deleted case was taken out of the index before its row went; the index holds the ids of types and
    collections, not their names, which the cached panel and cards show; sources, initiatives, metrics and
    postings appear only on the kept case pages. (Renamed places, organizations, commissioners and themes
    reindex the cases that name them.)"""
    for model in (Outcome, AssistanceType, Collection, Source, Initiative, Metric, Posting):
        post_save.connect(data_changed, sender=model, dispatch_uid=f"data-changed-save-{model.__name__}")
    for model in (Case, Outcome, AssistanceType, Collection, Source, Initiative, Metric, Posting):
        post_delete.connect(data_changed, sender=model, dispatch_uid=f"data-changed-delete-{model.__name__}")
    for relation in (Case.sources, Case.initiatives):
        m2m_changed.connect(data_changed, sender=relation.through, dispatch_uid=f"data-changed-{relation.field.name}")
