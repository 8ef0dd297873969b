"""The revision history of a case in the admin: every recorded change of the case and of what describes it
(figures, outcomes, organizations, collection entries), a field-by-field comparison of any two points in
that history, and a revert to any point.

django-simple-history does the recording (see translation.py); this module only reads the historical
tables, and writes through the ordinary models when reverting, so that a revert is recorded like any save.

A point in the history is one recorded change, named "<model>-<history id>" ("case-12", "outcome-40").
The state of the case at a point is everything recorded up to that change's time. Each change is a point,
not only the case's own rows, because the admin saves the case before its inlines: the figures and outcomes
of a save are recorded just after the case row of that save.
"""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError, models, transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import localize
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from modeltranslation.translator import NotRegistered, translator
from simple_history.models import HistoricalRecords

from .models import (
    TRANSLATED_COLUMNS,
    Case,
    CollectionEntry,
    Figure,
    Outcome,
    Participation,
    current_column,
    format_number,
)
from .workflow import record_slug_change

CHILDREN = (Outcome, Figure, Participation, CollectionEntry)
KINDS = {model._meta.model_name: model for model in (Case, *CHILDREN)}
CASE_M2M = ("themes", "regions", "commissioners", "initiatives", "sources")
# "created" alone is the verbose name of created_at ("creation time") in Chinese.
HISTORY_TYPES = {
    "+": pgettext_lazy("history", "created"),
    "~": pgettext_lazy("history", "changed"),
    "-": pgettext_lazy("history", "deleted"),
}


def translated_originals(model):
    """Translated fields, whose per-language columns (title_zh_hans, title_en) are compared instead."""
    try:
        return set(translator.get_options_for_model(model).all_fields)
    except NotRegistered:
        return set()


def compared_fields(model):
    """What an editor enters: every editable column, each language's column of translated fields."""
    originals = translated_originals(model)
    return [
        field
        for field in model._meta.concrete_fields
        if field.editable and not field.primary_key and field.name not in originals and field.name != "case"
    ]


def restored_fields(model):
    """What a revert writes back: every column but the key, the original of translated fields (modeltranslation
    fills it from the language columns on save) and the automatic timestamps."""
    originals = translated_originals(model)
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key
        and field.name not in originals
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
    ]


def stored(row, field):
    """A column's value in a historical row, comparable across rows (a file is its name)."""
    value = getattr(row, field.attname)
    if isinstance(field, models.FileField):
        return getattr(value, "name", value) or ""
    return value


def local(row, name):
    """A translated field of a historical row in the reader's language, else in another language."""
    columns = [current_column(), *TRANSLATED_COLUMNS]
    return next((getattr(row, f"{name}_{column}") for column in columns if getattr(row, f"{name}_{column}")), "")


def point_of(row):
    return f"{row.instance_type._meta.model_name}-{row.history_id}"


class Names:
    """Readable values for the comparison, with each related object fetched once."""

    def __init__(self):
        self.related = {}

    def related_object(self, model, pk):
        if (model, pk) not in self.related:
            self.related[model, pk] = model._default_manager.filter(pk=pk).first()
        return self.related[model, pk]

    def value(self, field, value):
        if value is None or value == "":
            return ""
        if field.is_relation:
            obj = self.related_object(field.related_model, value)
            return str(obj) if obj is not None else gettext("deleted (#%(pk)s)") % {"pk": value}
        if field.flatchoices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return gettext("yes") if value else gettext("no")
        if isinstance(value, Decimal):
            return format_number(value)
        if isinstance(value, datetime.datetime):
            return localize(timezone.localtime(value))
        return str(value)

    def label(self, row):
        """What a historical row is about: the case's title, a figure's caption, an organization's name…"""
        model = row.instance_type
        if model is Case:
            return local(row, "title")
        if model is Figure:
            return local(row, "caption")
        if model is Outcome:
            return local(row, "indicator")
        if model is Participation:
            return self.value(Participation._meta.get_field("organization"), row.organization_id)
        return self.value(CollectionEntry._meta.get_field("collection"), row.collection_id)


def case_rows(case):
    return Case.history.filter(id=case.pk)


def child_rows(model, case):
    # Every row of every object that was ever the case's, also from times it belonged elsewhere.
    return model.history.filter(id__in=model.history.filter(case_id=case.pk).values("id"))


def m2m_sets(rows):
    """{history_id: {"themes": {pk, …}, …}} for historical case rows: the relations saved with each row."""
    sets = {row.history_id: {name: set() for name in CASE_M2M} for row in rows}
    for name in CASE_M2M:
        field = Case._meta.get_field(name)
        target = f"{field.m2m_reverse_field_name()}_id"
        history_model = HistoricalRecords.m2m_models[field]
        for history_id, pk in history_model.objects.filter(history_id__in=sets).values_list("history_id", target):
            sets[history_id][name].add(pk)
    return sets


def m2m_names(field_name, pks, names):
    field = Case._meta.get_field(field_name)
    return ", ".join(sorted(str(names.related_object(field.related_model, pk)) for pk in pks))


