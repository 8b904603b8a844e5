"""Issuing results, the only place that writes them (each write recorded as a ``ResultEvent``):
numbering, who may issue and manage, the result's text from the procedure's template, the
request that queues the signing (``tasks.sign_result_task`` → ``stamping.sign_result``), retry,
revocation and replacement."""

from __future__ import annotations

import contextlib
import logging
import secrets
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from dichvucong.accounts.models import Membership, Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import DATE_IN_WORDS, TEMPLATE_EXTRAS, FieldType, FormField
from dichvucong.catalog.formvalues import form_entries
from dichvucong.dossiers.lifecycle import Action, State
from dichvucong.dossiers.models import Dossier
from dichvucong.payments.words import date_words

from . import registers, render, signature, signing_jobs, verifier
from .errors import ResultError
from .holders import holder_id_number, holder_of
from .models import Result, ResultEvent, ResultNumberSequence, SigningState, Status
from .tasks import sign_result_task
from .trust_list import trust_list_changed
from .validity import valid_until as validity_end

logger = logging.getLogger(__name__)

ISSUING_ROLES = (Role.SPECIALIST, Role.LEADER)
MANAGING_ROLES = (Role.LEADER, Role.AGENCY_HEAD)
DEFAULT_TITLE = "Kết quả giải quyết thủ tục hành chính"


# --- numbering ---------------------------------------------------------------------------------


def next_sequence(agency_id: int, year: int) -> int:
    """One atomic INSERT … ON CONFLICT … RETURNING (PostgreSQL and SQLite 3.35+): numbers never
    repeat, also with several servers issuing at once."""
    return registers.bump(ResultNumberSequence._meta.db_table,
                          {"agency_id": agency_id, "year": year})


def format_number(agency: Agency, year: int, sequence: int) -> str:
    """000123/2025/KQ-000.00.12.H17: sequence, year, "KQ" (kết quả) and the agency's code."""
    return f"{sequence:06d}/{year}/KQ-{agency.code}"


# --- who may do what ---------------------------------------------------------------------------


def _holds(user: User, agency_id: int, roles) -> bool:
    return user.is_authenticated and user.memberships.filter(
        agency_id=agency_id, role__in=roles).exists()


def can_issue(user: User, dossier: Dossier) -> bool:
    return _holds(user, dossier.agency_id, ISSUING_ROLES)


def can_manage(user: User, result: Result) -> bool:
    """Revoke or replace: a leader (or the head) of the issuing agency."""
    return _holds(user, result.agency_id, MANAGING_ROLES)



# --- issuing -----------------------------------------------------------------------------------


def _approver(dossier: Dossier) -> User | None:
    event = (dossier.events.filter(action=Action.approve.value).select_related("actor")
             .order_by("-created_at", "-id").first())
    return event.actor if event else None


def _shown(fields: list[FormField], values: dict) -> dict[str, Any]:
    """One scope's values as shown on pages (labels of choices, dates as dd/mm/yyyy …); a
    repeating group gives its items, each shown the same way, and ``{{group}}`` alone the
    items as numbered lines."""
    shown: dict[str, Any] = {}
    for form_field in fields:
        if form_field.key not in values:
            continue
        if form_field.type == FieldType.GROUP:
            items = [item for item in values[form_field.key] or [] if isinstance(item, dict)]
            entries = form_entries([form_field], values)
            shown[form_field.key] = _Items([_shown(form_field.fields, item) for item in items], [
                f"{n}. " + "; ".join(f"{e.label}: {e.value}" for e in item if e.value != "—")
                for n, item in enumerate(entries[0].items if entries else [], start=1)])
            continue
        entries = form_entries([form_field], values)
        if entries:
            shown[form_field.key] = str(entries[0].value)
        if form_field.type == FieldType.DATE:
            # «key__chu»: the date in words, as civil status papers write it beside the
            # numbers (Giấy khai sinh: «ghi bằng chữ»).
            with contextlib.suppress(ValueError):
                shown[f"{form_field.key}{DATE_IN_WORDS}"] = date_words(
                    date.fromisoformat(str(values[form_field.key])))
    return shown


