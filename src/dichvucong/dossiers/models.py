"""Dossiers (hồ sơ), their events and attachments.

The lifecycle rules are ``lifecycle.py``; every change of state goes through ``actions.py``,
which checks the rules, writes the new state and its event in one transaction.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dichvucong.core.text import NAME_MAX
from dichvucong.dossiers.lifecycle import Action, State

STATE_CHOICES = [(s.value, s.label) for s in State]


class DossierChannel(models.TextChoices):
    """How the dossier was filed; the national channel codes (KenhThucHien) are 1, 2, 3.

    A service agent (post office) or a community digital team member files online through the
    portal on the citizen's behalf: nationally that is an online dossier (2), with the online
    processing time and fees; our own channel keeps the assisted filing apart for monitoring."""

    IN_PERSON = "in_person", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POST = "post", _("Bưu chính công ích")
    SERVICE_AGENT = "agent", _("Nộp thay qua đại lý, tổ công nghệ số")
    # Filed on the National Public Service Portal and taken in by nationalsync/intake.py.
    NATIONAL_PORTAL = "national", _("Cổng Dịch vụ công quốc gia")

    @property
    def national_code(self) -> int:
        return {"in_person": 1, "online": 2, "post": 3, "agent": 2, "national": 2}[self.value]

    @property
    def is_online(self) -> bool:
        return self.national_code == 2


class ApplicantType(models.TextChoices):
    CITIZEN = "citizen", _("Công dân")
    ENTERPRISE = "enterprise", _("Doanh nghiệp")
    HOUSEHOLD_BUSINESS = "household_business", _("Hộ kinh doanh")


class Delivery(models.TextChoices):
    ONLINE = "online", _("Nhận trực tuyến (kho dữ liệu cá nhân)")
    COUNTER = "counter", _("Nhận tại bộ phận một cửa")
    POST = "post", _("Nhận qua bưu điện")


class DossierCodeSequence(models.Model):
    """The last sequence number given today by a receiving unit. Rows are locked while a number
    is taken, so numbers never repeat, also with several servers."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"],
                                               name="one_sequence_per_agency_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day}: {self.last}"


class Dossier(models.Model):
    code = models.CharField(_("mã hồ sơ"), max_length=40, unique=True, null=True, blank=True)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT,
                                  related_name="dossiers", verbose_name=_("thủ tục"))
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion", on_delete=models.PROTECT, related_name="dossiers",
        verbose_name=_("phiên bản thủ tục"),
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT,
                               related_name="dossiers", verbose_name=_("cơ quan tiếp nhận"))
    applicant = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="dossiers",
                                  verbose_name=_("tài khoản người nộp"))
    submitted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("người nộp thay"), help_text=_("Đại lý, tổ công nghệ số hoặc cán bộ"),
    )
    applicant_type = models.CharField(_("đối tượng"), max_length=20,
                                      choices=ApplicantType.choices,
                                      default=ApplicantType.CITIZEN)
    applicant_name = models.CharField(_("họ tên người nộp"), max_length=150)
    applicant_id_number = models.CharField(_("số định danh"), max_length=12, blank=True)
    applicant_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    channel = models.CharField(_("kênh nộp"), max_length=10, choices=DossierChannel.choices)
    state = models.CharField(_("trạng thái"), max_length=30, choices=STATE_CHOICES,
                             default=State.draft.value)
    national_status = models.PositiveSmallIntegerField(_("trạng thái quốc gia"), null=True,
                                                       blank=True)
    form_data = models.JSONField(_("nội dung tờ khai"), default=dict, blank=True)
    delivery = models.CharField(_("cách nhận kết quả"), max_length=10,
                                choices=Delivery.choices, default=Delivery.ONLINE)
    delivery_address = models.JSONField(_("địa chỉ nhận"), default=dict, blank=True)
    fee_amount = models.PositiveIntegerField(_("phí, lệ phí (đồng)"), default=0)
    # The lifecycle role whose step of the procedure's internal path the dossier is in
    # (``workflow/routing.py:AgencyPath.role_for``, written by ``actions.perform``); empty: the
    # state's queue's own roles (not a routed step, or written before routing was data).
    step_role = models.CharField(_("vai trò của bước"), max_length=20, blank=True, default="")
    assignee = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="assigned_dossiers",
                                 verbose_name=_("người xử lý"))
    submitted_at = models.DateTimeField(_("thời điểm nộp"), null=True, blank=True)
    received_at = models.DateTimeField(_("thời điểm tiếp nhận"), null=True, blank=True)
    due_at = models.DateTimeField(_("hẹn trả kết quả"), null=True, blank=True)
    original_due_at = models.DateTimeField(
        _("hạn ban đầu"), null=True, blank=True,
        help_text=_("Thống kê đúng hạn luôn dùng hạn ban đầu, kể cả khi đã xin gia hạn"),
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("thời điểm kết thúc"), null=True, blank=True)
    # Bumped on every change of state: two officers acting on the same version, one wins.
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        indexes = [
            models.Index(fields=["agency", "state", "due_at"]),
            # The reception queue, oldest submission first (``backoffice/queues.py:page``): the
            # alerts' index of every submitted dossier by time made one agency's page walk all
            # the province's submissions (14 ms at 9,000 waiting at another desk).
            models.Index(fields=["agency", "submitted_at", "id"], name="reception_queue",
                         condition=models.Q(state="submitted")),
            models.Index(fields=["applicant", "-created_at"]),
            models.Index(fields=["submitted_by", "-created_at"]),
            models.Index(fields=["assignee", "state"]),
            # A caller of the *1022 hotline who filed at a counter without an account is found
            # by the number or phone on their dossiers (``hotline/services.py:find_caller``).
            models.Index(fields=["applicant_id_number"], name="walk_in_by_id_number",
                         condition=models.Q(applicant__isnull=True)),
            models.Index(fields=["applicant_phone"], name="walk_in_by_phone",
                         condition=models.Q(applicant__isnull=True)),
            # What the assisted channels' members filed in a month (``assisted/counts.py``): the
            # month's range of each member's dossiers, not all of their years.
            models.Index(fields=["submitted_by", "submitted_at"], name="filed_for_by_month",
                         condition=models.Q(submitted_by__isnull=False)),
            # «Hồ sơ của tôi» a page at a time, newest first by id, and the drafts above it:
            # read without walking all of an applicant's dossiers (a business files thousands).
            models.Index(fields=["applicant", "-id"], name="dossier_applicant_newest"),
            models.Index(fields=["applicant", "-updated_at"], name="dossier_applicant_drafts",
                         condition=models.Q(state="draft")),
        ]

    def __str__(self) -> str:
        return self.code or f"#{self.pk}"

    @property
    def state_label(self) -> str:
        return State(self.state).label


