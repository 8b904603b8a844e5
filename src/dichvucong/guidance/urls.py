from django.urls import path

from dichvucong.guidance import views

app_name = "guidance"
urlpatterns = [
    path("huong-dan/", views.guide_list, name="list"),
    path("huong-dan/<slug:slug>/", views.guide_detail, name="detail"),
]
