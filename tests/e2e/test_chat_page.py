"""The chat page in a real browser (Debian's chromium through Playwright) against a real server.

One server subprocess for the module (``test_framework/scripted_server.py``: the built-in agents
plus ``slow_steps``, a run that lasts), one browser; each test gets fresh browser contexts, so
no storage carries over. The restart test kills that server and starts it again on the same
port and data directory. Skipped, naming the package, where chromium is not installed.

``NETRA_PAGE_SCREENSHOTS=DIR`` saves the README's screenshots of a finished cost run there.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from test_framework.browser import chromium_or_skip
from test_framework.openai_standin import OpenAIStandIn, Stream
from test_framework.scripted_server import LAUNCHER
from test_framework.server import ServerProcess, start_server
from test_framework.users import unique_email

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough password"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
SCREENSHOTS_ENV = "NETRA_PAGE_SCREENSHOTS"
STEPS = 12  # slow_steps' default number of steps


@dataclass
class PageServer:
    """The module's server; ``restart()`` kills it and starts it on the same port and data."""

    server: ServerProcess
    data_dir: Path

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def kill(self) -> None:
        self.server.process.kill()
        self.server.process.wait(timeout=10)
        self.server.stop()

    def start_again(self) -> None:
        self.server = start_server(data_dir=self.data_dir, port=self.server.port, launcher=LAUNCHER)


@pytest.fixture(scope="module")
def page_server() -> Iterator[PageServer]:
    data_dir = Path(tempfile.mkdtemp(prefix="netra-page-"))
    holder = PageServer(start_server(data_dir=data_dir, launcher=LAUNCHER), data_dir)
    try:
        yield holder
    finally:
        holder.server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_or_skip() as chromium:
        yield chromium


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=DESKTOP)
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


def open_page(ctx: Any, base_url: str) -> Any:
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.goto(base_url + "/")
    return page


def sign_up(page: Any, email: str | None = None) -> str:
    """Create an account with the Sign up tab (Enter submits it) and wait until connected."""
    address = email or unique_email()
    page.click("#tab-signup")
    page.fill("#signup-email", address)
    page.fill("#signup-password", PASSWORD)
    page.press("#signup-password", "Enter")
    wait_connected(page)
    return address


def wait_connected(page: Any) -> None:
    page.wait_for_selector("#connection[data-state=connected]")


def ask_cost(page: Any, spend: str = "12,500", other: str = "Redshift") -> None:
    page.select_option("#agent", "cost_optimizer")
    page.fill("#monthly-spend", spend)
    page.fill("#other-services", other)
    page.click("#send")


def ask(page: Any, agent: str, message: str) -> None:
    page.select_option("#agent", agent)
    page.fill("#message", message)
    page.click("#send")


def token_of(page: Any) -> str:
    return str(page.evaluate("JSON.parse(localStorage.getItem('netra.session')).token"))


