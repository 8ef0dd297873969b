"""The admin's side of the interchange format: an import page (upload, dry-run report, confirmation) and the
“Export selected cases” action on the case list."""

import shutil
import tempfile
import zipfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from casebook.cases.models import Case

from . import uploads
from .export import export
from .importer import Importer

IMPORT_PERMISSIONS = ("cases.add_case", "cases.change_case")


def may_import(user):
    return user.is_active and user.is_staff and user.has_perms(IMPORT_PERMISSIONS)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Import file"),
        help_text=_("A .json file in the interchange format, or a .zip holding it and its figures folder."),
    )


def run(document, request, dry_run):
    importer = Importer(
        document,
        may_publish=request.user.has_perm("cases.publish_case"),
        user=request.user,
        display_name=document.name,
    )
    return importer.run(dry_run=dry_run)


@require_http_methods(["GET", "POST"])
def import_cases(request):
    """GET: the upload form. POST with a file: the dry run's report. POST with ``confirm``: the import."""
    if not may_import(request.user):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": _("Import cases"),
        "opts": Case._meta,
        "may_publish": request.user.has_perm("cases.publish_case"),
    }
    form = ImportForm()
    if request.method == "POST" and "confirm" in request.POST:
        token = request.POST.get("token", "")
        folder = uploads.folder_of(token) if token == request.session.get("interchange_upload") else None
        if folder is None:
            messages.error(request, _("That upload has expired; upload the file again."))
            return redirect("interchange:import")
        document = uploads.document_in(folder)
        report = run(document, request, dry_run=False)
        if report.ok:
            uploads.discard(token)
            request.session.pop("interchange_upload", None)
            messages.success(request, report.summary())
            return redirect(reverse("admin:cases_case_changelist"))
        context.update(report=report, token=token)
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                token, document = uploads.receive(form.cleaned_data["file"])
            except uploads.UploadError as error:
                form.add_error("file", str(error))
            else:
                uploads.discard(request.session.get("interchange_upload"))
                request.session["interchange_upload"] = token
                report = run(document, request, dry_run=True)
                if not report.ok:
                    uploads.discard(token)
                context.update(report=report, token=token)
    context["form"] = form
    return TemplateResponse(request, "admin/interchange/import.html", context, status=200)


@admin.action(description=_("Export selected cases"), permissions=["view"])
def export_selected(modeladmin, request, queryset):
    """The selected cases in the interchange format, with what they refer to and their figures, as a .zip."""
    folder = Path(tempfile.mkdtemp(prefix="casebook-export-"))
    try:
        cases = Case.objects.filter(pk__in=queryset.values("pk")).order_by("slug")
        export(folder, cases, everything=False)
        archive = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zipped.write(path, path.relative_to(folder).as_posix())
        archive.seek(0)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    name = f"casebook-cases-{timezone.localdate():%Y-%m-%d}.zip"
    return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")


case_admin = admin.site._registry.get(Case)
if case_admin is not None:
    # The case admin lives in casebook.cases; the action is added here so that the interchange stays in its app.
    case_admin.actions = [*case_admin.actions, export_selected]
