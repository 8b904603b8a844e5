from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "dichvucong.payments"
    verbose_name = _("Phí, lệ phí và thanh toán")

    def ready(self) -> None:
        # In ready(), not at the top: these modules load models, which needs the app registry.
        from dichvucong.dossiers import submission
        from dichvucong.payments import services

        submission.price_fees_with(submission.FeePricing(quote=services.quote_for,
                                                         keep=services.record_fee))
