"""An example Netra plug-in: the ``word_count`` agent, the ``unit_convert`` tool and, in
:mod:`netra_example_agents.extra`, the ``shout`` function agent.

The package's entry point (group ``netra.agents``) names :func:`plugin`, which a Netra server
calls with its settings at start-up; ``shout`` is loaded by naming it in ``NETRA_AGENTS``
(``netra_example_agents.extra:SHOUT``).
"""

from __future__ import annotations

from typing import Protocol

from netra_backend.app.agents import Agent, Tool
from netra_example_agents.units import UNIT_CONVERT, convert
from netra_example_agents.word_count import TEXT_STATS, WordCountAgent, text_stats

__all__ = [
    "TEXT_STATS",
    "UNIT_CONVERT",
    "ServerSettings",
    "WordCountAgent",
    "convert",
    "plugin",
    "text_stats",
]


class ServerSettings(Protocol):
    """The part of the server's settings this plug-in reads (``NETRA_MAX_MESSAGE_CHARS``)."""

    @property
    def max_message_chars(self) -> int: ...


def plugin(settings: ServerSettings) -> list[Agent | Tool]:
    """The entry point: ``word_count``, bounded like the server's messages, and ``unit_convert``.

    ``unit_convert`` is registered as a tool, so a model-driven agent (``assistant``) may call
    it; ``text_stats`` is not: only ``word_count`` uses it.
    """
    return [WordCountAgent(max_chars=settings.max_message_chars), UNIT_CONVERT]
