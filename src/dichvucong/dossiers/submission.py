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
from dichvucong.dossiers.uploads import CheckedUpload, UploadError, check_upload, digest_of


def receiving_agencies(procedure: Procedure):
    """Where a dossier for ``procedure`` can be filed: the province agency, or any commune's
    committee (or police) of the province. Unordered: a page lists them with
    ``core.text.sorted_vietnamese``."""
    if procedure.at_province and procedure.agency_id:
        return Agency.objects.filter(pk=procedure.agency_id)
    kind = procedure.commune_agency_kind or Agency.Kind.COMMUNE_COMMITTEE
    return Agency.objects.filter(kind=kind, is_active=True)


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


def new_dossier(procedure: Procedure, applicant: User, agency: Agency,
               submitted_by: User | None = None) -> Dossier:
    """An unsaved dossier of ``applicant`` (filed by ``submitted_by``, an agent, if given)."""
    return Dossier(
        procedure=procedure, procedure_version_id=procedure.current_version_id, agency=agency,
        applicant=applicant, submitted_by=submitted_by,
        applicant_name=applicant.full_name or applicant.username,
        applicant_phone=applicant.phone, applicant_email=applicant.email,
        channel=Channel.SERVICE_AGENT if submitted_by is not None else Channel.ONLINE,
        state=State.draft.value,
    )


def start_draft(procedure: Procedure, applicant: User, agency: Agency,
                submitted_by: User | None = None) -> Dossier:
    dossier = new_dossier(procedure, applicant, agency, submitted_by)
    dossier.save(force_insert=True)
    return dossier


def inspect(upload: UploadedFile) -> CheckedUpload:
    """Check an upload by its content (and hash it). Raises UploadError."""
    head = upload.read(16)
    upload.seek(0)
    digest = digest_of(upload.chunks())
    upload.seek(0)
    return check_upload(upload.name or "", head, upload.size or 0, digest)


def attach(dossier: Dossier, requirement: str, upload: UploadedFile, user: User,
           checked: CheckedUpload | None = None) -> Attachment:
    """Check and store one upload on a draft. Raises UploadError; stores nothing then."""
    checked = checked or inspect(upload)
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


def fee_of(dossier: Dossier) -> int:
    """The fee the rules give for the dossier as filled in (the rules live in payments)."""
    from dichvucong.payments.services import quote_for

    return quote_for(dossier).total


def file_at_once(procedure: Procedure, applicant: User, agency: Agency, user: User,
                 form_data: dict[str, Any], delivery: str,
                 uploads: list[tuple[str, UploadedFile]], *, consent=None,
                 taken=None) -> Dossier:
    """The API's submission, all or nothing: the uploads are checked before anything is
    written, then the dossier, its files, its event and its code in one transaction; on any
    failure no row stays and the files written are removed. ``uploads`` pairs each file with
    the required document it is for; ``taken`` (datastore.hooks.StoreTaking) names required
    documents taken from the applicant's personal data store instead, attached in the same
    transaction. Raises UploadError (or agents.ConsentError)."""
    definition = procedure.current_version.parsed()
    given = {name[:600] for name, _ in uploads} | set(taken.names if taken else ())
    missing = [d.name for d in definition.documents if d.mandatory and d.name[:600] not in given]
    if missing:
        raise UploadError("Thiếu: " + "; ".join(missing))
    checked = [(name, upload, inspect(upload)) for name, upload in uploads]
    dossier = new_dossier(procedure, applicant, agency,
                          submitted_by=user if consent is not None else None)
    dossier.form_data = to_json(form_data)
    dossier.delivery = Delivery(delivery).value
    dossier.fee_amount = fee_of(dossier)
    stored: list[Attachment] = []

    def store(saved: Dossier) -> None:
        for name, upload, check in checked:
            stored.append(attach(saved, name, upload, user, check))
        if taken is not None:
            taken.attach(saved)
        if consent is not None:
            from dichvucong.dossiers import agents

            agents.link_dossier(consent, saved, user)

    try:
        with transaction.atomic():
            actions.submit_new(dossier, user, Role.applicant, store,
                               data=on_behalf(user, dossier))
    except BaseException:
        for attachment in stored:  # the rows are rolled back; the files go too
            attachment.file.delete(save=False)
        raise
    return dossier


@transaction.atomic
def submit(dossier: Dossier, user: User, form_data: dict[str, Any], delivery: str,
           delivery_address: dict | None = None) -> Dossier:
    """Submit a complete draft: the form's cleaned data, then the state change with its code and
    event. One transaction: a failure leaves the draft as it was."""
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    dossier.form_data = to_json(form_data)
    dossier.delivery = Delivery(delivery).value
    dossier.delivery_address = delivery_address or {}
    dossier.fee_amount = fee_of(dossier)
    dossier.save()
    role = Role.applicant
    return actions.perform(dossier.pk, Action.submit, user, role,
                           data=on_behalf(user, dossier)).dossier


def on_behalf(user: User, dossier: Dossier) -> dict:
    """Event data marking an action an agent took for the applicant (the audit trail)."""
    if dossier.applicant_id is not None and dossier.applicant_id != user.pk:
        return {"on_behalf_of": dossier.applicant_id}
    return {}
