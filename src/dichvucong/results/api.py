"""Results endpoints of the JSON API (/api/v1/results…): the public trust list (as data, and
signed for offline verifiers, who check it against the trust-list certificate they pinned) and the
public
verification of a QR text (recorded like a page verification). No authentication: what they
return is printed on the paper or public keys.

``issued`` (results received): a citizen's results (session, or a token they gave an app), or a
registered system's agency's results (a machine client's token), with the signed PDF."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.responses import Status
from ninja.security import django_auth

from dichvucong.apiclients.auth import OAuth2, system_call
from dichvucong.apiclients.scopes import RESULTS_READ
from dichvucong.results import services
from dichvucong.results.models import Result, Verification
from dichvucong.results.views import pdf_response

router = Router(tags=["results"])


class TrustedKeyOut(Schema):
    kid: str
    alg: str
    agency_code: str
    agency_name: str
    certificate: str
    not_before: str
    not_after: str
    status: str = "valid"
    revoked_at: str | None = None


class RevokedResultOut(Schema):
    number: str
    kid: str
    status: str
    since: str


class TrustListOut(Schema):
    format: str
    publisher: str
    generated_at: str
    sequence: int
    issued_at: str
    next_update: str
    keys: list[TrustedKeyOut]
    revoked_results: list[RevokedResultOut]
    roots: list[str]


class VerifyIn(Schema):
    text: str


class VerifyOut(Schema):
    outcome: str
    reason: str
    number: str | None = None
    document_type: str | None = None
    holder: str | None = None
    agency: str | None = None
    issue_date: str | None = None
    valid_until: str | None = None
    replaced_by: str | None = None


@router.get("/trust-list", response=TrustListOut, summary="Issuer keys for offline verification")
def trust_list(request):
    """The content of the current signed issue (same sequence and dates); the bare content,
    sequence 0, where no trust-list key is configured."""
    try:
        return services.current_trust_list_payload()
    except services.ResultError:
        return services.trust_list()


class SignedTrustListOut(Schema):
    protected: str
    payload: str
    signature: str


@router.get("/trust-list/signed", response={200: SignedTrustListOut, 503: dict},
            summary="The trust list signed for offline verifiers (JWS, flattened JSON)")
def signed_trust_list(request):
    try:
        return Status(200, services.signed_trust_list())
    except services.ResultError as exc:
        return Status(503, {"detail": exc.message})


@router.post("/verify", response=VerifyOut, summary="Verify a result's QR text")
def verify(request, body: VerifyIn):
    outcome = services.verify_text(body.text[:4000], Verification.Method.API)
    out = VerifyOut(outcome=outcome.outcome, reason=outcome.reason)
    claims = outcome.claims
    if outcome.genuine and claims is not None:
        out.number = claims.number
        out.document_type = claims.document_type
        out.holder = claims.holder
        out.agency = outcome.agency_name
        out.issue_date = claims.issue_date.isoformat()
        out.valid_until = claims.valid_until.isoformat() if claims.valid_until else None
        if outcome.replacement is not None:
            out.replaced_by = outcome.replacement.number
    return out


# --- results received -------------------------------------------------------------------------

READ = [OAuth2(RESULTS_READ), django_auth]


class IssuedResultOut(Schema):
    id: int
    token: str
    number: str
    title: str
    document_type: str
    agency: str
    dossier_code: str | None
    holder_name: str
    issue_date: dt.date
    valid_until: dt.date | None
    status: str
    ready: bool  # signed and stored: the PDF can be downloaded


def _received(request):
    call = system_call(request)
    if call is not None:  # a registered system: its agency's results
        return Result.objects.filter(agency_id=call.agency_id) if call.agency_id \
            else Result.objects.none()
    return services.results_of_holder(request.user)


@router.get("/issued", response=list[IssuedResultOut], auth=READ,
            summary="Results received: mine, or my agency's for a registered system")
def issued(request, before: int | None = None, limit: int = 20):
    """Newest first, paged by key: ``before`` is the ``id`` of the last result of the previous
    page."""
    limit = max(1, min(limit, 100))
    qs = _received(request).select_related("agency", "dossier").order_by("-id")
    if before is not None:
        qs = qs.filter(id__lt=before)
    return [{"id": r.pk, "token": r.token, "number": r.number, "title": r.title,
             "document_type": r.document_type, "agency": r.agency.name,
             "dossier_code": r.dossier.code if r.dossier_id else None,
             "holder_name": r.holder_name, "issue_date": r.issue_date,
             "valid_until": r.valid_until, "status": r.status, "ready": r.is_ready}
            for r in qs[:limit]]


@router.get("/issued/{token}/pdf", auth=READ, summary="A received result's signed PDF",
            openapi_extra={"responses": {200: {
                "description": "PDF/A có chữ ký số (PAdES) — the signed PDF",
                "content": {"application/pdf": {"schema": {"type": "string",
                                                           "format": "binary"}}}}}})
def issued_pdf(request, token: str):
    result = get_object_or_404(_received(request), token=token)
    return pdf_response(result, request.user if request.user.is_authenticated else None)
