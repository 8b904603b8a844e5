"""Filing a dossier online: a draft that keeps what the citizen typed and attached, then one
transaction that submits it. The filing rules (``check_filing``: where it may be filed, how the
result is delivered, the form, the required documents; ``filing_consent`` for an agent) live here,
and the submission page and the API both call them, each presenting the errors its own way."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction

from dichvucong.accounts import assurance
from dichvucong.accounts.models import User
from dichvucong.adminunits import queries as units
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import (
    FieldType,
    FormField,
    ProcedureDefinition,
    RequiredDocument,
)
from dichvucong.catalog.formengine import FormResult, is_visible, validate
from dichvucong.catalog.models import Procedure
from dichvucong.core.prepared import Prepared
from dichvucong.core.storage import StorageUnavailable
from dichvucong.core.text import NAME_MAX
from dichvucong.dossiers import actions, agents, filecontent
from dichvucong.dossiers.lifecycle import Action, LifecycleRole, State
from dichvucong.dossiers.models import Attachment, Delivery, Dossier, DossierChannel
from dichvucong.dossiers.uploads import CheckedUpload, UploadError, check_upload


def receiving_agencies(procedure: Procedure):
    """Where a dossier for ``procedure`` can be filed: the province agency, or any commune's
    committee (or police) of the province. Unordered: a page lists them with
    ``core.text.sorted_vietnamese``."""
    if procedure.at_province and procedure.agency_id:
        return Agency.objects.filter(pk=procedure.agency_id)
    kind = procedure.commune_agency_kind or Agency.Kind.COMMUNE_COMMITTEE
    return Agency.objects.filter(kind=kind, is_active=True)


def receiving_agency(procedure: Procedure, agency_id: object,
                     agencies: Sequence[Agency] | None = None) -> Agency | None:
    """The agency ``agency_id`` names if a dossier for ``procedure`` can be filed there
    (``agencies``: the page's list of ``receiving_agencies`` already fetched)."""
    if agencies is not None:
        return next((a for a in agencies if str(a.pk) == str(agency_id)), None)
    try:
        pk = int(str(agency_id))
    except ValueError:
        return None
    low, high = connection.ops.integer_field_range(Agency._meta.pk.get_internal_type())
    if not low <= pk <= high:  # no agency has it (the driver would refuse the number)
        return None
    # ``receiving_agencies`` narrowed to ``pk``, composed once per connection: through the ORM
    # at each filing it cost 1 ms of CPU.
    if procedure.at_province and procedure.agency_id:
        return _one(_AGENCY.objects(pk)) if pk == procedure.agency_id else None
    kind = procedure.commune_agency_kind or Agency.Kind.COMMUNE_COMMITTEE
    return _one(_ACTIVE_AGENCY_OF_KIND.objects(str(kind), pk))


# ``receiving_agency``'s two shapes of ``receiving_agencies(…).filter(pk=…)``; placeholders -1,
# -2 and "?" (``core/prepared.py``).
_AGENCY = Prepared(lambda: Agency.objects.filter(pk=-1).order_by()[:1], -1)
_ACTIVE_AGENCY_OF_KIND = Prepared(
    lambda: Agency.objects.filter(kind="?", is_active=True, pk=-2).order_by()[:1], "?", -2)


def _one(rows: list):
    return rows[0] if rows else None


def filing_consent(agent: User, consent_id: object, procedure: Procedure):
    """The consent (``agents.AgentConsent``) an agent files for a citizen under: one that stands
    (``agents.usable_consent``) and is for this procedure. Raises agents.ConsentError; one for
    another procedure has ``field="procedure"``."""
    consent = agents.usable_consent(agent, consent_id)
    if consent.procedure_id != procedure.pk:
        raise agents.ConsentError("Sự đồng ý của công dân là cho một thủ tục khác.",
                                  field="procedure")
    return consent


# The address a result goes to by post, asked with the form engine's own address field.
POST_ADDRESS = FormField(key="delivery_address", label="Địa chỉ nhận kết quả qua bưu điện",
                         type=FieldType.ADDRESS, required=True)
logger = logging.getLogger(__name__)
AGENCY_MISSING = "Cần chọn nơi nộp hồ sơ."
STORAGE_FAILED = ("Máy chủ tạm thời không lưu được tệp này (bộ nhớ lưu trữ đầy hoặc đang lỗi). "
                  "Những gì bạn đã nhập vẫn được giữ; hãy gửi lại tệp sau ít phút.")
STORAGE_UNAVAILABLE = ("Kho lưu trữ tệp của hệ thống tạm thời không truy cập được nên tệp này "
                       "chưa được lưu. Những gì bạn đã nhập vẫn được giữ; hãy gửi lại tệp sau ít "
                       "phút.")
AGENCY_REFUSED = "Cơ quan tiếp nhận không nhận hồ sơ của thủ tục này."
IDENTITY_REFUSED = ("Thủ tục này chỉ nộp trực tuyến được bằng {needed}. Tài khoản của người "
                    "nộp chưa đạt mức đó: hãy đăng nhập bằng VNeID, hoặc nộp tại bộ phận một "
                    "cửa.")
DELIVERY_REFUSED = "Cách nhận kết quả không hợp lệ."
FORM_INVALID = "Tờ khai chưa hợp lệ."
SIGNATURE_NEEDED = ("Thủ tục này cần tờ khai có chữ ký của người khai: bấm «Ký số tờ khai» ở bước "
                    "kiểm tra lại thông tin, hoặc đính kèm bản chụp tờ khai đã ký tay.")


@dataclass
class FilingErrors:
    """Why a filing cannot be submitted, by the input each is about. The page shows each beside
    its input; the API answers ``sentence()`` and ``by_field()`` in its Problem."""

    agency: str = ""
    delivery: str = ""
    form: dict[str, list[str]] = field(default_factory=dict)
    delivery_address: dict[str, list[str]] = field(default_factory=dict)
    documents: dict[int, str] = field(default_factory=dict)  # by the required document's index

    def __bool__(self) -> bool:
        return bool(self.agency or self.delivery or self.form or self.delivery_address
                    or self.documents)

    def sentence(self) -> str:
        parts = [self.agency, self.delivery,
                 FORM_INVALID if self.form or self.delivery_address else "",
                 *(message for _, message in sorted(self.documents.items()))]
        return " ".join(part for part in parts if part)

    def only_signature(self) -> bool:
        """Nothing wrong but the declaration's signature, which the check page can give."""
        return (not (self.agency or self.delivery or self.form or self.delivery_address)
                and bool(self.documents)
                and set(self.documents.values()) == {SIGNATURE_NEEDED})

    def by_field(self) -> dict[str, list[str]]:
        """``agency``, ``delivery``, the form's own keys, ``delivery_address`` and
        ``documents.<index>``."""
        errors = {**self.form, **self.delivery_address}
        errors |= {key: [message] for key, message in
                   (("agency", self.agency), ("delivery", self.delivery)) if message}
        errors |= {f"documents.{index}": [message]
                   for index, message in sorted(self.documents.items())}
        return errors


@dataclass
class FilingCheck:
    """What ``check_filing`` found: the agency and delivery to file with, the cleaned address a
    result is posted to, and the errors (none: the filing may be submitted)."""

    agency: Agency | None
    delivery: str
    delivery_address: dict
    errors: FilingErrors


def identity_refusal(definition: ProcedureDefinition, applicant: User) -> str:
    """Why ``applicant``'s account may not file this procedure online, or "" when it may:
    the level of identity the definition requires (``accounts.assurance``)."""
    if assurance.meets(applicant.identity_source, definition.identity_level):
        return ""
    return IDENTITY_REFUSED.format(needed=assurance.LEVEL_LABELS[definition.identity_level])


def document_needed(document: RequiredDocument, answers: Mapping[str, Any] | None) -> bool:
    """A mandatory document is needed unless its ``required_when`` condition on the form's
    answers fails (e.g. no health certificate for driving licence classes A1, A, B1)."""
    if not document.mandatory:
        return False
    if document.required_when is None:
        return True
    return is_visible(document.required_when, answers or {})


def missing_documents(definition: ProcedureDefinition, given: Iterable[str],
                      answers: Mapping[str, Any] | None = None) -> list[int]:
    """The indexes of the needed documents (``document_needed`` for the form's ``answers``) not
    among ``given`` (requirement names). The declaration (tờ khai) is never missing when the
    procedure has an e-form: filing makes it; unless it must be signed (``Declaration.signed``):
    then the citizen's digitally signed one (``results/declaration_signing.py``, kept under the
    document's name) or a scan of the hand-signed paper."""
    given = {name[:NAME_MAX] for name in given}
    declaration = definition.declaration_document() if definition.form else None
    signed = definition.declaration.signed
    return [index for index, doc in enumerate(definition.documents)
            if doc.name[:NAME_MAX] not in given
            and (doc is declaration and signed
                 or doc is not declaration and document_needed(doc, answers))]


def check_filing(procedure: Procedure, definition: ProcedureDefinition, *, agency_id: object,
                 delivery: str, form: FormResult, documents: Iterable[str],
                 document_errors: dict[int, str] | None = None,
                 address_values: dict | None = None,
                 agencies: Sequence[Agency] | None = None) -> FilingCheck:
    """Every rule a filing must meet before it is submitted: an agency that receives the
    procedure, a known delivery (online when not), a valid form, a postal address when the result
    goes by post (``address_values``, as read from the form; None for a caller that takes none),
    and each mandatory document given (``documents``: the requirement names attached, uploaded or
    taken from the store; ``document_errors``: uploads refused already, by index)."""
    errors = FilingErrors(form=dict(form.errors), documents=dict(document_errors or {}))
    agency = receiving_agency(procedure, agency_id, agencies)
    if agency is None:
        errors.agency = AGENCY_MISSING if agency_id in (None, "") else AGENCY_REFUSED
    if delivery not in Delivery.values:
        errors.delivery, delivery = DELIVERY_REFUSED, Delivery.ONLINE.value
    address: dict = {}
    if address_values is not None and delivery == Delivery.POST:
        province = str((address_values.get(POST_ADDRESS.key) or {}).get("province", ""))
        checked = validate([POST_ADDRESS], address_values,
                           known_communes=units.known_communes(province))
        errors.delivery_address = checked.errors
        address = checked.cleaned.get(POST_ADDRESS.key, {})
    declaration = definition.declaration_document() if definition.declaration.signed else None
    for index in missing_documents(definition, documents, form.cleaned):
        document = definition.documents[index]
        errors.documents.setdefault(index, SIGNATURE_NEEDED if document is declaration
                                    else f"Cần đính kèm «{document.name}».")
    return FilingCheck(agency, delivery, address, errors)


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
    dossier = Dossier(
        procedure=procedure, procedure_version_id=procedure.current_version_id, agency=agency,
        applicant=applicant, submitted_by=submitted_by,
        applicant_name=applicant.full_name or applicant.username,
        applicant_phone=applicant.phone, applicant_email=applicant.email,
        channel=DossierChannel.SERVICE_AGENT if submitted_by is not None else DossierChannel.ONLINE,
        state=State.draft.value,
    )
    if Procedure.current_version.is_cached(procedure):
        # The version the caller loaded with the procedure: the fee and the deadline read its
        # definition (parsed once per process) without fetching the row again.
        dossier.procedure_version = procedure.current_version
    return dossier


def start_draft(procedure: Procedure, applicant: User, agency: Agency,
                submitted_by: User | None = None) -> Dossier:
    dossier = new_dossier(procedure, applicant, agency, submitted_by)
    dossier.save(force_insert=True)
    return dossier


def inspect(upload: UploadedFile) -> CheckedUpload:
    """Check an upload by its type and content (``filecontent.clean``: a PDF that would act
    when opened is refused, a photo loses its metadata) and hash what will be stored. Raises
    UploadError."""
    head = upload.read(16)
    upload.seek(0)
    checked = check_upload(upload.name or "", head, upload.size or 0)
    data = upload.read()
    upload.seek(0)
    content = filecontent.clean(checked.kind, checked.original_name, data)
    return dataclasses.replace(
        checked, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
        content=None if content is data else content)


def attach(dossier: Dossier, requirement: str, upload: UploadedFile, user: User | None,
           checked: CheckedUpload | None = None, *, declaration: bool = False) -> Attachment:
    """Check and store one upload on a draft (``declaration``: the filed declaration the
    platform rendered, ``user`` None). Raises UploadError; stores nothing then."""
    attachment = _stored(dossier, requirement, upload, user, checked, declaration=declaration)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)  # no orphan file when the row is not written
        raise
    return attachment


