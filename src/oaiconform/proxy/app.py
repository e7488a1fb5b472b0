"""The proxy's ASGI application: forward each request upstream, byte for byte, and keep a copy.

Status, headers and body pass through unchanged (hop-by-hop headers excepted, as RFC 9110
asks of any proxy); the response body is forwarded raw, chunk by chunk as the upstream sends
it, so an event stream reaches the client as it is produced. The copy goes to the `Ledger`
when the exchange ends, which judges it on another thread. When the upstream refuses, resets
or times out before it answered, the client gets a 502 or 504 in the OpenAI error envelope.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from oaiconform.proxy.capture import Capture
from oaiconform.proxy.ledger import Ledger

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CONTROL_PREFIX = "/_oaiconform"
# RFC 9110 7.6.1: a proxy does not forward these; `host` is the upstream's own.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)


def _error_body(status: int, message: str, code: str) -> bytes:
    envelope = {"error": {"message": message, "type": "proxy_error", "param": None, "code": code}}
    return json.dumps(envelope).encode()


class ProxyApp:
    """Forwards to `upstream` (a base URL such as http://127.0.0.1:8000/v1)."""

    def __init__(
        self,
        upstream: str,
        ledger: Ledger,
        *,
        timeout_s: float = 600.0,
        connect_timeout_s: float = 10.0,
        on_report: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        parts = urlsplit(upstream.rstrip("/"))
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path  # "/v1": what the description's paths are under
        self.ledger = ledger
        self.on_report = on_report
        self._timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s)
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # Made on the server's own event loop, on first use.
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._timeout,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=200),
                follow_redirects=False,
                trust_env=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def judged_url(self, path: str, query: str) -> str:
        """The request as the description addresses it: the upstream's base path read as /v1."""
        rest = path.removeprefix(self.base_path) if self.base_path else path
        if not rest.startswith("/"):
            rest = "/" + rest
        return f"{self.origin}/v1{rest}" + (f"?{query}" if query else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # pragma: no cover - uvicorn runs with lifespan off
            return
        if scope["type"] != "http":
            return
        path: str = scope.get("raw_path", b"").decode("latin-1").split("?")[0] or scope["path"]
        if path.startswith(CONTROL_PREFIX):
            await self._control(path, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{self.origin}{path}" + (f"?{query}" if query else "")
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in _HOP_BY_HOP
        ]
        raw = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = raw.get("content-length", "")
        streamed = "transfer-encoding" in raw or (
            length.isdigit() and int(length) > self.ledger.cap_bytes
        )
        capture = self.ledger.open(
            scope["method"], url, self.judged_url(path, query), tuple(headers), b""
        )
        content: bytes | AsyncIterator[bytes]
        if streamed:  # large or chunked: passed on as it comes, a capped copy kept
            content = self._request_chunks(receive, capture)
        else:
            body = bytearray()
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            capture.request_body, capture.request_size = bytes(body), len(body)
            content = bytes(body)
        await self._forward(capture, headers, content, send)

    async def _request_chunks(self, receive: Receive, capture: Capture) -> AsyncIterator[bytes]:
        kept = bytearray()
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            capture.request_size += len(chunk)
            if len(kept) < capture.cap:
                kept += chunk[: capture.cap - len(kept)]
                capture.request_body = bytes(kept)
            if chunk:
                yield chunk
            if not message.get("more_body"):
                return

    async def _forward(
        self,
        capture: Capture,
        headers: list[tuple[str, str]],
        body: bytes | AsyncIterator[bytes],
        send: Send,
    ) -> None:
        client = self._http()
        request = client.build_request(capture.method, capture.url, headers=headers, content=body)
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            await self._fail(capture, send, 504, "upstream_timeout", exc)
            return
        except (httpx.HTTPError, OSError) as exc:
            await self._fail(capture, send, 502, "upstream_unreachable", exc)
            return
        interrupted = None
        try:
            raw_headers = [
                (k, v) for k, v in response.headers.multi_items() if k.lower() not in _HOP_BY_HOP
            ]
            capture.head(response.status_code, tuple(raw_headers))
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in raw_headers],
                }
            )
            async for chunk in response.aiter_raw():
                capture.chunk(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except httpx.TimeoutException as exc:
            interrupted = f"the upstream went silent mid-answer: {_describe(exc)}"
        except (httpx.HTTPError, OSError) as exc:
            interrupted = f"the upstream connection failed mid-answer: {_describe(exc)}"
        finally:
            await response.aclose()
            capture.finish(interrupted)
            self.ledger.close(capture)
        if interrupted is None:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        # Else the head is out and the upstream broke off: returning without ending the body
        # makes the server drop the connection, so the client sees the break as it happened.

    async def _fail(
        self, capture: Capture, send: Send, status: int, code: str, exc: Exception
    ) -> None:
        reason = _describe(exc)
        what = "did not answer in time" if status == 504 else "could not be reached"
        body = _error_body(status, f"oaiconform proxy: the upstream {what}: {reason}", code)
        headers = (("content-type", "application/json"), ("content-length", str(len(body))))
        capture.upstream_error = reason
        capture.head(status, headers)
        capture.chunk(body)
        capture.finish()
        self.ledger.close(capture)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _control(self, path: str, send: Send) -> None:
        if path.rstrip("/") == f"{CONTROL_PREFIX}/report" and self.on_report is not None:
            # On a thread: the report waits for exchanges this loop is still forwarding.
            status, payload = 200, await asyncio.to_thread(self.on_report)
        else:
            status, payload = 404, {"error": {"message": f"no such proxy route: {path}"}}
        body = json.dumps(payload, indent=2).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]
