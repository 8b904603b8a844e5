"""The signature of a webhook delivery: ``X-DVC-Signature: t=<unix seconds>,v1=<hex>`` where
v1 is HMAC-SHA256 under the subscription's secret over ``"<t>." + raw body``. The timestamp is
signed with the body so a captured delivery cannot be replayed later with a fresh time; the
receiver refuses a stale one (docs/webhooks.md has the receiver's side)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

HEADER = "X-DVC-Signature"


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def body_bytes(payload: dict) -> bytes:
    """The exact bytes sent: compact UTF-8 JSON, keys sorted, so every attempt is the same."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body,
                   hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"