def timeline(case, names):
    """Every recorded change of the case and of its children, newest first, with the fields each changed."""
    entries = []
    for model in (Case, *CHILDREN):
        rows = case_rows(case) if model is Case else child_rows(model, case).filter(case_id=case.pk)
        rows = list(rows.select_related("history_user").order_by("history_date", "history_id"))
        sets = m2m_sets(rows) if model is Case else {}
        fields = compared_fields(model)
        previous = {}
        for row in rows:
            before = previous.get(row.id)
            changed = []
            if before is not None and row.history_type == "~":
                changed = [str(f.verbose_name) for f in fields if stored(before, f) != stored(row, f)]
                changed += [
                    str(Case._meta.get_field(name).verbose_name)
                    for name in CASE_M2M
                    if sets and sets[before.history_id][name] != sets[row.history_id][name]
                ]
            previous[row.id] = row
            entries.append(
                {
                    "row": row,
                    "point": point_of(row),
                    "model": model._meta.verbose_name,
                    "is_case": model is Case,
                    "label": names.label(row),
                    "type": HISTORY_TYPES[row.history_type],
                    "changed": changed,
                }
            )
    entries.sort(key=lambda entry: (entry["row"].history_date, entry["row"].history_id), reverse=True)
    for entry, older in zip(entries, entries[1:], strict=False):
        entry["previous"] = older["point"]
    return entries


def find_point(case, point):
    """The historical row a point names, if it is the case's or one of its children's; else None."""
    kind, _dash, history_id = (point or "").partition("-")
    model = KINDS.get(kind)
    if model is None or not history_id.isdigit():
        return None
    rows = case_rows(case) if model is Case else child_rows(model, case)
    return rows.filter(history_id=history_id).first()


def state_at(case, when):
    """The case as it was at ``when``: its latest historical row, its relations, and its children's rows."""
    row = case_rows(case).filter(history_date__lte=when).order_by("-history_date", "-history_id").first()
    children = {}
    for model in CHILDREN:
        latest = {}
        rows = child_rows(model, case).filter(history_date__lte=when).order_by("id", "-history_date", "-history_id")
        for child in rows:
            latest.setdefault(child.id, child)
        children[model] = {
            pk: child for pk, child in latest.items() if child.history_type != "-" and child.case_id == case.pk
        }
    m2m = m2m_sets([row])[row.history_id] if row else {name: set() for name in CASE_M2M}
    return {"case": row, "m2m": m2m, "children": children}


def field_changes(model, before, after, names, show_all):
    changes = []
    for field in compared_fields(model):
        old = stored(before, field) if before is not None else None
        new = stored(after, field) if after is not None else None
        changed = before is None or after is None or old != new
        if changed or show_all:
            changes.append(
                {
                    "label": field.verbose_name,
                    "before": names.value(field, old) if before is not None else "",
                    "after": names.value(field, new) if after is not None else "",
                    "changed": changed,
                }
            )
    return changes


def comparison(case, older, newer, names, show_all):
    """The case's fields and relations, and each child, side by side at two points."""
    case_changes = field_changes(Case, older["case"], newer["case"], names, show_all)
    for name in CASE_M2M:
        before, after = older["m2m"][name], newer["m2m"][name]
        if before != after or show_all:
            case_changes.append(
                {
                    "label": Case._meta.get_field(name).verbose_name,
                    "before": m2m_names(name, before, names),
                    "after": m2m_names(name, after, names),
                    "changed": before != after,
                }
            )
    sections = []
    for model in CHILDREN:
        items = []
        before_rows, after_rows = older["children"][model], newer["children"][model]
        for pk in sorted(before_rows.keys() | after_rows.keys()):
            before, after = before_rows.get(pk), after_rows.get(pk)
            changes = field_changes(model, before, after, names, show_all)
            if before is None:
                status = _("added")
            elif after is None:
                status = _("removed")
            elif any(change["changed"] for change in changes):
                status = pgettext_lazy("history", "changed")
            elif show_all:
                status = _("unchanged")
            else:
                continue
            items.append({"label": names.label(after or before), "status": status, "changes": changes})
        sections.append({"title": model._meta.verbose_name_plural, "items": items})
    return case_changes, sections


def set_field(obj, field, value):
    if isinstance(field, models.FileField):
        # Straight into the instance: assigning through the descriptor would open the file to measure it.
        obj.__dict__[field.attname] = value
    else:
        setattr(obj, field.attname, value)