def api_get(base_url: str, path: str, token: str) -> Any:
    response = httpx.get(base_url + path, headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def finished_turns(page: Any, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('.turn .run.completed, .turn .run.failed,"
        " .turn .run.cancelled').length >= n",
        arg=count,
    )


def step_seqs(page: Any) -> list[int]:
    """Every `seq` the thread shows, in page order (a tool step holds its two events)."""
    values = page.eval_on_selector_all(
        ".turn .step", "items => items.map(i => i.dataset.seq).join(' ')"
    )
    return [int(v) for v in str(values).split()]


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"page is {width}px wide in a {viewport}px viewport"


def screenshot_dir(tmp_path: Path) -> Path:
    configured = os.environ.get(SCREENSHOTS_ENV)
    directory = Path(configured) if configured else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_cost_run_shows_totals_chart_sorted_table_and_survives_reload(
    context: Any, page_server: PageServer, tmp_path: Path
) -> None:
    page = open_page(context, page_server.base_url)
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.on("websocket", lambda ws: urls.append(ws.url))
    sign_up(page)
    page.wait_for_selector("#services input[value='Amazon EC2']:checked")
    ask_cost(page)
    page.wait_for_selector(".turn .run.completed table.recommendations")

    token = token_of(page)
    assert any("/api/ws" in url for url in urls)
    assert not [url for url in urls if token in url or token[-20:] in url]
    run = api_get(page_server.base_url, "/api/runs", token)["runs"][0]
    result = run["result"]
    assert run["request"]["context"]["monthly_spend"] == 12500
    assert "Redshift" in run["request"]["context"]["primary_services"]

    turn = page.locator(".turn").first
    assert "Amazon EC2" in turn.locator(".question-text").inner_text()
    assert (
        turn.locator(".total-monthly").inner_text() == f"${result['cost_savings']['monthly']:,.2f}"
    )
    assert turn.locator(".total-annual").inner_text() == f"${result['cost_savings']['annual']:,.2f}"
    savings = [
        float(s)
        for s in turn.locator("table.recommendations tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.savings)"
        )
    ]
    expected = sorted(r["estimated_monthly_savings"] for r in result["recommendations"])[::-1]
    assert savings == expected and len(savings) >= 5
    first_row = turn.locator("table.recommendations tbody tr").first.inner_text()
    top = max(result["recommendations"], key=lambda r: r["estimated_monthly_savings"])
    assert top["title"] in first_row and top["service"] in first_row
    assert turn.locator("table.recommendations a[href^='https://']").count() == len(savings)

    bars = turn.locator(".chart .bar").evaluate_all(
        "bars => bars.map(b => [b.dataset.service, Number(b.dataset.value)])"
    )
    by_service: dict[str, float] = {}
    for rec in result["recommendations"]:
        by_service[rec["service"]] = (
            by_service.get(rec["service"], 0) + rec["estimated_monthly_savings"]
        )
    assert [name for name, _ in bars] == sorted(by_service, key=lambda s: -by_service[s])
    for name, value in bars:
        assert value == pytest.approx(by_service[name])
    widths = turn.locator(".chart .bar-fill").evaluate_all(
        "fills => fills.map(f => f.getBoundingClientRect().width)"
    )
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1] > 0
    assert "Not modelled: Redshift" in turn.locator(".not-modelled").inner_text()
    turn.locator(".assumptions summary").click()
    assert turn.locator(".assumptions li").count() == len(result["assumptions"])
    turn.locator(".step.tool summary").click()
    assert "monthly_spend" in turn.locator(".tool-args").inner_text()
    assert '"recommendations"' in turn.locator(".tool-result").inner_text()
    assert "Used tool aws_cost_model" in turn.locator(".step.tool summary").inner_text()
    turn.locator(".step.tool summary").click()

    fits = turn.evaluate(
        """t => t.querySelector('table').getBoundingClientRect().right
               <= t.querySelector('.run').getBoundingClientRect().right"""
    )
    assert fits, "the recommendations table runs past its card"

    shots = screenshot_dir(tmp_path)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "chat-page-desktop.png"))
    page.set_viewport_size(PHONE)
    no_horizontal_scroll(page)
    page.evaluate("document.querySelector('.turn').scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots / "chat-page-phone.png"))
    assert (shots / "chat-page-phone.png").stat().st_size > 10_000
    page.set_viewport_size(DESKTOP)

    # A reload restores the thread from GET /api/runs/{run_id}; another tab needs no sign-in.
    page.reload()
    wait_connected(page)
    page.wait_for_selector(".turn .run.completed table.recommendations")
    assert page.locator(".turn").count() == 1
    assert page.locator(".turn table.recommendations tbody tr").count() == len(savings)
    second_tab = open_page(context, page_server.base_url)
    wait_connected(second_tab)
    assert second_tab.is_hidden("#auth")
    second_tab.wait_for_selector(".turn .run.completed table.recommendations")
    assert second_tab.locator(".history-item").count() == 1
    assert not page.errors and not second_tab.errors


def test_triage_reading_and_switch_agent_then_field_validation(
    context: Any, page_server: PageServer
) -> None:
    page = open_page(context, page_server.base_url)
    page.click("#tab-signup")
    page.click("#register")
    assert page.inner_text("#signup-email-error") == "Enter your email address."
    assert "at least 8 characters" in page.inner_text("#signup-password-error")
    sign_up(page)

    question = "Our AWS bill is far too expensive, how do we cut the cost?"
    ask(page, "triage_agent", question)
    page.wait_for_selector(".turn .answer-triage")
    assert page.inner_text(".turn .intent") == "cost"
    assert page.inner_text(".turn .confidence").strip().endswith("%")
    assert page.inner_text(".turn .reply")
    assert page.locator(".turn .step.thinking").count() == 1
    assert "intent_classifier" in page.inner_text(".turn .step.tool summary")

    page.click(".turn .switch-agent")
    assert page.input_value("#agent") == "cost_optimizer"
    assert page.is_visible("#monthly-spend")
    assert page.evaluate("document.activeElement.id") == "monthly-spend"
    assert page.input_value("#message") == question

    page.fill("#monthly-spend", "ten thousand")
    page.click("#send")
    assert "must be a number" in page.inner_text("#monthly-spend-error")
    assert page.get_attribute("#monthly-spend", "aria-invalid") == "true"
    page.fill("#monthly-spend", "1000")
    page.click("#breakdown summary")
    page.fill("#breakdown-rows input >> nth=0", "2000")
    page.click("#send")
    assert "more than the monthly spend" in page.inner_text("#breakdown-error")
    assert page.locator(".turn").count() == 1  # nothing was sent

    page.fill("#breakdown-rows input >> nth=0", "600")
    page.click("#send")
    finished_turns(page, 2)
    sent = api_get(page_server.base_url, "/api/runs", token_of(page))["runs"][0]
    assert sent["request"]["message"] == question
    assert sent["request"]["context"]["breakdown"] == {"Amazon EC2": 600}

    # One thread is one conversation; Clear thread starts the next one.
    page.click("#clear-thread")
    ask(page, "triage_agent", "How fast is it?")
    finished_turns(page, 1)
    runs = api_get(page_server.base_url, "/api/runs", token_of(page))["runs"]
    conversations = [run["request"].get("conversation_id") for run in runs]
    assert len(conversations) == 3 and all(conversations), conversations
    assert conversations[1] == conversations[2] != conversations[0]
    assert not page.errors


def test_logout_leaves_nothing_and_other_users_see_none_of_the_runs(
    browser: Any, page_server: PageServer
) -> None:
    first = browser.new_context(viewport=DESKTOP)
    other = browser.new_context(viewport=DESKTOP)
    try:
        page = open_page(first, page_server.base_url)
        twin = open_page(first, page_server.base_url)
        email = sign_up(page)
        wait_connected(twin)  # the second tab follows the sign-in
        ask_cost(page, spend="7,777", other="Glacier")
        page.wait_for_selector(".turn .run.completed table.recommendations")
        page.wait_for_selector(".history-item")

        page.click("#logout")
        page.wait_for_selector("#login-form:visible")
        twin.wait_for_selector("#login-form:visible")  # every tab of the session signs out
        for tab in (page, twin):
            left = tab.evaluate(
                """() => ({
                  local: Object.keys(localStorage), session: Object.keys(sessionStorage),
                  cookies: document.cookie, html: document.body.innerHTML,
                  fields: [...document.querySelectorAll('input, textarea')]
                    .filter(f => f.type !== 'checkbox').map(f => f.value).filter(Boolean),
                })"""
            )
            assert left["local"] == [] and left["session"] == [] and left["cookies"] == ""
            assert left["fields"] == []
            for trace in (email, "7,777", "7777", "Glacier", "Amazon EC2</td>", "aws_cost_model"):
                assert trace not in left["html"], f"{trace!r} is still on the page"
        assert page.inner_text("#auth-notice") == "You are signed out."

        # The next user in that same tab, and one in another browser context, see nothing.
        sign_up(page)
        page.wait_for_selector("#history-status:text('No runs yet.')")
        assert page.locator(".turn").count() == 0
        stranger = open_page(other, page_server.base_url)
        sign_up(stranger)
        stranger.wait_for_selector("#history-status:text('No runs yet.')")
        assert stranger.locator(".turn").count() == 0
        assert email not in stranger.content()
        assert api_get(page_server.base_url, "/api/runs", token_of(stranger))["runs"] == []
    finally:
        first.close()
        other.close()


def test_expired_or_rejected_session_says_so(context: Any, page_server: PageServer) -> None:
    page = open_page(context, page_server.base_url)
    email = sign_up(page)
    ask(page, "triage_agent", "hello")
    finished_turns(page, 1)
    page.evaluate(
        """() => { const s = JSON.parse(localStorage.getItem('netra.session'));
                   s.expires_at = Date.now() - 1000;
                   localStorage.setItem('netra.session', JSON.stringify(s)); }"""
    )
    page.reload()
    page.wait_for_selector("#login-form:visible")
    assert "expired" in page.inner_text("#auth-notice")
    assert page.evaluate("Object.keys(localStorage)") == []

    sign_up(page)
    page.evaluate(
        """() => { const s = JSON.parse(localStorage.getItem('netra.session'));
                   s.token = s.token.slice(0, -4) + 'AAAA';
                   localStorage.setItem('netra.session', JSON.stringify(s)); }"""
    )
    page.reload()  # the server closes the socket with 4401
    page.wait_for_selector("#login-form:visible")
    assert "sign in again" in page.inner_text("#auth-notice")
    assert page.input_value("#login-password") == ""

    # Log in (Enter in the visible form logs in): the account's own run is in the history.
    page.fill("#login-email", email)
    page.fill("#login-password", PASSWORD)
    page.press("#login-password", "Enter")
    wait_connected(page)
    page.wait_for_selector(".history-item")
    assert page.locator(".history-item").count() == 1
    assert "hello" in page.inner_text(".history-item")


def test_cancel_a_running_run_and_stream_a_reply(context: Any, page_server: PageServer) -> None:
    page = open_page(context, page_server.base_url)
    sign_up(page)
    page.wait_for_selector("#agent option[value=slow_steps]", state="attached")
    ask(page, "slow_steps", "take your time")
    page.wait_for_selector(".turn .run.running .spinner:visible")
    page.wait_for_selector(".turn .step.thinking")
    assert page.locator(".turn .elapsed").inner_text().startswith("for ")
    page.click(".turn .cancel")
    page.wait_for_selector(".turn .run.cancelled")
    assert "cancelled" in page.inner_text(".turn .cancelled-note")
    assert page.is_hidden(".turn .cancel") and page.is_hidden(".turn .spinner")
    assert page.locator(".turn .step.thinking").count() < STEPS

    ask(page, "slow_steps", "again, to the end")
    finished_turns(page, 2)
    last = page.locator(".turn").nth(1)
    assert last.locator(".run.completed").count() == 1
    assert last.inner_text().count(f"Finished all {STEPS} steps.") == 1
    events = api_get(
        page_server.base_url,
        "/api/runs/" + last.get_attribute("data-run-id"),
        token_of(page),
    )["events"]
    # The reply streamed in: shown as the growing message, not repeated below it.
    assert any(e["type"] == "agent_message_delta" for e in events)
    reply = last.locator(".step.message .message-text").inner_text()
    assert reply == f"Finished all {STEPS} steps."
    assert not page.errors


def test_server_killed_and_restarted_page_reconnects_and_shows_every_step_once(
    context: Any, page_server: PageServer
) -> None:
    page = open_page(context, page_server.base_url)
    sign_up(page)
    ask(page, "triage_agent", "is my database slow?")
    finished_turns(page, 1)
    ask(page, "slow_steps", "long one")
    page.wait_for_selector(f".turn .step.thinking:text('Step 2 of {STEPS}')")
    token = token_of(page)

    page_server.kill()  # SIGKILL mid-run
    page.wait_for_selector("#connection[data-state=reconnecting]")
    assert "Reconnecting in" in page.inner_text("#connection")
    assert page.is_disabled("#send")
    page_server.start_again()
    # Runs made while the page is away: it must catch up on them by itself.
    for message in ("cut my AWS bill", "hello there"):
        run_elsewhere(page_server, token, message)

    wait_connected(page)
    finished_turns(page, 4)
    assert page.is_enabled("#send")
    turns = page.locator(".turn")
    assert turns.count() == 4
    killed = turns.nth(1)
    assert "went down" in killed.locator(".failure").inner_text()
    thinking = killed.locator(".step.thinking").all_inner_texts()
    assert len(thinking) == len(set(thinking)) >= 2
    for index in (0, 2, 3):
        assert turns.nth(index).locator(".step.thinking").count() == 1
        assert turns.nth(index).locator(".step.tool").count() == 1
        assert turns.nth(index).locator(".answer-triage").count() == 1
    assert turns.nth(2).locator(".question-text").inner_text() == "cut my AWS bill"
    seqs = step_seqs(page)
    assert seqs == sorted(set(seqs)), "a step is shown twice or out of order"

    ask(page, "triage_agent", "and one more")
    finished_turns(page, 5)
    ids = page.eval_on_selector_all(".turn", "ts => ts.map(t => t.dataset.runId)")
    assert len(ids) == len(set(ids)) == 5
    assert not page.errors


def run_elsewhere(page_server: PageServer, token: str, message: str) -> None:
    """One triage run from another client of the same user, waited for to the end."""
    with connect(
        page_server.server.ws_url, additional_headers={"authorization": f"Bearer {token}"}
    ) as ws:
        ws.send(json.dumps({"type": "agent_request", "agent": "triage_agent", "message": message}))
        while json.loads(ws.recv(timeout=10))["type"] != "agent_completed":
            pass


def test_position_the_server_cannot_resume_from_resyncs_over_http(
    context: Any, page_server: PageServer
) -> None:
    page = open_page(context, page_server.base_url)
    sign_up(page)
    ask(page, "triage_agent", "first question")
    finished_turns(page, 1)
    page.close()
    # A position beyond the server's (as after a restore from backup): resume_failed.
    first = open_page(context, page_server.base_url)
    first.evaluate("localStorage.setItem('netra.last_seq', '1000000')")
    first.close()
    run_elsewhere(page_server, token_of_context(context), "asked in another client")

    page = open_page(context, page_server.base_url)
    wait_connected(page)
    finished_turns(page, 2)
    questions = page.locator(".turn .question-text").all_inner_texts()
    assert questions == ["first question", "asked in another client"]
    ask(page, "triage_agent", "after the resync")
    finished_turns(page, 3)
    assert page.evaluate("Number(localStorage.getItem('netra.last_seq'))") < 1000000
    assert not page.errors


def token_of_context(ctx: Any) -> str:
    state = ctx.storage_state()
    for origin in state["origins"]:
        for item in origin["localStorage"]:
            if item["name"] == "netra.session":
                return str(json.loads(item["value"])["token"])
    raise AssertionError("no session in the context's storage")


def test_phone_width_has_no_horizontal_scroll(browser: Any, page_server: PageServer) -> None:
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = open_page(phone, page_server.base_url)
        no_horizontal_scroll(page)
        sign_up(page)
        ask_cost(page, spend="250000", other="Redshift, CloudFront, an-extremely-long-name-x" * 2)
        page.wait_for_selector(".turn .run.completed table.recommendations")
        ask(page, "triage_agent", "w" * 300)
        finished_turns(page, 2)
        for summary in page.locator(".step.tool summary").all():
            summary.click()
        page.click("#history-panel summary")
        page.wait_for_selector(".history-item")
        no_horizontal_scroll(page)
        box = page.locator("#logout").bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
        # Keyboard only: Tab reaches Send from the message box, and Enter on it sends.
        page.focus("#message")
        page.fill("#message", "keyboard question")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "send"
        page.keyboard.press("Enter")
        finished_turns(page, 3)
    finally:
        phone.close()


def test_dark_scheme_changes_the_colours(browser: Any, page_server: PageServer) -> None:
    colours = []
    for scheme in ("light", "dark"):
        ctx = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
        try:
            page = open_page(ctx, page_server.base_url)
            colours.append(page.evaluate("getComputedStyle(document.body).backgroundColor"))
        finally:
            ctx.close()
    assert colours[0] != colours[1]


def test_docs_page_renders_without_internet(context: Any, page_server: PageServer) -> None:
    outside: list[str] = []

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(page_server.base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    page.goto(page_server.base_url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock-tag")
    assert "/api/auth/register" in page.inner_text(".swagger-ui")
    assert outside == []


@pytest.fixture(scope="module")
def model() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as standin:
        yield standin


@pytest.fixture(scope="module")
def assistant_server(model: OpenAIStandIn) -> Iterator[ServerProcess]:
    """The scripted server with the assistant on, its model the loopback stand-in."""
    env = {"NETRA_LLM_BASE_URL": model.base_url, "NETRA_LLM_MODEL": "standin-model"}
    server = start_server(env=env, launcher=LAUNCHER)
    try:
        yield server
    finally:
        server.stop()


def test_the_assistants_reply_grows_as_it_streams_and_the_thread_is_its_conversation(
    context: Any, assistant_server: ServerProcess, model: OpenAIStandIn
) -> None:
    first = Stream.reply("Graviton instances cost about 20% less.", pieces=8, hold_after=4)
    second = Stream.reply("Yes: the same saving applies to RDS.", pieces=4)
    model.script(first, second)
    page = open_page(context, assistant_server.base_url)
    sign_up(page)
    page.wait_for_selector("#agent option[value=assistant]", state="attached")
    ask(page, "assistant", "What would Graviton save?")
    # Half of the reply has streamed and the model holds the rest: the page shows the half.
    assert first.held.wait(20)
    page.wait_for_function(
        "() => (document.querySelector('.turn .message-text')?.textContent || '').length > 0"
    )
    shown = page.inner_text(".turn .step.message .message-text")
    assert shown and "Graviton instances cost about 20% less.".startswith(shown)
    assert shown != "Graviton instances cost about 20% less."
    assert page.locator(".turn .run.running").count() == 1
    first.release()
    page.wait_for_selector(".turn .run.completed")
    reply = page.inner_text(".turn .step.message .message-text")
    assert reply == "Graviton instances cost about 20% less."
    assert page.locator(".turn").inner_text().count(reply) == 1

    # The next question in the thread carries the conversation: the model sees the turn.
    ask(page, "assistant", "And for RDS?")
    finished_turns(page, 2)
    messages = model.bodies()[-1]["messages"]
    said = [(m["role"], m["content"]) for m in messages if m["role"] in ("user", "assistant")]
    assert said == [
        ("user", "What would Graviton save?"),
        ("assistant", "Graviton instances cost about 20% less."),
        ("user", "And for RDS?"),
    ]
    assert not page.errors
