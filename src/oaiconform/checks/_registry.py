"""The check registry, and an observer of which checks returned failures.

Every public check in checks/*.py is decorated with `@check(title=..., impact=..., reason=...)`,
which files it in REGISTRY under a stable id, "<module>.<function>" (e.g.
"streaming.json_not_event_stream"), with a one-line title, its area (the module) and its
impact class with the reason for it. Rules judged outside a check function (schemathesis's
checks, a target that did not answer) are filed with `register`. The wrapper stamps the id
on each failure the check returns, so a failure is typed by the check that found it.

The self-tests use the ids to prove each check: a fault of the mock declares which checks it
makes fail, and the run under that fault opens `observe_failing_checks()` to see that they did.

The wrapper keeps the checks pure: outside an observation it only reads a ContextVar; inside
one it adds the check's id to the observer's set when the check returned a failure. A
ContextVar (not a global) keeps concurrent runs in other threads or tasks from mixing.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import ParamSpec, Protocol, TypeVar, cast, overload

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


class Impact(StrEnum):
    """What a failure of a check means for the people who use the target, worst first.

    `compat` verdicts fail on the first two, `strict` ones on the first three; `advisory`
    never fails a verdict (a warning).
    """

    BREAKS_CLIENTS = "breaks-clients"  # an official SDK raises, or hands over other data
    WRONG_BEHAVIOUR = "wrong-behaviour"  # the answer ignores or contradicts the request
    SPEC_LITERAL = "spec-literal"  # the bytes differ from the description; clients cope
    ADVISORY = "advisory"  # differs from the real API's observed behaviour only

    @property
    def rank(self) -> int:
        return list(Impact).index(self)

    @property
    def soft(self) -> bool:
        """Clients cope: a test goes on after such a failure (see `expect`)."""
        return self in (Impact.SPEC_LITERAL, Impact.ADVISORY)


@dataclass(frozen=True)
class CheckInfo:
    """A registered check: its id, title, area and impact class with the reason for it."""

    id: str
    function: Callable[..., CheckResult] | None  # the observed function; None for `register`
    title: str = ""  # one line: the rule, as a vendor reads it
    impact: Impact = Impact.WRONG_BEHAVIOUR
    reason: str = ""  # why this impact class
    area: str = ""  # the module: http, chat, streaming, ...


REGISTRY: dict[str, CheckInfo] = {}
# A failure no check claims (a suite's own rule) is judged as if it changed behaviour: a
# verdict is never made softer by a missing classification.
UNCLASSIFIED = CheckInfo("", None, "unclassified rule", Impact.WRONG_BEHAVIOUR, "no check")
_failing: ContextVar[set[str] | None] = ContextVar("oaiconform_failing_checks", default=None)


def failures_of(result: CheckResult) -> Sequence[Failure]:
    """The failures in any of the result shapes a check may return."""
    if isinstance(result, list):
        return result
    if isinstance(result, tuple):
        return result[1]
    return result.failures


def _stamped(result: R, check_id: str) -> R:
    """The result with `check_id` on each failure that no inner check claimed already."""
    failures = failures_of(result)
    if not any(not f.check_id for f in failures):
        return result
    stamped = [f if f.check_id else dataclasses.replace(f, check_id=check_id) for f in failures]
    if isinstance(result, list):
        return cast(R, stamped)
    if isinstance(result, tuple):
        return cast(R, (result[0], stamped))
    result.failures[:] = stamped  # type: ignore[index]  # a fresh, mutable carrier
    return result


@overload
def check(function: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def check(
    *, title: str, impact: Impact, reason: str
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def check(
    function: Callable[P, R] | None = None,
    /,
    *,
    title: str = "",
    impact: Impact = Impact.WRONG_BEHAVIOUR,
    reason: str = "",
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Register a function as a check, under "<module>.<function>", with its title, impact
    class and the reason for that class."""

    def register_function(function: Callable[P, R]) -> Callable[P, R]:
        area = function.__module__.rpartition(".")[2]
        check_id = f"{area}.{function.__name__}"
        if check_id in REGISTRY:
            raise RuntimeError(f"check {check_id!r} is registered twice")

        @functools.wraps(function)
        def observed(*args: P.args, **kwargs: P.kwargs) -> R:
            result = _stamped(function(*args, **kwargs), check_id)
            failing = _failing.get()
            if failing is not None and failures_of(result):
                failing.add(check_id)
            return result

        first_line = (function.__doc__ or "").strip().splitlines()[:1]
        REGISTRY[check_id] = CheckInfo(
            check_id, observed, title or "".join(first_line), impact, reason, area
        )
        return observed

    return register_function(function) if function is not None else register_function


def register(check_id: str, *, title: str, impact: Impact, reason: str) -> CheckInfo:
    """File a rule judged outside a check function (a schemathesis check, a target that did
    not answer), so failures that carry its id have a title and an impact class."""
    if check_id in REGISTRY:
        raise RuntimeError(f"check {check_id!r} is registered twice")
    info = CheckInfo(check_id, None, title, impact, reason, check_id.partition(".")[0])
    REGISTRY[check_id] = info
    return info


def info_of(check_id: str) -> CheckInfo:
    """The registry entry of a check id; UNCLASSIFIED for an id no check claims."""
    return REGISTRY.get(check_id) or UNCLASSIFIED


def impact_of(failure: Failure) -> Impact:
    return info_of(failure.check_id).impact


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
