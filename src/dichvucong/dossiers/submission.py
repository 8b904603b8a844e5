"""Filing a dossier online: a draft that keeps what the citizen typed and attached, then one
transaction that submits it."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.dossiers import actions
from dichvucong.dossiers.lifecycle import Action, Role, State
from dichvucong.dossiers.models import Attachment, Channel, Delivery, Dossier
from dichvucong.dossiers.uploads import check_upload, digest_of


def receiving_agencies(procedure: Procedure):
    """Where a dossier for ``procedure`` can be filed: the province agency, or any commune's
    committee (or police) of the province."""
    if procedure.at_province and procedure.agency_id:
        return Agency.objects.filter(pk=procedure.agency_id)
    kind = procedure.commune_agency_kind or Agency.Kind.COMMUNE_COMMITTEE
    return Agency.objects.filter(kind=kind, is_active=True).order_by("name")


def to_json(value: Any) -> Any:
    """Cleaned form values as JSON: dates as ISO text, numbers as text."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def start_draft(procedure: Procedure, applicant: User, agency: Agency,
                submitted_by: User | None = None) -> Dossier:
    version = procedure.current_version
    return Dossier.objects.create(
        procedure=procedure, procedure_version=version, agency=agency, applicant=applicant,
        submitted_by=submitted_by, applicant_name=applicant.full_name or applicant.username,
        applicant_phone=applicant.phone, applicant_email=applicant.email,
        channel=Channel.SERVICE_AGENT if submitted_by is not None else Channel.ONLINE,
        state=State.draft.value,
    )


def attach(dossier: Dossier, requirement: str, upload: UploadedFile, user: User) -> Attachment:
    """Check and store one upload on a draft. Raises UploadError; stores nothing then."""
    head = upload.read(16)
    upload.seek(0)
    digest = digest_of(upload.chunks())
    upload.seek(0)
    checked = check_upload(upload.name or "", head, upload.size or 0, digest)
    attachment = Attachment(
        dossier=dossier, requirement=requirement[:600], token=secrets.token_hex(16),
        extension=checked.extension, original_name=checked.original_name,
        content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
        uploaded_by=user,
    )
    attachment.file.save(f"{attachment.token}{attachment.extension}", upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)  # no orphan file when the row is not written
        raise
    return attachment


def missing_documents(dossier: Dossier) -> list[str]:
    definition = dossier.procedure_version.parsed()
    attached = set(dossier.attachments.values_list("requirement", flat=True))
    return [doc.name for doc in definition.documents
            if doc.mandatory and doc.name[:600] not in attached]


@transaction.atomic
def submit(dossier: Dossier, user: User, form_data: dict[str, Any], delivery: str,
           delivery_address: dict | None = None) -> Dossier:
    """Submit a complete draft: the form's cleaned data, then the state change with its code and
    event. One transaction: a failure leaves the draft as it was."""
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    dossier.form_data = to_json(form_data)
    dossier.delivery = Delivery(delivery).value
    dossier.delivery_address = delivery_address or {}
    definition = dossier.procedure_version.parsed()
    dossier.fee_amount = sum((f.online_amount if f.online_amount is not None else f.amount)
                             for f in definition.fees)
    dossier.save()
    role = Role.applicant
    return actions.perform(dossier.pk, Action.submit, user, role,
                           data=on_behalf(user, dossier)).dossier


def on_behalf(user: User, dossier: Dossier) -> dict:
    """Event data marking an action an agent took for the applicant (the audit trail)."""
    if dossier.applicant_id is not None and dossier.applicant_id != user.pk:
        return {"on_behalf_of": dossier.applicant_id}
    return {}
