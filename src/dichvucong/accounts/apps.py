from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dichvucong.accounts"
    verbose_name = _("Tài khoản")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from dichvucong.accounts import twofactor

        user_logged_in.connect(twofactor.remember_at_login,
                               dispatch_uid="accounts-second-factor-at-login")