class _Items(list):
    """A group's shown items (for a ``{{#group}}`` block) that prints, as ``{{group}}``, as
    numbered lines."""

    def __init__(self, items: list, lines: list[str]) -> None:
        super().__init__(items)
        self.lines = lines

    def __str__(self) -> str:
        return "\n".join(self.lines)


def _display_values(dossier: Dossier) -> dict[str, Any]:
    """The form's values as shown on pages, for a result's template."""
    definition = dossier.procedure_version.parsed()
    values = {k: v for k, v in (dossier.form_data or {}).items() if not k.startswith("_")}
    return _shown(definition.form, values)


def _body(dossier: Dossier, template: str, today: date | None = None) -> str:
    values = _display_values(dossier)
    if template.strip():
        # What the template may name besides the form: the registering agency and the day.
        day = today or timezone.localdate()
        values |= dict(zip(TEMPLATE_EXTRAS, (dossier.agency.name, day.strftime("%d/%m/%Y")),
                           strict=True))
        return render.fill_template(template, values)
    definition = dossier.procedure_version.parsed()
    lines = [f"Kết quả giải quyết thủ tục «{dossier.procedure.name}» theo hồ sơ "
             f"{dossier.code} của {dossier.applicant_name}."]
    raw = {k: v for k, v in (dossier.form_data or {}).items() if not k.startswith("_")}
    for entry in form_entries(definition.form, raw):
        if not entry.items and entry.value not in ("", "—"):
            lines.append(f"{entry.label}: {entry.value}")
    return "\n".join(lines)


def result_definitions(dossier: Dossier) -> list[dict[str, str]]:
    """The procedure version's digital results (name, document type, validity, template); one
    generic result when the procedure states none; none when all are made outside the
    platform."""
    definition = dossier.procedure_version.parsed()
    if not definition.results:
        return [{"name": DEFAULT_TITLE, "document_type": "", "validity": "", "template": "",
                 "register": "", "holder_name_field": "", "holder_id_field": ""}]
    return [{"name": r.name, "document_type": r.document_type, "validity": r.validity,
             "template": r.template, "register": definition.register_of(r),
             "holder_name_field": r.holder_name_field, "holder_id_field": r.holder_id_field}
            for r in definition.results if r.digital]


def issues_digitally(dossier: Dossier) -> bool:
    """Whether the platform issues this dossier's result itself (signed PDF and QR): the normal
    path, unless every result the procedure states is made outside the platform."""
    return bool(result_definitions(dossier))


def signing_in_progress(dossier: Dossier) -> Result | None:
    """A result of the dossier queued or being signed: the dossier moves to «result ready» when
    it is done, so nothing else may move it meanwhile."""
    return dossier.results.filter(signing_state__in=[
        SigningState.QUEUED, SigningState.RENDERING, SigningState.SIGNING]).first()


def request_issue(dossier: Dossier, user: User, *, choice: int = 0,
                  valid_until: date | None = None, today: date | None = None) -> Result:
    """Number a new result for an approved dossier and queue its signing. Raises ResultError."""
    today = today or timezone.localdate()
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related(
            "agency", "procedure", "procedure_version").get(pk=dossier.pk)
        if not can_issue(user, dossier):
            raise ResultError("Chỉ chuyên viên hoặc lãnh đạo của cơ quan được ban hành kết quả.")
        if dossier.state != State.approved.value:
            raise ResultError(f"Chỉ ban hành kết quả cho hồ sơ đã phê duyệt; hồ sơ đang ở trạng "
                              f"thái «{dossier.state_label}».")
        if dossier.results.filter(signing_state__in=[SigningState.QUEUED, SigningState.RENDERING,
                                                      SigningState.SIGNING]).exists():
            raise ResultError("Kết quả của hồ sơ này đang được ký.")
        failed = dossier.results.filter(signing_state=SigningState.FAILED).first()
        if failed is not None:
            # Its number is taken but was never published: sign that one again, no gap.
            raise ResultError(f"Kết quả số {failed.number} chưa ký được; hãy bấm «Ký lại».")
        definitions = result_definitions(dossier)
        if not definitions:
            raise ResultError("Kết quả của thủ tục này được làm ngoài hệ thống; hãy tải tệp "
                              "kết quả lên.")
        if not 0 <= choice < len(definitions):
            raise ResultError("Hãy chọn một kết quả của thủ tục.", "choice")
        chosen = definitions[choice]
        until = valid_until or validity_end(chosen["validity"], today)
        if until is not None and until < today:
            raise ResultError("Ngày hết hiệu lực phải từ hôm nay trở đi.", "valid_until")
        result = _new_result(dossier, user, chosen, today, until,
                             _body(dossier, chosen["template"], today))
        ResultEvent.record(result, ResultEvent.Kind.REQUESTED, user, dossier=dossier.code)
    enqueue(result)
    return result


