"""The trust list: the issuer keys verifiers trust, the revoked or replaced results, the trust
roots; signed as a JWS (``verifier.sign_trust_list``) in numbered issues, re-issued when a key
or a result's status changes and, by ``tasks.refresh_trust_list_task``, before each issue's
next update (docs/architecture.md «Integrations»)."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from . import pki, verifier
from .errors import ResultError
from .models import IssuerKey, Result, SigningState, Status, TrustListIssue

logger = logging.getLogger(__name__)


def trust_root_files() -> list[Path]:
    if settings.RESULTS_TRUST_ROOTS:
        return [Path(p) for p in settings.RESULTS_TRUST_ROOTS]
    demo = Path(settings.RESULTS_PKI_DIR) / pki.CA_FILE
    return [demo] if demo.is_file() else []


def trust_roots_pem() -> list[str]:
    return [path.read_text() for path in trust_root_files() if path.is_file()]



def trust_list_signer_paths() -> tuple[Path, Path]:
    """Where the trust-list signer's (private key, certificate) PEM files are configured to be."""
    folder = Path(settings.RESULTS_PKI_DIR)
    return (Path(settings.RESULTS_TRUST_LIST_KEY or folder / pki.TRUST_LIST_KEY_FILE),
            Path(settings.RESULTS_TRUST_LIST_CERT or folder / pki.TRUST_LIST_CERT_FILE))


def trust_list_signer_files() -> tuple[Path, Path]:
    """(private key, certificate) PEM files of the trust-list signer. Outside production a demo
    signer is made beside the demo CA when there is none."""
    folder = Path(settings.RESULTS_PKI_DIR)
    key_file, cert_file = trust_list_signer_paths()
    if not (key_file.is_file() and cert_file.is_file()):
        if settings.MODE == "production" or settings.RESULTS_TRUST_LIST_KEY:
            raise ResultError("Chưa cấu hình khóa ký danh sách tin cậy "
                              "(DICHVUCONG_RESULTS_TRUST_LIST_KEY, …_CERT).")
        authority = pki.load_authority(folder)
        if authority is None:
            authority = pki.create_authority()
            pki.save_authority(authority, folder)
        pki.save_trust_list_signer(authority, folder)
    return key_file, cert_file


def trust_list_anchors() -> list[str]:
    """The fingerprints of the trust-list certificates accepted here."""
    if settings.RESULTS_TRUST_LIST_ANCHORS:
        return list(settings.RESULTS_TRUST_LIST_ANCHORS)
    try:
        _key, cert_file = trust_list_signer_files()
    except ResultError:
        return []
    return [pki.fingerprint_pem(cert_file.read_bytes())]


def trust_list(*, now: datetime | None = None, sequence: int = 0) -> dict:
    """The trust list's content: the issuer keys (kid → certificate, agency, validity, status),
    the revoked or replaced results still within their validity, the trust roots, and the
    issue's sequence, issue time and next update (sequence 0: not an issue, not for offline
    use)."""
    now = now or timezone.now()
    keys = IssuerKey.objects.select_related("agency").order_by("agency__code", "not_before")
    today = timezone.localdate(now)
    withdrawn = (Result.objects.filter(status__in=[Status.REVOKED, Status.REPLACED],
                                       signing_state=SigningState.DONE)
                 .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
                 .order_by("number").values_list("number", "kid", "status", "status_changed_at"))
    return {
        "format": verifier.TRUST_LIST_FORMAT,
        "publisher": settings.SITE_URL,
        "generated_at": _utc(now),
        "sequence": sequence,
        "issued_at": _utc(now),
        "next_update": _utc(now + trust_list_validity()),
        "keys": [{"kid": k.kid, "alg": k.algorithm, "agency_code": k.agency.code,
                  "agency_name": k.agency.name, "certificate": k.certificate,
                  "not_before": k.not_before.astimezone(UTC).isoformat(),
                  "not_after": k.not_after.astimezone(UTC).isoformat(),
                  "status": "revoked" if k.revoked_at else "valid",
                  **({"revoked_at": _utc(k.revoked_at)} if k.revoked_at else {})}
                 for k in keys],
        "revoked_results": [{"number": number, "kid": kid, "status": status,
                             "since": _utc(since) if since else ""}
                            for number, kid, status, since in withdrawn],
        "roots": trust_roots_pem(),
    }


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# The signed issues for offline verifiers, and the parsed list online verification uses: both
# cached so that a verification neither signs nor reads the keys; dropped when they change.
PUBLISHED_CACHE_KEY = "results:trust-list:published"
ONLINE_CACHE_KEY = "results:trust-list:online"
KEEP_ISSUES = 20


def trust_list_validity() -> timedelta:
    return timedelta(hours=settings.RESULTS_TRUST_LIST_VALID_HOURS)


def trust_list_grace() -> timedelta:
    return timedelta(hours=settings.RESULTS_TRUST_LIST_GRACE_HOURS)


