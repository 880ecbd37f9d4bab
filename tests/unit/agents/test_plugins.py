"""Loading plug-ins: every kind of reference, entry points, refusals, and all-or-nothing.

The plug-ins are real modules written to a temporary directory on ``sys.path``; entry points
come from a real ``.dist-info`` directory there, found by ``importlib.metadata`` as it finds
any installed distribution's.
"""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from netra_backend.app.agents import AgentRegistry
from netra_backend.app.agents.plugins import load_plugins
from netra_backend.app.agents.registry import default_registry
from netra_backend.app.config import Settings

pytestmark = pytest.mark.unit

LOGGER = "netra_backend.app.agents.plugins"

PLUGS = """
from netra_backend.app.agents import FunctionAgent, Tool


async def reply(request, run):
    return {"reply": request.message}


SCHEMA = {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}

AGENT = FunctionAgent(name="echo", func=reply, description="echoes")
TOOL = Tool("double", "doubles x", lambda x: 2 * x, SCHEMA)
LIST = [FunctionAgent(name="one", func=reply), TOOL, FunctionAgent(name="two", func=reply)]
MAX_NAME = FunctionAgent(name="n" * 128, func=reply)
SEEN = []


def with_settings(settings):
    SEEN.append(settings)
    return FunctionAgent(name=f"limit_{settings.max_message_chars}", func=reply)


def without_settings():
    return (FunctionAgent(name="made", func=reply), TOOL)


def optional_settings(settings=None):
    SEEN.append(settings)
    return AGENT


class ClassAgent:
    name = "class_agent"
    description = "built by calling its class"

    async def run(self, request, run):
        return {}


class Holder:
    AGENT = FunctionAgent(name="held", func=reply)


class CallableAgent:
    async def __call__(self, request, run):
        return {}


CALLABLE_FUNC = FunctionAgent(name="callable_func", func=CallableAgent())


class SyncRun:
    name = "sync_run"
    description = ""

    def run(self, request, run):
        return {}


SYNC_RUN = SyncRun()
SYNC_FUNCTION = FunctionAgent(name="sync_function", func=lambda request, run: {})
UNNAMED = FunctionAgent(name="", func=reply)
LONG_NAME = FunctionAgent(name="n" * 129, func=reply)
NUMBER_NAME = FunctionAgent(name=7, func=reply)
NO_SCHEMA = Tool("bare", "no schema", lambda: 1)
ARRAY_SCHEMA = Tool("listy", "an array schema", lambda: 1, {"type": "array"})
SPACED_TOOL = Tool("has space", "not a model-callable name", lambda x: x, SCHEMA)


async def async_factory():
    return AGENT


def returns_coroutine():
    return async_factory()


def two_arguments(settings, extra):
    return AGENT


def raises():
    raise RuntimeError("no licence key")


EMPTY = []
NOT_AN_AGENT = "echo"
NESTED_FACTORY = [without_settings]
CLASH = [FunctionAgent(name="fresh", func=reply), FunctionAgent(name="triage_agent", func=reply)]
TWINS = [FunctionAgent(name="twin", func=reply), FunctionAgent(name="twin", func=reply)]
HALF_BROKEN = [FunctionAgent(name="good_half", func=reply), NO_SCHEMA]
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on ``sys.path`` holding the ``plugs`` module; what it imported is forgotten."""
    directory = tmp_path / "site"
    directory.mkdir()
    (directory / "plugs.py").write_text(PLUGS, encoding="utf-8")
    # syspath_prepend also clears importlib's caches, so new distributions are found.
    monkeypatch.syspath_prepend(str(directory))
    yield directory
    # Only the plug-in modules: whatever else a test imported for the first time stays.
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(directory)):
            del sys.modules[name]


def settings(*references: str, max_message_chars: int = 16_000) -> Settings:
    """Settings naming ``references`` in ``NETRA_AGENTS`` (keywords beat the environment)."""
    return Settings(agents=references, max_message_chars=max_message_chars)


