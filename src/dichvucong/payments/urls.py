from django.urls import path

from dichvucong.payments import views

app_name = "payments"
urlpatterns = [
    path("ho-so/<str:code>/thanh-toan/", views.pay, name="pay"),
    path("ho-so/<str:code>/thanh-toan/chuyen-khoan/", views.transfer, name="transfer"),
    path("thanh-toan/vietqr/<str:reference>.png", views.transfer_qr, name="transfer_qr"),
    path("thanh-toan/vnpay/ipn/", views.vnpay_ipn, name="vnpay_ipn"),
    path("thanh-toan/vnpay/ket-qua/", views.vnpay_return, name="vnpay_return"),
    path("thanh-toan/lien-ket/<str:token>/", views.link, name="link"),
    path("thanh-toan/lien-ket/<str:token>/chuyen-khoan/", views.link_transfer,
         name="link_transfer"),
    path("thanh-toan/lien-ket/<str:token>/ket-qua/", views.link_return, name="link_return"),
    path("thanh-toan/<str:reference>/bien-lai.pdf", views.receipt, name="receipt"),
    path("mot-cua/thanh-toan/<str:code>/tien-mat/", views.record_cash, name="cash"),
    path("mot-cua/thanh-toan/<str:code>/muc-thu/", views.set_fee, name="set_fee"),
    path("mot-cua/thanh-toan/doi-soat/", views.reconcile, name="reconcile"),
]
