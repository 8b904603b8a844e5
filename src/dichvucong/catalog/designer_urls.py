"""The service designer's editor, under /thiet-ke/ (namespace ``designer``)."""

from django.urls import path

from dichvucong.catalog import designer_views as views

app_name = "designer"
urlpatterns = [
    path("", views.procedure_list, name="list"),
    path("nhap-khau/", views.import_definition, name="import"),
    path("chat-luong/", views.quality_report, name="quality"),
    path("<str:code>/", views.procedure_detail, name="procedure"),
    path("<str:code>/tao-ban-nhap/", views.start_new_draft, name="start_draft"),
    path("<str:code>/cong-bo/", views.publish_draft, name="publish"),
    path("<str:code>/nhap/", views.draft_editor, name="draft"),
    path("<str:code>/nhap/xem-truoc/", views.preview, name="preview"),
    path("<str:code>/so-sanh/", views.compare, name="compare"),
    path("<str:code>/xuat/<int:number>.json", views.export, name="export"),
]
