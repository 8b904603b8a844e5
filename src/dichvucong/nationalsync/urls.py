from django.urls import path

from dichvucong.nationalsync import views

app_name = "nationalsync"
urlpatterns = [
    path("dong-bo-quoc-gia/tep/<str:value>/", views.file, name="file"),
]
