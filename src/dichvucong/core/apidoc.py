"""What every operation of the JSON API may answer besides its own results, documented once.

The endpoints declare their own outcomes (``response={201: …, 409: Problem}``). Three answers
come from the framework rather than the endpoint, and are added here to every operation they can
happen to, so that the OpenAPI document lists every status code a client can get:

* 400 — an operation with a JSON body that is not JSON at all;
* 401 — an operation behind the session login, called without one;
* 404 — an operation whose path names something (a dossier's code, a document's id) that does
  not exist or that the caller may not see (found or not found exactly as the pages do);
* 422 — any operation with parameters or a body, when they do not match the document
  (django-ninja's validation errors: ``detail`` is a list of errors), or when they match it but
  do not make sense together (the monitor's period ending before it starts: ``detail`` is text);
* for an operation that takes an OAuth 2.0 access token: 401 ``invalid_token`` and 403
  ``insufficient_scope`` (RFC 6750, with ``error`` and ``error_description`` in the body besides
  ``detail``), and 429 when the client is over its rate limit.

Each operation's ``security`` names what it accepts: the session cookie (``SessionAuth``) and,
where a machine client may call it, ``OAuth2`` with the one scope it needs; an operation open to
anyone that also takes a token lists ``{}`` as well.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from ninja import NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema
from pydantic import BeforeValidator

REF = "#/components/schemas/{model}"


class Problem(Schema):
    """An error: a sentence for people, and for some a machine code and the errors per field."""

    detail: str
    code: str = ""
    errors: dict[str, list[str]] = {}


class OAuthProblem(Problem):
    """A refused access token: RFC 6750's ``error`` code (also in ``code``) and its text."""

    error: str = ""  # absent when no credentials were sent at all
    error_description: str = ""


class ValidationProblem(Schema):
    """Request parameters or body refused: ninja's list of errors, or one sentence."""

    detail: str | list[dict[str, Any]]


def _content(model: type[Schema]) -> dict:
    return {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}


COMMON = {
    400: ("Thân yêu cầu không đọc được — the body is not readable", Problem),
    401: ("Chưa đăng nhập — not logged in", Problem),
    404: ("Không tìm thấy — not found, or not the caller's", Problem),
    422: ("Yêu cầu không hợp lệ — invalid request", ValidationProblem),
}
OAUTH = {
    401: ("Chưa đăng nhập, hoặc mã truy cập không hợp lệ, hết hạn hay đã thu hồi — not logged "
          "in, or invalid_token", OAuthProblem),
    403: ("Mã truy cập thiếu phạm vi quyền — insufficient_scope", OAuthProblem),
    429: ("Quá số lượt gọi cho phép; thử lại sau Retry-After giây — over the client's rate "
          "limit", Problem),
}


def document_common_responses(schema: dict) -> dict:
    used: set[type[Schema]] = set()
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            parameters = operation.get("parameters", [])
            codes = []
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                codes.append(400)
            if operation.get("security"):
                codes.append(401)
            takes_token = any("OAuth2" in item for item in operation.get("security", []))
            if any(p.get("in") == "path" for p in parameters):
                codes.append(404)
            if parameters or operation.get("requestBody"):
                codes.append(422)
            responses = operation.setdefault("responses", {})
            for code in (*codes, *(OAUTH if takes_token else ())):
                if code in responses or str(code) in responses:
                    continue
                description, model = (OAUTH if takes_token and code in OAUTH else COMMON)[code]
                responses[code] = {"description": description, "content": _content(model)}
                if code == 429:
                    responses[code]["headers"] = {"Retry-After": {
                        "description": "giây — seconds", "schema": {"type": "integer"}}}
                used.add(model)
    definitions = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in used:
        definitions.setdefault(model.__name__, model.model_json_schema(ref_template=REF))
    return schema


def _iso_date(value: Any) -> Any:
    # pydantic also takes a number of seconds ("0" is 1 January 1970) where the document says
    # "format: date": only the date's own spelling is one.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a date is written YYYY-MM-DD")
    if not isinstance(value, str | dt.date):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class _Document(OpenAPISchema):
    """ninja's document, with each security requirement's scopes (ninja leaves them empty) and
    ``{}`` for an operation whose credentials are optional."""

    def operation_security(self, operation):
        if not operation.auth_callbacks:
            return None
        result = []
        for auth in operation.auth_callbacks:
            if hasattr(auth, "openapi_security_schema"):
                name = auth.__class__.__name__
                scope = getattr(auth, "scope", None)
                result.append({name: [scope] if scope else []})
                self.securitySchemes[name] = auth.openapi_security_schema
            if getattr(auth, "optional", False):
                result.append({})
        return result


class PortalAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document also lists the framework's own answers (see above)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict | None = None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = _Document(self, path_prefix)
        document_common_responses(schema)
        return schema
