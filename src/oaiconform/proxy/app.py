"""The proxy's ASGI application: forward each request upstream, byte for byte, and keep a copy.

Status, headers and body pass through unchanged (hop-by-hop headers excepted, as RFC 9110
asks of any proxy); the response body is forwarded raw, chunk by chunk as the upstream sends
it, so an event stream reaches the client as it is produced. The upstream side is aiohttp's
client (a C parser and a persistent keep-alive pool): httpx's async pool was most of the
proxy's CPU per request (ARCHITECTURE.md, Decisions). The forwarding path only copies bytes;
the copy goes to the `Ledger` when the exchange ends, which judges it elsewhere. When the
upstream refuses, resets or times out before it answered, the client gets a 502 or 504 in the
OpenAI error envelope. A client that goes away mid-answer ends the upstream request too; the
exchange is recorded as aborted by the client, never judged as the server's fault.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.connector import Connection
from multidict import CIMultiDict
from yarl import URL

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
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
# aiohttp adds these when a request lacks them; a proxy sends only what its client sent.
_NO_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
_CLIENT_ABORTED = "the client closed the connection before the answer ended"


def _error_body(status: int, message: str, code: str) -> bytes:
    envelope = {"error": {"message": message, "type": "proxy_error", "param": None, "code": code}}
    return json.dumps(envelope).encode()


def upstream_tls(ca_bundle: str | None, insecure: bool) -> ssl.SSLContext | bool:
    """How an https upstream is verified: the system's CAs, a CA bundle file, or not at all."""
    if insecure:
        return False
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return True


class _Response(aiohttp.ClientResponse):
    """An upstream answer that hands its connection back to the pool only below 500.

    A FastAPI server under uvicorn (LiteLLM, vLLM, llama-cpp-python) answers an exception
    with a 500 without `Connection: close`, logs it, then closes the connection: a request
    sent on it meanwhile is reset, and a proxy must not retry a POST (RFC 9110, 9.2.2). The
    pool takes the connection back as soon as the body is read, before `_forward` sees it.
    """

    _release_due = False

    async def start(self, connection: Connection) -> aiohttp.ClientResponse:
        started = await super().start(connection)
        if self._release_due:  # the body came with the head: released before the status
            self._release_due = False
            self._release_connection()
        return started

    def _release_connection(self) -> None:
        connection = self._connection
        if connection is None:
            return
        if self.status is None:  # start() has not read the status yet
            self._release_due = True
            return
        if self.status >= 500 and connection.protocol is not None:
            connection.protocol.force_close()
        super()._release_connection()