def _stored(dossier: Dossier, requirement: str, upload: UploadedFile, user: User | None,
            checked: CheckedUpload | None = None, *, declaration: bool = False) -> Attachment:
    """The upload's file written to storage and its row, not saved yet."""
    checked = checked or inspect(upload)
    attachment = Attachment(
        dossier=dossier, requirement=requirement[:NAME_MAX], token=secrets.token_hex(16),
        extension=checked.extension, original_name=checked.original_name,
        content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
        uploaded_by=user, declaration=declaration,
    )
    try:
        attachment.file.save(f"{attachment.token}{attachment.extension}",
                             upload if checked.content is None else ContentFile(checked.content),
                             save=False)
    except StorageUnavailable as exc:  # the S3 server down: nothing was stored; 503
        logger.warning("dossiers: the file storage is unavailable (%s)", type(exc).__name__)
        raise UploadError(STORAGE_UNAVAILABLE, status=503) from exc
    except OSError as exc:  # a full disk: the storage left no partial file; the form is kept
        logger.warning("dossiers: an upload could not be stored (%s)", exc.strerror or exc)
        raise UploadError(STORAGE_FAILED) from exc
    return attachment


def drop_declaration(draft: Dossier) -> None:
    """Remove the draft's declaration file (a signed one is of the answers it signed)."""
    for old in draft.attachments.filter(declaration=True):
        old.file.delete(save=False)
        old.delete()


