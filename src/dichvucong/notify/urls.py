from django.conf import settings
from django.urls import path

from dichvucong.notify import views

app_name = "notify"
urlpatterns = [
    path("hop-thu/", views.inbox, name="inbox"),
    path("hop-thu/da-doc/", views.mark_read, name="mark_all_read"),
    path("hop-thu/<int:pk>/da-doc/", views.mark_read, name="mark_read"),
    path("tai-khoan/thong-bao/", views.preferences, name="preferences"),
]

if settings.DEMO:
    # Everyone's one-time codes: the demo's sandbox inbox exists only in the demo's URLs.
    urlpatterns.append(path("hop-thu-thu-nghiem/", views.sandbox_inbox, name="sandbox_inbox"))
