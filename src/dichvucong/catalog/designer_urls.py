"""The service designer's editor, under /thiet-ke/ (namespace ``designer``)."""

from django.urls import path

from dichvucong.catalog import approval_views
from dichvucong.catalog import designer_views as views

app_name = "designer"
urlpatterns = [
    path("", views.procedure_list, name="list"),
    path("nhap-khau/", views.import_definition, name="import"),
    path("chat-luong/", views.quality_report, name="quality"),
    path("phe-duyet/", approval_views.queue, name="approvals"),
    path("phe-duyet/<str:code>/", approval_views.review, name="review"),
    path("<str:code>/", views.procedure_detail, name="procedure"),
    path("<str:code>/tao-ban-nhap/", views.start_new_draft, name="start_draft"),
    path("<str:code>/gui-phe-duyet/", views.submit_draft, name="submit"),
    path("<str:code>/nhap/", views.draft_editor, name="draft"),
    path("<str:code>/nhap/xoa/", views.delete_draft_view, name="delete_draft"),
    path("<str:code>/nhap/xem-truoc/", views.preview, name="preview"),
    path("<str:code>/so-sanh/", views.compare, name="compare"),
    path("<str:code>/xuat/<int:number>.json", views.export, name="export"),
]
