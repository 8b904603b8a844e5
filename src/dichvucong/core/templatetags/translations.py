"""Django's ``i18n`` tags (``{% load i18n %}`` loads this library: ``TEMPLATES``' ``libraries``),
with ``{% translate "…" %}`` of a constant text kept once per language.

A constant ``{% translate %}`` is looked up in the catalogue, localised and escaped anew at each
rendering, about 11 µs; a citizen's dossier page has thirty of them (issue #19). Its output
depends only on the active language and on whether the template escapes, so each such tag keeps
what it wrote for each. A text with filters, a context (``context "…"``), ``as`` or ``noop``, or
a variable, is Django's tag as it was."""

from __future__ import annotations

from django import template
from django.templatetags import i18n as django_i18n
from django.utils.translation import get_language

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)


class KeptTranslateNode(template.Node):
    child_nodelists = ()

    def __init__(self, node: django_i18n.TranslateNode) -> None:
        self.node = node
        self.kept: dict[tuple[str | None, bool], str] = {}

    def render(self, context) -> str:
        key = (get_language(), context.autoescape)
        found = self.kept.get(key)
        if found is None:
            found = self.kept[key] = self.node.render(context)
        return found


def _constant(node) -> bool:
    expression = node.filter_expression
    return (isinstance(node, django_i18n.TranslateNode) and not node.noop
            and node.asvar is None and node.message_context is None
            and not expression.filters and expression.var.literal is not None)


@register.tag("translate")
@register.tag("trans")
def translate(parser, token):
    node = django_i18n.do_translate(parser, token)
    return KeptTranslateNode(node) if _constant(node) else node
