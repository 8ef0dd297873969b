"""Template tags of the public site: ``{% load casebook %}``."""

import re
from html import escape

import markdown as markdown_lib
import nh3
from django import template
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.template.defaultfilters import linebreaksbr
from django.urls import translate_url
from django.utils import formats, translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from casebook.cases.images import rendition_url

register = template.Library()

MARKDOWN_TAGS = {"p", "ul", "ol", "li", "em", "strong", "a", "blockquote", "h3", "h4", "code"}
LINK_REL = "nofollow noopener"
# A link whose href nh3 refused (javascript:, data:) is left as <a rel="…">: keep only its text.
REFUSED_LINK = re.compile(rf'<a rel="{LINK_REL}">(.*?)</a>', re.S)


@register.filter("markdown", is_safe=True)
def render_markdown(text):
    """Editors' Markdown as HTML, keeping only basic tags; links may only be http(s) or mailto.

    Headings other than ### and #### are dropped (their text stays): a section already has its own heading.
    """
    html = nh3.clean(
        markdown_lib.markdown(text or ""),
        tags=MARKDOWN_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
    )
    return mark_safe(REFUSED_LINK.sub(r"\1", html))  # noqa: S308 (sanitized by nh3 just above)


@register.filter
def web_url(url):
    """The URL if it is http(s), else "": an editor's ``javascript:`` link never reaches an href."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


@register.simple_tag
def rendition(image, width):
    """URL of ``image`` at most ``width`` pixels wide, or "" when the file is missing or unreadable."""
    return rendition_url(image, width) or ""


# The facet panel's options. A panel lists a hundred or more of them, and as a template loop (or through
# format_html) they cost more than the rest of the listing page together (make bench, cold): the markup is
# written here, every value escaped with the standard library's html.escape, as Django's escape does.


def grouped(number):
    """12345 as "12,345" in English and Chinese alike, as intcomma writes it, without its per-call lookups."""
    return f"{number:,}".replace(",", str(formats.get_format("THOUSAND_SEPARATOR")))


@register.simple_tag
def facet_links(group):
    """The options of the place facet: links that narrow the listing to one region (and drill into it)."""
    items = [
        f'<li><a href="{escape(option.url)}">{escape(option.label)}'
        f' <span class="facet-count">({grouped(option.count)})</span></a></li>'
        for option in group.options
    ]
    return mark_safe("\n".join(items))  # noqa: S308 (every value escaped just above)


@register.simple_tag
def facet_checkboxes(group):
    """The options of a facet as checkboxes of the filter form, each with its count (none for a chosen value
    that no longer has cases)."""
    param, items = escape(group.param), []
    for option in group.options:
        field_id = f"facet-{param}-{escape(option.value)}"
        checked = " checked" if option.selected else ""
        count = "" if option.count is None else f' <span class="facet-count">({grouped(option.count)})</span>'
        items.append(
            f'<li><input type="checkbox" name="{param}" value="{escape(option.value)}" id="{field_id}"{checked}>'
            f'<label for="{field_id}">{escape(option.label)}{count}</label></li>'
        )
    return mark_safe("\n".join(items))  # noqa: S308 (every value escaped just above)


# A case card, as every listing shows it (twenty to a page): written here for the same reason as the facet
# options, it cost a fifth of a cold listing as an included template. Every value is escaped by translated()
# or format_html().


@register.simple_tag
def case_card(case):
    """The card of ``case`` read with ``for_listing()`` (its card_places, card_participations, card_figures), and
    its search snippet when it has one."""
    title = format_html('<a href="{}">{}</a>', case.get_absolute_url(), translated(case, "title"))
    meta = format_html("{} · {}", case.period, translated(case.assistance_type, "name"))
    snippet = getattr(case, "snippet", None)
    if snippet:
        summary = format_html('<p class="card-summary card-snippet">{}</p>', snippet)
    else:
        summary = format_html('<p class="card-summary">{}</p>', translated(case, "summary", words=45))
    places = [translated(region, "name") for region in case.card_places]
    organizations = [translated(participation.organization, "name") for participation in case.card_participations]
    # The same messages as the case page's {% blocktranslate context "heading of a list" count … %}.
    facts = [
        card_fact(translation.npgettext("heading of a list", "Place", "Places", len(places)), places),
        card_fact(
            translation.npgettext("heading of a list", "Organization", "Organizations", len(organizations)),
            organizations,
        ),
    ]
    return format_html(
        '<article class="card">\n  <div class="card-body">\n    <h3 class="card-title">{}</h3>\n'
        '    <p class="card-meta">{}</p>\n    {}\n    <dl class="card-facts">{}</dl>\n  </div>{}\n</article>',
        title,
        meta,
        summary,
        mark_safe("".join(facts)),  # noqa: S308 (each built by format_html)
        card_image(case.card_figures[0] if case.card_figures else None),
    )


def card_fact(heading, names):
    if not names:
        return ""
    separator = conditional_escape(translation.pgettext("list separator", ", "))
    # str.join makes plain text of the escaped names: marked safe again, not escaped twice.
    return format_html("<div><dt>{}</dt><dd>{}</dd></div>", heading, mark_safe(separator.join(names)))  # noqa: S308


def card_image(figure):
    """The first figure, small; decorative here: the title says what the card is, the case page gives every
    figure its alt text."""
    small = figure and rendition_url(figure.image, 160)
    if not small:
        return ""
    return format_html(
        '\n  <img class="card-image" src="{}" srcset="{} 160w, {} 480w" sizes="8rem" width="160" height="120"'
        ' alt="" loading="lazy">',
        small,
        small,
        rendition_url(figure.image, 480) or "",
    )


@register.simple_tag
def page_links(page_obj):
    """Page numbers to link to around the current one, with "…" for the gaps."""
    return page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)


# Translated content


# Keyed by the language of the text shown in place of the missing translation.
FALLBACK_MARKERS = {
    "en": _("(English)"),
    "zh-hans": _("(Chinese)"),
}
FALLBACK_NOTES = {
    "en": _("Not yet translated into Chinese; shown in English."),
    "zh-hans": _("Not yet translated into English; shown in Chinese."),
}
_MISSING = object()


@register.filter
def html_lang(code):
    """A language code as HTML and hreflang write it: zh-hans → zh-Hans, en → en."""
    return translation.to_locale(code).replace("_", "-")


def localized_value(obj, field):
    """``(text, language)``: the field in the reader's language, else in the first other language that has it.

    ``language`` is None when the text is in the reader's language, or the field is not translated at all
    (then the text is the plain attribute).
    """
    current = translation.get_language() or settings.LANGUAGE_CODE
    own = getattr(obj, build_localized_fieldname(field, current), _MISSING)
    if own is _MISSING:
        return getattr(obj, field, "") or "", None
    if own:
        return own, None
    for code, _name in settings.LANGUAGES:
        other = getattr(obj, build_localized_fieldname(field, code), None)
        if other and code != current:
            return other, code
    return "", None


@register.simple_tag
def translated(obj, field, markdown=False, linebreaks=False, words=None):
    """``obj.<field>`` in the reader's language; a text shown in another language says so, visibly.

    ``markdown=True`` renders a narrative section (and marks a fallback with a note above the block),
    ``linebreaks=True`` keeps the line breaks of a plain text, ``words=45`` shortens it.
    """
    text, language = localized_value(obj, field)
    if words:
        text = Truncator(text).words(int(words), truncate=" …")
    if markdown:
        html = render_markdown(text)
    elif linebreaks:
        html = linebreaksbr(text, autoescape=True)
    else:
        html = conditional_escape(text)
    if language is None:
        return html
    if markdown:
        return format_html(
            '<div class="fallback-block"><p class="fallback-note">{}</p><div lang="{}">{}</div></div>',
            FALLBACK_NOTES.get(language, ""),
            html_lang(language),
            html,
        )
    return format_html(
        '<span lang="{}" class="fallback">{}</span> <span class="fallback-marker">{}</span>',
        html_lang(language),
        html,
        FALLBACK_MARKERS.get(language, f"({language})"),
    )


@register.filter
def translated_text(obj, field):
    """Plain text for attributes and <title> (no markup allowed there): ``{{ figure|translated_text:"alt_text" }}``."""
    return localized_value(obj, field)[0]


@register.filter
def own_translation(obj, field):
    """The field in the reader's language only, never another's: for notes about that language's text."""
    current = translation.get_language() or settings.LANGUAGE_CODE
    value = getattr(obj, build_localized_fieldname(field, current), _MISSING)
    return getattr(obj, field, "") if value is _MISSING else value or ""


