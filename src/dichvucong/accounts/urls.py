from django.contrib.auth import views as auth_views
from django.urls import path

from dichvucong.accounts import views

app_name = "accounts"
urlpatterns = [
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("dang-nhap/ma-xac-thuc/", views.otp_verify, name="otp_verify"),
    path("tai-khoan/xac-thuc-hai-buoc/", views.otp_setup, name="otp_setup"),
    path("dang-nhap/khoa-truy-cap/tuy-chon/", views.passkey_login_options,
         name="passkey_login_options"),
    path("dang-nhap/khoa-truy-cap/", views.passkey_login, name="passkey_login"),
    path("tai-khoan/khoa-truy-cap/", views.passkeys_page, name="passkeys"),
    path("tai-khoan/khoa-truy-cap/dang-ky/tuy-chon/", views.passkey_register_options,
         name="passkey_register_options"),
    path("tai-khoan/khoa-truy-cap/dang-ky/", views.passkey_register, name="passkey_register"),
    path("dang-nhap/vneid/", views.oidc_start, name="oidc_start"),
    path("dang-nhap/vneid/xac-thuc/", views.oidc_callback, name="oidc_callback"),
    path("dang-nhap/vneid/lien-ket/", views.oidc_link, name="oidc_link"),
    path("dang-ky/", views.register, name="register"),
    path("dang-ky/xac-nhan/", views.register_confirm, name="register_confirm"),
    path("quen-mat-khau/", views.password_reset, name="password_reset"),
    path("quen-mat-khau/xac-nhan/", views.password_reset_confirm,
         name="password_reset_confirm"),
    path("tai-khoan/", views.profile, name="profile"),
    path("tai-khoan/xac-nhan-lien-lac/", views.contact_confirm, name="contact_confirm"),
    path("tai-khoan/doanh-nghiep/", views.organisations, name="organisations"),
    path("tai-khoan/doanh-nghiep/<int:pk>/", views.organisation, name="organisation"),
]
