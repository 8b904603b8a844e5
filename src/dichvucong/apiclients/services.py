"""Registering a system, rotating its secret, revoking its tokens, and auditing its calls.

The secret is returned once, at registration or rotation, and stored only hashed
(django-oauth-toolkit's ``ClientSecretField``): nobody can read it back, so a lost secret is
rotated, never recovered.
"""

from __future__ import annotations

import base64
import binascii
import enum
from datetime import datetime, timedelta
from urllib.parse import unquote

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
)

from dichvucong.apiclients.models import ClientCall, MachineClient


class Kind(enum.StrEnum):
    """What may be registered: a system with a secret (OAuth client credentials), or a
    mobile app that has no secret and acts for the person who authorizes it (authorization
    code with PKCE, a public client)."""

    SYSTEM = "system"
    APP = "app"


def register(*, name: str, kind: Kind, scopes: list[str], agency=None, redirect_uris: str = "",
             rate_limit: int | None = None, by=None, issuer_type: str = "",
             issuer_certificate: str = "") -> tuple[MachineClient, str]:
    """A new client and its secret in clear (empty for an app, which has none). An issuer
    (scope documents:issue) comes with its kind and its trusted certificate."""
    Application = get_application_model()
    secret = generate_client_secret() if kind == Kind.SYSTEM else ""
    with transaction.atomic():
        application = Application(
            name=name, client_secret=secret, hash_client_secret=True, redirect_uris=redirect_uris,
            client_type=(Application.CLIENT_CONFIDENTIAL if kind == Kind.SYSTEM
                         else Application.CLIENT_PUBLIC),
            authorization_grant_type=(Application.GRANT_CLIENT_CREDENTIALS if kind == Kind.SYSTEM
                                      else Application.GRANT_AUTHORIZATION_CODE))
        application.full_clean(exclude=["user", "client_secret"])
        application.save()
        extra = {"rate_limit": rate_limit} if rate_limit is not None else {}
        client = MachineClient.objects.create(
            application=application, agency=agency, scopes=" ".join(scopes), created_by=by,
            issuer_type=issuer_type, issuer_certificate=issuer_certificate.strip(), **extra)
    return client, secret


def certificate_problem(text: str) -> str:
    """Why ``text`` is not a usable PEM certificate (Vietnamese), or "" when it is."""
    try:
        x509.load_pem_x509_certificate(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return _("Chứng thư số phải là một chứng thư X.509 dạng PEM "
                 "(-----BEGIN CERTIFICATE-----).")
    return ""


def kind_of(client: MachineClient) -> Kind:
    grant = client.application.authorization_grant_type
    return Kind.SYSTEM if grant == client.application.GRANT_CLIENT_CREDENTIALS else Kind.APP


def revoke_tokens(client: MachineClient) -> int:
    """Every access token, refresh token and pending code of the client; how many tokens."""
    application = client.application
    get_grant_model().objects.filter(application=application).delete()
    get_refresh_token_model().objects.filter(application=application).delete()
    count, _ = get_access_token_model().objects.filter(application=application).delete()
    return count


def rotate_secret(client: MachineClient) -> str:
    """A new secret in clear; the old one stops working at once, and so do the tokens it
    obtained (a secret is rotated because it may have leaked)."""
    secret = generate_client_secret()
    with transaction.atomic():
        application = client.application
        application.client_secret = secret
        application.save(update_fields=["client_secret", "updated"])
        revoke_tokens(client)
        client.secret_rotated_at = timezone.now()
        client.save(update_fields=["secret_rotated_at"])
    return secret


def record(client: MachineClient, user_id: int | None, operation: str, status: int,
           error: str = "") -> None:
    ClientCall.objects.create(client=client, user_id=user_id, operation=operation[:120],
                              status=status, error=error[:40])


def prune_calls(now: datetime | None = None) -> int:
    """Delete the calls older than the retention (``API_CLIENT_CALL_RETENTION_DAYS``), client by
    client so each delete walks the (client, -at) index instead of the whole log."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.API_CLIENT_CALL_RETENTION_DAYS)
    deleted = 0
    for client_id in MachineClient.objects.values_list("pk", flat=True):
        count, _ = ClientCall.objects.filter(client_id=client_id, at__lt=cutoff).delete()
        deleted += count
    return deleted


def client_of_token_request(request) -> MachineClient | None:
    """The registered client a token or revocation request names (HTTP Basic, or the
    ``client_id`` field), whether or not it then authenticates."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    client_id = ""
    if scheme.lower() == "basic":
        try:
            client_id = unquote(base64.b64decode(value).decode().partition(":")[0])
        except (binascii.Error, UnicodeDecodeError):
            return None
    else:
        client_id = request.POST.get("client_id", "")
    if not client_id:
        return None
    return (MachineClient.objects.select_related("application")
            .filter(application__client_id=client_id[:100]).first())
