"""The accounts app's settings. Each is read from Django's settings when set there (the tests use
``override_settings``), otherwise from the environment, so nothing needs adding to settings.py.

| variable | default | meaning |
| --- | --- | --- |
| ``DICHVUCONG_LOCAL_REGISTRATION`` | on in demo and test, off in production | local accounts (phone or email and password); off: citizens log in with VNeID only (Decree 69/2024/NĐ-CP) |
| ``DICHVUCONG_OIDC_ISSUER`` | — | the OpenID provider's issuer; discovery at ``<issuer>/.well-known/openid-configuration`` |
| ``DICHVUCONG_OIDC_CLIENT_ID``, ``DICHVUCONG_OIDC_CLIENT_SECRET`` | — | this portal's client at the provider |
| ``DICHVUCONG_OIDC_ID_NUMBER_CLAIM`` | ``id_number`` | the claim holding the personal identification (CCCD) number |
| ``DICHVUCONG_OIDC_NAME_CLAIM`` | ``name`` | the claim holding the full name |
| ``DICHVUCONG_OIDC_LEVEL_CLAIM`` | ``acr`` | the claim stating the account's level (Decree 69/2024/NĐ-CP: 1 or 2; ``accounts.assurance``) [unverified for VNeID] |
| ``DICHVUCONG_OIDC_SCOPE`` | ``openid profile`` | the scopes asked for |
| ``DICHVUCONG_OIDC_REDIRECT_URI`` | built from the request | the callback URL registered at the provider, when the proxy hides the public one |
"""  # noqa: E501

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

TRUE = {"1", "true", "yes", "on"}


def _get(name: str, default: Any = None) -> Any:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return value


def _bool(name: str, default: bool) -> bool:
    value = _get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE


def local_registration() -> bool:
    """Whether citizens may register and log in with a local password."""
    return _bool("DICHVUCONG_LOCAL_REGISTRATION", settings.MODE in ("demo", "test"))


def oidc_issuer() -> str:
    return str(_get("DICHVUCONG_OIDC_ISSUER", "") or "").rstrip("/")


def oidc_client_id() -> str:
    return str(_get("DICHVUCONG_OIDC_CLIENT_ID", "") or "")


def oidc_client_secret() -> str:
    return str(_get("DICHVUCONG_OIDC_CLIENT_SECRET", "") or "")


def oidc_level_claim() -> str:
    return str(_get("DICHVUCONG_OIDC_LEVEL_CLAIM", "") or "acr")


def oidc_id_number_claim() -> str:
    return str(_get("DICHVUCONG_OIDC_ID_NUMBER_CLAIM", "") or "id_number")


def oidc_name_claim() -> str:
    return str(_get("DICHVUCONG_OIDC_NAME_CLAIM", "") or "name")


def oidc_scope() -> str:
    return str(_get("DICHVUCONG_OIDC_SCOPE", "") or "openid profile")


def oidc_redirect_uri() -> str:
    return str(_get("DICHVUCONG_OIDC_REDIRECT_URI", "") or "")


def oidc_configured() -> bool:
    return bool(oidc_issuer() and oidc_client_id() and oidc_client_secret())
