from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dichvucong.accounts"
    verbose_name = _("Tài khoản")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from dichvucong.accounts import auditing, twofactor
        from dichvucong.accounts.models import Membership

        user_logged_in.connect(twofactor.remember_at_login,
                               dispatch_uid="accounts-second-factor-at-login")
        post_save.connect(auditing.membership_saved, sender=Membership,
                          dispatch_uid="accounts-audit-membership")
        post_delete.connect(auditing.membership_deleted, sender=Membership,
                            dispatch_uid="accounts-audit-membership-deleted")
