"""The check registry, and an observer of which checks returned failures.

Every public check in checks/*.py is decorated with `@check`, which files it in REGISTRY under
a stable id, "<module>.<function>" (e.g. "streaming.json_not_event_stream"). The self-tests
use the ids to prove each check: a fault of the mock declares which checks it makes fail, and
the run under that fault opens `observe_failing_checks()` to see that they did.

The wrapper keeps the checks pure: outside an observation it only reads a ContextVar; inside
one it adds the check's id to the observer's set when the check returned a failure. A
ContextVar (not a global) keeps concurrent runs in other threads or tasks from mixing.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ParamSpec, Protocol, TypeVar

from oaiconform.checks._failure import Failure


class CarriesFailures(Protocol):
    """A result that carries its failures beside parsed values (streaming.DataEvents)."""

    @property
    def failures(self) -> Sequence[Failure]: ...


# What a check returns: its failures, or a value a later check reads together with the
# failures met while building it (stream_assembly.assemble_chat, streaming.data_events).
CheckResult = list[Failure] | tuple[object, list[Failure]] | CarriesFailures

P = ParamSpec("P")
R = TypeVar("R", bound=CheckResult)


@dataclass(frozen=True)
class CheckInfo:
    """A registered check. Later fields (title, area, impact) belong here, set by `check`."""

    id: str
    function: Callable[..., CheckResult]  # the registered (observed) function callers import


REGISTRY: dict[str, CheckInfo] = {}
_failing: ContextVar[set[str] | None] = ContextVar("oaiconform_failing_checks", default=None)


def failures_of(result: CheckResult) -> Sequence[Failure]:
    """The failures in any of the result shapes a check may return."""
    if isinstance(result, list):
        return result
    if isinstance(result, tuple):
        return result[1]
    return result.failures


def check(function: Callable[P, R]) -> Callable[P, R]:
    """Register `function` as a check, under "<module>.<function>"."""
    check_id = f"{function.__module__.rpartition('.')[2]}.{function.__name__}"
    if check_id in REGISTRY:
        raise RuntimeError(f"check {check_id!r} is registered twice")

    @functools.wraps(function)
    def observed(*args: P.args, **kwargs: P.kwargs) -> R:
        result = function(*args, **kwargs)
        failing = _failing.get()
        if failing is not None and failures_of(result):
            failing.add(check_id)
        return result

    REGISTRY[check_id] = CheckInfo(check_id, observed)
    return observed


def registered(function: object) -> CheckInfo | None:
    """The registry entry of a function as callers import it, or None if it is no check."""
    return next((info for info in REGISTRY.values() if info.function is function), None)


def load_all_checks() -> dict[str, CheckInfo]:
    """REGISTRY with every check module imported (a module registers its checks on import)."""
    package = importlib.import_module("oaiconform.checks")
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")
    return REGISTRY


@contextmanager
def observe_failing_checks() -> Iterator[set[str]]:
    """Collect the ids of the checks that return a failure in this context until the block
    ends; observations nest (an inner one sees only its own block, the outer one sees all)."""
    outer = _failing.get()
    failing: set[str] = set()
    token = _failing.set(failing)
    try:
        yield failing
    finally:
        _failing.reset(token)
        if outer is not None:
            outer |= failing
