"""The API's OAuth 2.0 scopes, one per capability, and which of them a client may ask for.

django-oauth-toolkit asks the scopes backend (``OAUTH2_PROVIDER["SCOPES_BACKEND_CLASS"]``) what
a client may request: every client gets at most the scopes the administrator granted it when
registering the system (``MachineClient.scopes``); asking for more is answered ``invalid_scope``.
A client-credentials request without ``scope`` gets all the granted ones.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from oauth2_provider.scopes import BaseScopes

CATALOG_READ = "catalog:read"
DOSSIERS_FILE = "dossiers:file"
DOSSIERS_READ = "dossiers:read"
RESULTS_READ = "results:read"
MONITOR_READ = "monitor:read"
DOCUMENTS_ISSUE = "documents:issue"
HANDOVERS = "handovers:answer"

SCOPES = {
    CATALOG_READ: _("Đọc danh mục thủ tục hành chính"),
    DOSSIERS_FILE: _("Nộp, rút và bổ sung hồ sơ"),
    DOSSIERS_READ: _("Xem hồ sơ và tình trạng giải quyết"),
    RESULTS_READ: _("Nhận kết quả giải quyết"),
    MONITOR_READ: _("Xem số liệu giám sát"),
    # An issuer's only capability: deposit into a consenting citizen's store, never read it.
    DOCUMENTS_ISSUE: _("Gửi giấy tờ đã ký số vào kho dữ liệu của công dân (tổ chức cấp giấy "
                       "tờ)"),
    # Another system of an agency a dossier is handed to (liên thông): its own handovers only.
    HANDOVERS: _("Nhận và trả lời hồ sơ liên thông gửi đến cơ quan của hệ thống"),
}


def granted(application) -> list[str]:
    client = getattr(application, "machine_client", None)
    if client is None:  # an application registered outside this app's admin gets nothing
        return []
    return [s for s in client.scope_list if s in SCOPES]


class ClientScopes(BaseScopes):
    def get_all_scopes(self):
        return {name: str(text) for name, text in SCOPES.items()}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return granted(application) if application is not None else list(SCOPES)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return granted(application) if application is not None else []
