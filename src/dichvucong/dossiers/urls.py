from django.urls import path

from dichvucong.dossiers import agent_views, views

app_name = "dossiers"
urlpatterns = [
    path("thu-tuc/<str:code>/nop-ho-so/", views.submit_dossier, name="submit"),
    path("ho-so/", views.my_dossiers, name="mine"),
    path("tra-cuu/", views.public_lookup, name="lookup"),
    path("tai-len/", views.resumable_uploads, name="resumable_uploads"),
    path("tai-len/<str:token>/", views.resumable_upload, name="resumable_upload"),
    path("ho-so/<str:code>/", views.dossier_detail, name="detail"),
    path("nop-thay/", agent_views.agent_home, name="agent_home"),
    path("nop-thay/bat-dau/", agent_views.agent_start, name="agent_start"),
    path("nop-thay/xac-nhan/", agent_views.agent_confirm, name="agent_confirm"),
    path("tai-khoan/dong-y-nop-thay/", agent_views.my_consents, name="consents"),
    path("tai-khoan/dong-y-nop-thay/<int:pk>/thu-hoi/", agent_views.revoke_consent,
         name="revoke_consent"),
]
