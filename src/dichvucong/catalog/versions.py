"""Procedure versions: drafts, approval, the day a version takes effect, and who may do what.

A published version never changes; editing a published procedure starts a new draft copied from
it. The service designer sends the draft for approval (``submit``); a procedure controller other
than its author approves it with an effective date (``approve``) or refuses it with a reason,
which returns it to draft (``refuse``). On its effective date the approved version comes into
force (``bring_into_force``, at once when the date is today): citizens see it and file against
it, and the version before is superseded; until then the earlier one stays in force. Dossiers
point at the version they were submitted under, so they keep it. Every step is written to
``VersionEvent``.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from pydantic import ValidationError

from dichvucong.accounts.models import Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import Level, ProcedureDefinition
from dichvucong.catalog.models import Field, Procedure, ProcedureVersion, VersionEvent
from dichvucong.core.text import NAME_MAX, slugify_vi


class VersionError(Exception):
    """A Vietnamese message for the service designer."""


def editable_procedures(user: User) -> QuerySet[Procedure]:
    """The procedures a user may edit: those owned by an agency where they are a service
    designer. One indexed condition in the query."""
    agencies = user.memberships.filter(role=Role.SERVICE_DESIGNER).values("agency_id")
    return Procedure.objects.filter(owner_id__in=agencies)


def approvable_procedures(user: User) -> QuerySet[Procedure]:
    """The procedures whose versions a user may approve: every one for a procedure controller of
    the city's People's Committee (its office checks the whole catalogue), else those owned by an
    agency where they are a procedure controller."""
    held = user.memberships.filter(role=Role.PROCEDURE_CONTROLLER)
    if held.filter(agency__kind=Agency.Kind.PEOPLES_COMMITTEE,
                   agency__level=Agency.Level.PROVINCE).exists():
        return Procedure.objects.all()
    return Procedure.objects.filter(owner_id__in=held.values("agency_id"))


def designer_agencies(user: User) -> QuerySet[Agency]:
    return Agency.objects.filter(memberships__user=user,
                                 memberships__role=Role.SERVICE_DESIGNER).distinct()


def _next_local_code() -> str:
    prefix = getattr(settings, "LOCAL_PROCEDURE_PREFIX", "DNG")
    taken = set(Procedure.objects.filter(code__startswith=f"{prefix}.")
                .values_list("code", flat=True))
    # Codes of new services count up from 900001, apart from the codes derived from names.
    number = 900001
    while f"{prefix}.{number:06d}" in taken:
        number += 1
    return f"{prefix}.{number:06d}"


@transaction.atomic
def create_procedure(owner: Agency, user: User, name: str, field_name: str,
                     level: Level) -> ProcedureVersion:
    """A new procedure with an empty first draft. It is not in the catalog until published."""
    field = Field.objects.filter(name=field_name).first()
    if field is None:
        field = Field.objects.create(name=field_name, slug=_unique_field_slug(field_name))
    code = _next_local_code()
    definition = ProcedureDefinition(code=code, name=name, field=field_name, levels=[level],
                                     agency=owner.name)
    procedure = Procedure.objects.create(
        code=code, name=name, field=field, owner=owner,
        at_province=level == Level.PROVINCE, at_commune=level == Level.COMMUNE,
        agency=owner if level == Level.PROVINCE else None,
        commune_agency_kind=Agency.Kind.COMMUNE_COMMITTEE if level == Level.COMMUNE else "",
    )
    return ProcedureVersion.objects.create(procedure=procedure, number=1, created_by=user,
                                           definition=definition.to_json())


def _unique_field_slug(name: str) -> str:
    base = slugify_vi(name) or "linh-vuc"
    candidate, n = base, 2
    while Field.objects.filter(slug=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


@transaction.atomic
def start_draft(procedure: Procedure, user: User) -> ProcedureVersion:
    """The procedure's draft: the existing one, or a new one copied from the latest approved
    version (the one waiting for its effective date, else the one in force)."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    draft = procedure.versions.filter(status=ProcedureVersion.Status.DRAFT).first()
    if draft is not None:
        return draft
    if procedure.versions.filter(status=ProcedureVersion.Status.SUBMITTED).exists():
        raise VersionError("Đang có phiên bản chờ phê duyệt; chờ kết quả phê duyệt rồi mới tạo "
                           "bản nháp mới.")
    base = (procedure.versions.filter(status=ProcedureVersion.Status.APPROVED).first()
            or procedure.current_version)
    if base is None:
        raise VersionError("Thủ tục chưa có phiên bản nào để sao chép.")
    number = (procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ProcedureVersion.objects.create(
        procedure=procedure, number=number, created_by=user, definition=base.definition,
    )


def save_draft(version: ProcedureVersion, definition: dict) -> ProcedureDefinition:
    """Replace a draft's content. Raises VersionError for a published version and
    pydantic's ValidationError for an invalid definition; saves nothing then."""
    if version.status != ProcedureVersion.Status.DRAFT:
        raise VersionError("Phiên bản đã công bố không được sửa; hãy tạo bản nháp mới.")
    parsed = ProcedureDefinition.model_validate(definition)
    if parsed.code != version.procedure.code:
        raise VersionError("Không được đổi mã thủ tục trong bản nháp.")
    version.definition = parsed.to_json()
    version.save(update_fields=["definition", "updated_at"])
    return parsed


def publication_problems(definition: ProcedureDefinition) -> list[str]:
    """What a definition lacks before citizens may use it online."""
    problems = []
    if not definition.processing.time_limit and not definition.processing.same_day:
        problems.append("Chưa có thời hạn giải quyết.")
    if not definition.documents:
        problems.append("Chưa có thành phần hồ sơ.")
    if definition.online_mode != "none" and not definition.form:
        problems.append("Dịch vụ trực tuyến cần biểu mẫu cho công dân khai.")
    if definition.online_mode != "none" and not definition.workflow:
        problems.append("Chưa có quy trình xử lý (các bước và tỷ lệ thời gian).")
    return problems


def _log(version: ProcedureVersion, kind: str, actor: User | None, **data) -> None:
    VersionEvent.objects.create(procedure_code=version.procedure.code, number=version.number,
                                version=version, kind=kind, actor=actor, **data)


def _locked(version: ProcedureVersion, status: str, wrong: str) -> ProcedureVersion:
    version = ProcedureVersion.objects.select_for_update().select_related("procedure").get(
        pk=version.pk)
    if version.status != status:
        raise VersionError(wrong)
    return version


@transaction.atomic
def submit(version: ProcedureVersion, user: User) -> ProcedureVersion:
    """Send a complete draft for approval; it cannot be edited while it waits."""
    version = _locked(version, ProcedureVersion.Status.DRAFT, "Chỉ bản nháp mới gửi phê duyệt.")
    try:
        definition = version.parsed()
    except ValidationError as exc:
        raise VersionError(f"Nội dung chưa hợp lệ: {exc.errors()[0]['msg']}") from exc
    problems = publication_problems(definition)
    if problems:
        raise VersionError(" ".join(problems))
    version.status = ProcedureVersion.Status.SUBMITTED
    version.submitted_at = timezone.now()
    version.submitted_by = user
    version.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    _log(version, VersionEvent.Kind.SUBMITTED, user)
    return version


def _check_approver(version: ProcedureVersion, user: User) -> None:
    if not approvable_procedures(user).filter(pk=version.procedure_id).exists():
        raise VersionError("Bạn không phải cán bộ kiểm soát thủ tục hành chính của thủ tục này.")
    if user.pk in {version.created_by_id, version.submitted_by_id}:
        raise VersionError("Người soạn bản nháp không được tự phê duyệt hoặc từ chối; cần một "
                           "cán bộ kiểm soát thủ tục hành chính khác.")


@transaction.atomic
def approve(version: ProcedureVersion, user: User, effective_from: date,
            today: date | None = None) -> ProcedureVersion:
    """Approve a submitted version to take effect on ``effective_from`` (today or later); from
    today it is in force at once. A version approved before and still waiting for its day is
    replaced: only the latest approved content can come into force."""
    today = today or timezone.localdate()
    version = _locked(version, ProcedureVersion.Status.SUBMITTED,
                      "Chỉ phiên bản đang chờ phê duyệt mới được phê duyệt.")
    _check_approver(version, user)
    if effective_from < today:
        raise VersionError("Ngày có hiệu lực không được trước hôm nay.")
    for waiting in ProcedureVersion.objects.select_for_update().filter(
            procedure_id=version.procedure_id, status=ProcedureVersion.Status.APPROVED):
        waiting.status = ProcedureVersion.Status.SUPERSEDED
        waiting.save(update_fields=["status", "updated_at"])
        _log(waiting, VersionEvent.Kind.REPLACED, user,
             reason=f"Thay bằng phiên bản {version.number}.")
    version.status = ProcedureVersion.Status.APPROVED
    version.approved_at = timezone.now()
    version.published_by = user
    version.effective_from = effective_from
    version.save(update_fields=["status", "approved_at", "published_by", "effective_from",
                                "updated_at"])
    _log(version, VersionEvent.Kind.APPROVED, user, effective_from=effective_from)
    if effective_from <= today:
        _put_in_force(version)
    return version


@transaction.atomic
def refuse(version: ProcedureVersion, user: User, reason: str) -> ProcedureVersion:
    """Return a submitted version to draft, saying why."""
    reason = reason.strip()
    if not reason:
        raise VersionError("Cần ghi lý do từ chối để người soạn biết phải sửa gì.")
    version = _locked(version, ProcedureVersion.Status.SUBMITTED,
                      "Chỉ phiên bản đang chờ phê duyệt mới bị từ chối được.")
    _check_approver(version, user)
    version.status = ProcedureVersion.Status.DRAFT
    version.save(update_fields=["status", "updated_at"])
    _log(version, VersionEvent.Kind.REFUSED, user, reason=reason)
    return version


@transaction.atomic
def delete_draft(version: ProcedureVersion, user: User) -> None:
    """Delete a draft (never a version sent for approval, approved or published). A procedure
    that was never published goes with its only draft."""
    version = _locked(version, ProcedureVersion.Status.DRAFT,
                      "Chỉ xóa được bản nháp; phiên bản đã gửi phê duyệt, đã phê duyệt hay đã "
                      "công bố được giữ lại.")
    _log(version, VersionEvent.Kind.DELETED, user)
    procedure = version.procedure
    version.delete()
    if not procedure.versions.exists():
        procedure.delete()


def bring_into_force(today: date | None = None) -> int:
    """Put in force every approved version whose effective date has come (the hourly task and
    approval for today call it). Returns how many."""
    today = today or timezone.localdate()
    due = ProcedureVersion.objects.filter(status=ProcedureVersion.Status.APPROVED,
                                          effective_from__lte=today).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        with transaction.atomic():
            version = ProcedureVersion.objects.select_for_update().select_related(
                "procedure").filter(pk=pk, status=ProcedureVersion.Status.APPROVED).first()
            if version is not None:
                _put_in_force(version)
                count += 1
    return count


def _put_in_force(version: ProcedureVersion) -> None:
    """The approved version becomes the current one; the previous one is superseded. Runs in the
    caller's transaction with the version locked."""
    try:
        definition = version.parsed()
    except ValidationError as exc:  # checked at submission; the format may have moved since
        raise VersionError(f"Nội dung chưa hợp lệ: {exc.errors()[0]['msg']}") from exc
    procedure = Procedure.objects.select_for_update().get(pk=version.procedure_id)
    ProcedureVersion.objects.filter(
        procedure=procedure, status=ProcedureVersion.Status.PUBLISHED
    ).update(status=ProcedureVersion.Status.SUPERSEDED)
    version.status = ProcedureVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at", "updated_at"])
    field = Field.objects.filter(name=definition.field).first() or Field.objects.create(
        name=definition.field, slug=_unique_field_slug(definition.field))
    procedure.name = definition.name[:NAME_MAX]
    procedure.field = field
    procedure.at_province = Level.PROVINCE in definition.levels
    procedure.at_commune = Level.COMMUNE in definition.levels
    procedure.online_mode = definition.online_mode.value
    procedure.current_version = version
    procedure.is_active = True
    procedure.save()
    _log(version, VersionEvent.Kind.IN_FORCE, None, effective_from=version.effective_from)
