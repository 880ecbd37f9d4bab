"""``GET /metrics``: the app's metrics (``metrics.Metrics``) for a Prometheus scraper.

Open unless ``NETRA_METRICS_TOKEN`` is set; then the scraper must send
``Authorization: Bearer <token>`` (Prometheus: ``authorization: {credentials: ...}``), and a
missing or wrong one gets 401 in the service's JSON error shape. The comparison takes the same
time whatever the token offered. Left out of the OpenAPI schema: it is for operators, not API
clients.
"""

from __future__ import annotations

import hmac

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from netra_backend.app.http_errors import error_response

METRICS_PATH = "/metrics"


def _bearer(authorization: str | None) -> bytes:
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip().encode() if scheme.lower() == "bearer" else b""


async def metrics_endpoint(request: Request) -> Response:
    """The Prometheus text exposition of this app's metrics."""
    services = request.app.state.services
    expected = services.settings.metrics_token
    if expected is not None and not hmac.compare_digest(
        _bearer(request.headers.get("authorization")), expected.get_secret_value().encode()
    ):
        return _unauthorized(request.headers.get("authorization") is None)
    return Response(services.metrics.render(), media_type=CONTENT_TYPE_LATEST)


def _unauthorized(missing: bool) -> JSONResponse:
    message = (
        "missing bearer token (send 'Authorization: Bearer <NETRA_METRICS_TOKEN>')"
        if missing
        else "wrong metrics token"
    )
    return error_response(
        401, "unauthorized", message, headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
    )
