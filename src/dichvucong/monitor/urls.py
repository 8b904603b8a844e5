from django.urls import path

from . import views

app_name = "monitor"

urlpatterns = [
    path("giam-sat/", views.city, name="city"),
    path("giam-sat/co-quan/<int:agency_id>/", views.agency, name="agency"),
    path("giam-sat/phuong-xa/", views.ward_indicators, name="wards"),
    path("giam-sat/ho-so/", views.dossiers, name="dossiers"),
    path("giam-sat/ho-so/<str:code>/", views.dossier_ledger, name="ledger"),
    path("giam-sat/bao-cao/<int:agency_id>.<str:fmt>", views.report, name="report"),
    path("minh-bach/", views.public, name="public"),
]
