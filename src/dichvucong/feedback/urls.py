from django.urls import path

from dichvucong.feedback import views

app_name = "feedback"
urlpatterns = [
    path("phan-anh/", views.send, name="send"),
    path("phan-anh/so-dien-thoai/", views.prove_phone, name="prove_phone"),
    path("phan-anh/da-gui/<str:token>/", views.sender_view, name="sender_view"),
    path("phan-anh/cua-toi/", views.mine, name="mine"),
    path("phan-anh/cong-khai/", views.public, name="public"),
    path("phan-anh/xu-ly/", views.handle_list, name="handle_list"),
    path("phan-anh/xu-ly/<int:pk>/", views.answer, name="answer"),
    path("phan-anh/xu-ly/<int:pk>/tep/<str:token>/", views.attachment, name="attachment"),
]
