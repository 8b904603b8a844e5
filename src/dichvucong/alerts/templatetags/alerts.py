"""``{% alert_count %}``: the open, unacknowledged alerts the user may see, linked to the list
(the back office home shows it)."""

from django import template

from dichvucong.alerts import queries

register = template.Library()


@register.inclusion_tag("alerts/_count.html", takes_context=True)
def alert_count(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"shown": False}
    # The back office has read the user's roles already.
    scope = queries.scope_of(user, getattr(request, "held_roles", None))
    return {"shown": scope.allowed, "count": queries.open_count(scope) if scope.allowed else 0}
