"""Requests in flight at once within one process: the AIMD throttle and speculative sending.

A run's independent requests (the generated examples of a property test or of a suite's
hypothesis test) are sent concurrently without touching how their verdicts are reached:

1. the test's search runs once with the Target *recording*: each request is noted, not sent
   (`Recorded` ends that example as if it passed, so hypothesis draws the next one exactly as
   a serial run would until its first failure: its generation does not depend on outcomes
   before one);
2. the noted requests are sent concurrently (`Speculation.dispatch`), each in its own thread
   with its own deadline, bounded by the `Throttle`;
3. the search runs again, serially, as it always did: each request it makes is answered from
   what was sent for the identical request (first in, first out), anything else (a shrink, a
   429's retry, a request that depends on an earlier answer) is sent then.

Streams are never sent ahead (a server that generates one answer at a time may cut a stream
short when another request arrives: llama-cpp-python does by default), only plain requests.

So hypothesis only ever runs on the caller's thread (its generation is not thread-safe), the
checks and verdicts are the serial run's, and the exchange log of a test is what a serial run
logs: an answer is logged when the second pass takes it. Requests noted but never asked for
again (examples after the first failure) were still sent and are counted by the budget; their
answers are handed back (`leftovers`) so objects they created can be removed.

The throttle bounds what is in flight: `configured` slots; a 429 halves the slots
(multiplicative decrease, at most once per `DECREASE_SPACING_S`) and holds them there for
`HOLD_S`, after which each run of `limit` answers without a 429 adds one slot back (additive
increase) up to the configured number.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

HOLD_S = 10.0  # after a 429, no slot is added back for this long
DECREASE_SPACING_S = 1.0  # the 429s of one burst of in-flight requests halve once, not each
_WAIT_STEP_S = 0.5


class Recorded(Exception):
    """The recording pass noted this request instead of sending it."""


class Throttle:
    """At most `limit` requests in flight; AIMD on 429 answers. Thread-safe."""

    def __init__(self, configured: int, *, hold_s: float = HOLD_S) -> None:
        self.configured = max(1, configured)
        self.limit = self.configured
        self.min_reached = self.configured
        self.rate_limited = 0  # 429 answers seen
        self.sent_ahead = 0  # requests sent on pool threads, several in flight
        self.hold_s = hold_s
        self._in_flight = 0
        self._hold_until = 0.0
        self._last_cut = -DECREASE_SPACING_S
        self._since_increase = 0
        self._cond = threading.Condition()

    @contextmanager
    def slot(self, give_up: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold one slot while a request is in flight; `give_up` may raise while waiting."""
        with self._cond:
            while self._in_flight >= self.limit:
                if give_up is not None:
                    give_up()
                self._cond.wait(_WAIT_STEP_S)
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def note(self, status: int, now: float | None = None) -> None:
        """An answer's status: a 429 cuts the slots, a run of others adds one back."""
        now = time.monotonic() if now is None else now
        with self._cond:
            if status == 429:
                self.rate_limited += 1
                self._since_increase = 0
                if now - self._last_cut >= DECREASE_SPACING_S:
                    self._last_cut = now
                    self.limit = max(1, self.limit // 2)
                    self.min_reached = min(self.min_reached, self.limit)
                self._hold_until = now + self.hold_s
                return
            if self.limit >= self.configured or now < self._hold_until:
                return
            self._since_increase += 1
            if self._since_increase >= self.limit:
                self._since_increase = 0
                self.limit += 1
                self._cond.notify_all()

    def absorb(self, info: Mapping[str, int]) -> None:
        """A parallel worker's throttle, folded in: the lowest it went, its 429s."""
        with self._cond:
            self.min_reached = min(self.min_reached, int(info.get("min_reached", self.limit)))
            self.rate_limited += int(info.get("rate_limited", 0))
            self.sent_ahead += int(info.get("sent_ahead", 0))

    def info(self) -> dict[str, int]:
        """For the report: how far the concurrency went."""
        return {
            "configured": self.configured,
            "min_reached": self.min_reached,
            "rate_limited": self.rate_limited,
            "sent_ahead": self.sent_ahead,
        }


@dataclass
class Outcome:
    """What one request sent ahead gave: its value or error, and what the Target logged."""

    value: Any = None
    error: BaseException | None = None
    exchanges: list[Any] = field(default_factory=list)
    streams: list[Any] = field(default_factory=list)


@dataclass
class Speculation:
    """The requests one search makes, noted on a first pass and sent ahead of a second."""

    limit: int | None = None  # at most this many noted (further ones are sent when asked)
    recording: bool = True
    calls: list[tuple[Hashable, Callable[[], Any]]] = field(default_factory=list)
    answers: dict[Hashable, deque[Outcome]] = field(default_factory=lambda: defaultdict(deque))

    def record(self, key: Hashable, send: Callable[[], Any]) -> None:
        """Note a request (raises `Recorded`): the first pass never sends."""
        if self.limit is None or len(self.calls) < self.limit:
            self.calls.append((key, send))
        raise Recorded(key)

    def dispatch(self, send_all: Callable[[list[Callable[[], Any]]], list[Outcome]]) -> None:
        """Send every noted request (`send_all`: at once); then answer from them."""
        calls, self.calls = self.calls, []
        outcomes = send_all([send for _, send in calls])
        for (key, _), outcome in zip(calls, outcomes, strict=True):
            self.answers[key].append(outcome)
        self.recording = False

    def take(self, key: Hashable) -> Outcome | None:
        queue = self.answers.get(key)
        return queue.popleft() if queue else None

    def leftovers(self) -> list[Outcome]:
        """Answers sent ahead that the second pass never asked for."""
        return [outcome for queue in self.answers.values() for outcome in queue]
