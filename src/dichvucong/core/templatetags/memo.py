"""``{% memo "name" key … %}…{% endmemo %}``: a fragment rendered once per process for each
key and reused (the page chrome: its links and labels depend only on the language and the
visitor's roles, and cost a fifth of a logged-in page in URL reversals and translations).

Only for what the keys fully determine: never a CSRF token, a name, a count or a path. Kept in
the process's memory, never in a shared cache: templates, translations and URLs change only
with a new release, which starts new processes."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

_rendered: dict[tuple[str, ...], str] = {}
LIMIT = 512  # a few languages × the role combinations met; cleared whole if ever reached


class MemoNode(template.Node):
    def __init__(self, nodelist: template.NodeList, keys: list[template.base.FilterExpression]):
        self.nodelist, self.keys = nodelist, keys

    def render(self, context: template.Context) -> str:
        key = tuple(str(k.resolve(context)) for k in self.keys)
        found = _rendered.get(key)
        if found is None:
            found = self.nodelist.render(context)
            if len(_rendered) >= LIMIT:
                _rendered.clear()
            _rendered[key] = found
        return mark_safe(found)  # noqa: S308 - the template's own output, escaped when rendered


@register.tag
def memo(parser: template.base.Parser, token: template.base.Token) -> MemoNode:
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("memo needs a name")
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(nodelist, [parser.compile_filter(bit) for bit in bits])
