"""What an operator has set wrong in the webhook worker's settings, said at start-up."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def webhook_checks(app_configs, **kwargs):
    if 2 * settings.WEBHOOK_TIMEOUT > settings.WEBHOOK_LEASE_SECONDS:
        return [Warning(
            "WEBHOOK_LEASE_SECONDS is shorter than twice WEBHOOK_TIMEOUT: a slow receiver "
            "could see a delivery taken over by another worker and sent twice (same id).",
            hint="Keep WEBHOOK_LEASE_SECONDS at least twice WEBHOOK_TIMEOUT.",
            id="dichvucong.webhooks.W001")]
    return []
