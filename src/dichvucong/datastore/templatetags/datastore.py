"""``{% store_options definition index as store %}``: the stored documents the signed-in citizen
can use for one required document of the submission form, and which one is chosen."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template

from dichvucong.core.text import NAME_MAX
from dichvucong.datastore import services
from dichvucong.datastore.hooks import field_name, own_filing
from dichvucong.datastore.models import AttachmentOrigin, Kind, StoredDocument

register = template.Library()


@dataclass
class StoreChoice:
    name: str
    options: list[StoredDocument] = field(default_factory=list)
    chosen: str = ""
    origin_note: str = ""
    expired_note: str = ""  # why an issued document of this type in the store is not offered


@register.simple_tag(takes_context=True)
def store_options(context, definition, index: int) -> StoreChoice:
    request = context.get("request")
    choice = StoreChoice(name=field_name(index))
    if request is None or not request.user.is_authenticated:
        return choice
    draft = context.get("draft")
    if context.get("consent") or not own_filing(draft, request.user):
        return choice
    requirement = definition.documents[index]
    choice.options = services.options_for(request.user, requirement)
    origin = None
    if draft is not None:
        origin = (AttachmentOrigin.objects.filter(
            attachment__dossier=draft, attachment__requirement=requirement.name[:NAME_MAX])
            .only("document_id", "note").first())
    if origin is not None:
        choice.origin_note = origin.note
        choice.chosen = str(origin.document_id or "")
    elif request.method == "POST":
        choice.chosen = str(request.POST.get(choice.name, ""))
    else:
        # A document an issuer deposited, verified and valid, fills the requirement unasked:
        # the citizen has nothing to upload (and may still choose otherwise).
        issued = next((o for o in choice.options if o.kind == Kind.ISSUED), None)
        choice.chosen = str(issued.pk) if issued else ""
    if not any(o.kind == Kind.ISSUED for o in choice.options):
        choice.expired_note = services.expired_issued_note(request.user, requirement)
    return choice
