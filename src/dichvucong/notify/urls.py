from django.urls import path

from dichvucong.notify import views

app_name = "notify"
urlpatterns = [
    path("hop-thu-thu-nghiem/", views.sandbox_inbox, name="sandbox_inbox"),
]
