"""Target.stream against small misbehaving servers: stalls, endless streams, caps, non-SSE."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from oaiconform.settings import Secret
from oaiconform.target import RequestBudget, Target

EVENT = b'data: {"n": 1}\n\n'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.endswith("/error"):
            body = b'{"error": {"message": "bad", "type": "x", "param": null, "code": null}}'
            self.send_response(400)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
            self._stream(self.path.rsplit("/", 1)[-1])

    def _stream(self, kind: str) -> None:
        if kind == "ok":
            self.wfile.write(EVENT + EVENT + b"data: [DONE]\n\n")
        elif kind == "stall":
            self.wfile.write(EVENT * 3)
            self.wfile.flush()
            time.sleep(1.0)
        elif kind == "endless":
            for _ in range(200):
                self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
                time.sleep(0.02)
        elif kind == "huge":
            self.wfile.write(EVENT * 1000)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def make_target(base_url: str, **kwargs: float) -> Target:
    return Target(
        base_url,
        api_key=Secret("sk-test-0123456789"),
        api_key_env="OPENAI_API_KEY",
        timeout_s=kwargs.get("timeout_s", 5.0),
        max_response_bytes=int(kwargs.get("max_bytes", 1 << 20)),
        budget=RequestBudget(None),
    )


def test_a_complete_stream_is_recorded_with_timings(server: str) -> None:
    target = make_target(server)
    stream = target.stream("POST", "ok", json={"stream": True})
    assert [e.data for e in stream.events] == ['{"n": 1}', '{"n": 1}', "[DONE]"]
    assert stream.done and stream.interrupted is None and stream.defects == ()
    assert stream.first_byte_s is not None and stream.first_event_s is not None
    assert target.streams == [stream] and target.exchanges == [stream.head]
    assert target.curl(stream.head).startswith("curl -sS -N -X POST ")
    assert "Bearer $OPENAI_API_KEY" in target.curl(stream.head)


def test_a_stalled_stream_names_the_last_event(server: str) -> None:
    stream = make_target(server).stream("POST", "stall", json={}, idle_timeout_s=0.3)
    assert stream.interrupted == "no data for 0.3 s after event #3 (the stream stalled)"
    assert len(stream.events) == 3


def test_a_stream_that_never_ends_hits_the_total_cap(server: str) -> None:
    stream = make_target(server).stream("POST", "endless", json={}, total_timeout_s=0.3)
    assert stream.interrupted is not None
    assert stream.interrupted.startswith("the stream did not end within 0.3 s (0 events")
    assert stream.comments > 0


def test_a_huge_stream_hits_the_byte_cap(server: str) -> None:
    stream = make_target(server).stream("POST", "huge", json={}, max_bytes=1000)
    assert stream.interrupted == "the response exceeded the byte cap of 1000 bytes"
    assert stream.head.truncated and len(stream.head.body) == 1000


def test_an_error_before_the_stream_is_read_whole(server: str) -> None:
    stream = make_target(server).stream("POST", "error", json={"stream": True})
    assert stream.head.status == 400 and not stream.is_event_stream
    assert stream.head.json()["error"]["message"] == "bad"
    assert stream.events == ()
