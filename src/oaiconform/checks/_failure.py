"""Typed failures: what a check returns, and what a suite raises when there are any."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_MAX_PER_CHECK = 3  # a defect repeated in every chunk is reported a few times, then counted


@dataclass(frozen=True)
class Failure:
    check: str  # the check's name, e.g. "error_envelope"
    message: str  # one sentence naming what was expected and what was found

    def __str__(self) -> str:
        return f"[{self.check}] {self.message}"


class ConformanceError(AssertionError):
    """A target broke one or more rules; its message is the list of failures, nothing else."""

    def __init__(self, failures: Iterable[Failure]) -> None:
        self.failures = tuple(failures)
        super().__init__("; ".join(str(f) for f in self.failures))


def expect(*results: Iterable[Failure]) -> None:
    """Raise ConformanceError with every failure of the given checks, if there is one."""
    failures = [failure for result in results for failure in result]
    if failures:
        raise ConformanceError(failures)


def capped(failures: list[Failure]) -> list[Failure]:
    """At most a few failures per check name, then one saying how many more there were."""
    kept: list[Failure] = []
    counts: dict[str, int] = {}
    for failure in failures:
        counts[failure.check] = counts.get(failure.check, 0) + 1
        if counts[failure.check] <= _MAX_PER_CHECK:
            kept.append(failure)
    for check, count in counts.items():
        if count > _MAX_PER_CHECK:
            kept.append(Failure(check, f"... and {count - _MAX_PER_CHECK} more like these"))
    return kept
