"""``{% load structured_data %}``: JSON-LD for the <head>."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# As django.utils.html.json_script: "</script>" or "<!--" in a title cannot end or bend the data block.
JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter(is_safe=True)
def json_ld(data):
    """``data`` as a <script type="application/ld+json"> data block: never run, so a strict CSP allows it."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308 (escaped above)