@dataclass(frozen=True)
class FeePricing:
    """How a filing's fee is priced and kept: ``quote(dossier)`` gives a quote whose ``total``
    is the fee, ``keep(dossier, quote)`` records it (payments/services.py: ``quote_for``,
    ``record_fee``)."""

    quote: Callable[[Dossier], Any]
    keep: Callable[..., None]  # (dossier, quote, *, new: bool)


# The fee rules live in the payments app, a capability above the dossier core: it hands its
# pricing in when Django starts (payments/apps.py), so the core imports nothing of payments.
# Without it (payments not installed) a filing carries no fee.
_pricing: FeePricing | None = None


def price_fees_with(pricing: FeePricing | None) -> None:
    global _pricing
    _pricing = pricing


def quote_fee(dossier: Dossier):
    """Price the dossier as filled in (the rules live in payments), once per filing: the
    quote's total is its ``fee_amount``; pass the quote to ``keep_fee`` once it is saved."""
    if _pricing is None:
        return None
    quote = _pricing.quote(dossier)
    dossier.fee_amount = quote.total
    return quote


def keep_fee(dossier: Dossier, quote, *, new: bool = False) -> None:
    """Keep the quote ``quote_fee`` gave as the dossier's fee (``payments.record_fee``), before
    the submitting event: the fee that event asks for is this one, not priced again. ``new``:
    the dossier was inserted in this transaction (it has no fee to look for)."""
    if _pricing is not None and quote is not None:
        _pricing.keep(dossier, quote, new=new)


