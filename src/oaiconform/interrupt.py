"""Ctrl-C and SIGTERM: a stop the user asked for is kept until the run has acted on it.

Python raises KeyboardInterrupt wherever the main thread is when the signal lands. Landing in
a finalizer (an unclosed socket's `__del__`, a weakref callback), it is printed as "Exception
ignored" and lost, and the run would go on with its next test, waiting on a hanging target for
minutes. So the stop is also remembered here: the target refuses to send another request while
a stop is pending. pytest acknowledges it (`pytest_keyboard_interrupt`, or the runner when
pytest.main raises), after which the run's own cleanup may send again.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_pending = threading.Event()


def stop_pending() -> bool:
    return _pending.is_set()


def raise_if_pending() -> None:
    """Called before every request: a stop that Python dropped still stops the run."""
    if _pending.is_set():
        raise KeyboardInterrupt


def acknowledge() -> None:
    """The interrupt reached the run: what follows (cleanup, reports) runs normally."""
    _pending.clear()


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM (a CI job cancelled, `kill`) stop the run alike: the tests end, the
    run cleans up and writes its partial report, marked interrupted."""
    _pending.clear()
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread (e.g. embedding callers)
        return

    def interrupt(signum: int, frame: object) -> None:
        _pending.set()
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in _SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _pending.clear()


_SIGNALS = (signal.SIGINT, signal.SIGTERM)

__all__ = ["acknowledge", "raise_if_pending", "stop_on_signals", "stop_pending"]
