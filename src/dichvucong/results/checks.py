"""What an operator has left out of the digital results' settings, said at start-up rather
than by the trust list's periodic refresh failing every quarter of an hour."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def results_checks(app_configs, **kwargs):
    if settings.MODE != "production":
        return []
    from dichvucong.results.trust_list import trust_list_signer_paths

    missing = [path for path in trust_list_signer_paths() if not path.is_file()]
    if not missing:
        return []
    return [Warning(
        "No trust-list signer: the published trust list cannot be issued or refreshed, and "
        "offline verifiers will not trust new results.",
        hint="Set DICHVUCONG_RESULTS_TRUST_LIST_KEY and DICHVUCONG_RESULTS_TRUST_LIST_CERT to "
        "the signer's PEM key and certificate (missing: "
        f"{', '.join(str(path) for path in missing)}).",
        id="dichvucong.results.W001")]
