"""Mission critical: the Golden Path from sign-up to a finished, recorded agent run.

Run with pytest, or directly: ``python tests/mission_critical/test_golden_path_websocket_flow.py``
(the exit status is the result).
"""

from __future__ import annotations

import sys

import pytest

from test_framework.base_e2e_test import BaseE2ETest
from test_framework.envelopes import assert_run_contract
from test_framework.users import TEST_PASSWORD, unique_email
from test_framework.websocket_helpers import WebSocketTestClient

pytestmark = pytest.mark.mission_critical

COST_CONTEXT = {"monthly_spend": 10000, "primary_services": ["EC2", "RDS", "S3"]}


class TestGoldenPathWebSocketFlow(BaseE2ETest):
    async def test_signup_login_run_and_history(self) -> None:
        email = unique_email("golden")
        async with self.http_client() as http:
            registered = await http.post(
                "/api/auth/register",
                json={"email": email, "password": TEST_PASSWORD, "subscription": "early"},
            )
            assert registered.status_code == 201, registered.text
            body = registered.json()
            assert body["email"] == email and body["subscription"] == "early" and body["token"]
            again = await http.post(
                "/api/auth/register",
                json={"email": email, "password": TEST_PASSWORD, "subscription": "early"},
            )
            assert again.status_code == 409
            login = await http.post(
                "/api/auth/login", json={"email": email, "password": TEST_PASSWORD}
            )
            assert login.status_code == 200, login.text
            token, user_id = login.json()["token"], login.json()["user_id"]
            assert user_id == body["user_id"]
            me = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200 and me.json()["email"] == email

        async with WebSocketTestClient(self.ws_url, token) as client:
            await client.request_agent("cost_optimizer", "Cut my AWS bill", context=COST_CONTEXT)
            events = await client.receive_run(timeout=60)
        assert_run_contract(events)
        run_id = events[0]["run_id"]
        assert events[-1]["data"]["result"]["recommendations"]

        async with self.http_client() as http:
            runs = await http.get("/api/runs", headers={"Authorization": f"Bearer {token}"})
        assert runs.status_code == 200, runs.text
        recorded = runs.json()["runs"]
        assert recorded and recorded[0]["run_id"] == run_id
        assert recorded[0]["agent"] == "cost_optimizer"

    async def test_same_email_twice_is_the_same_user(self) -> None:
        email = unique_email("repeat")
        first = await self.create_test_user(email=email, subscription="mid")
        second = await self.create_test_user(email=email, subscription="mid")
        assert first.user_id == second.user_id
        assert first.email == second.email == email

    async def test_ping_is_answered_with_pong(self) -> None:
        user = await self.create_test_user()
        async with self.websocket(user) as client:
            await client.send_json({"type": "ping"})
            pong = await client.receive_until("pong", timeout=30)
        assert pong["type"] == "pong"

    async def test_bad_frame_gets_an_error_and_the_connection_stays_usable(self) -> None:
        user = await self.create_test_user()
        async with self.websocket(user) as client:
            await client.send_text("this is not json")
            error = await client.receive_until("error", timeout=30)
            assert error["data"]["code"] == "invalid_json"
            await client.send_json(
                {"type": "agent_request", "agent": "no_such_agent", "message": "hi"}
            )
            unknown = await client.receive_until("error", timeout=30)
            assert unknown["data"]["code"] == "unknown_agent"
            assert "triage_agent" in unknown["data"]["message"]
            await client.request_agent("triage_agent", "still there?")
            events = await client.receive_run(timeout=60)
        assert_run_contract(events)

    async def test_browser_style_subprotocol_auth_runs_the_golden_path(self) -> None:
        user = await self.create_test_user()
        client = WebSocketTestClient(
            self.ws_url, None, subprotocols=["netra.v1", f"bearer.{user.token}"]
        )
        async with client:
            assert client.subprotocol == "netra.v1"
            await client.request_agent("triage_agent", "hello from a browser")
            events = await client.receive_run(timeout=60)
        assert_run_contract(events)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-v", *sys.argv[1:]]))
