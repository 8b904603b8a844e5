"""The signed link in a fee message that opens the dossier's payment page without logging in.

The token is the dossier code signed with Django's ``TimestampSigner`` (the project's secret key,
a salt of its own so no other signed value of the site stands in for it): the code is readable,
which is enough to pay and no more (the page shows the code, the procedure, the agency and the
amount, never the applicant). It expires ``MAX_AGE`` after the message was written; an expired or
altered link gets the login page instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.urls import reverse

SALT = "dichvucong.payments.paylink"
HOUR = timedelta(hours=1)
MAX_AGE = 72 * HOUR
# The return from the gateway and the transfer page of a payment begun just before the link
# expired still open for this long (VNPay's own deadline is 15 minutes).
GRACE = HOUR


class LinkExpired(Exception):
    """Signed by us, but too old: ``code`` is trustworthy and names the dossier."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class LinkInvalid(Exception):
    """Not a token we signed (altered, cut, or made up)."""


@dataclass(frozen=True)
class Link:
    code: str
    token: str


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def token_for(code: str) -> str:
    return _signer().sign(code)


def pay_path(code: str) -> str:
    """The site-relative path of a new link to pay dossier ``code``."""
    return reverse("payments:link", args=[token_for(code)])


def read(token: str, *, grace: bool = False) -> Link:
    """The dossier code a token names; ``LinkExpired`` or ``LinkInvalid`` otherwise."""
    max_age = MAX_AGE + GRACE if grace else MAX_AGE
    try:
        return Link(code=_signer().unsign(token, max_age=max_age), token=token)
    except signing.SignatureExpired:
        # The signature was good: the code inside can be trusted to name the dossier.
        code = _signer().unsign(token)
        raise LinkExpired(code) from None
    except signing.BadSignature:
        raise LinkInvalid from None
