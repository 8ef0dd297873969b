"""The case admin's side of the editorial workflow: transition buttons and actions, each guarded by
its permission, read-only publication fields for editors, and the completeness checklist."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import workflow
from .models import Case

PUBLICATION_FIELDS = ("status", "published_at")


class CaseActionForm(ActionForm):
    publish_at = forms.DateTimeField(
        label=_("Publication time (to schedule):"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class AltTextBeforePublication(forms.BaseInlineFormSet):
    """Figures of a case the form publishes (or keeps published) need alt text unless decorative."""

    def clean(self):
        super().clean()
        if self.instance.status != Case.Status.PUBLISHED:
            return
        missing = []
        for form in self.forms:
            if not form.is_valid() or not form.cleaned_data or self._should_delete_form(form):
                continue
            figure = form.instance
            if not figure.decorative and not (getattr(figure, workflow.DEFAULT_ALT_TEXT) or "").strip():
                missing.append(figure)
        if missing:
            raise ValidationError(workflow.refused_for_alt_text(missing))


class CaseWorkflowAdmin:
    """A mixin for CaseAdmin, before TranslationAdmin in its bases."""

    action_form = CaseActionForm
    actions = ["submit_for_review", "publish_now", "schedule", "withdraw", "back_to_draft"]

    def has_publish_permission(self, request, obj=None):
        return request.user.has_perm(f"{self.opts.app_label}.publish_case")

    def may(self, request, transition, case=None):
        if transition.needs_publish_permission:
            return self.has_publish_permission(request)
        return self.has_change_permission(request, case)

    def get_queryset(self, request):
        return workflow.with_completeness(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), "completeness_checklist")
        if not self.has_publish_permission(request):
            fields += PUBLICATION_FIELDS
        return fields

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if inline.model is Case.figures.field.model:
                formset = type(formset.__name__, (AltTextBeforePublication, formset), {})
            yield formset, inline

    def save_model(self, request, obj, form, change):
        before = Case.objects.filter(pk=obj.pk).values("slug", "status", "published_at").first() if change else None
        if not self.has_publish_permission(request):
            # The fields are read-only for editors, so a crafted POST cannot set them; this holds
            # even if a form someday carries them.
            obj.status = before["status"] if before else Case.Status.DRAFT
            obj.published_at = before["published_at"] if before else None
        super().save_model(request, obj, form, change)
        if before:
            workflow.record_slug_change(obj, before["slug"], before["status"], before["published_at"])
        else:
            workflow.record_slug_change(obj, obj.slug, None, None)

    # Columns and read-only fields

    @admin.display(description=_("status"), ordering="status")
    def publication_status(self, case):
        return workflow.state_label(case)

    @admin.display(description=_("completeness"))
    def completeness(self, case):
        checks = workflow.checklist(case)
        missing = [str(label) for label, done in checks if not done]
        done = len(checks) - len(missing)
        title = _("Missing: %(items)s") % {"items": "; ".join(missing)} if missing else _("Complete")
        return format_html('<span title="{}">{}/{}</span>', title, done, len(checks))

    @admin.display(description=_("before review"))
    def completeness_checklist(self, case):
        if case is None or case.pk is None:
            return _("Save the case to see what it still needs.")
        items = format_html_join(
            "",
            '<li class="{}">{} {}</li>',
            (("done" if done else "missing", "✓" if done else "✗", label) for label, done in workflow.checklist(case)),
        )
        return format_html('<ul class="completeness">{}</ul>', items)

    # Transitions on the change page

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/workflow/<slug:name>/",
                self.admin_site.admin_view(require_POST(self.transition_view)),
                name="{}_{}_transition".format(*info),
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, object_id, name):
        transition = workflow.TRANSITIONS.get(name)
        case = self.get_object(request, unquote(object_id))
        if transition is None or case is None:
            raise Http404
        if not self.may(request, transition, case):
            raise PermissionDenied
        when = None
        if transition.name == "schedule":
            try:
                when = forms.DateTimeField().clean(request.POST.get("published_at"))
            except ValidationError:
                when = None
        self.run_transition(request, transition, case, when)
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[case.pk])
        )

    def run_transition(self, request, transition, case, when=None):
        try:
            done = workflow.apply(transition, case, when)
        except workflow.WorkflowError as error:
            self.message_user(request, str(error), messages.ERROR)
            return False
        self.log_change(request, case, done)
        self.message_user(request, f"“{case}”: {done}", messages.SUCCESS)
        return True

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, unquote(object_id))
        if case is not None:
            transitions = [
                transition
                for transition in workflow.TRANSITIONS.values()
                if transition.allowed_from(case) and self.may(request, transition, case)
            ]
            extra_context = {
                **(extra_context or {}),
                "workflow": {
                    "state": workflow.state_label(case),
                    "transitions": transitions,
                    "preview_url": None if case.is_public else case.get_absolute_url(),
                },
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # The same transitions as changelist actions

    def run_action(self, request, queryset, name, when=None):
        transition = workflow.TRANSITIONS[name]
        if not self.may(request, transition):
            raise PermissionDenied
        moved = sum(self.run_transition(request, transition, case, when) for case in queryset)
        if moved > 1:
            self.message_user(
                request, ngettext("%(count)d case moved.", "%(count)d cases moved.", moved) % {"count": moved}
            )

    @admin.action(description=_("Submit for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        self.run_action(request, queryset, "submit")

    @admin.action(description=_("Publish now"), permissions=["publish"])
    def publish_now(self, request, queryset):
        self.run_action(request, queryset, "publish")

    @admin.action(description=_("Schedule for the publication time given"), permissions=["publish"])
    def schedule(self, request, queryset):
        try:
            when = forms.DateTimeField().clean(request.POST.get("publish_at"))
        except ValidationError:
            when = None
        self.run_action(request, queryset, "schedule", when)

    @admin.action(description=_("Withdraw"), permissions=["publish"])
    def withdraw(self, request, queryset):
        self.run_action(request, queryset, "withdraw")

    @admin.action(description=_("Back to draft"), permissions=["publish"])
    def back_to_draft(self, request, queryset):
        self.run_action(request, queryset, "restore")
