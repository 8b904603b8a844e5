"""The JSON API, versioned under /api/v1/, with its OpenAPI 3 description at /api/v1/openapi.json
and interactive docs at /api/docs."""

from dichvucong.adminunits.api import router as units_router
from dichvucong.alerts.api import router as alerts_router
from dichvucong.apiclients.auth import install as install_token_auth
from dichvucong.backoffice.api import router as handovers_router
from dichvucong.catalog.api import router as catalog_router
from dichvucong.core.apidoc import PortalAPI
from dichvucong.datastore.api import issuer_router
from dichvucong.datastore.api import router as store_router
from dichvucong.dossiers.api import consents_router
from dichvucong.dossiers.api import router as dossiers_router
from dichvucong.monitor.api import router as monitor_router
from dichvucong.notify.api import router as notify_router
from dichvucong.payments.api import router as payments_router
from dichvucong.ratings.api import router as ratings_router
from dichvucong.results.api import router as results_router
from dichvucong.webhooks.api import router as webhooks_router

api = PortalAPI(
    title="dichvucong API",
    version="1",
    description="API của Cổng dịch vụ công — public service portal API",
    urls_namespace="api-v1",
)
install_token_auth(api)  # answers for refused tokens and rate limits (RFC 6750)
api.add_router("/catalog", catalog_router)
api.add_router("/units", units_router)
api.add_router("/dossiers", dossiers_router)
api.add_router("/consents", consents_router)
api.add_router("/ratings", ratings_router)
api.add_router("/alerts", alerts_router)
api.add_router("/results", results_router)
api.add_router("/store", store_router)
api.add_router("/issuers", issuer_router)
api.add_router("/handovers", handovers_router)
api.add_router("/notifications", notify_router)
api.add_router("/monitor", monitor_router)
api.add_router("/payments", payments_router)
api.add_router("/webhooks", webhooks_router)
