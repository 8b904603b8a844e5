from django.urls import path

from dichvucong.assisted import views

app_name = "assisted"
urlpatterns = [
    path("giam-sat/kenh-ho-tro/", views.wards, name="wards"),
    path("giam-sat/kenh-ho-tro/<int:ward_id>/", views.ward, name="ward"),
]
