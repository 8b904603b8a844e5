from django.urls import path

from dichvucong.apiclients import views

app_name = "apiclients"
# Only these three of django-oauth-toolkit's views: its application-management pages would let
# any logged-in user register a client; systems are registered in /quan-tri/.
urlpatterns = [
    path("authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke_token/", views.RevokeTokenView.as_view(), name="revoke"),
]
