"""The procedure controller's approval of procedure versions, under /thiet-ke/phe-duyet/.

A procedure controller (``versions.approvable_procedures``) sees the versions waiting for approval
and those approved and waiting for their effective date, compares a submitted version with the one
in force, and approves it with an effective date or refuses it with a reason. Someone who controls
no procedure gets a 403; a procedure they do not control is a 404. The rules (not the author,
not before today) live in ``catalog.versions``.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from dichvucong.accounts.models import Role
from dichvucong.catalog.designer_views import _notify, _render, change_rows
from dichvucong.catalog.models import ProcedureVersion, VersionEvent
from dichvucong.catalog.versions import VersionError, approvable_procedures, approve, refuse

Status = ProcedureVersion.Status


class ApprovalForm(forms.Form):
    effective_from = forms.DateField(
        label=gettext_lazy("Ngày có hiệu lực"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Từ ngày này người dân thấy và nộp hồ sơ theo phiên bản mới; "
                               "phiên bản đang áp dụng giữ hiệu lực đến hết ngày hôm trước."))


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do từ chối"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Người soạn thấy lý do này; bản nháp trở lại để sửa."))


def _controls_any(request: HttpRequest) -> None:
    if not request.user.memberships.filter(role=Role.PROCEDURE_CONTROLLER).exists():
        raise PermissionDenied(_("Chỉ cán bộ kiểm soát thủ tục hành chính được phê duyệt."))


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    _controls_any(request)
    versions = (ProcedureVersion.objects
                .filter(procedure__in=approvable_procedures(request.user),
                        status__in=[Status.SUBMITTED, Status.APPROVED])
                .select_related("procedure", "submitted_by", "published_by")
                .order_by("status", "submitted_at"))
    return _render(request, "catalog/designer/approvals.html", {
        "waiting": [v for v in versions if v.status == Status.SUBMITTED],
        "scheduled": [v for v in versions if v.status == Status.APPROVED],
    })


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, code: str) -> HttpResponse:
    _controls_any(request)
    procedure = get_object_or_404(
        approvable_procedures(request.user).select_related("current_version", "owner"), code=code)
    version = get_object_or_404(procedure.versions.select_related("created_by", "submitted_by"),
                                status=Status.SUBMITTED)
    today = timezone.localdate()
    approval = ApprovalForm(initial={"effective_from": today}, prefix="approve")
    refusal = RefusalForm(prefix="refuse")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "approve":
            approval = ApprovalForm(request.POST, prefix="approve")
            form = approval
        else:
            refusal = RefusalForm(request.POST, prefix="refuse")
            form = refusal
        if form.is_valid():
            try:
                if action == "approve":
                    day = approval.cleaned_data["effective_from"]
                    approve(version, request.user, day, today)
                    note = (_("Đã phê duyệt phiên bản %(number)s; người dân thấy phiên bản này "
                              "trên Cổng từ bây giờ.") if day <= today else
                            _("Đã phê duyệt phiên bản %(number)s; có hiệu lực từ ngày %(day)s, "
                              "đến khi đó phiên bản đang áp dụng giữ nguyên."))
                    _notify(request, "success", note % {"number": version.number,
                                                        "day": day.strftime("%d/%m/%Y")})
                else:
                    refuse(version, request.user, refusal.cleaned_data["reason"])
                    _notify(request, "success", _("Đã trả phiên bản %(number)s về bản nháp kèm "
                                                "lý do.") % {"number": version.number})
                return redirect("designer:approvals")
            except VersionError as exc:
                form.add_error(None, str(exc))
        status = 400
    base = procedure.current_version
    rows = change_rows(base.definition if base else {}, version.definition)
    return _render(request, "catalog/designer/review.html", {
        "procedure": procedure, "version": version, "base": base, "rows": rows,
        "approval": approval, "refusal": refusal,
        "own": request.user.pk in {version.created_by_id, version.submitted_by_id},
        "events": VersionEvent.objects.filter(procedure_code=code).select_related("actor")[:20],
    }, status=status)
