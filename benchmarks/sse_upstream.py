"""A timed event-stream server for bench_proxy.py: each stream's first event carries the
CLOCK_MONOTONIC time (shared by every process of the machine) at which it was written, then
`EVENTS` events `GAP_S` apart and [DONE]. `python benchmarks/sse_upstream.py PORT`."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import uvicorn

EVENTS = 30
GAP_S = 0.1


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/event-stream")],
        }
    )
    gap = GAP_S if "slow" in scope.get("query_string", b"").decode() else 0.0
    stamp = json.dumps({"sent_at": time.monotonic()})
    await send(
        {"type": "http.response.body", "body": f"data: {stamp}\n\n".encode(), "more_body": True}
    )
    for n in range(EVENTS):
        if gap:
            await asyncio.sleep(gap)
        await send(
            {
                "type": "http.response.body",
                "body": f'data: {{"n": {n}}}\n\n'.encode(),
                "more_body": True,
            }
        )
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
