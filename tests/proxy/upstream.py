"""A scripted upstream for the proxy's self-tests: fixed bytes, gated streams, resets, stalls."""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXED_BODY = gzip.compress(b'{"object": "list", "data": []}', mtime=0)
SSE_FIRST = b'data: {"n": 1}\n\n'
SSE_SECOND = b"data: [DONE]\n\n"
# A self-signed certificate for 127.0.0.1 (valid until 2126), a test's own CA bundle.
TLS_CERT = Path(__file__).with_name("tls-cert.pem")
TLS_KEY = Path(__file__).with_name("tls-key.pem")


class Scripted(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    release = threading.Event()
    closed = threading.Event()  # a held stream found its reader gone
    seen: list[tuple[str, str, dict[str, str], bytes]] = []
    ports: list[int] = []  # the client port of each request: a pooled connection repeats it

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _read(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("transfer-encoding") == "chunked":
            while size := int(self.rfile.readline().strip(), 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        self.seen.append((self.command, self.path, dict(self.headers.items()), body))
        self.ports.append(self.client_address[1])
        return body

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        self._read()
        path, _, query = self.path.partition("?")
        if "hold" in query:  # an endless stream, until the reader goes away
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:  # with "done": the [DONE] event first, the end of the body never
                self._chunk(SSE_FIRST + (SSE_SECOND if "done" in query else b""))
                for _ in range(400):
                    time.sleep(0.025)
                    self._chunk(b": still here\n\n")
            except OSError:
                Scripted.closed.set()
            self.close_connection = True
        elif path.endswith("/fixed"):
            self.send_response(203, "Odd Reason")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("X-Odd", "one")
            self.send_header("X-Odd", "two")
            self.send_header("Content-Length", str(len(FIXED_BODY)))
            self.end_headers()
            self.wfile.write(FIXED_BODY)
        elif path.endswith("/sse"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._chunk(SSE_FIRST)
            self.release.wait(10)
            self._chunk(SSE_SECOND)
            self._chunk(b"")
        elif path.endswith("/whole"):  # head and body in one write, as uvicorn sends them
            self._whole(200, b'{"object": "list", "data": []}')
        elif path.endswith("/crash"):  # Starlette under uvicorn after an app exception
            # no Connection: close, then the connection is closed
            self._whole(500, b'{"error": {"message": "Internal server error", "type": "e"}}')
            time.sleep(0.3)  # uvicorn logs the traceback first
            self.close_connection = True
        elif path.endswith("/reset"):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif path.endswith("/stall"):
            time.sleep(3)
            self.close_connection = True
        elif path.endswith("/cut"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._chunk(SSE_FIRST)
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def _whole(self, status: int, body: bytes) -> None:
        head = f"HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n"
        self.wfile.write(head.encode() + body)
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


@contextmanager
def scripted_upstream(tls: bool = False) -> Iterator[str]:
    """The scripted server's base URL (…/v1) while the block runs; https with `tls`."""
    Scripted.release = threading.Event()
    Scripted.closed = threading.Event()
    Scripted.seen = []
    Scripted.ports = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    server.daemon_threads = True
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS_CERT, TLS_KEY)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        Scripted.release.set()
        server.shutdown()
        server.server_close()
