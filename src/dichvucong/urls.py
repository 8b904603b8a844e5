from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from dichvucong.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("o/", include("dichvucong.apiclients.urls")),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("", include("dichvucong.core.urls")),
    path("", include("dichvucong.catalog.urls")),
    path("thiet-ke/", include("dichvucong.catalog.designer_urls")),
    path("", include("dichvucong.dossiers.urls")),
    path("", include("dichvucong.ratings.urls")),
    path("", include("dichvucong.feedback.urls")),
    path("", include("dichvucong.guidance.urls")),
    path("", include("dichvucong.hotline.urls")),
    path("", include("dichvucong.assisted.urls")),
    path("", include("dichvucong.datastore.urls")),
    path("mot-cua/", include("dichvucong.backoffice.urls")),
    path("canh-bao/", include("dichvucong.alerts.urls")),
    path("", include("dichvucong.slips.urls")),
    path("", include("dichvucong.payments.urls")),
    path("", include("dichvucong.notify.urls")),
    path("", include("dichvucong.results.urls")),
    path("", include("dichvucong.nationalsync.urls")),
    path("", include("dichvucong.accounts.urls")),
    path("", include("dichvucong.monitor.urls")),
    path("", include("dichvucong.opendata.urls")),
    path("quan-tri/", admin.site.urls),
]

handler500 = "dichvucong.core.views.server_error"

if settings.DEBUG:  # pragma: no cover - local development only
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

