"""Every call made with an access token goes to the audit trail (``ClientCall``), with the
status the caller got: the authentication class marks the request (``request.machine_call``),
this records it once the answer is known."""

from __future__ import annotations

from dichvucong.apiclients import services


def operation(request) -> str:
    """The method and the route's pattern (``GET /api/v1/dossiers/<code>``): never the values
    in the path or the query."""
    match = request.resolver_match
    return f"{request.method} /{match.route}" if match is not None else request.method


class ClientCallAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        call = getattr(request, "machine_call", None)
        if call is not None:
            services.record(call.client, call.user_id, operation(request),
                            response.status_code, call.error)
        return response
