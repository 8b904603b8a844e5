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
  do not make sense together (the monitor's period ending before it starts: ``detail`` is text).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from ninja import NinjaAPI, Schema
from pydantic import BeforeValidator

REF = "#/components/schemas/{model}"


class Problem(Schema):
    """An error: a sentence for people, and for some a machine code and the errors per field."""

    detail: str
    code: str = ""
    errors: dict[str, list[str]] = {}


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
            if any(p.get("in") == "path" for p in parameters):
                codes.append(404)
            if parameters or operation.get("requestBody"):
                codes.append(422)
            responses = operation.setdefault("responses", {})
            for code in codes:
                if code in responses or str(code) in responses:
                    continue
                description, model = COMMON[code]
                responses[code] = {"description": description, "content": _content(model)}
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


class PortalAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document also lists the framework's own answers (see above)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_common_responses(schema)
        return schema
