"""Filing on a citizen's behalf: a service agent (post office) or a community digital team member
files and follows a dossier for a citizen who consented with a one-time code. Plain Python, no
HTTP; each refusal carries a Vietnamese message for the agent.

The rules, as decided for this portal:

- The agent identifies the citizen by the phone number or CCCD number of an existing, active
  account. The code goes to the account's verified phone (SMS), else its verified e-mail.
- A citizen without an account, found by phone number: the agent gives the citizen's full name
  and the same code both confirms the phone is the citizen's and records the consent; the account
  is created with that verified phone and no password (the citizen sets one later with "Quên mật
  khẩu", or logs in with VNeID). Found by CCCD only: refused, since nothing could receive a code.
  With local registration turned off (VNeID only), agents cannot create accounts either.
- Scope: one consent covers **one dossier** of the named procedure. It must be used to start
  the filing within CONSENT_START_TTL; it then covers that dossier — follow it, answer
  supplement requests, download its slips — until the citizen revokes it. Withdrawing the
  dossier and rating the service stay with the citizen.
- The code is tied to the agent who asked for it: another agent cannot use it.
- Every step is in the audit trail: ConsentEvent (given, used, revoked) and, on the dossier,
  DossierEvent with the agent as actor and ``on_behalf_of`` in its data.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from dichvucong.accounts import conf, services
from dichvucong.accounts.identifiers import InvalidIdentifier, mask_contact, normalise_phone
from dichvucong.accounts.models import OneTimeCode, User
from dichvucong.catalog.models import Procedure
from dichvucong.core.idnumber import InvalidIdNumber, parse_id_number
from dichvucong.dossiers import access
from dichvucong.dossiers.models import AgentConsent, ConsentEvent, Dossier

logger = logging.getLogger(__name__)

CONSENT_START_TTL = timedelta(hours=24)
PURPOSE = OneTimeCode.Purpose.CONSENT

NOT_AGENT = ("Chỉ đại lý dịch vụ công hoặc thành viên tổ công nghệ số cộng đồng được nộp hồ sơ "
             "thay công dân.")
WRONG_CODE = "Mã xác nhận không đúng."
NO_CONSENT = ("Không có sự đồng ý còn hiệu lực của công dân cho hồ sơ này. Hãy nhờ công dân "
              "xác nhận lại bằng mã gửi tới điện thoại của họ.")


class ConsentError(Exception):
    """Refused; ``message`` is for the agent (or the citizen)."""

    def __init__(self, message: str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field  # the input the message is about, if one


@dataclass(frozen=True)
class ConsentRequest:
    record: OneTimeCode
    destination: str  # masked: 0905***456
    channel: str
    new_account: bool


def ascii_text(text: str) -> str:
    """SMS go out without Unicode (IsUnicode 0): names without diacritics."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(ch for ch in unicodedata.normalize("NFD", text)
                   if not unicodedata.combining(ch))


def agent_role(user: User) -> str | None:
    """The agent role ``user`` holds (service agent first), or None."""
    roles = set(user.memberships.filter(role__in=access.AGENT_ROLES)
                .values_list("role", flat=True))
    return next((str(r) for r in access.AGENT_ROLES if r in roles), None)


def find_citizen(identifier: str) -> tuple[User | None, str]:
    """The account a phone number or CCCD number names, and the normalised phone ("" when the
    identifier was a CCCD number). Raises ConsentError for something that is neither."""
    digits = "".join(ch for ch in str(identifier) if ch.isdigit() or ch == "+")
    if len(digits) == 12 and digits.isdigit():
        try:
            number = parse_id_number(digits).number
        except InvalidIdNumber as exc:
            raise ConsentError(str(exc)) from exc
        return User.objects.filter(id_number=number, is_active=True).first(), ""
    try:
        phone = normalise_phone(identifier)
    except InvalidIdentifier:
        raise ConsentError("Nhập số điện thoại di động (10 chữ số) hoặc số căn cước công dân "
                           "(12 chữ số) của công dân.") from None
    return User.objects.filter(phone=phone, is_active=True).first(), phone


def request_consent(agent: User, procedure: Procedure, identifier: str,
                    full_name: str = "") -> ConsentRequest:
    """Send the citizen a code that, typed in by ``agent``, records their consent. Raises
    ConsentError (nothing sent) or notify's DeliveryError (the code could not be sent)."""
    role = agent_role(agent)
    if role is None:
        raise ConsentError(NOT_AGENT, status=403)
    citizen, phone = find_citizen(identifier)
    words = {"agent": ascii_text(agent.full_name or agent.username)[:40],
             "agent_name": agent.full_name or agent.username, "procedure": procedure.code}
    data = {"agent": agent.pk, "role": role, "procedure": procedure.pk, "text": words}
    if citizen is not None:
        if citizen.pk == agent.pk:
            raise ConsentError("Bạn không thể nộp thay cho chính mình; hãy nộp hồ sơ như công "
                               "dân.")
        if citizen.phone and citizen.phone_verified:
            channel, destination = "sms", citizen.phone
        elif citizen.email and citizen.email_verified:
            channel, destination = "email", citizen.email
        else:
            raise ConsentError("Tài khoản của công dân chưa có số điện thoại hoặc email đã xác "
                               "nhận để nhận mã. Công dân cần xác nhận số điện thoại trên trang "
                               "tài khoản trước.")
        record = services.issue_code(PURPOSE, channel, destination, user=citizen, data=data)
        return ConsentRequest(record, mask_contact(destination), channel, new_account=False)
    if not phone:
        raise ConsentError("Không có tài khoản với số căn cước công dân này. Hãy tìm theo số "
                           "điện thoại của công dân; nếu họ chưa có tài khoản, bạn có thể đăng "
                           "ký giúp bằng số điện thoại đó.", status=404)
    if not conf.local_registration():
        raise ConsentError("Công dân chưa có tài khoản. Công dân cần đăng nhập bằng VNeID một "
                           "lần để có tài khoản trước khi nhờ nộp thay.", status=404)
    full_name = " ".join(full_name.split())
    if not full_name:
        raise ConsentError("Công dân chưa có tài khoản với số điện thoại này. Nhập họ và tên của "
                           "công dân để đăng ký tài khoản cho họ cùng lúc với việc xác nhận.",
                           status=404, field="full_name")
    data["full_name"] = full_name[:150]
    record = services.issue_code(PURPOSE, "sms", phone, data=data)
    return ConsentRequest(record, mask_contact(phone), "sms", new_account=True)


