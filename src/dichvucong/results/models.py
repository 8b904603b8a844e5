"""Digital results (kết quả giải quyết TTHC số): the issued documents, their audit trail, the
issuers' published signing keys, the numbering and the record of verifications.

Stable for other apps (the personal data store reads :class:`Result`): ``number``,
``document_type``, ``title``, ``holder_account``, ``holder_name``, ``holder_id_hash``,
``agency``, ``issue_date``, ``valid_until``, ``status``, ``replaced_by``, ``dossier``, ``pdf``,
``pdf_sha256`` and the :meth:`Result.current_status` / :attr:`Result.is_ready` helpers. Writes go
through ``results.services`` only, which records every change as a :class:`ResultEvent`.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dichvucong.core.text import NAME_MAX


class Status(models.TextChoices):
    """The legal status of an issued result."""

    VALID = "valid", _("Còn hiệu lực")
    REVOKED = "revoked", _("Đã thu hồi")
    REPLACED = "replaced", _("Đã được thay thế")


class SigningState(models.TextChoices):
    """Where the background rendering and signing stands (the officer's progress line)."""

    QUEUED = "queued", _("Đang chờ ký")
    RENDERING = "rendering", _("Đang tạo tệp PDF")
    SIGNING = "signing", _("Đang ký số")
    DONE = "done", _("Đã ký số")
    FAILED = "failed", _("Ký số không thành công")


class ResultNumberSequence(models.Model):
    """The last number an agency gave in a year; taken atomically, so numbers never repeat."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"],
                                               name="one_result_sequence_per_agency_year")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year}: {self.last}"


class RegisterSequence(models.Model):
    """The last entry of a civil status register (sổ hộ tịch) of an agency in a year: the
    register's book of that year (quyển số) numbers its entries from 1 (``registers.py``)."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    register = models.CharField(max_length=200)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year", "register"],
                                               name="one_register_sequence")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year} {self.register}: {self.last}"


def result_pdf_path(instance: Result, filename: str) -> str:
    # Generated names only; no personal data in paths.
    return f"results/{instance.agency_id}/{instance.year}/{instance.token}.pdf"


