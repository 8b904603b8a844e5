from django.urls import path

from dichvucong.hotline import views

app_name = "hotline"
urlpatterns = [
    path("tong-dai/", views.console, name="console"),
    path("tong-dai/cuoc-goi/", views.new_call, name="new_call"),
    path("tong-dai/cuoc-goi/<int:pk>/", views.call, name="call"),
    path("tong-dai/cuoc-goi/<int:pk>/ho-so/<str:code>/", views.call_dossier, name="dossier"),
    path("tong-dai/cuoc-goi/<int:pk>/phan-anh/", views.call_feedback, name="feedback"),
    path("tong-dai/cuoc-goi/<int:pk>/nop-thay/", views.assist_start, name="assist_start"),
    path("tong-dai/cuoc-goi/<int:pk>/nop-thay/xac-nhan/", views.assist_confirm,
         name="assist_confirm"),
    path("tong-dai/thong-ke/", views.statistics, name="statistics"),
]
