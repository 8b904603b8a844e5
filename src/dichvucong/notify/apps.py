from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "dichvucong.notify"
    verbose_name = _("Thông báo")

    def ready(self) -> None:
        # In ready(), not at the top: these modules load models, which needs the app registry.
        from dichvucong.accounts import services as accounts
        from dichvucong.notify import checks, tasks  # noqa: F401 - registers checks and tasks
        from dichvucong.notify.gateways import DeliveryError, deliver

        accounts.send_codes_with(accounts.CodeSender(send=deliver, failure=DeliveryError))
