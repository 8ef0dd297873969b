"""Reading query parameters strictly: every problem becomes a message for a 400, never a 500."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class BadRequest(Exception):
    """Carries ``{"parameter": ["message", …]}`` to the 400 response."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def form_errors(form):
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


def check_text(query):
    """Refuse a query string that was not UTF-8: Django replaces such bytes with U+FFFD, and a search
    for "tea\ufffd" would quietly find nothing instead of saying what is wrong."""
    errors = {}
    for key, values in query.lists():
        if "\ufffd" in key or any("\ufffd" in value for value in values):
            errors[key] = [_("This value is not valid UTF-8 text.")]
    if errors:
        raise BadRequest(errors)


def check_known(query, known):
    unknown = sorted(set(query) - set(known))
    if unknown:
        message = _("Unknown parameter. Known parameters: %(known)s.") % {"known": ", ".join(sorted(known))}
        raise BadRequest({name: [message] for name in unknown})


def parameter_names(name, field):
    """The query parameters one form field reads: its name, or its suffixed names (``year_min``, ``year_max``)
    where its widget has several parts."""
    widget = field.widget
    if hasattr(widget, "suffixes") and hasattr(widget, "suffixed"):
        return [widget.suffixed(name, suffix) for suffix in widget.suffixes]
    if isinstance(widget, forms.MultiWidget):
        return [name + suffix for suffix in widget.widgets_names]
    return [name]


def filter_parameter_names(filterset):
    """The query parameters a filter set reads."""
    return {parameter for name, field in filterset.form.fields.items() for parameter in parameter_names(name, field)}


class PageForm(forms.Form):
    page = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": gettext_lazy("Enter a page number: a whole number from 1."),
            "min_value": gettext_lazy("Enter a page number: a whole number from 1."),
        },
    )
    page_size = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        error_messages=dict.fromkeys(
            ["invalid", "min_value", "max_value"],
            format_lazy(gettext_lazy("Enter a page size from 1 to {largest}."), largest=MAX_PAGE_SIZE),
        ),
    )


PAGE_PARAMETERS = {"page", "page_size"}


def page_of(request, queryset, count=None):
    """``(items, count, number, size, last)`` for ``?page=&page_size=``: the page's slice of ``queryset``
    (unevaluated), the number of records (``count`` when the caller knows it), the page number, its size and
    the last page number. A page past the last one is a 400; an empty set has one empty page."""
    form = PageForm(request.GET)
    if not form.is_valid():
        raise BadRequest(form_errors(form))
    number = form.cleaned_data["page"] or 1
    size = form.cleaned_data["page_size"] or DEFAULT_PAGE_SIZE
    if count is None:
        count = queryset.count()
    last = max(1, -(-count // size))
    if number > last:
        raise BadRequest(
            {"page": [_("There is no page %(number)s: the last page is %(last)s.") % {"number": number, "last": last}]}
        )
    start = (number - 1) * size
    return queryset[start : start + size], count, number, size, last


def page_links(request, number, last):
    def link(page):
        query = request.GET.copy()
        query["page"] = page
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "next": link(number + 1) if number < last else None,
        "previous": link(number - 1) if number > 1 else None,
    }
