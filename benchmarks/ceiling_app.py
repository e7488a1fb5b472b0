"""The ceiling for the mock benchmark: the same server stack answering fixed bytes.

`CEILING_DIR` holds the exact bodies the mock answered (models.json, chat.json, stream.txt), so
both servers send the same sizes and the ratio measures the mock's own work.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

_DIR = Path(os.environ.get("CEILING_DIR", "."))


def app() -> Starlette:
    models = (_DIR / "models.json").read_bytes()
    chat = (_DIR / "chat.json").read_bytes()
    events = (_DIR / "stream.txt").read_bytes().split(b"\n\n")

    async def list_models(request: Request) -> Response:
        return Response(models, media_type="application/json")

    async def chat_completions(request: Request) -> Response:
        body = await request.body()
        if b'"stream": true' in body or b'"stream":true' in body:

            async def stream() -> AsyncIterator[bytes]:
                for event in events:
                    if event:
                        yield event + b"\n\n"

            return StreamingResponse(stream(), media_type="text/event-stream")
        return Response(chat, media_type="application/json")

    return Starlette(
        routes=[
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        ]
    )