class Result(models.Model):
    """One issued document. ``number`` is unique (per agency and year, never repeating);
    ``status`` is valid, revoked or replaced; the signed PDF and its SHA-256 exist once
    ``signing_state`` is done."""

    number = models.CharField(_("số"), max_length=60, unique=True)
    token = models.CharField(max_length=32, unique=True)  # file names and links, not guessable
    year = models.PositiveSmallIntegerField(_("năm"))
    sequence = models.PositiveIntegerField()
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT,
                               related_name="results", verbose_name=_("cơ quan cấp"))
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="results", verbose_name=_("hồ sơ"))
    title = models.CharField(_("tên kết quả"), max_length=NAME_MAX)
    document_type = models.CharField(_("loại giấy tờ"), max_length=200, blank=True)
    body = models.TextField(_("nội dung"), blank=True)
    holder_account = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="results", verbose_name=_("tài khoản người được cấp"))
    holder_name = models.CharField(_("người được cấp"), max_length=150)
    # SHA-256 (hex) of the ID number with the result number as salt; never the number itself.
    holder_id_hash = models.CharField(max_length=64, blank=True)
    signer = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("người ký"))
    signer_name = models.CharField(_("người ký"), max_length=150, blank=True)
    signer_title = models.CharField(_("chức vụ người ký"), max_length=150, blank=True)
    # A civil status result's entry in its register: «Số: <entry> Quyển số: <book>».
    register = models.CharField(_("sổ hộ tịch"), max_length=200, blank=True)
    register_book = models.CharField(_("quyển số"), max_length=20, blank=True)
    register_entry = models.PositiveIntegerField(_("số đăng ký"), null=True, blank=True)
    issue_date = models.DateField(_("ngày cấp"))
    valid_until = models.DateField(_("có giá trị đến"), null=True, blank=True)
    status = models.CharField(_("tình trạng"), max_length=10, choices=Status.choices,
                              default=Status.VALID)
    status_reason = models.TextField(_("lý do"), blank=True)
    status_changed_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL,
                                          null=True, blank=True, related_name="+")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="replaces",
                                       verbose_name=_("được thay thế bởi"))
    signing_state = models.CharField(max_length=10, choices=SigningState.choices,
                                     default=SigningState.QUEUED)
    signing_error = models.TextField(blank=True)
    # The background job's record in the database (``signing_jobs``): when the result was last
    # queued, which worker run holds it until when, and how many runs took it.
    queued_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    signing_attempts = models.PositiveSmallIntegerField(default=0)
    backend = models.CharField(max_length=20, blank=True)  # pkcs12, pkcs11, csc
    kid = models.CharField(max_length=16, blank=True)  # hex of the 8-byte key id
    pdf = models.FileField(upload_to=result_pdf_path, max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)  # the signed file
    # SHA-256 of the rendered document (the PDF's first revision), carried in the QR payload.
    content_sha256 = models.CharField(max_length=64, blank=True)
    qr_payload = models.TextField(blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kết quả giải quyết")
        verbose_name_plural = _("kết quả giải quyết")
        constraints = [models.UniqueConstraint(fields=["agency", "year", "sequence"],
                                               name="one_result_number")]
        indexes = [
            models.Index(fields=["holder_account", "-issue_date"]),
            models.Index(fields=["dossier", "-created_at"]),
            models.Index(fields=["content_sha256"]),
            models.Index(fields=["pdf_sha256"]),
            models.Index(fields=["signing_state", "lease_until"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_ready(self) -> bool:
        """Signed and stored: downloadable and verifiable."""
        return self.signing_state == SigningState.DONE and bool(self.pdf)

    def current_status(self, today: date | None = None) -> str:
        """valid, revoked, replaced or expired (a valid result past ``valid_until``)."""
        if self.status != Status.VALID:
            return self.status
        today = today or timezone.localdate()
        if self.valid_until is not None and self.valid_until < today:
            return "expired"
        return Status.VALID


class ResultEvent(models.Model):
    """The audit trail of a result: who did what, when, with what reason."""

    class Kind(models.TextChoices):
        REQUESTED = "requested", _("Yêu cầu ban hành")
        SIGNED = "signed", _("Đã ký số")
        FAILED = "failed", _("Ký số không thành công")
        RETRIED = "retried", _("Ký lại")
        REVOKED = "revoked", _("Thu hồi")
        REPLACED = "replaced", _("Thay thế")
        DOWNLOADED = "downloaded", _("Tải, in lại")

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["result", "created_at"])]

    def __str__(self) -> str:
        return f"{self.result_id} {self.kind}"

    @classmethod
    def record(cls, result: Result, kind: str, actor, note: str = "", **data) -> ResultEvent:
        return cls.objects.create(result=result, kind=kind, actor=actor, note=note, data=data)


class IssuerKey(models.Model):
    """A signing certificate of an agency, published in the trust list under its key id
    (the first 8 bytes of the SHA-256 of the certificate; docs/architecture.md «Integrations»)."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE,
                               related_name="issuer_keys")
    kid = models.CharField(max_length=16, unique=True)
    algorithm = models.CharField(max_length=10)  # ES256 or RS256
    backend = models.CharField(max_length=20)
    certificate = models.TextField()  # PEM
    subject = models.CharField(max_length=400, blank=True)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    # A revoked key stays in the trust list, marked so: what it signed is no longer trusted.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    revoked_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")

    class Meta:
        ordering = ["agency_id", "-not_before"]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.kid}"


class Verification(models.Model):
    """One verification: when, how and with what outcome. Nothing about who verified."""

    class Method(models.TextChoices):
        LINK = "link", _("Mở từ mã QR")
        PASTE = "paste", _("Dán nội dung mã QR")
        UPLOAD = "upload", _("Tải lên tệp PDF")
        API = "api", _("API")

    created_at = models.DateTimeField(auto_now_add=True)
    method = models.CharField(max_length=10, choices=Method.choices)
    outcome = models.CharField(max_length=20)
    result = models.ForeignKey(Result, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="verifications")
    kid = models.CharField(max_length=16, blank=True)

    class Meta:
        indexes = [models.Index(fields=["result", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.method} {self.outcome}"


class TrustListIssue(models.Model):
    """One issue of the signed trust list, as published for offline verifiers (a CRL's
    ``thisUpdate`` / ``nextUpdate`` / number). ``sequence`` only grows (verifiers refuse a lower
    one); a new issue is made when a key or a result's status changes, and before
    ``next_update`` by the periodic task."""

    sequence = models.PositiveBigIntegerField(unique=True)
    issued_at = models.DateTimeField()
    next_update = models.DateTimeField()
    reason = models.CharField(max_length=30)  # scheduled, key_registered, key_revoked, …
    document = models.JSONField()  # the JWS, flattened JSON form

    class Meta:
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"{self.sequence} {self.issued_at:%Y-%m-%d %H:%M}"


class DeclarationSignature(models.Model):
    """A citizen's digital signature of their draft's declaration (``declaration_signing``),
    checked on receipt: a valid one keeps the signed PDF as the dossier's declaration
    (``attachment``); a refused one keeps only why, for the officer. The CCCD itself is not
    kept: only whether it matched the account's verified one."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE,
                                related_name="declaration_signatures")
    attachment = models.OneToOneField("dossiers.Attachment", on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="signature")
    valid = models.BooleanField(default=False)
    reason = models.TextField(blank=True)  # Vietnamese, why it is not valid
    signer_name = models.CharField(max_length=NAME_MAX, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)  # the signature's signing time
    form_sha256 = models.CharField(max_length=64)  # the answers signed
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("chữ ký số tờ khai")
        verbose_name_plural = _("chữ ký số tờ khai")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.signer_name or str(self.pk)