def revert(case, point_row, user):
    """Restore the case, its relations and its children to their state at ``point_row``, as one change.

    Figure files are never deleted when a figure is changed or removed, so restoring the image's name is
    enough to bring the picture back.
    """
    target = state_at(case, point_row.history_date)
    before = case.slug, case.status, case.published_at
    when = timezone.localtime(point_row.history_date).strftime("%Y-%m-%d %H:%M:%S")
    reason = gettext("Reverted to version of %(date)s") % {"date": when}
    with transaction.atomic():
        current = {model: {obj.pk: obj for obj in model.objects.filter(case=case)} for model in CHILDREN}
        # Deletions first, so that restored rows do not collide with later ones on unique slugs and roles.
        for model in CHILDREN:
            for pk, obj in current[model].items():
                if pk not in target["children"][model]:
                    obj._change_reason, obj._history_user = reason, user
                    obj.delete()
        for model in CHILDREN:
            fields = restored_fields(model)
            for pk, row in target["children"][model].items():
                obj = current[model].get(pk)
                if obj is not None and all(stored(obj, f) == stored(row, f) for f in fields):
                    continue
                if obj is None:
                    obj = model._default_manager.filter(pk=pk).first() or model(pk=pk)
                for field in fields:
                    set_field(obj, field, getattr(row, field.attname))
                obj._change_reason, obj._history_user = reason, user
                obj.save()
        # The relations without a history row each; the case's save below records them with its fields.
        case.skip_history_when_saving = True
        try:
            for name in CASE_M2M:
                getattr(case, name).set(target["m2m"][name])
        finally:
            del case.skip_history_when_saving
        for field in restored_fields(Case):
            set_field(case, field, getattr(target["case"], field.attname))
        case._change_reason, case._history_user = reason, user
        case.save()
        record_slug_change(case, *before)  # readers may have the address the revert leaves
    return reason


class CaseHistoryMixin:
    """The case admin's history page, comparison and revert."""

    history_per_page = 100

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.history_compare_view),
                name="{}_{}_history_compare".format(*info),
            ),
            path(
                "<path:object_id>/history/<str:point>/revert/",
                self.admin_site.admin_view(self.history_revert_view),
                name="{}_{}_history_revert".format(*info),
            ),
            *super().get_urls(),
        ]

    def history_case(self, request, object_id, permission):
        case = self.get_object(request, unquote(object_id))
        if case is None:
            return None
        if not permission(request, case):
            raise PermissionDenied
        return case

    def history_url(self, case):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[case.pk])

    def history_context(self, request, case, title, **context):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": case,
            "title": title,
            "subtitle": None,
            "history_url": self.history_url(case),
            **context,
        }

    def history_view(self, request, object_id, extra_context=None):
        case = self.history_case(request, object_id, self.has_view_or_change_permission)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        entries = timeline(case, Names())
        if entries:
            entries[0]["newest"] = True  # the case as it is: nothing to revert to
        page = Paginator(entries, self.history_per_page).get_page(request.GET.get("page"))
        context = self.history_context(
            request,
            case,
            _("History: %(case)s") % {"case": case},
            entries=page.object_list,
            page_obj=page,
            can_revert=self.has_change_permission(request, case),
            **(extra_context or {}),
        )
        return TemplateResponse(request, "admin/cases/case/history/list.html", context)

    def history_compare_view(self, request, object_id):
        case = self.history_case(request, object_id, self.has_view_or_change_permission)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        points = [find_point(case, request.GET.get(key)) for key in ("a", "b")]
        if None in points or points[0].history_date == points[1].history_date:
            messages.error(request, _("Choose two different versions to compare."))
            return HttpResponseRedirect(self.history_url(case))
        older, newer = sorted(points, key=lambda row: (row.history_date, row.history_id))
        names = Names()
        show_all = request.GET.get("all") == "1"
        case_changes, sections = comparison(
            case, state_at(case, older.history_date), state_at(case, newer.history_date), names, show_all
        )
        context = self.history_context(
            request,
            case,
            _("Compare versions: %(case)s") % {"case": case},
            versions=[
                {"row": row, "point": point_of(row), "label": names.label(row), "type": HISTORY_TYPES[row.history_type]}
                for row in (older, newer)
            ],
            case_changes=case_changes,
            sections=sections,
            show_all=show_all,
            can_revert=self.has_change_permission(request, case),
        )
        return TemplateResponse(request, "admin/cases/case/history/compare.html", context)

    def may_revert_to(self, request, case, row):
        """An editor must not change what the public sees by reverting: publishing, scheduling and withdrawing
        need the publish permission, whichever way they are done."""
        if request.user.has_perm(f"{self.opts.app_label}.publish_case"):
            return True
        target = state_at(case, row.history_date)["case"]
        return Case.Status.PUBLISHED not in (case.status, target.status if target else None)

    @method_decorator(require_http_methods(["GET", "POST"]))
    def history_revert_view(self, request, object_id, point):
        case = self.history_case(request, object_id, self.has_change_permission)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        row = find_point(case, point)
        history_url = self.history_url(case)
        if row is None:
            messages.error(request, _("That version does not exist."))
            return HttpResponseRedirect(history_url)
        allowed = self.may_revert_to(request, case, row)
        if request.method == "POST":
            if not allowed:
                raise PermissionDenied
            try:
                reason = revert(case, row, request.user)
            except IntegrityError as error:
                messages.error(
                    request,
                    _("The case could not be reverted: %(error)s. Nothing was changed.") % {"error": error},
                )
            else:
                messages.success(request, reason)
            return HttpResponseRedirect(history_url)
        names = Names()
        context = self.history_context(
            request,
            case,
            _("Revert: %(case)s") % {"case": case},
            version={"row": row, "point": point_of(row), "label": names.label(row)},
            allowed=allowed,
        )
        return TemplateResponse(request, "admin/cases/case/history/revert.html", context)
