"""What the submission form and the dossier API call to take required documents from the
citizen's store instead of an upload. Kept here so the dossier code needs one line each."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _

from dichvucong.accounts.models import User
from dichvucong.catalog.definition import ProcedureDefinition, RequiredDocument
from dichvucong.core.text import NAME_MAX
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
        current = chosen.get(requirement.name[:NAME_MAX])
        if not value:
            if current is not None:
                AttachmentOrigin.objects.filter(
                    attachment__dossier=draft,
                    attachment__requirement=requirement.name[:NAME_MAX]).delete()
                draft.attachments.filter(requirement=requirement.name[:NAME_MAX]).delete()
            continue
        if current is not None and str(current) == value:
            continue  # already taken from the store on an earlier post
        try:
            services.reuse(draft, requirement, value, request.user)
        except services.StoreError as exc:
            errors[index] = str(exc)
    return errors


@dataclass
class StoreTaking:
    """Required documents an API submission takes from the applicant's store: checked before
    anything is written, attached inside the submission's transaction."""

    picks: list[tuple[RequiredDocument, int]]
    user: User

    @property
    def names(self) -> list[str]:
        return [requirement.name[:NAME_MAX] for requirement, _ in self.picks]

    def attach(self, dossier: Dossier) -> None:
        for requirement, stored in self.picks:
            try:
                services.reuse(dossier, requirement, stored, self.user)
            except services.StoreError as exc:
                raise UploadError(str(exc)) from None


def taking(raw: str, definition: ProcedureDefinition, user: User,
           uploads: list[tuple[str, object]], consent=None) -> StoreTaking | None:
    """``raw`` is the API's ``from_store``: a JSON list of {"document": index of the required
    document, "stored": id of the stored document}. Raises UploadError (the API's 400)."""
    try:
        items = json.loads(raw or "[]")
        pairs = [(int(item["document"]), int(item["stored"])) for item in items]
    except (ValueError, TypeError, KeyError):
        raise UploadError(_("from_store phải là danh sách JSON các cặp "
                            "{\"document\": chỉ số, \"stored\": mã giấy tờ trong kho}."))\
            from None
    if not pairs:
        return None
    if consent is not None:
        raise UploadError(_("Chỉ người nộp hồ sơ cho chính mình mới dùng được kho dữ liệu cá "
                            "nhân của mình."))
    uploaded = {name[:NAME_MAX] for name, _ in uploads}
    picks = []
    for index, stored in pairs:
        if not 0 <= index < len(definition.documents):
            raise UploadError(_("Không có thành phần hồ sơ số %(index)s.") % {"index": index})
        requirement = definition.documents[index]
        if requirement.name[:NAME_MAX] in uploaded:
            raise UploadError(_("«%(name)s»: chọn tệp tải lên hoặc giấy tờ trong kho, không "
                                "chọn cả hai.") % {"name": requirement.name})
        try:
            services.check_reuse(user, requirement, stored)
        except services.StoreError as exc:
            raise UploadError(str(exc)) from None
        picks.append((requirement, stored))
    return StoreTaking(picks, user)