def refresh_at(issue: TrustListIssue) -> datetime:
    """When an issue is re-issued: half-way to its next update, so a verifier that fetches it
    late still gets at least half the validity (and the grace) before it must fetch again."""
    return issue.issued_at + (issue.next_update - issue.issued_at) / 2


def issue_trust_list(reason: str, *, now: datetime | None = None) -> TrustListIssue:
    """Sign and store a new issue of the trust list under the next sequence number: the only
    place the trust list is signed. Raises ResultError when no trust-list key is configured."""
    now = now or timezone.now()
    key_file, cert_file = trust_list_signer_files()
    key_pem, cert_pem = key_file.read_bytes(), cert_file.read_bytes()
    for attempt in range(5):
        try:
            with transaction.atomic():
                last = TrustListIssue.objects.aggregate(last=Max("sequence"))["last"] or 0
                data = trust_list(now=now, sequence=last + 1)
                issue = TrustListIssue.objects.create(
                    sequence=last + 1, issued_at=now, reason=reason,
                    next_update=now + trust_list_validity(),
                    document=verifier.sign_trust_list(data, key_pem, cert_pem))
            break
        except IntegrityError:  # another server took that number meanwhile: take the next
            if attempt == 4:
                raise
    old = TrustListIssue.objects.order_by("-sequence").values_list("pk", flat=True)[KEEP_ISSUES:]
    TrustListIssue.objects.filter(pk__in=list(old)).delete()
    cache.delete_many([PUBLISHED_CACHE_KEY, ONLINE_CACHE_KEY])
    logger.info("trust list %s issued (%s)", issue.sequence, reason)
    return issue


def current_trust_list_issue(now: datetime | None = None) -> TrustListIssue:
    """The issue to publish: from the cache; else the newest stored one; a new one only when
    there is none or the newest is due for refresh (the periodic task normally does that)."""
    now = now or timezone.now()
    issue = cache.get(PUBLISHED_CACHE_KEY)
    if issue is None or refresh_at(issue) <= now:
        issue = TrustListIssue.objects.order_by("-sequence").first()
        if issue is None or refresh_at(issue) <= now:
            issue = issue_trust_list("scheduled" if issue else "first", now=now)
        elif not _signed_by_current_signer(issue):
            issue = issue_trust_list("signer_changed", now=now)
        seconds = min(settings.RESULTS_TRUST_LIST_CACHE_SECONDS,
                      int((refresh_at(issue) - now).total_seconds()))
        cache.set(PUBLISHED_CACHE_KEY, issue, max(seconds, 1))
    return issue


def _signed_by_current_signer(issue: TrustListIssue) -> bool:
    """Whether a stored issue carries the configured trust-list certificate (after the operator
    rotates that key, verifiers pin the new one: the old issue must go)."""
    _key_file, cert_file = trust_list_signer_files()
    der = x509.load_pem_x509_certificate(cert_file.read_bytes()).public_bytes(
        serialization.Encoding.DER)
    try:
        header = json.loads(verifier.b64url_decode(issue.document["protected"]))
        return header["x5c"][0] == base64.b64encode(der).decode("ascii")
    except (KeyError, IndexError, TypeError, ValueError):
        return False


def refresh_trust_list(now: datetime | None = None) -> TrustListIssue | None:
    """The periodic task's work: re-issue the list when the newest issue is due (half-way to its
    next update) or there is none. Returns the new issue, or None when nothing was due."""
    now = now or timezone.now()
    newest = TrustListIssue.objects.order_by("-sequence").first()
    if newest is not None and refresh_at(newest) > now:
        return None
    return issue_trust_list("scheduled" if newest else "first", now=now)


def signed_trust_list() -> dict:
    """The trust list as published for offline verifiers: the current signed issue."""
    return current_trust_list_issue().document


def current_trust_list_payload() -> dict:
    """What the current signed issue says (its payload, read back without re-checking: it is
    our own)."""
    return verifier.unverified_payload(signed_trust_list())


def online_trust_list() -> verifier.TrustList:
    """The parsed list online verification checks QR codes against, from the database (not
    the signed issue: the server trusts its own data), cached."""
    trust = cache.get(ONLINE_CACHE_KEY)
    if trust is None:
        trust = verifier.load_trust_list(trust_list())
        cache.set(ONLINE_CACHE_KEY, trust, settings.RESULTS_TRUST_LIST_CACHE_SECONDS)
    return trust


def trust_list_changed(reason: str) -> None:
    """A key or a result's status changed: drop the cached lists now (this server's next
    verification reads the change) and, once the change is committed, publish a new issue
    (dropping again what a concurrent request may have cached meanwhile)."""
    cache.delete_many([PUBLISHED_CACHE_KEY, ONLINE_CACHE_KEY])

    def publish() -> None:
        cache.delete_many([PUBLISHED_CACHE_KEY, ONLINE_CACHE_KEY])
        try:
            issue_trust_list(reason)
        except ResultError:
            # No trust-list key here: the published endpoint answers 503 until there is one.
            logger.warning("trust list not re-issued after %s: no trust-list key", reason)

    transaction.on_commit(publish)