def _new_result(dossier: Dossier, user: User, chosen: dict, today: date, until: date | None,
                body: str) -> Result:
    agency = dossier.agency
    sequence = next_sequence(agency.pk, today.year)
    approver = _approver(dossier)
    holder_name, id_number = holder_of(dossier, chosen)
    number = format_number(agency, today.year, sequence)
    return Result.objects.create(
        number=number, token=secrets.token_hex(16), year=today.year, sequence=sequence,
        agency=agency, dossier=dossier, title=chosen["name"] or DEFAULT_TITLE,
        document_type=chosen["document_type"], body=body,
        holder_account=dossier.applicant, holder_name=holder_name,
        holder_id_hash=verifier.id_hash(number, id_number).hex() if id_number else "",
        signer=approver or user, **signer_fields(approver or user, agency),
        **registers.entry_fields(agency.pk, today.year, chosen.get("register", "")),
        issue_date=today, valid_until=until, created_by=user, queued_at=timezone.now())


def signer_block(user: User, agency: Agency) -> signature.SignatureBlock:
    """The signature block of ``user`` signing for ``agency``: the position they hold there
    (``Membership.position``; a leader's or the head's first) and their full name — never
    the login name, which is an account detail, not a person's name."""
    held = dict(Membership.objects.filter(user=user, agency=agency).exclude(position="")
                .values_list("role", "position"))
    position = next((held[role] for role in (*MANAGING_ROLES[::-1], *held) if role in held), "")
    name = user.full_name or user.get_full_name()
    if not name:
        logger.warning("results: signer %s has no full name; the result shows none", user.pk)
    return signature.signature_block(agency_kind=agency.kind, agency_name=agency.name,
                                     position=position, full_name=name)


def signer_fields(user: User, agency: Agency) -> dict[str, str]:
    block = signer_block(user, agency)
    return {"signer_name": block.name, "signer_title": block.title}


def is_stuck(result: Result, now: datetime | None = None) -> bool:
    """Waiting for signing longer than a live worker would take (``signing_jobs``)."""
    return signing_jobs.is_stuck(result, now or timezone.now())


def can_retry(user: User, result: Result, now: datetime | None = None) -> bool:
    """Failed or stuck, and the user an official of the issuing agency."""
    return (result.signing_state == SigningState.FAILED or is_stuck(result, now)) and _holds(
        user, result.agency_id, ISSUING_ROLES + MANAGING_ROLES)


def retry(result: Result, user: User, *, now: datetime | None = None) -> Result:
    """Queue a result whose signing failed or is stuck again (same number; it was never
    published). A run still holding the old lease loses it and writes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        result = Result.objects.select_for_update().get(pk=result.pk)
        if not can_retry(user, result, now):
            raise ResultError("Chỉ ký lại được kết quả ký không thành công hoặc chờ ký quá lâu, "
                              "bởi cán bộ của cơ quan cấp.")
        previous = result.signing_error or result.get_signing_state_display()
        fields = signing_jobs.requeue_fields(now)
        Result.objects.filter(pk=result.pk).update(**fields)
        for name, value in fields.items():
            setattr(result, name, value)
        ResultEvent.record(result, ResultEvent.Kind.RETRIED, user, previous)
    enqueue(result)
    return result


def enqueue(result: Result) -> None:
    """Hand the result to the worker after the commit. If the queue cannot be reached (Redis
    down), the result stays queued in the database and the sweeper signs it
    (``stamping.resume_signing``): the officer's request still succeeds."""
    def send() -> None:
        try:
            sign_result_task(result.pk)
        except Exception as exc:  # the queue's own error types vary (Redis, SQLite)
            logger.warning("results: result %s not handed to the worker (%s); the sweeper "
                           "will sign it", result.pk, type(exc).__name__)

    transaction.on_commit(send)



