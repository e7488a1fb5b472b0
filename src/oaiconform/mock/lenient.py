"""`oaiconform mock --lenient`: a stand-in for SDK test suites, which send well-formed requests
about objects that do not exist ("input_file_id", "file-abc123") and values a behavioural
server refuses (`max_tokens: 0`, `tool_choice` without tools).

In this mode every well-formed request succeeds. The hand-written handlers answer first (real
generation, real event streams, stored objects); when one refuses a request with a 4xx other
than 401, 413 and 429 (an unknown object or model, a rule of the API beyond the description),
the request is answered again by the description-driven generic handler, which still validates
the request's shape (a body, query or form the description does not allow is its 400) and
answers a schema-valid body: the description's example where there is one, a one-event stream
when the request asks for a stream. Any bearer key is accepted (the Gateway's `lenient`).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Refusals the generic handler would give too, or that a client asked for: kept as they are.
_KEPT = frozenset({401, 413, 429})


class LenientLayer:
    """Buffers the request body, lets `app` answer, and replays a refusal to `generic`."""

    def __init__(self, app: ASGIApp, generic: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.generic = generic
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more and len(body) <= self.max_body_bytes:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # disconnected: nothing to answer
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
        if more:  # over the limit: the app refuses it (413) from what is left to read
            await self.app(scope, _prefixed(bytes(body), receive), send)
            return
        refused = False

        async def first_send(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start":
                status = int(message["status"])
                refused = 400 <= status < 500 and status not in _KEPT
            if not refused:
                await send(message)

        await self.app(scope, _replay(bytes(body)), first_send)
        if refused:
            await self.generic(scope, _replay(bytes(body)), send)


def _replay(body: bytes) -> Receive:
    """A receive channel that delivers `body` once, then reports the client gone."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _prefixed(head: bytes, receive: Receive) -> Receive:
    """`receive` with `head` delivered first (the part of the body already read)."""
    delivered = False

    async def prefixed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": head, "more_body": True}
        return await receive()

    return prefixed


__all__ = ["LenientLayer"]
