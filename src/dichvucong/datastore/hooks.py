"""What the submission form and the dossier API call to take required documents from the
citizen's store instead of an upload. Kept here so the dossier code needs one line each."""

from __future__ import annotations

import json

from django.http import HttpRequest
from django.utils.translation import gettext as _

from dichvucong.accounts.models import User
from dichvucong.catalog.definition import ProcedureDefinition
from dichvucong.datastore import services
from dichvucong.datastore.models import AttachmentOrigin
from dichvucong.dossiers.models import Dossier
from dichvucong.dossiers.uploads import UploadError


def field_name(index: int) -> str:
    return f"store-{index}"


def own_filing(draft: Dossier | None, user: User) -> bool:
    """The store is the applicant's alone: someone filing for another (a service agent, with
    the citizen's consent) neither sees nor uses anyone's store."""
    return draft is None or (draft.applicant_id == user.pk and draft.submitted_by_id is None)


def apply_form(request: HttpRequest, draft: Dossier, definition: ProcedureDefinition
               ) -> dict[int, str]:
    """For each required document posted without a file: the stored document chosen for it
    (``store-<index>``) becomes its attachment; choosing none again drops an attachment taken
    from the store. A file chosen wins over a stored document. Returns errors by index."""
    errors: dict[int, str] = {}
    if not own_filing(draft, request.user):
        return errors
    chosen = services.chosen_documents(draft)
    for index, requirement in enumerate(definition.documents):
        name = field_name(index)
        if name not in request.POST or request.FILES.get(f"doc-{index}"):
            continue
        value = str(request.POST.get(name, "")).strip()
        current = chosen.get(requirement.name[:600])
        if not value:
            if current is not None:
                AttachmentOrigin.objects.filter(
                    attachment__dossier=draft,
                    attachment__requirement=requirement.name[:600]).delete()
                draft.attachments.filter(requirement=requirement.name[:600]).delete()
            continue
        if current is not None and str(current) == value:
            continue  # already taken from the store on an earlier post
        try:
            services.reuse(draft, requirement, value, request.user)
        except services.StoreError as exc:
            errors[index] = str(exc)
    return errors


def apply_api(draft: Dossier, definition: ProcedureDefinition, raw: str, user: User) -> int:
    """``raw`` is the API's ``from_store``: a JSON list of {"document": index of the required
    document, "stored": id of the stored document}. Raises UploadError (the API's 400)."""
    try:
        items = json.loads(raw or "[]")
        pairs = [(int(item["document"]), int(item["stored"])) for item in items]
    except (ValueError, TypeError, KeyError):
        raise UploadError(_("from_store phải là danh sách JSON các cặp "
                            "{\"document\": chỉ số, \"stored\": mã giấy tờ trong kho}."))\
            from None
    if pairs and not own_filing(draft, user):
        raise UploadError(_("Chỉ người nộp hồ sơ cho chính mình mới dùng được kho dữ liệu cá "
                            "nhân của mình."))
    for index, stored in pairs:
        if not 0 <= index < len(definition.documents):
            raise UploadError(_("Không có thành phần hồ sơ số %(index)s.") % {"index": index})
        try:
            services.reuse(draft, definition.documents[index], stored, user)
        except services.StoreError as exc:
            raise UploadError(str(exc)) from None
    return len(pairs)