# The language switcher and the alternates in <head>


@register.simple_tag(takes_context=True)
def language_versions(context):
    """This page in every language, keeping its query string; None without a request or a valid host.

    Returns ``{"versions": [...], "others": [...], "default": url}``; each version has ``code``, ``lang``
    (for hreflang), ``name`` (in its own language), ``url``, ``absolute_url`` and ``current``.
    """
    request = context.get("request")
    if request is None:
        return None
    try:
        request.get_host()
    except DisallowedHost:
        return None  # the 400 page for a forged Host header: no absolute address to give
    current = translation.get_language()
    full_path = request.get_full_path()
    versions = []
    for code, name in settings.LANGUAGES:
        url = full_path if code == current else same_page_in(full_path, current, code)
        versions.append(
            {
                "code": code,
                "lang": html_lang(code),
                "name": name,
                "url": url,
                "absolute_url": request.build_absolute_uri(url),
                "current": code == current,
            }
        )
    return {
        "versions": versions,
        "others": [version for version in versions if not version["current"]],
        # Without the prefix, the address sends each reader to their browser's language.
        "default": request.build_absolute_uri(without_language_prefix(full_path, current)),
    }


def same_page_in(full_path, current, code):
    url = translate_url(full_path, code)
    if url == full_path:
        # translate_url leaves an address that resolves to nothing (a 404 page) as it is: swap the prefix.
        url = f"/{code}{without_language_prefix(full_path, current)}"
    return url


def without_language_prefix(full_path, current):
    prefix = f"/{current}/"
    return full_path[len(prefix) - 1 :] if full_path.startswith(prefix) else full_path
