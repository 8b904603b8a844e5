"""Results endpoints of the JSON API (/api/v1/results…): the public trust list (as data, and
signed for offline verifiers, who check it against the trust-list certificate they pinned) and the
public
verification of a QR text (recorded like a page verification). No authentication: what they
return is printed on the paper or public keys."""

from __future__ import annotations

from ninja import Router, Schema
from ninja.responses import Status

from dichvucong.results import services
from dichvucong.results.models import Verification

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
