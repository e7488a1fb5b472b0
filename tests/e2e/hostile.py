"""A small hostile HTTP server for the self-tests: raw sockets on 127.0.0.1, one thread each.

Each behaviour is a function that gets the connected socket (the request already read) and
does one wrong thing on the wire. A route table maps the request path (after the base URL's
`/v1/`) to a behaviour, so one server can answer `models` properly and hang on chat.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import socketserver
import ssl
import struct
import threading
import time
from collections.abc import Callable, Mapping
from functools import cache
from types import TracebackType
from typing import Any

Behaviour = Callable[[socket.socket, threading.Event], None]
_HOLD_S = 30.0  # how long a "never" lasts at most: the server's stop ends it sooner

MODELS = json.dumps(
    {
        "object": "list",
        "data": [{"id": "gpt-4o-mini", "object": "model", "created": 0, "owned_by": "x"}],
    }
).encode()
NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def head(status: str = "200 OK", content_type: str = "application/json", **extra: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(
    body: bytes, status: str = "200 OK", content_type: str = "application/json", **extra: str
) -> Behaviour:
    def send(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(head(status, content_type, Content_Length=str(len(body)), **extra) + body)

    return send


def hang(sock: socket.socket, stop: threading.Event) -> None:
    stop.wait(_HOLD_S)


def head_only(sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(head(Content_Length="100"))
    stop.wait(_HOLD_S)


def drip_head(sock: socket.socket, stop: threading.Event) -> None:
    """One byte every 0.1 s: each read gets data well within any idle timeout."""
    for byte in head(Content_Length=str(len(MODELS))) + MODELS:
        if stop.wait(0.1):
            return
        sock.sendall(bytes([byte]))


def drip_body(sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(head(Content_Length=str(len(MODELS))))
    for byte in MODELS:
        if stop.wait(0.1):
            return
        sock.sendall(bytes([byte]))


def sse_forever(sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(head(content_type="text/event-stream"))
    chunk = {"id": "c", "object": "chat.completion.chunk", "choices": []}
    event = b"data: " + json.dumps(chunk).encode() + b"\n\n"
    while not stop.wait(0.02):
        sock.sendall(event)


def huge(sock: socket.socket, stop: threading.Event) -> None:
    """A close-delimited body that never ends, as fast as the client reads."""
    sock.sendall(head())
    block = b" " * 65536
    while not stop.is_set():
        sock.sendall(block)


@cache
def gzip_bomb_body() -> bytes:
    return gzip.compress(b"\0" * (64 << 20), compresslevel=9)  # 64 MiB decoded, ~64 KiB sent


def gzip_bomb(sock: socket.socket, stop: threading.Event) -> None:
    body = gzip_bomb_body()
    sock.sendall(head(Content_Length=str(len(body)), Content_Encoding="gzip") + body)


def length_short(sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(head(Content_Length="10") + MODELS)


def length_long(sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(head(Content_Length=str(len(MODELS) + 1000)) + MODELS)


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashed or killed process's kernel would."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def reset_body(sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(head(Content_Length=str(len(MODELS))) + MODELS[:20])
    time.sleep(0.05)
    _reset(sock)


def reset_stream(sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(head(content_type="text/event-stream") + b'data: {"n": 1}\n\n' * 2)
    time.sleep(0.05)
    _reset(sock)


def close_silently(sock: socket.socket, stop: threading.Event) -> None:
    sock.close()


def http10(sock: socket.socket, stop: threading.Event) -> None:
    """Legal: an HTTP/1.0 answer whose body ends when the connection closes."""
    sock.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + MODELS)


BEHAVIOURS: dict[str, Behaviour] = {
    "models": answer(MODELS),
    "hang": hang,
    "head-only": head_only,
    "drip-head": drip_head,
    "drip-body": drip_body,
    "sse-forever": sse_forever,
    "huge": huge,
    "gzip-bomb": gzip_bomb,
    "length-short": length_short,
    "length-long": length_long,
    "reset-body": reset_body,
    "reset-stream": reset_stream,
    "close": close_silently,
    "http10": http10,
    "bad-utf8": answer(b'{"object": "list", "data": ["\xff\xfe"]}'),
    "nul": answer(b'{"object": "list", "data": ["a\x00b"]}'),
    "nginx-502": answer(NGINX_502, "502 Bad Gateway", "text/html"),
    "deep": answer(b"[" * 20_000 + b"]" * 20_000),  # past the recursion limit (1000)
    "big-int": answer(b'{"object": "list", "n": 1' + b"0" * 20_000 + b"}"),  # past 4300 digits
    "big-float": answer(b'{"object": "list", "n": 1e999999}'),
    "duplicate-keys": answer(b'{"object": "list", "data": [], "object": "model"}'),
}


def _read_request(sock: socket.socket) -> tuple[str, dict[str, str]]:
    """The request's path and headers; its body is read and dropped."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return "", {}
        data += chunk
    head_bytes, _, rest = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return lines[0].split(" ")[1], headers


class HostileServer:
    """Serve `routes` (path after /v1/ -> behaviour name or function) on 127.0.0.1."""

    def __init__(
        self,
        routes: Mapping[str, str | Behaviour] | None = None,
        *,
        default: str | Behaviour = "hang",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.routes = dict(routes or {})
        self.default = default
        self.tls = tls
        self.stop_event = threading.Event()
        self.seen: list[tuple[str, dict[str, str]]] = []  # (path, headers) of every request
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up (or rejected our certificate) is expected here

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        scheme = "https" if tls else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._running = False

    def behaviour(self, path: str) -> Behaviour:
        route = path.split("?")[0].removeprefix("/v1/")
        # The route table first; then a path that names a behaviour does that; else the default.
        chosen = self.routes.get(route) or (route if route in BEHAVIOURS else self.default)
        return BEHAVIOURS[chosen] if isinstance(chosen, str) else chosen

    def _handle(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # ssl.SSLError, resets: the client went away
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            path, headers = _read_request(sock)
            if not path:
                return
            self.seen.append((path, headers))
            self.behaviour(path)(sock, self.stop_event)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)

    def start(self) -> HostileServer:
        self._thread.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Stop serving: connections in progress end, and new ones are refused."""
        if self._running:
            self._running = False
            self.stop_event.set()
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def answer_then_die(server: Callable[[], HostileServer], after: int) -> Behaviour:
    """Answer with a model list; with the `after`-th answer the whole server goes away.

    It stops listening before that answer is sent, so the client's next connection is
    refused: no request is caught half-way by the death.
    """
    count = [0]
    lock = threading.Lock()

    def send(sock: socket.socket, stop: threading.Event) -> None:
        with lock:
            count[0] += 1
            if count[0] == after:
                server().stop()
        BEHAVIOURS["models"](sock, stop)

    return send