class QueueCount(models.Model):
    """A change of the number of dossiers (not drafts) at (agency, state, step role): the count
    is the sum of a key's rows (``dossiers/queuecounts.py``). Written by database triggers
    (migration 0014) in the transaction of every insert, delete or change of a dossier's state,
    agency or step role, whatever wrote it (the ORM, a bulk generator, raw SQL). The triggers
    only insert rows, never update one: filings to one agency do not wait on each other's
    counter row until commit. The worker folds a key's rows into one (``queuecounts.fold``)."""

    # No foreign key: the trigger's insert must not take a lock on the agency row either.
    agency_id = models.IntegerField()
    state = models.CharField(max_length=30)
    step_role = models.CharField(max_length=20, blank=True, default="")
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["agency_id", "state", "step_role"],
                                name="queue_count_key")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.state} {self.step_role}: {self.n:+d}"


# Events that record something without changing the state.
OTHER_EVENT_LABELS = {"apology": "Xin lỗi và hẹn lại ngày trả kết quả",
                      "fee_requested": _("Yêu cầu nộp phí, lệ phí"),
                      "payment_confirmed": _("Đã nhận phí, lệ phí")}


class DossierEvent(models.Model):
    """One change: who, when, from, to, what was said. Kept apart from the dossier row."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30)
    actor = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    actor_role = models.CharField(max_length=30)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    # The action's own instant (``actions.perform(now=…)``), not the row's insertion time: an
    # action recorded for a past moment (the demo's, a replay) is dated then.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["dossier", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"

    def get_action_label(self) -> str:
        try:
            return Action(self.action).label
        except ValueError:
            # Some labels are lazy translations: resolved here, in the request's language, so
            # that every reader (API schemas, PDFs, templates) gets the plain text it expects.
            return str(OTHER_EVENT_LABELS.get(self.action, self.action))


def attachment_path(instance: Attachment, filename: str) -> str:
    # Generated names only: the citizen's file name is kept as data, never as a path.
    return f"dossiers/{instance.dossier_id}/{instance.token}{instance.extension}"


class Attachment(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    requirement = models.CharField(_("thành phần hồ sơ"), max_length=NAME_MAX)
    token = models.CharField(max_length=32, unique=True)
    extension = models.CharField(max_length=8)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    # The filed declaration (tờ khai) the platform rendered from the form, not an upload.
    declaration = models.BooleanField(_("tờ khai điện tử"), default=False)
    # What the worker read on the paper (``paperreading.py``): kind, fields, confidence,
    # problems of the photo. None: not read (yet, or not a paper the worker reads).
    reading = models.JSONField(null=True, blank=True, default=None)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class AgentConsent(models.Model):
    """A citizen's consent, confirmed with a one-time code sent to the citizen, that one agent
    (service agent or digital team member) files and follows **one dossier** of one procedure
    for them. The consent must be used to start the filing within ``agents.CONSENT_START_TTL``;
    it then covers that dossier (follow it, answer supplements) until the citizen revokes it."""

    agent = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("người nộp thay"))
    agent_role = models.CharField(_("vai trò người nộp thay"), max_length=30)
    citizen = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                related_name="agent_consents", verbose_name=_("công dân"))
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("thủ tục"))
    dossier = models.OneToOneField(Dossier, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="consent", verbose_name=_("hồ sơ"))
    confirmed_by = models.CharField(max_length=10)  # "sms" or "email": where the code went
    given_at = models.DateTimeField(_("thời điểm đồng ý"))
    revoked_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    revoked_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")

    class Meta:
        verbose_name = _("đồng ý nộp thay")
        verbose_name_plural = _("đồng ý nộp thay")
        indexes = [models.Index(fields=["citizen", "-given_at"]),
                   models.Index(fields=["agent", "-given_at"])]

    def __str__(self) -> str:
        return f"{self.agent_id} → {self.citizen_id} ({self.procedure_id})"


class ConsentEvent(models.Model):
    """The audit trail of consents: given, used to start a dossier, revoked."""

    consent = models.ForeignKey(AgentConsent, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    actor = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.consent_id}: {self.action}"


class HandoverOutcome(models.TextChoices):
    RESULT = "result", _("Đã có kết quả")
    REFUSAL = "refusal", _("Từ chối phối hợp")
    RECALLED = "recalled", _("Cơ quan chuyển đã nhận lại")


class Handover(models.Model):
    """One handover (liên thông) of a dossier to another agency for a step of its routing: the
    receiving agency works it in its own queue within its share of the time, and answers with a
    result or a refusal. Written with the ``transfer`` and ``take_back`` events
    (``dossiers/exchange.py``); several are open at once only for parallel steps, and the
    dossier goes back to the sender with the last answer."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="handovers")
    from_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("cơ quan chuyển"))
    to_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT,
                                  related_name="handovers", verbose_name=_("cơ quan nhận"))
    step = models.CharField(_("bước"), max_length=NAME_MAX)
    role = models.CharField(_("vai trò xử lý"), max_length=30)  # at the receiving agency
    allowed_minutes = models.PositiveIntegerField(null=True, blank=True)
    request = models.TextField(_("nội dung đề nghị"), blank=True)
    sent_at = models.DateTimeField(_("thời điểm chuyển"))
    sent_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    due_at = models.DateTimeField(_("hạn của cơ quan nhận"), null=True, blank=True)
    answered_at = models.DateTimeField(_("thời điểm trả lại"), null=True, blank=True)
    answered_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    outcome = models.CharField(_("kết quả"), max_length=10, choices=HandoverOutcome.choices,
                               blank=True)
    answer = models.TextField(_("nội dung trả lời"), blank=True)
    result = models.ForeignKey(Attachment, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("hồ sơ liên thông")
        verbose_name_plural = _("hồ sơ liên thông")
        indexes = [models.Index(fields=["to_agency", "answered_at", "due_at"])]
        # One open handover per dossier and agency; several agencies at once only for the
        # routing's parallel steps (``exchange.open_handovers``).
        constraints = [models.UniqueConstraint(
            fields=["dossier", "to_agency"], condition=models.Q(answered_at__isnull=True),
            name="one_open_handover_per_agency")]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.to_agency_id}: {self.step}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class ResumableUpload(models.Model):
    """A file being sent in pieces over a poor connection (``resumable.py``, the tus 1.0.0
    protocol): the bytes received so far wait in a file of their own under the data folder,
    owned by the account that began it, until a filing takes it (``take``) or it expires."""

    token = models.CharField(max_length=32, unique=True)
    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=NAME_MAX)
    length = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.token}: {self.offset}/{self.length}"