def confirm_consent(agent: User, record_id: int | None, code: str) -> AgentConsent:
    """The agent types the code the citizen received. Raises ConsentError with the reason
    (wrong, expired, used, another agent's) and records no consent then."""
    refusal: ConsentError | None = None
    with transaction.atomic():  # a wrong try is counted and kept, so the refusal is raised after
        # Another agent's request looks like an unknown one: it must not burn its tries either.
        owned = OneTimeCode.objects.filter(pk=record_id, purpose=PURPOSE,
                                           data__agent=agent.pk).exists() if record_id else False
        check = services.check_code(record_id, PURPOSE, code) if owned else None
        role = agent_role(agent)
        if check is None:
            refusal = ConsentError(WRONG_CODE)
        elif not check.ok:
            refusal = ConsentError(check.message)
        elif role is None:
            refusal = ConsentError(NOT_AGENT, status=403)
        else:
            record = check.record
            citizen = record.user or _register_citizen(record)
            if citizen is None:
                services.use_code(record)
                refusal = ConsentError(services.TAKEN["sms"])
            else:
                consent = AgentConsent.objects.create(
                    agent=agent, agent_role=role, citizen=citizen,
                    procedure_id=record.data["procedure"], confirmed_by=record.channel,
                    given_at=timezone.now())
                ConsentEvent.objects.create(consent=consent, action="given", actor=agent,
                                            data={"channel": record.channel,
                                                  "new_account": record.user_id is None})
                # Kept: a reused code is then told apart from another agent's.
                services.use_code(record, keep=("agent",))
    if refusal is not None:
        raise refusal
    logger.info("consent %s given by account %s to agent %s", consent.pk, citizen.pk, agent.pk)
    return consent


def _register_citizen(record: OneTimeCode) -> User | None:
    """The account an agent registers for a citizen: the phone the code went to, verified.
    None when the phone got an account meanwhile."""
    if services.contact_taken("sms", record.destination):
        return None
    user = User(username=services.new_username(), full_name=record.data.get("full_name", ""),
                phone=record.destination, phone_verified=True)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        return None
    logger.info("account %s registered by an agent", user.pk)
    return user


def usable_consent(agent: User, consent_id) -> AgentConsent:
    """A consent ``agent`` may start a new filing with. Raises ConsentError."""
    try:
        consent_id = int(consent_id)
    except (TypeError, ValueError):
        raise ConsentError(NO_CONSENT, status=404) from None
    consent = (AgentConsent.objects.select_related("citizen", "procedure", "dossier")
               .filter(pk=consent_id, agent=agent).first())
    if consent is None:
        raise ConsentError(NO_CONSENT, status=404)
    if agent_role(agent) is None:
        raise ConsentError(NOT_AGENT, status=403)
    if consent.revoked_at is not None:
        raise ConsentError("Công dân đã thu hồi sự đồng ý này.", status=403)
    if consent.dossier_id is None and timezone.now() - consent.given_at > CONSENT_START_TTL:
        raise ConsentError("Sự đồng ý chỉ dùng để bắt đầu nộp hồ sơ trong 24 giờ và đã hết "
                           "hạn. Hãy nhờ công dân xác nhận lại.", status=403)
    if not consent.citizen.is_active:
        raise ConsentError("Tài khoản của công dân đã bị khóa.", status=403)
    return consent


def link_dossier(consent: AgentConsent, dossier: Dossier, agent: User) -> None:
    """The consent now covers ``dossier`` (a draft just started): it covers no other."""
    updated = AgentConsent.objects.filter(pk=consent.pk, dossier__isnull=True).update(
        dossier=dossier)
    if not updated:
        raise ConsentError("Sự đồng ý này đã được dùng cho một hồ sơ khác.", status=409)
    consent.dossier = dossier
    ConsentEvent.objects.create(consent=consent, action="used", actor=agent,
                                data={"dossier": dossier.pk})


def revoke(citizen: User, consent_id) -> AgentConsent:
    """The citizen withdraws a consent: the agent loses sight of the dossier at once (the dossier
    stays the citizen's, in whatever state it is)."""
    with transaction.atomic():
        consent = (AgentConsent.objects.select_for_update()
                   .filter(pk=consent_id, citizen=citizen).first())
        if consent is None:
            raise ConsentError("Không tìm thấy sự đồng ý này.", status=404)
        if consent.revoked_at is not None:
            raise ConsentError("Sự đồng ý này đã được thu hồi trước đó.", status=409)
        consent.revoked_at = timezone.now()
        consent.revoked_by = citizen
        consent.save(update_fields=["revoked_at", "revoked_by"])
        ConsentEvent.objects.create(consent=consent, action="revoked", actor=citizen)
    logger.info("consent %s revoked", consent.pk)
    return consent


def consents_of(citizen: User):
    return (AgentConsent.objects.filter(citizen=citizen)
            .select_related("agent", "procedure", "dossier").order_by("-given_at"))
