from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from dichvucong.core import operations


def _samples(now):
    """Notifications by status and the oldest waiting (metrics)."""
    from dichvucong.notify.models import Notification, Status

    return operations.table_samples("notification", Notification.objects.all(), "status",
                                    [Status.PENDING, Status.SENDING], now)


class NotifyConfig(AppConfig):
    name = "dichvucong.notify"
    verbose_name = _("Thông báo")

    def ready(self) -> None:
        # In ready(), not at the top: these modules load models, which needs the app registry.
        from dichvucong.accounts import services as accounts
        from dichvucong.notify import checks, tasks  # noqa: F401 - registers checks and tasks
        from dichvucong.notify.gateways import DeliveryError, deliver

        operations.register(_samples)
        accounts.send_codes_with(accounts.CodeSender(send=deliver, failure=DeliveryError))
