from django.urls import path

from dichvucong.catalog import views

app_name = "catalog"
urlpatterns = [
    path("thu-tuc/", views.procedure_list, name="list"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="procedure"),
    path("linh-vuc/", views.field_list, name="fields"),
    path("co-quan/", views.agency_list, name="agencies"),
]