class ProxyApp:
    """Forwards to `upstream` (a base URL such as http://127.0.0.1:8000/v1)."""

    def __init__(
        self,
        upstream: str,
        ledger: Ledger,
        *,
        timeout_s: float = 600.0,
        connect_timeout_s: float = 10.0,
        tls: ssl.SSLContext | bool = True,
        on_report: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        parts = urlsplit(upstream.rstrip("/"))
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path  # "/v1": what the description's paths are under
        self.ledger = ledger
        self.on_report = on_report
        # No total: a stream may last; each read and each connect are bounded.
        self._timeout = aiohttp.ClientTimeout(sock_read=timeout_s, sock_connect=connect_timeout_s)
        self._tls = tls
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        # Made on the server's own event loop, on first use; one pool of kept-alive upstream
        # connections, as many as there are requests in flight (limit=0: no queueing here).
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=0, ssl=self._tls, keepalive_timeout=30, enable_cleanup_closed=False
                ),
                timeout=self._timeout,
                response_class=_Response,
                auto_decompress=False,  # the bytes as the upstream encoded them
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=_NO_AUTO_HEADERS,
                trust_env=False,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    def judged_url(self, path: str, query: str) -> str:
        """The request as the description addresses it: the upstream's base path read as /v1."""
        rest = path.removeprefix(self.base_path) if self.base_path else path
        if not rest.startswith("/"):
            rest = "/" + rest
        return f"{self.origin}/v1{rest}" + (f"?{query}" if query else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # uvicorn runs with lifespan off
            return
        path: str = scope.get("raw_path", b"").decode("latin-1").split("?")[0] or scope["path"]
        if path.startswith(CONTROL_PREFIX):
            await self._control(path, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{self.origin}{path}" + (f"?{query}" if query else "")
        headers: list[tuple[str, str]] = []
        chunked = False
        length = -1
        for key, value in scope["headers"]:
            if key in _HOP_BY_HOP:  # ASGI servers give header names lowercased
                chunked = chunked or key == b"transfer-encoding"
                continue
            if key == b"content-length" and value.isdigit():
                length = int(value)
            headers.append((key.decode("latin-1"), value.decode("latin-1")))
        capture = self.ledger.open(
            scope["method"], url, self.judged_url(path, query), tuple(headers), b""
        )
        content: bytes | AsyncIterator[bytes] | None
        if chunked or length > self.ledger.cap_bytes:
            content = self._request_chunks(receive, capture)  # passed on as it comes
        else:
            message = await receive()
            body: bytes = message.get("body", b"")
            if message.get("more_body"):
                parts = bytearray(body)
                while message.get("more_body"):
                    message = await receive()
                    parts += message.get("body", b"")
                body = bytes(parts)
            capture.request_body, capture.request_size = body, len(body)
            content = body or None
        await self._forward(capture, headers, content, receive, send)

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
        body: bytes | AsyncIterator[bytes] | None,
        receive: Receive,
        send: Send,
    ) -> None:
        session = self._http()
        upstream = _Upstream()
        try:
            response = await session.request(
                capture.method,
                URL(capture.url, encoded=True),  # the path and query as the client wrote them
                headers=CIMultiDict(headers),
                data=body,
                allow_redirects=False,
            )
        except TimeoutError as exc:
            await self._fail(capture, send, 504, "upstream_timeout", exc)
            return
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            await self._fail(capture, send, 502, "upstream_unreachable", exc)
            return
        upstream.response = response
        # A client that hangs up mid-answer must end the upstream request: uvicorn swallows
        # writes to a closed connection, so its `http.disconnect` is watched while an answer
        # is still coming (not for one already whole, the common case, where it would only
        # cost; nor while a streamed request body is read: `receive` has one reader).
        watcher = None
        if not response.content.is_eof() and not isinstance(body, AsyncIterator):
            watcher = asyncio.create_task(upstream.watch(receive))
        interrupted = None
        ended = False
        try:
            raw_headers = [(k, v) for k, v in response.raw_headers if k.lower() not in _HOP_BY_HOP]
            capture.head(
                response.status,
                tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers),
            )
            await send(
                {"type": "http.response.start", "status": response.status, "headers": raw_headers}
            )
            async for chunk in response.content.iter_any():
                capture.chunk(chunk)
                # Each chunk goes out as it came; the last one carries the end of the body
                # (one write fewer for an answer that came whole).
                ended = response.content.is_eof()
                await send({"type": "http.response.body", "body": chunk, "more_body": not ended})
        except TimeoutError as exc:
            interrupted = f"the upstream went silent mid-answer: {_describe(exc)}"
        except (aiohttp.ClientError, OSError) as exc:
            interrupted = f"the upstream connection failed mid-answer: {_describe(exc)}"
        finally:
            if watcher is not None:
                watcher.cancel()
            if upstream.client_gone:
                interrupted = _CLIENT_ABORTED
                capture.client_aborted = True
            if interrupted is None and response.content.is_eof():
                response.release()  # the connection goes back to the pool
            else:
                response.close()  # broken off: the connection is dropped, upstream sees it
            capture.finish(interrupted)
            self.ledger.close(capture)
        if interrupted is None and not ended:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        # Else the head is out and the upstream broke off (or the client left): returning
        # without ending the body makes the server drop the connection, so the client sees
        # the break as it happened.

    async def _fail(
        self,
        capture: Capture,
        send: Send,
        status: int,
        code: str,
        exc: Exception,
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


class _Upstream:
    """The upstream answer of one exchange, and whether its client is still there."""

    def __init__(self) -> None:
        self.response: aiohttp.ClientResponse | None = None
        self.client_gone = False

    async def watch(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self.client_gone = True
        if self.response is not None:
            self.response.close()  # the pending read fails at once, the upstream sees a close


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]
