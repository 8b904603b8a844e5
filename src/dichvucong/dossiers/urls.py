from django.urls import path

from dichvucong.dossiers import views

app_name = "dossiers"
urlpatterns = [
    path("thu-tuc/<str:code>/nop-ho-so/", views.submit_dossier, name="submit"),
    path("ho-so/", views.my_dossiers, name="mine"),
    path("tra-cuu/", views.public_lookup, name="lookup"),
    path("ho-so/<str:code>/", views.dossier_detail, name="detail"),
]
