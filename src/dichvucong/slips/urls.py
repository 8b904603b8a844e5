from django.urls import path

from dichvucong.slips import views

app_name = "slips"
urlpatterns = [
    path("ho-so/<str:code>/phieu/<str:kind>.pdf", views.slip, name="slip"),
    path("mot-cua/so-theo-doi/<str:agency_code>.pdf", views.register, name="register"),
]
