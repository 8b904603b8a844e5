from django.urls import path

from dichvucong.ratings import views

app_name = "ratings"
urlpatterns = [
    path("ho-so/<str:code>/danh-gia/", views.rate_dossier, name="rate"),
]
