"""The live progress line of `oaiconform run` on a terminal.

One line, rewritten in place: features done of total, tests, requests, problems so far and the
time spent, so a long run against a slow server shows that it is alive and how far it got.
pytest's own dots and failure blocks go to a buffer instead (the summary after the run says the
same, grouped by problem); the runner prints that buffer when pytest could not run the suites.
Only on a terminal: a CI log gets pytest's plain output, no carriage returns. It shows counts
only, so no credential can reach it.
"""

from __future__ import annotations

import io
import threading
import time
from typing import TextIO

import pytest

from oaiconform.checks import normalize_where
from oaiconform.context import RunContext

__all__ = ["LiveProgress", "progress_line"]

_CLEAR = "\r\x1b[2K"
_REFRESH_S = 0.5


def _elapsed(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def progress_line(context: RunContext, elapsed_s: float) -> str:
    """ "features 12/48 · tests 230/610 · 1,204 requests · 3 problems · 1:05"."""
    collected = context.collected
    results = context.results
    if not collected and not results:
        return f"oaiconform: collecting the tests · {_elapsed(elapsed_s)}"
    finished = {n for n, r in results.items() if r.outcome != "not_run" or r.message}
    features_done = sum(1 for ids in collected.values() if ids and set(ids) <= finished)
    tests_total = sum(len(ids) for ids in collected.values())
    problems = {
        (f.get("check_id", ""), normalize_where(f.get("where", "")))
        for r in results.values()
        if r.outcome in ("failed", "flaky")
        for f in r.failures
    }
    requests = context.target.budget.used if context.target_started else 0
    problem_count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
    if not collected:  # parallel workers collect; the controller sees their results only
        return (
            f"oaiconform: tests {len(results)} done · {problem_count} · "
            f"{_elapsed(elapsed_s)} (--workers)"
        )
    return (
        f"oaiconform: features {features_done}/{len(collected)} · tests {len(results)}/"
        f"{tests_total} · {requests:,} requests · {problem_count} · {_elapsed(elapsed_s)}"
    )


class LiveProgress:
    """A pytest plugin that keeps the progress line current while the suites run."""

    def __init__(self, context: RunContext, stream: TextIO) -> None:
        self.context = context
        self.stream = stream
        self.pytest_output = io.StringIO()  # what pytest would have printed
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._tick, name="oaiconform-progress", daemon=True)

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        try:
            from _pytest._io import TerminalWriter

            reporter._tw = TerminalWriter(self.pytest_output)
        except (AttributeError, ImportError):  # another pytest: its output stays, no line
            return
        self._thread.start()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self._draw()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.close()

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
            with self._lock:
                self.stream.write(_CLEAR)
                self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(_REFRESH_S):
            self._draw()

    def _draw(self) -> None:
        if self._stop.is_set():
            return
        try:
            line = progress_line(self.context, time.monotonic() - self._started)
        except RuntimeError:  # a dict changed size under us: the next tick draws it
            return
        with self._lock:
            self.stream.write(_CLEAR + line)
            self.stream.flush()
