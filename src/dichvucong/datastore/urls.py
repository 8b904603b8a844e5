from django.urls import path

from dichvucong.datastore import views

app_name = "datastore"
urlpatterns = [
    path("kho-du-lieu/", views.store, name="store"),
    path("tai-khoan/du-lieu-cua-toi/", views.my_data, name="my_data"),
    path("tai-khoan/du-lieu-cua-toi/tai-ve/", views.my_data_download, name="my_data_download"),
    path("kho-du-lieu/tai-quay/", views.counter_consent, name="consent"),
    path("kho-du-lieu/to-chuc-cap/", views.issuer_consent, name="issuer_consent"),
    path("kho-du-lieu/<int:pk>/", views.document, name="document"),
    path("kho-du-lieu/<int:pk>/tai-ve/", views.download, name="download"),
    path("chia-se/<str:token>/", views.shared, name="shared"),
    path("chia-se/<str:token>/tai-ve/", views.shared_download, name="shared_download"),
    path("mot-cua/kho-du-lieu/", views.counter, name="counter"),
    path("mot-cua/kho-du-lieu/<int:session>/", views.counter_session, name="counter_session"),
    path("mot-cua/kho-du-lieu/<int:session>/<int:pk>/", views.counter_download,
         name="counter_download"),
]
