"""The personal data store (kho dữ liệu cá nhân): a citizen's results and the documents they
uploaded with dossiers, by document type; share links; counter consent; who saw what.

Bytes are stored once. A stored document names the same storage file as the attachment or
result it came from, and a dossier that reuses it gets an attachment naming that file again.
Nothing here deletes a file: removing a document from the store only hides it (and ends its
share links), because the dossiers that carry the same file are legal records.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dichvucong.core.text import NAME_MAX

STATUS_LABELS = {"valid": _("Còn hiệu lực"), "revoked": _("Đã thu hồi"),
                 "replaced": _("Đã được thay thế"), "expired": _("Hết hiệu lực")}


class Kind(models.TextChoices):
    UPLOAD = "upload", _("Giấy tờ đã nộp")
    RESULT = "result", _("Kết quả giải quyết")
    ISSUED = "issued", _("Giấy tờ do tổ chức cấp gửi")


class StoredDocument(models.Model):
    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                              related_name="stored_documents", verbose_name=_("chủ sở hữu"))
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    document_type = models.CharField(_("loại giấy tờ"), max_length=NAME_MAX)
    # document_type normalised (documents.type_key): what a requirement is matched on.
    type_key = models.CharField(max_length=NAME_MAX)
    title = models.CharField(_("tên giấy tờ"), max_length=NAME_MAX)
    file = models.FileField(max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    source_dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.SET_NULL,
                                       null=True, blank=True, related_name="+")
    source_attachment = models.ForeignKey("dossiers.Attachment", on_delete=models.SET_NULL,
                                          null=True, blank=True, related_name="stored_copies")
    source_agency = models.ForeignKey("agencies.Agency", on_delete=models.SET_NULL, null=True,
                                      blank=True, related_name="+")
    # An issued, signed result (results app): its status is read from there, live.
    result = models.OneToOneField("results.Result", on_delete=models.CASCADE, null=True,
                                  blank=True, related_name="stored_copy")
    # A document a third-party issuer deposited (Kind.ISSUED): who, what its signature proved
    # on arrival, the structured fields it declared and until when it is valid.
    issuer = models.ForeignKey("apiclients.MachineClient", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    issuer_name = models.CharField(max_length=NAME_MAX, blank=True)
    signer_name = models.CharField(max_length=NAME_MAX, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    fields = models.JSONField(default=dict, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    dated_at = models.DateTimeField(_("ngày"))
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("giấy tờ trong kho")
        verbose_name_plural = _("giấy tờ trong kho")
        indexes = [models.Index(fields=["owner", "type_key"]),
                   models.Index(fields=["owner", "-dated_at"])]
        constraints = [
            # The same file uploaded again for the same kind of requirement is one document.
            models.UniqueConstraint(fields=["owner", "kind", "type_key", "sha256"],
                                    condition=Q(kind="upload"), name="one_stored_upload"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def status(self) -> tuple[str, str] | None:
        """A result's current status (valid, revoked, replaced or expired, with its label) read
        live from the results app; an issued document's from its validity; None for an upload
        or a result file attached without it."""
        if self.kind == Kind.ISSUED:
            expired = self.valid_until is not None and self.valid_until < timezone.localdate()
            status = "expired" if expired else "valid"
            return status, str(STATUS_LABELS[status])
        if not self.result_id:
            return None
        status = self.result.current_status()
        return status, str(STATUS_LABELS.get(status, status))


class CounterConsent(models.Model):
    """A document type the citizen lets a reception officer see at the counter, once the officer
    has scanned the citizen's account QR (which the citizen shows, so is present)."""

    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                              related_name="counter_consents")
    type_key = models.CharField(max_length=NAME_MAX)
    document_type = models.CharField(max_length=NAME_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "type_key"],
                                               name="one_consent_per_type")]

    def __str__(self) -> str:
        return self.document_type


class IssuerConsent(models.Model):
    """The citizen lets third-party issuers deposit into their store: every issuer of a kind
    (standing, ``issuer_type``), or one issuer once (``issuer``, ended by its deposit).
    Revoking ends it; the row stays as the record of what was allowed when."""

    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                              related_name="issuer_consents")
    issuer_type = models.CharField(max_length=20, blank=True)
    issuer = models.ForeignKey("apiclients.MachineClient", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "revoked_at"])]
        constraints = [models.CheckConstraint(
            condition=(Q(issuer__isnull=True) & ~Q(issuer_type=""))
            | (Q(issuer__isnull=False) & Q(issuer_type="")), name="consent_type_or_issuer")]

    def __str__(self) -> str:
        return self.issuer_type or str(self.issuer_id)

    @property
    def one_time(self) -> bool:
        return self.issuer_id is not None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.used_at is None


