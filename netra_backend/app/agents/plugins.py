"""Plug-ins: agents and tools from other packages, added to the registry at start-up.

Where they come from, in this order:

1. entry points in the group ``netra.agents`` of every installed distribution (on any
   ``sys.path`` entry), sorted by entry point name; the entry point's value is the reference;
2. ``NETRA_AGENTS`` (``settings.agents``), ``module:attr`` references, in the order given.

What a reference may name (``attr`` may be dotted, ``module:Class.attr``):

* an :class:`~netra_backend.app.agents.base.Agent`: a ``name`` of 1-128 characters, a
  ``description`` string and an ``async def run``;
* a :class:`~netra_backend.app.agents.base.Tool` with a JSON schema (``"type": "object"``) in
  ``parameters``: it is offered to models, which cannot call a tool without one;
* a list or tuple of those;
* a factory: any other callable, classes included, taking the settings (one positional
  argument) or nothing, and returning one of the above. An ``async`` factory is refused: start-up
  does not await plug-in code, so a factory needing I/O should defer it to the first run.

A plug-in registers all of its items or none: every item is checked, and no name may clash with
one already registered or with another item of the same plug-in, before the first is added. A
plug-in that fails is logged as a warning, ``plug-in <source> was not loaded: <Type>: <message>``
(the source is ``<entry point name> (<value>)`` or the ``NETRA_AGENTS`` reference), and the
others still load: one broken package must not keep a server from starting. On a name clash
the plug-in loaded later is the one refused, so built-in agents always win.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points

from netra_backend.app.agents.base import Agent, FunctionAgent, Tool
from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.config import Settings

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "netra.agents"
MAX_NAME_CHARS = 128
# The function-name rule of OpenAI-compatible APIs: a model request offering a tool with any
# other name is refused whole, so one such tool would break every assistant run.
TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REFERENCE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")

Item = Agent | Tool


@dataclass(frozen=True, slots=True)
class PluginSource:
    """One plug-in to load: how the log names it, and how to get its object."""

    label: str
    load: Callable[[], object]


def load_plugins(registry: AgentRegistry, settings: Settings) -> list[str]:
    """Register every plug-in's agents and tools in ``registry``; return the names added.

    A plug-in that cannot be loaded is logged (WARNING) with the error and skipped; this never
    raises for a plug-in's fault.
    """
    loaded: list[str] = []
    summary: list[str] = []
    for source in plugin_sources(settings):
        try:
            items = plugin_items(source.load(), settings)
            register_all(registry, items)
        except Exception as exc:
            logger.warning(
                "plug-in %s was not loaded: %s: %s", source.label, type(exc).__name__, exc
            )
            logger.debug("plug-in %s failed", source.label, exc_info=True)
            continue
        names = [item.name for item in items]
        loaded += names
        summary.append(f"{source.label}: {', '.join(describe(item) for item in items)}")
    if summary:
        logger.info("plug-ins loaded: %s", "; ".join(summary))
    return loaded


def plugin_sources(settings: Settings) -> list[PluginSource]:
    """The plug-ins to load: entry points of ``netra.agents`` by name, then ``NETRA_AGENTS``."""
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name, ep.value))
    sources = [PluginSource(f"{ep.name} ({ep.value})", ep.load) for ep in found]
    sources += [
        PluginSource(reference, functools.partial(resolve, reference))
        for reference in settings.agents
    ]
    return sources


def resolve(reference: str) -> object:
    """Import ``module:attr`` (``attr`` may be dotted) and return that object."""
    if not REFERENCE.match(reference):
        raise ValueError(f"expected a module:attr reference, got {reference!r}")
    module_name, _, attr = reference.partition(":")
    target: object = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def plugin_items(target: object, settings: Settings) -> list[Item]:
    """The checked agents and tools ``target`` stands for, calling it when it is a factory."""
    if not is_item_or_list(target) and callable(target):
        target = call_factory(target, settings)
    values = list(target) if isinstance(target, list | tuple) else [target]
    if not values:
        raise ValueError("the plug-in holds no agent or tool")
    return [check_item(value) for value in values]


def is_item_or_list(target: object) -> bool:
    """Whether ``target`` is used as it is (not called): an agent, a tool, or a list.

    A class is always a factory, even one with ``name`` and ``run`` attributes of its own.
    """
    if isinstance(target, type):
        return False
    return isinstance(target, Tool | list | tuple | Agent)


def call_factory(factory: Callable[..., object], settings: Settings) -> object:
    """Call ``factory`` with the settings, or with nothing if that is what it takes."""
    if inspect.iscoroutinefunction(factory) or inspect.isasyncgenfunction(factory):
        raise TypeError(f"factory {describe_callable(factory)} is async; it must be a plain def")
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        signature = None
    if signature is not None and accepts(signature, settings):
        result = factory(settings)
    elif signature is None or accepts(signature):
        result = factory()
    else:
        raise TypeError(
            f"factory {describe_callable(factory)}{signature} must take the settings "
            "(one positional argument) or nothing"
        )
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if callable(close):
            close()  # a coroutine never awaited warns at garbage collection otherwise
        raise TypeError(
            f"factory {describe_callable(factory)} returned an awaitable; it must "
            "return its agents and tools"
        )
    return result


def accepts(signature: inspect.Signature, *args: object) -> bool:
    """Whether a callable of ``signature`` can be called with ``args`` alone."""
    try:
        signature.bind(*args)
    except TypeError:
        return False
    return True


def check_item(value: object) -> Item:
    """``value`` as an agent or a tool, or raise saying why it is neither."""
    if isinstance(value, Tool):
        return check_tool(value)
    if not isinstance(value, type) and isinstance(value, Agent):
        return check_agent(value)
    raise TypeError(
        f"expected an Agent (name, description, async def run), a Tool or a factory, got "
        f"{describe_value(value)}"
    )


def check_agent(agent: Agent) -> Agent:
    """Raise unless ``agent`` has a usable name and description and an ``async def run``."""
    name = agent.name
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_CHARS:
        raise ValueError(
            f"an agent's name must be a string of 1-{MAX_NAME_CHARS} characters, got "
            f"{describe_value(name)}"
        )
    if not isinstance(agent.description, str):
        raise TypeError(f"agent {name!r}: description must be a string")
    # The runtime starts run() as a task: a plain def would fail every run at its start.
    if not is_async_callable(agent.run):
        raise TypeError(f"agent {name!r}: run must be an async def")
    if isinstance(agent, FunctionAgent) and not is_async_callable(agent.func):
        raise TypeError(f"agent {name!r}: its function must be an async def")
    return agent


def check_tool(tool: Tool) -> Tool:
    """Raise unless ``tool`` has a model-callable name, a callable and an object schema."""
    if not isinstance(tool.name, str) or not TOOL_NAME.match(tool.name):
        raise ValueError(
            f"a tool's name must be 1-64 letters, digits, '_' or '-', got "
            f"{describe_value(tool.name)}"
        )
    if not callable(tool.func):
        raise TypeError(f"tool {tool.name!r}: func is not callable")
    schema = tool.parameters
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise ValueError(
            f"tool {tool.name!r} needs a JSON schema of type 'object' in parameters, got "
            f"{describe_value(schema)}"
        )
    return tool


def register_all(registry: AgentRegistry, items: Sequence[Item]) -> None:
    """Register every item, or none when any name is taken (also within ``items``)."""
    agents = set(registry.names())
    tools = {tool.name for tool in registry.tools()}
    for item in items:
        taken = tools if isinstance(item, Tool) else agents
        if item.name in taken:
            raise ValueError(f"{describe(item)} is already registered")
        taken.add(item.name)
    for item in items:
        if isinstance(item, Tool):
            registry.register_tool(item)
        else:
            registry.register(item)


def is_async_callable(func: object) -> bool:
    """Whether calling ``func`` returns a coroutine: an async def, also behind a partial."""
    if inspect.iscoroutinefunction(func):
        return True
    # An object with an async __call__ (a class instance used as the function).
    return callable(func) and inspect.iscoroutinefunction(type(func).__call__)


def describe(item: Item) -> str:
    """``agent 'name'`` or ``tool 'name'``."""
    kind = "tool" if isinstance(item, Tool) else "agent"
    return f"{kind} {item.name!r}"


def describe_callable(func: Callable[..., object]) -> str:
    """A callable's qualified name, for messages."""
    return getattr(func, "__qualname__", None) or repr(func)


def describe_value(value: object) -> str:
    """A short ``type: repr`` of ``value``, for messages."""
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{type(value).__name__} {text}"
