"""The example plug-in's parts, in process: ``unit_convert``'s answers and refusals, and
``word_count``'s context checks (the integration test runs the package installed)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from netra_backend.app.agents import AgentRequest, InvalidContextError
from netra_backend.app.agents.plugins import plugin_items
from netra_backend.app.config import Settings
from test_framework.recording_run import RecordingRun
from test_framework.server import REPO_ROOT

pytestmark = pytest.mark.unit

EXAMPLE = REPO_ROOT / "examples" / "netra_example_agents"


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """``netra_example_agents`` imported from the source tree, forgotten afterwards."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    # Imported by name: the package is not installed, so type checkers do not see it.
    yield importlib.import_module("netra_example_agents")
    for name in [name for name in sys.modules if name.startswith("netra_example_agents")]:
        del sys.modules[name]


def request(message: str, context: dict[str, Any] | None = None) -> AgentRequest:
    return AgentRequest("run-1", "user-1", "word_count", message, context or {})


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ((1, "mi", "km"), {"value": 1.609344, "unit": "km", "quantity": "length"}),
        (
            (100, "celsius", "fahrenheit"),
            {"value": 212.0, "unit": "fahrenheit", "quantity": "temperature"},
        ),
        (
            (-40, "fahrenheit", "celsius"),
            {"value": -40.0, "unit": "celsius", "quantity": "temperature"},
        ),
        (
            (0, "kelvin", "celsius"),
            {"value": -273.15, "unit": "celsius", "quantity": "temperature"},
        ),
        ((1, "lb", "oz"), {"value": 16.0, "unit": "oz", "quantity": "mass"}),
    ],
)
async def test_unit_convert_converts(
    example: ModuleType, arguments: tuple[float, str, str], expected: dict[str, Any]
) -> None:
    value, from_unit, to_unit = arguments
    tool = example.UNIT_CONVERT
    result = await tool.invoke({"value": value, "from_unit": from_unit, "to_unit": to_unit})
    assert result == expected


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ((1, "m", "kg"), "cannot convert length (m) to mass (kg)"),
        ((1, "parsec", "m"), "unknown unit 'parsec'; known units: celsius, cm,"),
        ((-1, "kelvin", "celsius"), "-1 kelvin is below absolute zero"),
        ((float("nan"), "m", "km"), "value must be a finite number, got nan"),
        ((True, "m", "km"), "value must be a finite number, got True"),
    ],
)
def test_unit_convert_refuses_with_a_sentence_for_the_model(
    example: ModuleType, arguments: tuple[Any, str, str], error: str
) -> None:
    with pytest.raises(ValueError, match="^" + error.replace("(", r"\(").replace(")", r"\)")):
        example.convert(*arguments)


def test_example_plugin_factory_passes_the_loaders_checks(example: ModuleType) -> None:
    settings = Settings(max_message_chars=50)
    items = plugin_items(example.plugin, settings)
    assert [item.name for item in items] == ["word_count", "unit_convert"]
    assert items[0].max_chars == 50  # type: ignore[union-attr]


async def test_word_count_counts_context_text_instead_of_the_message(example: ModuleType) -> None:
    run = RecordingRun()
    result = await example.WordCountAgent().run(
        request("ignored", {"text": "a b a", "top": 1}), run
    )
    assert run.calls[1] == ("tool", "text_stats", {"text": "a b a", "top": 1})
    assert result["top_words"] == [{"word": "a", "count": 2}]
    assert "".join(delta for _, delta in run.deltas) == result["reply"]


@pytest.mark.parametrize(
    ("context", "field"),
    [
        ({"text": 5}, "text"),
        ({"text": "x" * 11}, "text"),
        ({"top": True}, "top"),
        ({"top": 11}, "top"),
        ({"top": "3"}, "top"),
    ],
)
async def test_word_count_refuses_a_bad_context_value_before_any_tool(
    example: ModuleType, context: dict[str, Any], field: str
) -> None:
    run = RecordingRun()
    with pytest.raises(InvalidContextError) as raised:
        await example.WordCountAgent(max_chars=10).run(request("hello", context), run)
    assert raised.value.field == field
    assert run.calls == []
