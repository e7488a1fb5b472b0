"""Ctrl-C that Python drops still stops the run (oaiconform.interrupt).

A KeyboardInterrupt raised while the main thread runs a finalizer is printed as "Exception
ignored" and lost; the run then went on to its next test and waited on a hanging target (seen
as a flaky Ctrl-C self-test on a loaded machine). The stop is remembered: no request leaves
until the run has acknowledged it.
"""

from __future__ import annotations

import gc
import signal
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from oaiconform import interrupt
from oaiconform.settings import Secret
from oaiconform.target import RequestBudget, Target


class _Counting(BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'{"object": "list", "data": []}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def counting() -> Iterator[tuple[Target, list[str]]]:
    hits: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Counting,), {"hits": hits}))
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    target = Target(
        f"http://127.0.0.1:{server.server_address[1]}/v1",
        api_key=Secret("sk-test-0123456789"),
        api_key_env="OPENAI_API_KEY",
        timeout_s=5.0,
        max_response_bytes=1 << 20,
        budget=RequestBudget(None),
    )
    try:
        yield target, hits
    finally:
        target.close()
        server.shutdown()
        server.server_close()


class _InterruptedFinalizer:
    """Ctrl-C landing while a finalizer runs: Python reports it as unraisable and drops it."""

    def __del__(self) -> None:
        signal.raise_signal(signal.SIGINT)
        self.after = True  # the handler runs here, inside __del__


def test_a_dropped_interrupt_stops_the_next_request_and_nothing_is_sent(
    counting: tuple[Target, list[str]],
) -> None:
    target, hits = counting
    with interrupt.stop_on_signals():
        target.request("GET", "models")
        assert len(hits) == 1
        unraisable: list[BaseException | None] = []
        previous_hook = sys.unraisablehook
        sys.unraisablehook = lambda u: unraisable.append(u.exc_value)
        try:
            _InterruptedFinalizer()  # collected at once: the interrupt is raised and dropped
            gc.collect()
        finally:
            sys.unraisablehook = previous_hook
        assert [type(e) for e in unraisable] == [KeyboardInterrupt], "the interrupt was dropped"
        assert interrupt.stop_pending()
        with pytest.raises(KeyboardInterrupt):
            target.request("GET", "models")
        assert len(hits) == 1, "a request left after Ctrl-C"
        # pytest (pytest_keyboard_interrupt) or the runner acknowledges: cleanup may send again.
        interrupt.acknowledge()
        target.request("GET", "models")
        assert len(hits) == 2
    assert not interrupt.stop_pending()


def test_outside_a_run_the_handlers_are_the_callers_again() -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with interrupt.stop_on_signals():
        assert signal.getsignal(signal.SIGTERM) not in before
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
