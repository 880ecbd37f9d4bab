"""The one seam where model-provider failures become :class:`ProviderError`.

The ``openai`` SDK's exceptions (and HTTP statuses) map to the ``provider_*`` run error codes:

======================================================  ========================  ==========
What happened                                           ``code``                  ``status``
======================================================  ========================  ==========
connection refused or cut, DNS failure, timeout         ``provider_unavailable``  --
HTTP 5xx                                                ``provider_unavailable``  the status
the stream ended without a ``finish_reason``            ``provider_unavailable``  --
HTTP 401, 403                                           ``provider_auth``         the status
HTTP 429 (``retry_after`` from ``retry-after-ms``, or   ``provider_rate_limited`` 429
``Retry-After`` in seconds or as an HTTP date)
any other HTTP 4xx (404: an unknown model, say)         ``provider_error``        the status
an error event inside the stream, any other SDK error   ``provider_error``        --
======================================================  ========================  ==========

``status`` is the HTTP status of a refused request; a failure after the stream began (a cut,
an error event) has none, the provider having answered 200. Messages name the provider by
``host:port`` only (userinfo in the URL is dropped) and the status: never the API key, never
the provider's response body (it may echo the request or the key). The SDK exception is not
chained (``from None``): its request carries the ``Authorization`` header.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import openai

from netra_backend.app.errors import ProviderError
from netra_backend.app.websocket_core.codes import RunErrorCode


def provider_address(base_url: str) -> str:
    """``host:port`` of ``base_url``, without userinfo, path or query (default ports filled)."""
    parts = urlsplit(base_url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return f"{host}:{port}"


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, else ``Retry-After`` (seconds or HTTP date).

    ``headers`` is matched case-insensitively; an unreadable or negative value gives None, a
    date in the past 0.0. ``now`` (epoch seconds) is for tests.
    """
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    millis = _number(lowered.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = lowered.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT by definition
        return None
    current = time.time() if now is None else now
    return max(0.0, round(when.timestamp() - current, 3))


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number


def status_error(status: int, headers: Mapping[str, str], where: str) -> ProviderError:
    """The :class:`ProviderError` of an HTTP ``status`` answer from the provider at ``where``."""
    if status in (401, 403):
        return ProviderError(
            RunErrorCode.PROVIDER_AUTH.value,
            f"the model provider at {where} refused the API key (HTTP {status})",
            status=status,
        )
    if status == 429:
        retry_after = retry_after_seconds(headers)
        later = "" if retry_after is None else f"; retry after {retry_after:g} s"
        return ProviderError(
            RunErrorCode.PROVIDER_RATE_LIMITED.value,
            f"the model provider at {where} is rate limiting requests (HTTP 429){later}",
            status=status,
            retry_after=retry_after,
        )
    if status >= 500:
        return ProviderError(
            RunErrorCode.PROVIDER_UNAVAILABLE.value,
            f"the model provider at {where} failed (HTTP {status})",
            status=status,
        )
    return ProviderError(
        RunErrorCode.PROVIDER_ERROR.value,
        f"the model provider at {where} refused the request (HTTP {status})",
        status=status,
    )


def translate(error: BaseException, where: str, *, streaming: bool = False) -> ProviderError:
    """The :class:`ProviderError` for an SDK (or socket) ``error``; raise it ``from None``.

    ``streaming``: the stream had begun (a lost connection then is a cut, not a refusal).
    """
    if isinstance(error, openai.APIStatusError):
        return status_error(error.status_code, error.response.headers, where)
    if isinstance(error, openai.APITimeoutError | TimeoutError):
        return ProviderError(
            RunErrorCode.PROVIDER_UNAVAILABLE.value, f"the model provider at {where} timed out"
        )
    if isinstance(error, openai.APIConnectionError | OSError):
        what = "cut the stream off before it ended" if streaming else "could not be reached"
        return ProviderError(
            RunErrorCode.PROVIDER_UNAVAILABLE.value, f"the model provider at {where} {what}"
        )
    # An error event inside the stream, an unreadable answer, any other SDK failure.
    return ProviderError(
        RunErrorCode.PROVIDER_ERROR.value,
        f"the model provider at {where} reported an error"
        + (" in its stream" if streaming else ""),
    )


def stream_unfinished(where: str) -> ProviderError:
    """The stream ended (``[DONE]`` or EOF) without a ``finish_reason``."""
    return ProviderError(
        RunErrorCode.PROVIDER_UNAVAILABLE.value,
        f"the model provider at {where} ended its stream without finishing the answer",
    )


TRANSLATED: tuple[type[BaseException], ...] = (openai.OpenAIError, OSError, TimeoutError)
"""What :func:`translate` takes; anything else is a bug of ours, not a provider failure."""
