"""The load process: runs one scenario against one server and writes its figures as JSON.

Started by ``bench/run.py`` as ``python -m load.generator SPEC.json OUT.json`` and pinned to
its own core, so the load never competes with the server for a CPU. Scenarios:

* ``closed_loop`` - N connections, one token each; every connection sends a triage_agent
  request, waits for its ``agent_completed`` (``agent_failed``/``error``/a close count as
  failures), sends the next, for warm-up + duration seconds. Runs and events are counted
  when they arrive inside the window; only runs also sent inside it are timed.
* ``storm`` - open N connections with at most C handshakes in flight, each confirmed by
  ping -> pong, and hold them to read the server's RSS growth.
* ``replay`` - fill one user's log, then time ``resume`` from ``last_seq`` 0 to ``resumed``.

Every wait is bounded; it only talks to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from load.closed_loop import closed_loop
from load.replay import replay
from load.servers import raise_fd_limit
from load.storm import storm

SCENARIOS = {"closed_loop": closed_loop, "storm": storm, "replay": replay}


def main(argv: list[str]) -> int:
    """``python -m load.generator SPEC.json OUT.json``."""
    spec = json.loads(Path(argv[0]).read_text())
    if spec.get("cpu") is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {spec["cpu"]})
    raise_fd_limit()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # picows works on the default loop too, only slower
        runner = asyncio.run
    result = runner(asyncio.wait_for(SCENARIOS[spec["scenario"]](spec), spec["time_limit"]))
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
