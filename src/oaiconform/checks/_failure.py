"""Typed failures: what a check returns, and what a suite raises when there are any."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

_MAX_PER_CHECK = 3  # a defect repeated in every chunk is reported a few times, then counted
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class Failure:
    """One rule a target broke.

    `rule` is the check's own short name for the rule (e.g. "error_envelope"); `check_id` is
    the registered check that returned it ("errors.error_envelope"), stamped by `@check`, so a
    failure is typed by where it came from, not by its wording. `where` locates the defect in
    the answer: a field path (`choices[0].message.refusal`), a stream event
    (`events[3].choices[0].delta`), a header (`header:x-request-id`), `status` or `body`;
    `expected` and `found` say what the rule wanted and what the target sent, when they are
    short enough to state.
    """

    rule: str
    message: str  # one sentence naming what was expected and what was found
    where: str = ""
    expected: str = ""
    found: str = ""
    check_id: str = ""

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"

    @property
    def location(self) -> str:
        """`where` with array indices dropped: the same defect at item 0 and item 3 is one."""
        return normalize_where(self.where)


def normalize_where(where: str) -> str:
    """`choices[0].message` -> `choices[].message`: a location without its item numbers."""
    return _INDEX.sub("[]", where)


class ConformanceError(AssertionError):
    """A target broke one or more rules; its message is the list of failures, nothing else."""

    def __init__(self, failures: Iterable[Failure]) -> None:
        self.failures = tuple(failures)
        super().__init__("; ".join(str(f) for f in self.failures))


# Failures a test met that do not stop it (`soft`, see `expect`): set per test by the plugin.
_deferred: ContextVar[list[Failure] | None] = ContextVar("oaiconform_deferred", default=None)


def expect(*results: Iterable[Failure]) -> None:
    """Raise ConformanceError with every failure of the given checks, if there is one.

    Inside a test that collects deferred failures (`collect_deferred`), failures whose check
    is classed as one a client copes with (`spec-literal`, `advisory`) do not stop the test:
    they are kept and raised when the test ends, so the rest of the test still runs and a
    verdict that ignores them (`compat`) rests on every check the test makes.
    """
    failures = [failure for result in results for failure in result]
    if not failures:
        return
    deferred = _deferred.get()
    if deferred is not None and all(is_soft(f) for f in failures):
        deferred.extend(failures)
        return
    raise ConformanceError([*(deferred or []), *failures])


def is_soft(failure: Failure) -> bool:
    """A failure clients cope with: its check's impact is spec-literal or advisory."""
    from oaiconform.checks._registry import impact_of  # the registry imports this module

    return impact_of(failure).soft


@contextmanager
def collect_deferred() -> Iterator[list[Failure]]:
    """Keep the soft failures `expect` meets in this block; the caller raises them at the end."""
    deferred: list[Failure] = []
    token = _deferred.set(deferred)
    try:
        yield deferred
    finally:
        _deferred.reset(token)


def capped(failures: list[Failure]) -> list[Failure]:
    """At most a few failures per defect (one check at one location, item numbers aside),
    then one saying exactly how many more of that defect there were. A different check or
    location is never folded under another: each is a problem of its own."""
    kept: list[Failure] = []
    counts: dict[tuple[str, str, str], int] = {}
    last: dict[tuple[str, str, str], Failure] = {}
    for failure in failures:
        key = (failure.check_id, failure.rule, failure.location)
        counts[key] = counts.get(key, 0) + 1
        last[key] = failure
        if counts[key] <= _MAX_PER_CHECK:
            kept.append(failure)
    for key, count in counts.items():
        if count > _MAX_PER_CHECK:
            more = f"... and {count - _MAX_PER_CHECK} more like these"
            kept.append(Failure(key[1], more, where=last[key].where, check_id=last[key].check_id))
    return kept


def indexes_are(found: list[int], n: int) -> bool:
    """The sorted indexes are exactly 0..n-1. Never builds that list: n comes from the
    request, and a request (or the proxy's traffic) may ask for half a billion choices."""
    return len(found) == n and all(index == k for k, index in enumerate(found))


def indexes_text(n: int) -> str:
    """0..n-1 as a list in a message, elided past a few."""
    return str(list(range(n))) if n <= 16 else f"[0, 1, ..., {n - 1}]"
