"""The stand-in provider itself, read with a plain HTTP client: wire format, script, records."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from test_framework.openai_standin import OpenAIStandIn, Status, Stream

pytestmark = pytest.mark.unit

WAIT = 30.0


@pytest.fixture
def provider() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as standin:
        yield standin


def _post(provider: OpenAIStandIn, body: dict[str, object]) -> httpx.Response:
    return httpx.post(
        f"{provider.base_url}/chat/completions",
        json=body,
        headers={"Authorization": "Bearer k"},
        timeout=WAIT,
    )


def _events(text: str) -> list[str]:
    return [line.removeprefix("data: ") for line in text.split("\n\n") if line]


def test_stream_sends_sse_chunks_then_done_chunked(provider: OpenAIStandIn) -> None:
    provider.script(Stream.reply("Hello!", pieces=2))
    response = _post(provider, {"model": "m", "stream": True})
    assert response.status_code == 200
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.headers["content-type"] == "text/event-stream"
    *chunks, done = _events(response.text)
    assert done == "[DONE]"
    decoded = [json.loads(chunk)["choices"][0] for chunk in chunks]
    assert [c["delta"].get("content") for c in decoded] == ["Hel", "lo!", None]
    assert [c["finish_reason"] for c in decoded] == [None, None, "stop"]


def test_tool_calls_arrive_in_pieces_with_the_id_and_name_first(provider: OpenAIStandIn) -> None:
    provider.script(Stream.calls(("echo", '{"text": "hi"}')))
    chunks = [json.loads(c) for c in _events(_post(provider, {}).text)[:-1]]
    pieces = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks[:-1]]
    assert pieces[0]["id"] == "call_0" and pieces[0]["function"]["name"] == "echo"
    assert "id" not in pieces[1] and "name" not in pieces[1]["function"]
    assert "".join(p["function"]["arguments"] for p in pieces) == '{"text": "hi"}'
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_status_answers_and_records_every_request(provider: OpenAIStandIn) -> None:
    provider.script(Status(429, {"error": {"message": "slow down"}}, {"Retry-After": "7"}))
    response = _post(provider, {"model": "m", "messages": []})
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    assert response.json() == {"error": {"message": "slow down"}}
    (request,) = provider.requests
    assert request.method == "POST" and request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer k"
    assert request.body == {"model": "m", "messages": []}


def test_an_empty_script_answers_500_and_counts_it(provider: OpenAIStandIn) -> None:
    provider.script()
    assert _post(provider, {}).status_code == 500
    assert provider.unscripted == 1


def test_cut_after_sends_half_a_chunk_and_aborts(provider: OpenAIStandIn) -> None:
    provider.script(Stream.reply("abcdef", pieces=3, cut_after=1))
    with pytest.raises(httpx.HTTPError):
        _post(provider, {})


def test_a_held_stream_sees_the_client_hang_up(provider: OpenAIStandIn) -> None:
    stream = Stream.reply("abcdef", pieces=3, hold_after=1)
    provider.script(stream)
    with (
        httpx.Client(timeout=WAIT) as client,
        client.stream("POST", f"{provider.base_url}/chat/completions", json={}) as response,
    ):
        first = next(response.iter_raw())
        assert b'"content": "ab"' in first
        assert stream.held.wait(WAIT)
    # Leaving the block closed the half-read response, and with it the connection.
    assert provider.disconnected.wait(WAIT)


def test_a_released_stream_finishes(provider: OpenAIStandIn) -> None:
    stream = Stream.reply("abcdef", pieces=3, hold_after=1)
    provider.script(stream)
    result: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: result.append(_post(provider, {})))
    thread.start()
    assert stream.held.wait(WAIT)
    stream.release()
    thread.join(WAIT)
    assert _events(result[0].text)[-1] == "[DONE]"
    assert not provider.disconnected.is_set()
