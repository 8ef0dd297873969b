"""Template tags of the public site: ``{% load casebook %}``."""

import re

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import mark_safe

from casebook.cases.images import rendition_url

register = template.Library()

MARKDOWN_TAGS = {"p", "ul", "ol", "li", "em", "strong", "a", "blockquote", "h3", "h4", "code"}
LINK_REL = "nofollow noopener"
# A link whose href nh3 refused (javascript:, data:) is left as <a rel="…">: keep only its text.
REFUSED_LINK = re.compile(rf'<a rel="{LINK_REL}">(.*?)</a>', re.S)


@register.filter(is_safe=True)
def markdown(text):
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


@register.simple_tag
def image_size(image):
    """(width, height) of the original image, or None when the file is missing or unreadable."""
    try:
        width, height = image.width, image.height
    except (OSError, ValueError):
        return None
    return (width, height) if width and height else None


@register.simple_tag
def page_links(page_obj):
    """Page numbers to link to around the current one, with "…" for the gaps."""
    return page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)
