"""The chat page in a real browser: sign up, ask cost_optimizer, watch the five events land.

Drives Debian's chromium through Playwright (Playwright's own browser download cannot run
here). Skipped, naming what is missing, when chromium is not installed.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest

from test_framework.base_e2e_test import BaseE2ETest

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian package 'chromium')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class TestChatPage(BaseE2ETest):
    def test_signup_then_cost_optimizer_run_shows_five_events(self, browser: object) -> None:
        page = browser.new_page()  # type: ignore[attr-defined]
        try:
            page.goto(self.http_url("/"))
            page.fill("#email", f"page-{uuid.uuid4().hex[:12]}@example.com")
            page.fill("#password", "a long enough password")
            page.click("#register")
            page.wait_for_selector("#status:text('online')")
            page.click("#send")
            page.wait_for_selector("#events li.agent_completed", timeout=60_000)
            classes = page.eval_on_selector_all(
                "#events li", "items => items.map(i => i.className)"
            )
            assert classes == [
                "agent_started",
                "agent_thinking",
                "tool_executing",
                "tool_completed",
                "agent_completed",
            ]
            assert "savings opportunities" in page.inner_text("#events li.agent_completed")
        finally:
            page.close()

    def test_wrong_password_shows_the_servers_message(self, browser: object) -> None:
        page = browser.new_page()  # type: ignore[attr-defined]
        try:
            page.goto(self.http_url("/"))
            page.fill("#email", f"nobody-{uuid.uuid4().hex[:12]}@example.com")
            page.fill("#password", "not the password")
            page.click("#login")
            page.wait_for_selector("#auth-error:not(:empty)")
            assert "invalid email or password" in page.inner_text("#auth-error").lower()
            assert page.is_hidden("#chat")
        finally:
            page.close()