def write_distribution(site: Path, name: str, entry_points: dict[str, str]) -> None:
    """A distribution installed in ``site``: its metadata and ``netra.agents`` entry points."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = [f"{key} = {value}" for key, value in entry_points.items()]
    (info / "entry_points.txt").write_text("[netra.agents]\n" + "\n".join(lines) + "\n")


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelname == "WARNING"]


def infos(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelname == "INFO"]


@pytest.fixture(autouse=True)
def _capture(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)


# --- every kind of reference -------------------------------------------------------------


@pytest.mark.usefixtures("site")
def test_load_plugins_registers_an_agent_object() -> None:
    registry = AgentRegistry()
    assert load_plugins(registry, settings("plugs:AGENT")) == ["echo"]
    agent = registry.get("echo")
    assert agent is not None and agent.description == "echoes"


@pytest.mark.usefixtures("site")
def test_load_plugins_registers_a_tool() -> None:
    registry = AgentRegistry()
    assert load_plugins(registry, settings("plugs:TOOL")) == ["double"]
    assert [tool.name for tool in registry.tools()] == ["double"]
    assert registry.names() == []


@pytest.mark.usefixtures("site")
def test_load_plugins_registers_a_list_in_its_order() -> None:
    registry = AgentRegistry()
    assert load_plugins(registry, settings("plugs:LIST")) == ["one", "double", "two"]
    assert registry.names() == ["one", "two"]
    assert [tool.name for tool in registry.tools()] == ["double"]


@pytest.mark.usefixtures("site")
def test_load_plugins_calls_a_factory_with_the_settings() -> None:
    configured = settings("plugs:with_settings", max_message_chars=77)
    registry = AgentRegistry()
    assert load_plugins(registry, configured) == ["limit_77"]
    seen = sys.modules["plugs"].SEEN
    assert seen == [configured]


@pytest.mark.usefixtures("site")
def test_load_plugins_calls_a_factory_taking_nothing_without_arguments() -> None:
    registry = AgentRegistry()
    assert load_plugins(registry, settings("plugs:without_settings")) == ["made", "double"]


@pytest.mark.usefixtures("site")
def test_load_plugins_passes_the_settings_to_a_factory_whose_parameter_is_optional() -> None:
    configured = settings("plugs:optional_settings")
    assert load_plugins(AgentRegistry(), configured) == ["echo"]
    seen = sys.modules["plugs"].SEEN
    assert seen == [configured]


@pytest.mark.usefixtures("site")
def test_load_plugins_calls_a_class_even_when_it_looks_like_an_agent() -> None:
    registry = AgentRegistry()
    assert load_plugins(registry, settings("plugs:ClassAgent")) == ["class_agent"]
    agent = registry.get("class_agent")
    assert agent is not None and not isinstance(agent, type)


@pytest.mark.usefixtures("site")
def test_load_plugins_follows_a_dotted_attribute() -> None:
    assert load_plugins(AgentRegistry(), settings("plugs:Holder.AGENT")) == ["held"]


@pytest.mark.usefixtures("site")
def test_load_plugins_accepts_edge_cases_of_the_checks() -> None:
    # 128 characters is the longest name; an object with an async __call__ is an async function.
    loaded = load_plugins(AgentRegistry(), settings("plugs:MAX_NAME", "plugs:CALLABLE_FUNC"))
    assert loaded == ["n" * 128, "callable_func"]


@pytest.mark.usefixtures("site")
def test_load_plugins_info_line_lists_each_plugin_and_its_items(
    caplog: pytest.LogCaptureFixture,
) -> None:
    load_plugins(AgentRegistry(), settings("plugs:AGENT", "plugs:without_settings"))
    assert infos(caplog) == [
        "plug-ins loaded: plugs:AGENT: agent 'echo'; "
        "plugs:without_settings: agent 'made', tool 'double'"
    ]


def test_load_plugins_without_plugins_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    assert load_plugins(AgentRegistry(), settings()) == []
    assert infos(caplog) == [] and warnings(caplog) == []


# --- broken plug-ins: reported with name and error, the rest still load ------------------


def test_load_plugins_reports_broken_plugins_by_name_and_error_and_loads_the_rest(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (site / "broken_import.py").write_text("import no_such_dependency\n")
    references = (
        "no_such_module:thing",
        "plugs:AGENT",
        "broken_import:plugin",
        "plugs:missing",
        "plugs:raises",
        "not a reference",
        "plugs:TOOL",
    )
    registry = AgentRegistry()
    assert load_plugins(registry, settings(*references)) == ["echo", "double"]
    assert warnings(caplog) == [
        "plug-in no_such_module:thing was not loaded: ModuleNotFoundError: "
        "No module named 'no_such_module'",
        "plug-in broken_import:plugin was not loaded: ModuleNotFoundError: "
        "No module named 'no_such_dependency'",
        "plug-in plugs:missing was not loaded: AttributeError: "
        "module 'plugs' has no attribute 'missing'",
        "plug-in plugs:raises was not loaded: RuntimeError: no licence key",
        "plug-in not a reference was not loaded: ValueError: "
        "expected a module:attr reference, got 'not a reference'",
    ]
    assert registry.names() == ["echo"]
    # The traceback is there for whoever debugs the plug-in, at DEBUG.
    debug = [r for r in caplog.records if r.levelname == "DEBUG" and r.exc_info]
    assert [r.getMessage() for r in debug][3] == "plug-in plugs:raises failed"


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "error"),
    [
        (
            "plugs:UNNAMED",
            "ValueError: an agent's name must be a string of 1-128 characters, got str ''",
        ),
        (
            "plugs:LONG_NAME",
            "ValueError: an agent's name must be a string of 1-128 characters, got str "
            f"'{'n' * 76}...",
        ),
        (
            "plugs:NUMBER_NAME",
            "ValueError: an agent's name must be a string of 1-128 characters, got int 7",
        ),
        ("plugs:SYNC_RUN", "TypeError: agent 'sync_run': run must be an async def"),
        (
            "plugs:SYNC_FUNCTION",
            "TypeError: agent 'sync_function': its function must be an async def",
        ),
        (
            "plugs:NO_SCHEMA",
            "ValueError: tool 'bare' needs a JSON schema of type 'object' in parameters, "
            "got NoneType None",
        ),
        (
            "plugs:ARRAY_SCHEMA",
            "ValueError: tool 'listy' needs a JSON schema of type 'object' in parameters, "
            "got dict {'type': 'array'}",
        ),
        (
            "plugs:SPACED_TOOL",
            "ValueError: a tool's name must be 1-64 letters, digits, '_' or '-', got str "
            "'has space'",
        ),
        (
            "plugs:async_factory",
            "TypeError: factory async_factory is async; it must be a plain def",
        ),
        (
            "plugs:returns_coroutine",
            "TypeError: factory returns_coroutine returned an awaitable; it must return its "
            "agents and tools",
        ),
        (
            "plugs:two_arguments",
            "TypeError: factory two_arguments(settings, extra) must take the settings (one "
            "positional argument) or nothing",
        ),
        ("plugs:EMPTY", "ValueError: the plug-in holds no agent or tool"),
        (
            "plugs:NOT_AN_AGENT",
            "TypeError: expected an Agent (name, description, async def run), a Tool or a "
            "factory, got str 'echo'",
        ),
        (
            "plugs:NESTED_FACTORY",
            "TypeError: expected an Agent (name, description, async def run), a Tool or a "
            "factory, got function <function without_settings",
        ),
    ],
)
@pytest.mark.usefixtures("site")
def test_load_plugins_refuses_an_unusable_plugin(
    reference: str, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    registry = AgentRegistry()
    assert load_plugins(registry, settings(reference)) == []
    assert registry.names() == [] and registry.tools() == []
    (message,) = warnings(caplog)
    assert message.startswith(f"plug-in {reference} was not loaded: {error}"), message


# --- all or nothing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "error"),
    [
        ("plugs:HALF_BROKEN", "ValueError: tool 'bare' needs a JSON schema"),
        ("plugs:CLASH", "ValueError: agent 'triage_agent' is already registered"),
        ("plugs:TWINS", "ValueError: agent 'twin' is already registered"),
    ],
)
@pytest.mark.usefixtures("site")
def test_load_plugins_registers_none_of_a_plugin_when_one_item_fails(
    reference: str, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    registry = default_registry()
    before = (registry.names(), [tool.name for tool in registry.tools()])
    assert load_plugins(registry, settings(reference)) == []
    assert (registry.names(), [tool.name for tool in registry.tools()]) == before
    (message,) = warnings(caplog)
    assert message.startswith(f"plug-in {reference} was not loaded: {error}"), message


@pytest.mark.usefixtures("site")
def test_load_plugins_refuses_a_tool_named_like_a_registered_tool(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = AgentRegistry()
    assert load_plugins(registry, settings("plugs:TOOL", "plugs:without_settings")) == ["double"]
    assert registry.names() == []
    assert warnings(caplog) == [
        "plug-in plugs:without_settings was not loaded: ValueError: tool 'double' is already "
        "registered"
    ]


# --- entry points ------------------------------------------------------------------------------


def test_load_plugins_loads_entry_points_by_name_then_netra_agents(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_distribution(
        site, "zeta_plugins", {"b_tools": "plugs:TOOL", "a_agents": "plugs:without_settings"}
    )
    write_distribution(site, "alpha_plugins", {"c_more": "plugs:Holder.AGENT"})
    registry = AgentRegistry()
    loaded = load_plugins(registry, settings("plugs:AGENT"))
    # a_agents registers tool 'double', so b_tools (the same tool) is refused whole.
    assert loaded == ["made", "double", "held", "echo"]
    assert warnings(caplog) == [
        "plug-in b_tools (plugs:TOOL) was not loaded: ValueError: tool 'double' is already "
        "registered"
    ]
    assert infos(caplog) == [
        "plug-ins loaded: a_agents (plugs:without_settings): agent 'made', tool 'double'; "
        "c_more (plugs:Holder.AGENT): agent 'held'; plugs:AGENT: agent 'echo'"
    ]


def test_load_plugins_reports_a_broken_entry_point_and_loads_the_others(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (site / "broken_plugin.py").write_text('raise ImportError("broken on purpose")\n')
    write_distribution(
        site, "mixed", {"broken": "broken_plugin:plugin", "good": "plugs:with_settings"}
    )
    registry = AgentRegistry()
    assert load_plugins(registry, settings()) == ["limit_16000"]
    assert warnings(caplog) == [
        "plug-in broken (broken_plugin:plugin) was not loaded: ImportError: broken on purpose"
    ]


def test_load_plugins_refuses_an_entry_point_agent_that_shadows_a_builtin(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (site / "shadow.py").write_text(
        textwrap.dedent(
            """
            from netra_backend.app.agents import FunctionAgent

            async def fake(request, run):
                return {"intent": "cost"}

            TRIAGE = FunctionAgent(name="triage_agent", func=fake)
            """
        )
    )
    write_distribution(site, "shadowing", {"shadow": "shadow:TRIAGE"})
    registry = default_registry()
    builtin = registry.get("triage_agent")
    assert load_plugins(registry, settings()) == []
    assert registry.get("triage_agent") is builtin
    assert warnings(caplog) == [
        "plug-in shadow (shadow:TRIAGE) was not loaded: ValueError: agent 'triage_agent' is "
        "already registered"
    ]
