"""Procedure versions: drafts, publication, and who may edit what.

A published version never changes; editing a published procedure starts a new draft copied from
it; publishing the draft supersedes the old version. Dossiers point at the version they were
submitted under, so they keep it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from pydantic import ValidationError

from dichvucong.accounts.models import Role, User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.definition import Level, ProcedureDefinition
from dichvucong.catalog.models import Field, Procedure, ProcedureVersion
from dichvucong.core.text import NAME_MAX, slugify_vi


class VersionError(Exception):
    """A Vietnamese message for the service designer."""


def editable_procedures(user: User) -> QuerySet[Procedure]:
    """The procedures a user may edit: those owned by an agency where they are a service
    designer. One indexed condition in the query."""
    agencies = user.memberships.filter(role=Role.SERVICE_DESIGNER).values("agency_id")
    return Procedure.objects.filter(owner_id__in=agencies)


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
    """The procedure's draft: the existing one, or a new one copied from the current version."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    draft = procedure.versions.filter(status=ProcedureVersion.Status.DRAFT).first()
    if draft is not None:
        return draft
    if procedure.current_version is None:
        raise VersionError("Thủ tục chưa có phiên bản nào để sao chép.")
    number = (procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ProcedureVersion.objects.create(
        procedure=procedure, number=number, created_by=user,
        definition=procedure.current_version.definition,
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


@transaction.atomic
def publish(version: ProcedureVersion, user: User) -> ProcedureVersion:
    """Publish a draft: it becomes the current version; the previous one is superseded."""
    version = ProcedureVersion.objects.select_for_update().select_related("procedure").get(
        pk=version.pk)
    if version.status != ProcedureVersion.Status.DRAFT:
        raise VersionError("Chỉ bản nháp mới được công bố.")
    try:
        definition = version.parsed()
    except ValidationError as exc:
        raise VersionError(f"Nội dung chưa hợp lệ: {exc.errors()[0]['msg']}") from exc
    problems = publication_problems(definition)
    if problems:
        raise VersionError(" ".join(problems))
    procedure = version.procedure
    ProcedureVersion.objects.filter(
        procedure=procedure, status=ProcedureVersion.Status.PUBLISHED
    ).update(status=ProcedureVersion.Status.SUPERSEDED)
    version.status = ProcedureVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = user
    version.save(update_fields=["status", "published_at", "published_by", "updated_at"])
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
    return version