def file_at_once(procedure: Procedure, applicant: User, agency: Agency, user: User,
                 form_data: dict[str, Any], delivery: str,
                 uploads: list[tuple[str, UploadedFile]], *, consent=None,
                 taken=None) -> Dossier:
    """The API's submission, all or nothing: the uploads are checked before anything is
    written, then the dossier, its files, its event and its code in one transaction; on any
    failure no row stays and the files written are removed. ``uploads`` pairs each file with
    the required document it is for; ``taken`` (datastore.hooks.StoreTaking) names required
    documents taken from the applicant's personal data store instead, attached in the same
    transaction. Call it once ``check_filing`` found nothing wrong. Raises UploadError (or
    agents.ConsentError)."""
    checked = [(name, upload, inspect(upload)) for name, upload in uploads]
    dossier = new_dossier(procedure, applicant, agency,
                          submitted_by=user if consent is not None else None)
    dossier.form_data = to_json(form_data)
    dossier.delivery = Delivery(delivery).value
    quote = quote_fee(dossier)
    stored: list[Attachment] = []

    def store(saved: Dossier) -> None:
        keep_fee(saved, quote, new=True)
        for name, upload, check in checked:
            stored.append(_stored(saved, name, upload, user, check))
        # One statement for the files' rows (no post_save: a file the filing lists needs no
        # pipeline entry of its own).
        Attachment.objects.bulk_create(stored)
        if taken is not None:
            taken.attach(saved)
        if consent is not None:
            agents.link_dossier(consent, saved, user)

    try:
        with transaction.atomic():
            actions.submit_new(dossier, user, LifecycleRole.applicant, store,
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
    quote = quote_fee(dossier)
    dossier.save()
    keep_fee(dossier, quote)
    role = LifecycleRole.applicant
    return actions.perform(dossier.pk, Action.submit, user, role,
                           data=on_behalf(user, dossier)).dossier


def on_behalf(user: User, dossier: Dossier) -> dict:
    """Event data marking an action an agent took for the applicant (the audit trail)."""
    if dossier.applicant_id is not None and dossier.applicant_id != user.pk:
        return {"on_behalf_of": dossier.applicant_id}
    return {}
