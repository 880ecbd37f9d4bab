"""JSON error bodies for the HTTP API: ``{"error": {"code": ..., "message": ...}}``.

``install_error_handlers(app)`` answers every :class:`NetraError` from one table,
:data:`HTTP_STATUS` (the nearest family wins), with the error's own ``code`` and ``message``:

=====================  ======  ====================================================
exception              status  code
=====================  ======  ====================================================
AuthError/TokenError   401     ``unauthorized`` / ``invalid_token`` (+ WWW-Authenticate)
NotFoundError          404     ``not_found``
ConflictError          409     ``conflict``
TooManyAttemptsError   429     ``too_many_attempts`` (+ Retry-After)
StorageError           503     ``storage_error`` (+ Retry-After; details logged, not sent)
any other NetraError   500     its code; a generic message (details logged)
RequestValidationError 422     ``invalid_request`` with ``fields``
HTTPException          as is   its ``code`` attribute if it has one (413
                               ``body_too_large``), else from the status phrase:
                               ``not_found``, ``method_not_allowed``, ...
=====================  ======  ====================================================

:func:`error_body` is the same shape as bytes, for answers written below the app (the HTTP
protocol's 431/408/400, the body limit's 413).

Validation errors never echo what was submitted (pydantic's ``input``), so a rejected
password does not come back in the response.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from netra_backend.app.errors import (
    AuthError,
    ConflictError,
    NetraError,
    NotFoundError,
    StorageError,
    TooManyAttemptsError,
)

logger = logging.getLogger(__name__)


def error_body(code: str, message: str) -> bytes:
    """``{"error": {"code": ..., "message": ...}}`` encoded as UTF-8 JSON."""
    return json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    fields: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON error response in the service's one error shape."""
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        detail["fields"] = fields
    return JSONResponse({"error": detail}, status_code=status_code, headers=headers)


def _field_name(loc: Sequence[Any]) -> str:
    # ("body", "email") -> "email"; ("query", "limit") -> "limit"; ("body",) -> "body"
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    if len(parts) == 1 and parts[0].isdigit():
        # A JSON decode error's location is a character offset into the body.
        return "body"
    return ".".join(parts) or "body"


def validation_summary(errors: Sequence[Any]) -> tuple[str, list[str]]:
    """``("<field>: <problem>; ...", [fields])`` built from pydantic errors, inputs left out."""
    problems: list[str] = []
    fields: list[str] = []
    for error in errors:
        if not isinstance(error, dict):
            continue
        field = _field_name(error.get("loc", ()))
        problem = str(error.get("msg", "is invalid"))
        if error.get("type") == "missing":
            problem = "is required"
        elif error.get("type") == "json_invalid":
            problem = "is not valid JSON"
        problems.append(f"{field}: {problem}")
        if field not in fields:
            fields.append(field)
    return ("; ".join(problems) or "the request is invalid", fields)


HTTP_STATUS: dict[type[NetraError], int] = {
    AuthError: 401,
    NotFoundError: 404,
    ConflictError: 409,
    TooManyAttemptsError: 429,
    StorageError: 503,
}
"""The HTTP status of each error family; a subclass takes its nearest ancestor's."""

_INTERNAL = (500, 503)


def status_of(exc: NetraError) -> int:
    """The HTTP status ``exc`` is answered with (500 for a family the table lacks)."""
    for cls in type(exc).__mro__:
        status = HTTP_STATUS.get(cls)
        if status is not None:
            return status
    return 500


def _headers_of(exc: NetraError, status: int) -> dict[str, str] | None:
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int | float) and retry_after > 0:
        return {"Retry-After": str(math.ceil(retry_after))}
    if status == 503:
        return {"Retry-After": "1"}
    return None


async def _netra_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NetraError)
    status = status_of(exc)
    message = exc.message
    if status in _INTERNAL:
        # The cause may hold SQL and parameters: log it, send a generic sentence.
        logger.error("%s %s: %s", request.method, request.url.path, exc, exc_info=exc)
        message = (
            "the database is unavailable; try again shortly"
            if status == 503
            else "the server failed to answer this request"
        )
    return error_response(status, exc.code, message, headers=_headers_of(exc, status))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message, fields = validation_summary(exc.errors())
    return error_response(422, "invalid_request", message, fields=fields)


# FastAPI's answer to a body it cannot decode at all (not UTF-8, say), which is the same
# problem as a body that is not JSON: answered the same way, 422 naming the body.
_UNPARSABLE_BODY = "There was an error parsing the body"


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        return error_response(422, "invalid_request", "body: is not valid JSON", fields=["body"])
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = "error"
    own_code = getattr(exc, "code", None)
    code = (
        own_code
        if isinstance(own_code, str)
        else phrase.lower().replace(" ", "_").replace("-", "_")
    )
    message = exc.detail if isinstance(exc.detail, str) else phrase
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, code, message, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app``."""
    app.add_exception_handler(NetraError, _netra_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