class ShareLink(models.Model):
    """A time-limited link to one document. Only the SHA-256 of its secret is kept: the link
    itself is shown once, to the citizen who made it."""

    document = models.ForeignKey(StoredDocument, on_delete=models.CASCADE,
                                 related_name="share_links")
    secret_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    access_count = models.PositiveIntegerField(default=0)
    last_access_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def state(self) -> str:
        """live, expired or revoked, now."""
        if self.revoked_at is not None:
            return "revoked"
        return "live" if self.expires_at > timezone.now() else "expired"


class CounterSession(models.Model):
    """An officer's look at a citizen's store after scanning their account QR; short-lived."""

    official = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    citizen = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.SET_NULL, null=True,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.official_id} → {self.citizen_id}"


class AttachmentOrigin(models.Model):
    """Where an attachment taken from the store came from (no upload was made for it)."""

    attachment = models.OneToOneField("dossiers.Attachment", on_delete=models.CASCADE,
                                      related_name="store_origin")
    document = models.ForeignKey(StoredDocument, on_delete=models.SET_NULL, null=True,
                                 related_name="reuses")
    note = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.note


class Access(models.TextChoices):
    ADD = "add", _("Đưa vào kho")
    REMOVE = "remove", _("Gỡ khỏi kho")
    DOWNLOAD = "download", _("Tải về")
    REUSE = "reuse", _("Dùng cho hồ sơ mới")
    SHARE = "share", _("Tạo liên kết chia sẻ")
    REVOKE_SHARE = "revoke_share", _("Thu hồi liên kết chia sẻ")
    SHARE_VIEW = "share_view", _("Mở liên kết chia sẻ")
    SHARE_DOWNLOAD = "share_download", _("Tải qua liên kết chia sẻ")
    CONSENT = "consent", _("Đổi quyền xem tại quầy")
    COUNTER_VIEW = "counter_view", _("Cán bộ một cửa xem tại quầy")
    COUNTER_DOWNLOAD = "counter_download", _("Cán bộ một cửa mở giấy tờ tại quầy")
    ISSUER_DEPOSIT = "issuer_deposit", _("Tổ chức cấp gửi giấy tờ vào kho")
    ISSUER_CONSENT = "issuer_consent", _("Đổi quyền gửi giấy tờ của tổ chức cấp")
    HOTLINE_VIEW = "hotline_view", _("Tổng đài viên *1022 xem khi công dân gọi")


class AccessRecord(models.Model):
    """The store's audit trail: every change and every look by someone else."""

    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    action = models.CharField(max_length=20, choices=Access.choices)
    document = models.ForeignKey(StoredDocument, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    share = models.ForeignKey(ShareLink, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.document_id}"


class ErasureState(models.TextChoices):
    OPEN = "open", _("Đang chờ xử lý")
    DONE = "done", _("Đã xoá")
    REFUSED = "refused", _("Không xoá được")


class ErasureRequest(models.Model):
    """A citizen's request to delete personal data no law requires keeping (Luật Bảo vệ dữ liệu
    cá nhân 2025, Điều 4): an administrator handles it in the admin and answers."""

    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                              related_name="erasure_requests", verbose_name=_("người yêu cầu"))
    what = models.TextField(_("dữ liệu cần xoá"), max_length=2000)
    state = models.CharField(_("tình trạng"), max_length=10, choices=ErasureState.choices,
                             default=ErasureState.OPEN)
    answer = models.TextField(_("trả lời"), blank=True)
    handled_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name=_("người xử lý"))
    handled_at = models.DateTimeField(_("ngày xử lý"), null=True, blank=True)
    created_at = models.DateTimeField(_("ngày yêu cầu"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("yêu cầu xoá dữ liệu cá nhân")
        verbose_name_plural = _("yêu cầu xoá dữ liệu cá nhân")

    def __str__(self) -> str:
        return f"{self.owner_id} {self.created_at:%Y-%m-%d} {self.state}"
