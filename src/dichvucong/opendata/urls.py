from django.urls import path

from dichvucong.opendata import views

app_name = "opendata"
urlpatterns = [
    path("du-lieu-mo/", views.dataset_list, name="list"),
    path("du-lieu-mo/<slug:name>/", views.dataset_detail, name="dataset"),
    path("du-lieu-mo/<slug:name>/tai-ve/<uuid:resource_id>/<str:filename>", views.download,
         name="download"),
    # CKAN's Action API, at both of CKAN's addresses (ckanapi calls /api/action/).
    path("api/3/action/<str:name>", views.action, name="action"),
    path("api/action/<str:name>", views.action, name="action_unversioned"),
    # ckanext-dcat's addresses.
    path("catalog.jsonld", views.catalog_jsonld, name="catalog_jsonld"),
    path("dataset/<str:identifier>.jsonld", views.dataset_jsonld, name="dataset_jsonld"),
    path("dataset/<str:identifier>", views.dataset_by_id, name="dataset_by_id"),
]
