"""How an account's identity was established, and the level a procedure may require.

Decree 69/2024/NĐ-CP (25/6/2024) has two levels of electronic identification account (VNeID):
level 1, created in the app, and level 2, whose holder's face and card were checked, which
stands for the citizen identity card in transactions. A procedure's definition may require a
level (``ProcedureDefinition.identity_level``): 0 any account, 1 a VNeID login, 2 a level-2
VNeID account. A password alone proves nothing of who the person is (level 0).

The provider's claim for the level is not documented publicly [unverified]: ``vneid_level``
reads the OpenID ``acr`` value (or the claim ``DICHVUCONG_OIDC_LEVEL_CLAIM`` names) and takes a
trailing 2 as level 2 ("2", "muc2", "urn:…:loa:2"); any other VNeID login counts as level 1.
"""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdentitySource(models.TextChoices):
    PASSWORD = "password", _("Tự khai, đăng nhập bằng mật khẩu")
    VNEID_1 = "vneid1", _("Tài khoản định danh điện tử VNeID mức 1")
    VNEID_2 = "vneid2", _("Tài khoản định danh điện tử VNeID mức 2")


LEVELS: dict[str, int] = {IdentitySource.PASSWORD: 0, IdentitySource.VNEID_1: 1,
                          IdentitySource.VNEID_2: 2}
LEVEL_LABELS = {
    0: _("mọi tài khoản"),
    1: _("tài khoản định danh điện tử VNeID (mức 1 trở lên)"),
    2: _("tài khoản định danh điện tử VNeID mức 2"),
}
_LEVEL_2 = re.compile(r"(?:^|\D)2$")


def level_of(source: str) -> int:
    return LEVELS.get(source, 0)


def vneid_source(claim: object) -> IdentitySource:
    """The source a VNeID login proves, from the level its provider states."""
    return (IdentitySource.VNEID_2 if _LEVEL_2.search(str(claim or "").strip().lower())
            else IdentitySource.VNEID_1)


def stronger(current: str, new: str) -> str:
    """A weaker proof never replaces a stronger one (a level-1 login after a level-2 one)."""
    return new if level_of(new) > level_of(current) else current


def meets(source: str, required: int) -> bool:
    return level_of(source) >= required
