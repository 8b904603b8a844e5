"""Log in with a username, a phone number or an e-mail address, and a password.

Settings: ``AUTHENTICATION_BACKENDS = ["dichvucong.accounts.backends.PhoneEmailUsernameBackend"]``
(it is Django's ModelBackend, permissions included, with a wider lookup).
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from dichvucong.accounts.identifiers import InvalidIdentifier, normalise_email, normalise_phone
from dichvucong.accounts.models import User


def find_login_user(identifier: str) -> User | None:
    """The account an identifier names: an e-mail address or a phone number counts once it was
    confirmed with a code; anything else is a username."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        try:
            address = normalise_email(identifier)
        except InvalidIdentifier:
            address = None
        if address:
            user = User.objects.filter(email__iexact=address, email_verified=True).first()
            if user is not None:
                return user
    else:
        try:
            phone = normalise_phone(identifier)
        except InvalidIdentifier:
            phone = None
        if phone:
            user = User.objects.filter(phone=phone, phone_verified=True).first()
            if user is not None:
                return user
    return User.objects.filter(username=identifier).first()


class PhoneEmailUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = find_login_user(username)
        if user is None:
            # As ModelBackend: run the hasher once so a missing account takes as long.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
