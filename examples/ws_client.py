"""Ask an agent over ``/api/ws`` and print each event as it arrives.

    NETRA_TOKEN=<jwt> .venv/bin/python examples/ws_client.py [--url ws://127.0.0.1:8000/api/ws]

The token comes from the environment (never the command line, where ``ps`` shows it, nor the
URL). Defaults: ``cost_optimizer`` on a $10,000/month bill over EC2, RDS and S3.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from websockets.asyncio.client import connect

CONTEXT = {"monthly_spend": 10_000, "primary_services": ["EC2", "RDS", "S3"]}


async def ask(url: str, token: str, agent: str, message: str) -> int:
    """Send one request; print events until the run ends; 0 when it completed."""
    async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "agent_request",
                    "agent": agent,
                    "message": message,
                    "context": CONTEXT if agent == "cost_optimizer" else {},
                }
            )
        )
        async for frame in ws:
            event = json.loads(frame)
            print(event.get("seq", "-"), event["type"], json.dumps(event["data"])[:160])
            if event["type"] == "agent_completed":
                print(json.dumps(event["data"]["result"], indent=2))
                return 0
            if event["type"] in ("agent_failed", "error"):
                return 1
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/api/ws")
    parser.add_argument("--agent", default="cost_optimizer")
    parser.add_argument("--message", default="Analyse my $10,000/month AWS bill on EC2, RDS and S3")
    args = parser.parse_args()
    token = os.environ.get("NETRA_TOKEN")
    if not token:
        print(
            "set NETRA_TOKEN to the token from /api/auth/register or /api/auth/login",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(ask(args.url, token, args.agent, args.message))


if __name__ == "__main__":
    raise SystemExit(main())
