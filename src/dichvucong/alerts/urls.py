from django.urls import path

from dichvucong.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:pk>/xac-nhan/", views.acknowledge, name="acknowledge"),
]
