"""The fault machinery: what a fault is, and the ASGI layer that applies them.

A fault transforms the request (its scope, or its whole body) before the handlers see it, a
buffered (non-streamed) response,
or the bytes of an event stream, so the handlers never carry `if fault`. Each fault is modelled
on a deviation real OpenAI-compatible servers have shipped, and exists so that a check can be
shown to fail (tests/suites/test_faults_*.py pair every fault with the features it must fail).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class ResponseParts:
    """A whole non-streamed response, and the request it answers (headers and body as
    received)."""

    method: str
    path: str
    request_headers: list[tuple[bytes, bytes]]
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    request_body: bytes = b""
    query: bytes = b""  # the request's query string, as received
    # How many answers this mock gave to the same method and path before this one: for
    # faults that come and go (a cold replica's first answer), deterministic per mock.
    earlier_answers: int = 0

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    def request_header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.request_headers if k.lower() == name), None)

    def request_json(self) -> Any:
        """The request body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.request_body)
        except (ValueError, UnicodeDecodeError):
            return None

    def with_header(self, name: bytes, value: bytes | None) -> ResponseParts:
        headers = [(k, v) for k, v in self.headers if k.lower() != name]
        if value is not None:
            headers.append((name, value))
        return replace(self, headers=headers)


class StreamRewriter(Protocol):
    """Rewrites an event stream as it passes: bytes in, bytes out, then a tail at the end."""

    def feed(self, chunk: bytes) -> bytes: ...

    def end(self) -> bytes: ...


@runtime_checkable
class PausingStreamRewriter(StreamRewriter, Protocol):
    """A rewriter that also holds the stream: after sending what feed() returned, the mock
    waits `take_pause()` seconds (asynchronously: other requests are served meanwhile)."""

    def take_pause(self) -> float: ...


RequestRewrite = Callable[[Scope, tuple[str, ...]], None]  # (scope, accepted keys), in place
BodyRewrite = Callable[[str, str, bytes], bytes]  # (method, path, whole request body) -> body
ResponseRewrite = Callable[[ResponseParts], ResponseParts]
StreamRewriterFactory = Callable[[ResponseParts], StreamRewriter]  # parts has an empty body


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    modelled_on: str
    request: RequestRewrite | None = None
    request_body: BodyRewrite | None = None
    response: ResponseRewrite | None = None
    stream: StreamRewriterFactory | None = None
    # The response rewrite also sees event streams, whole (for faults that replace a stream).
    buffer_streams: bool = False


def json_rewrite(
    change: Callable[[Any], Any], *, errors_only: bool = False, success_only: bool = False
) -> ResponseRewrite:
    """A response rewrite that changes the parsed JSON body of (error or success) responses."""

    def rewrite(parts: ResponseParts) -> ResponseParts:
        is_error = parts.status >= 400
        if (errors_only and not is_error) or (success_only and is_error):
            return parts
        if not (parts.header(b"content-type") or b"").startswith(b"application/json"):
            return parts
        return replace(parts, body=json.dumps(change(json.loads(parts.body))).encode())

    return rewrite


def error_message(parts: ResponseParts) -> str:
    try:
        return str(json.loads(parts.body)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return parts.body.decode(errors="replace")


class FaultLayer:
    """ASGI middleware that applies the switched-on faults around the correct app."""

    def __init__(self, app: ASGIApp, faults: tuple[Fault, ...], api_keys: tuple[str, ...]) -> None:
        self.app = app
        self.request_faults = [f.request for f in faults if f.request]
        self.body_faults = [f.request_body for f in faults if f.request_body]
        self.response_faults = [f.response for f in faults if f.response]
        self.stream_faults = [f.stream for f in faults if f.stream]
        self.buffer_streams = any(f.buffer_streams for f in faults)
        self.api_keys = api_keys
        self.answered: Counter[tuple[str, str]] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received_headers = list(scope["headers"])
        for rewrite_request in self.request_faults:
            rewrite_request(scope, self.api_keys)
        if self.body_faults:
            scope, receive = await self._rewrite_body(scope, receive)
        if not self.response_faults and not self.stream_faults:
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []
        rewriters: list[StreamRewriter] | None = None
        request_body = bytearray()  # some faults depend on what was asked (e.g. `stream`)
        route = (scope["method"], scope["path"].rstrip("/"))
        earlier = self.answered[route]
        self.answered[route] += 1

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        def parts(body: bytes) -> ResponseParts:
            return ResponseParts(
                scope["method"],
                scope["path"],
                received_headers,
                start["status"],
                list(start.get("headers", [])),
                body,
                bytes(request_body),
                scope.get("query_string", b""),
                earlier,
            )

        async def faulty_send(message: Message) -> None:
            nonlocal start, rewriters
            if message["type"] == "http.response.start":
                start = message
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if content_type.startswith(b"text/event-stream") and not self.buffer_streams:
                    rewriters = [make(parts(b"")) for make in self.stream_faults]
                    headers = [
                        (k, v)
                        for k, v in message.get("headers", [])
                        if k.lower() != b"content-length"
                    ]
                    await send({**message, "headers": headers})
                return
            if rewriters is not None:
                body = message.get("body", b"")
                more = bool(message.get("more_body"))
                for rewriter in rewriters:
                    body = rewriter.feed(body)
                    if not more:
                        body += rewriter.end()
                await send({"type": "http.response.body", "body": body, "more_body": more})
                pause = max(
                    (r.take_pause() for r in rewriters if isinstance(r, PausingStreamRewriter)),
                    default=0.0,
                )
                if pause > 0:
                    await asyncio.sleep(pause)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            whole = parts(b"".join(chunks))
            for rewrite in self.response_faults:
                whole = rewrite(whole)
            whole = whole.with_header(b"content-length", str(len(whole.body)).encode())
            await send(
                {"type": "http.response.start", "status": whole.status, "headers": whole.headers}
            )
            await send({"type": "http.response.body", "body": whole.body})

        await self.app(scope, recording_receive, faulty_send)

    async def _rewrite_body(self, scope: Scope, receive: Receive) -> tuple[Scope, Receive]:
        """Read the whole request body, pass it through the body rewrites, and hand the app a
        scope (Content-Length) and a receive that give the rewritten body."""
        received: list[Message] = []
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":  # the client left: replay what came
                return scope, _replay(received, receive)
            if not message.get("more_body"):
                break
        body = b"".join(m.get("body", b"") for m in received)
        for rewrite in self.body_faults:
            body = rewrite(scope["method"], scope["path"], body)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        replayed: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        return {**scope, "headers": headers}, _replay(replayed, receive)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that gives `messages` first, then what `receive` gives."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
