"""How many wrong passwords are checked before password login pauses.

Three counters of failed logins, each over 15 minutes, in ``core.ratelimit`` (shared by every
process: the database, or Redis):

- per account and client (10): the usual lockout. Counted per client so that someone elsewhere
  cannot lock a citizen out by typing wrong passwords for her account;
- per client across accounts (20): password spraying (one password tried on many accounts);
  answered 429;
- per account across clients (50): a guess spread over many addresses. This one can be used
  against the owner, so it is high, and a completed password reset clears it.

A slot is taken on every counter *before* the password is checked and given back when the
password was right, so concurrent requests in several processes can never check more wrong
passwords than the limit: the 11th is refused before its hash is computed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from dichvucong.core import ratelimit

WINDOW_SECONDS = 15 * 60
PER_ACCOUNT_AND_CLIENT = 10
PER_CLIENT = 20
PER_ACCOUNT = 50


def account_key(name: str) -> str:
    """``user:<pk>`` for an existing account, else ``name:<what was typed>`` (so unknown names
    count the same and do not reveal which accounts exist)."""
    return hashlib.sha256(name.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Refusal:
    scope: Literal["client", "account"]
    retry_after: int  # seconds until the counter that refused starts again


@dataclass
class LoginAttempt:
    account: str
    client: str
    _taken: list[tuple[str, str]] = field(default_factory=list)

    def counters(self) -> list[tuple[str, str, int, Literal["client", "account"]]]:
        return [
            ("login-failed-client", self.client, PER_CLIENT, "client"),
            ("login-failed-account-client", f"{self.account}:{self.client}",
             PER_ACCOUNT_AND_CLIENT, "account"),
            ("login-failed-account", self.account, PER_ACCOUNT, "account"),
        ]

    def reserve(self) -> Refusal | None:
        """Take a slot on each counter; None when the password may be checked."""
        for scope, key, limit, kind in self.counters():
            decision = ratelimit.hit(scope, key, limit, WINDOW_SECONDS)
            self._taken.append((scope, key))
            if not decision:
                self.release()  # a refused attempt checks nothing, so counts nothing
                return Refusal(kind, decision.retry_after)
        return None

    def release(self) -> None:
        """The password was right (or not checked): the attempt does not count."""
        for scope, key in self._taken:
            ratelimit.undo(scope, key)
        self._taken.clear()


def forget_account(account: str, client: str) -> None:
    """After a completed password reset: the owner proved who she is."""
    ratelimit.reset("login-failed-account", account)
    ratelimit.reset("login-failed-account-client", f"{account}:{client}")
