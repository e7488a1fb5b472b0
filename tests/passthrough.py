"""A pass-through HTTP proxy in front of a mock: the mock as a remote target would look.

The run sees a target that is not its embedded mock (so nothing mock-only applies), and the
proxy drops the mock's simulation headers on the way in, so no test can lean on them. It can
also drop response headers, to play a server that never sends them.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class _PassThrough(BaseHTTPRequestHandler):
    upstream = ""
    drop_response_headers: re.Pattern[str] | None = None
    echo_paths: re.Pattern[str] | None = None
    limit_every = 0  # answer every n-th request (the 1st, the n+1-th, ...) with a 429
    # One client for the server's life: a new httpx.Client costs ~50 ms (its SSL context),
    # which made every run through this proxy many times slower than the mock behind it.
    client: httpx.Client
    count = 0
    lock = threading.Lock()
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms a request on Linux).
    disable_nagle_algorithm = True

    def _limited(self) -> bool:
        if not self.limit_every:
            return False
        with self.lock:
            type(self).count += 1
            return self.count % self.limit_every == 1 % self.limit_every

    def _too_many_requests(self) -> None:
        payload = b'{"error":{"message":"slow down","type":"requests","param":null,"code":null}}'
        self.send_response(429)
        self.send_header("content-type", "application/json")
        self.send_header("retry-after", "0")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _echo(self) -> None:
        """Answer 500 with the request, headers included, in the error: a careless proxy."""
        key = self.headers.get("authorization", "").removeprefix("Bearer ")
        echoed = f"key {key}; " + "; ".join(f"{k}: {v}" for k, v in self.headers.items())
        payload = json.dumps(
            {"error": {"message": f"cannot serve {self.path} ({echoed})", "type": "server_error"}}
        ).encode()
        self.send_response(500)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.echo_paths is not None and self.echo_paths.search(self.path):
            self._echo()
            return
        if self._limited():
            self._too_many_requests()
            return
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() != "host" and not name.lower().startswith("x-oaiconform-")
        }
        answer = self.client.request(
            self.command, self.upstream + self.path, headers=headers, content=body
        )
        self.send_response(answer.status_code)
        drop = self.drop_response_headers
        for name, value in answer.headers.multi_items():
            if name.lower() in _HOP_BY_HOP or name.lower() == "content-encoding":
                continue
            if drop is not None and drop.match(name.lower()):
                continue
            self.send_header(name, value)
        self.send_header("content-length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def pass_through(
    upstream_base_url: str,
    *,
    drop_response_headers: str | None = None,
    echo_paths: str | None = None,
    limit_every: int = 0,
) -> Iterator[str]:
    """Serve a proxy to `upstream_base_url` (…/v1) on 127.0.0.1; yields the proxy's base URL.

    `drop_response_headers`: a regex of response header names it drops; `echo_paths`: a regex
    of request paths it answers itself, with a 500 that echoes the request's headers;
    `limit_every`: every n-th request gets a 429 with Retry-After: 0 (a rate-limited API)."""
    client = httpx.Client(timeout=30)
    handler = type(
        "Handler",
        (_PassThrough,),
        {
            "upstream": upstream_base_url.removesuffix("/v1"),
            "drop_response_headers": re.compile(drop_response_headers)
            if drop_response_headers
            else None,
            "echo_paths": re.compile(echo_paths) if echo_paths else None,
            "limit_every": limit_every,
            "client": client,
        },
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        client.close()
