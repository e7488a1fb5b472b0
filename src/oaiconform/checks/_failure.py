"""Typed failures: what a check returns, and what a suite raises when there are any."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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
