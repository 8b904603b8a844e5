from django.urls import path

from dichvucong.results import declaration_views, views

app_name = "results"
urlpatterns = [
    path("xac-minh/", views.verify, name="verify"),
    path("xac-minh/danh-sach-tin-cay.json", views.trust_list, name="trust_list"),
    path("ket-qua/<str:token>/", views.download, name="download"),
    path("mot-cua/ket-qua/ho-so/<str:code>/ban-hanh/", views.issue, name="issue"),
    path("mot-cua/ket-qua/<str:token>/", views.manage, name="manage"),
    path("mot-cua/ket-qua/<str:token>/tien-do/", views.progress, name="progress"),
    path("mot-cua/ket-qua/<str:token>/ky-lai/", views.retry, name="retry"),
    path("thu-tuc/<str:code>/to-khai.pdf", declaration_views.blank_template,
         name="declaration_template"),
    path("ho-so/<str:code>/to-khai.pdf", declaration_views.filed, name="declaration"),
    path("ho-so/nhap/<int:pk>/ky-so/", declaration_views.sign_declaration,
         name="sign_declaration"),
]