# --- revoke, replace, reprint ------------------------------------------------------------------


def revoke(result: Result, user: User, reason: str, *, now: datetime | None = None) -> Result:
    reason = (reason or "").strip()
    if not can_manage(user, result):
        raise ResultError("Chỉ lãnh đạo của cơ quan cấp được thu hồi kết quả.")
    if not reason:
        raise ResultError("Cần ghi lý do thu hồi.", "reason")
    with transaction.atomic():
        result = Result.objects.select_for_update().get(pk=result.pk)
        if result.status != Status.VALID:
            raise ResultError("Chỉ thu hồi được kết quả còn hiệu lực.")
        result.status = Status.REVOKED
        result.status_reason = reason
        result.status_changed_by = user
        result.status_changed_at = now or timezone.now()
        result.save(update_fields=["status", "status_reason", "status_changed_by",
                                   "status_changed_at"])
        ResultEvent.record(result, ResultEvent.Kind.REVOKED, user, reason)
        trust_list_changed("result_revoked")
    return result


def replace(result: Result, user: User, reason: str, *, correction: str = "",
            valid_until: date | None = None, today: date | None = None) -> Result:
    """Issue a new result in place of ``result`` (a correction): it gets a new number; the old one
    turns «replaced», linking to it, once the new one is signed."""
    reason = (reason or "").strip()
    today = today or timezone.localdate()
    if not can_manage(user, result):
        raise ResultError("Chỉ lãnh đạo của cơ quan cấp được thay thế kết quả.")
    if not reason:
        raise ResultError("Cần ghi lý do thay thế.", "reason")
    with transaction.atomic():
        old = (Result.objects.select_for_update(of=("self",))
               .select_related("agency", "dossier").get(pk=result.pk))
        if old.status != Status.VALID or old.replaced_by_id is not None:
            raise ResultError("Chỉ thay thế được kết quả còn hiệu lực.")
        if not old.is_ready:
            raise ResultError("Kết quả chưa ký xong.")
        body = old.body + (f"\n{correction.strip()}" if correction.strip() else "")
        sequence = next_sequence(old.agency_id, today.year)
        number = format_number(old.agency, today.year, sequence)
        new = Result.objects.create(
            number=number, token=secrets.token_hex(16), year=today.year, sequence=sequence,
            agency=old.agency, dossier=old.dossier, title=old.title,
            document_type=old.document_type, body=body, holder_account=old.holder_account,
            holder_name=old.holder_name,
            holder_id_hash=_rehash(old, number), signer=user, **signer_fields(user, old.agency),
            # A correction is the same registration: the register's entry stays.
            register=old.register, register_book=old.register_book,
            register_entry=old.register_entry,
            issue_date=today, valid_until=valid_until or old.valid_until, created_by=user,
            queued_at=timezone.now())
        old.replaced_by = new
        old.status_reason = reason
        old.status_changed_by = user
        old.save(update_fields=["replaced_by", "status_reason", "status_changed_by"])
        ResultEvent.record(old, ResultEvent.Kind.REPLACED, user, reason, replacement=new.number)
        ResultEvent.record(new, ResultEvent.Kind.REQUESTED, user, reason, replaces=old.number)
    enqueue(new)
    return new


def _rehash(old: Result, number: str) -> str:
    """The ID hash is salted with the number; the number itself is not kept, so a replacement
    takes it from the dossier."""
    id_number = holder_id_number(old)
    return verifier.id_hash(number, id_number).hex() if id_number else ""


def record_download(result: Result, user: User | None) -> None:
    ResultEvent.record(result, ResultEvent.Kind.DOWNLOADED, user)
