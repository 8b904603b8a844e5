from django.urls import path

from dichvucong.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("ho-so/<str:code>/", views.dossier_view, name="dossier"),
    path("ho-so/<str:code>/tep/<str:token>/", views.attachment, name="attachment"),
    path("tiep-nhan-truc-tiep/", views.walk_in, name="walk_in"),
    path("lien-thong/", views.exchange_list, name="exchange"),
    path("lien-thong/<int:pk>/", views.handover_view, name="handover"),
    path("lien-thong/<int:pk>/tep/<str:token>/", views.handover_attachment,
         name="handover_attachment"),
]
