"""Problems: the run's failures grouped by what the target got wrong, worst first.

One defect usually fails many tests: an error body without its `error` object fails every
test that sees an error, across a dozen features. A problem is one (check, location) pair:
the registered check that found it and where in the answer (a field path without its item
numbers, a header, the status), with every feature and test it touches. Problems are ordered
by impact class, then by how much they touch, so a vendor reads what to fix first.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from oaiconform.checks import Impact, info_of, load_all_checks, normalize_where

# A verdict fails on these impact classes; advisory never fails one (a warning).
VERDICT_FAILS_ON: dict[str, frozenset[str]] = {
    "compat": frozenset({Impact.BREAKS_CLIENTS.value, Impact.WRONG_BEHAVIOUR.value}),
    "strict": frozenset(
        {Impact.BREAKS_CLIENTS.value, Impact.WRONG_BEHAVIOUR.value, Impact.SPEC_LITERAL.value}
    ),
}
_SDK_WORST_FIRST = ("raised", "differs", "fine")
NO_SDK = (
    "not replayed: the official openai SDK is not installed (pip install 'oaiconform[sdk]'); "
    "the impact class is the registry's"
)


class KnownDeviationLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def description(self) -> str: ...


# (check id, location, message) -> the known deviation of a real server it looks like
MatchKnown = Callable[[str, str, str], KnownDeviationLike | None]


@dataclass(frozen=True)
class FailedTest:
    """What problems are built from: a failed test and its typed failures."""

    id: str
    feature: str
    message: str
    repro: str
    failures: list[dict[str, str]]
    sdk: list[dict[str, str]]


@dataclass(frozen=True)
class Problem:
    id: str  # "<check id>@<location>" (or the check id): stable across runs, for baselines
    check: str
    impact: str  # breaks-clients | wrong-behaviour | spec-literal | advisory
    title: str  # the check's title
    where: str  # the location, item numbers removed; "" when the check names none
    detail: str  # the first failure's message (expected and found)
    features: list[str]
    tests: list[str]
    failures: int  # how many failures, over all tests
    example: dict[str, str]  # {test, message, repro}
    sdk: dict[str, str] = field(default_factory=dict)  # what the official SDK did, if replayed
    known_deviation: dict[str, str] | None = None  # {id, reference, url, description}
    impact_reason: str = ""
    # Set on a problem of another check that shows only in tests where a worse or equal problem
    # of the same area shows too (a stream that cannot be assembled, then its tool calls that
    # differ): likely a consequence of that one, listed under it rather than on its own.
    consequence_of: str = ""
    # Set when `run --baseline` records this problem: {reason, upstream, url}. Still listed
    # everywhere; it only no longer fails the gate (report/baselined.py).
    baseline: dict[str, str] = field(default_factory=dict)


def failed_in(impacts: Iterable[str], verdict: str) -> bool:
    """Whether failures of these impact classes fail `verdict`. A failed test without typed
    failures counts as failed: a missing classification never softens a verdict."""
    found = list(impacts)
    return not found or any(impact in VERDICT_FAILS_ON[verdict] for impact in found)


def is_count_line(failure: Mapping[str, str]) -> bool:
    """The "... and N more like these" line a cap adds (checks.capped): a count, no defect."""
    message = failure.get("message", "")
    return message.startswith("... and ") and message.endswith(" more like these")


def _check_of(failure: Mapping[str, str]) -> str:
    return failure.get("check_id") or f"unclassified.{failure.get('rule') or 'rule'}"


def _names_request(message: str, request: str) -> bool:
    """Whether a failure message (`POST http://host/v1/chat/completions -> 200: ...`) is about
    the replayed request (`POST /v1/chat/completions`)."""
    method, _, path = request.partition(" ")
    if not method or not path:
        return False
    return re.search(rf"\b{re.escape(method)} \S*{re.escape(path)}(?:[?\s]|$)", message) is not None


def _sdk_evidence(
    tests: list[FailedTest], messages: list[str], sdk_installed: bool
) -> dict[str, str]:
    """The worst thing the SDK did with the recorded answers behind the problem: the replays
    of a request its failures name. A replay of another request of the same test says nothing
    about this problem, so a problem whose failures name no replayed request has none."""
    replays = [r for test in tests for r in test.sdk]
    if not replays:
        return {} if sdk_installed else {"outcome": "not_replayed", "detail": NO_SDK}
    named = [r for r in replays if any(_names_request(m, r.get("request", "")) for m in messages)]
    if not named:
        return {}

    def rank(replay: Mapping[str, str]) -> int:
        outcome = replay.get("outcome", "fine")
        return _SDK_WORST_FIRST.index(outcome) if outcome in _SDK_WORST_FIRST else 3

    worst = min(named, key=rank)
    return {k: str(v) for k, v in worst.items()}


def _load_registry() -> None:
    """Every check's title and class, also in the process that writes the report after
    parallel workers ran the tests (it imported no check module itself): the checks package,
    and the property suite's rules, which it registers beside its schemathesis glue."""
    load_all_checks()
    importlib.import_module("oaiconform.property.checks")


def build_problems(
    tests: Iterable[FailedTest],
    *,
    sdk_installed: bool,
    text: Callable[[str], str] = str,
    known: MatchKnown | None = None,
) -> list[Problem]:
    """Group the failures of failed tests into problems, worst impact and widest first."""
    _load_registry()
    groups: dict[tuple[str, str], list[tuple[FailedTest, Mapping[str, str]]]] = {}
    for test in tests:
        for failure in test.failures:
            if is_count_line(failure):
                continue
            key = (_check_of(failure), normalize_where(failure.get("where", "")))
            groups.setdefault(key, []).append((test, failure))
    problems = []
    for (check_id, where), members in groups.items():
        info = info_of(check_id)
        first_test, first = members[0]
        problem_tests = list({t.id: t for t, _ in members}.values())
        messages = [f.get("message", "") for _, f in members]
        deviation = known(check_id, where, first.get("message", "")) if known else None
        problems.append(
            Problem(
                id=f"{check_id}@{where}" if where else check_id,
                check=check_id,
                impact=first.get("impact") or info.impact.value,
                title=info.title or first.get("rule", ""),
                where=where,
                detail=text(first.get("message", "")),
                features=sorted({t.feature for t in problem_tests}),
                tests=[t.id for t in problem_tests],
                failures=len(members),
                example={
                    "test": first_test.id,
                    "message": text(first.get("message", "")),
                    "repro": text(first_test.repro),
                },
                # What the SDK did with an answer is about its status and body; a header
                # problem shares the answer with them but not their effect on the SDK.
                sdk={}
                if where.startswith("header:")
                else _sdk_evidence(problem_tests, messages, sdk_installed),
                known_deviation=None
                if deviation is None
                else {
                    "id": deviation.id,
                    "reference": deviation.reference,
                    "url": deviation.url,
                    "description": deviation.description,
                },
                impact_reason=info.reason,
            )
        )
    ranks = {impact.value: impact.rank for impact in Impact}
    problems.sort(key=lambda p: (ranks.get(p.impact, 0), -len(p.features), -len(p.tests), p.id))
    return _mark_consequences(problems)


# Areas whose checks judge independent fields of one body: a second violation there is a
# second defect (a missing `refusal` beside a missing `logprobs`), never a consequence.
_INDEPENDENT_AREAS = frozenset({"schema", "property", "unclassified"})


def _area(check_id: str) -> str:
    return check_id.partition(".")[0]


def _mark_consequences(problems: list[Problem]) -> list[Problem]:
    """Mark each problem whose tests all show an earlier problem of another check of the same
    area (in order: worse or equal impact, wider) as that one's likely consequence. Two
    locations of one check, or two schema violations, stay two problems. Nothing is dropped:
    report.json keeps every problem; the summaries show consequences under their root."""
    marked: list[Problem] = []
    for problem in problems:
        tests = set(problem.tests)
        root = next(
            (
                earlier
                for earlier in marked
                if not earlier.consequence_of
                and earlier.check != problem.check
                and _area(earlier.check) == _area(problem.check)
                and _area(problem.check) not in _INDEPENDENT_AREAS
                and tests <= set(earlier.tests)
            ),
            None,
        )
        marked.append(replace(problem, consequence_of=root.id) if root else problem)
    return marked


def root_problems(problems: list[Problem]) -> list[Problem]:
    """The problems that are not a consequence of another: what a vendor fixes."""
    return [p for p in problems if not p.consequence_of]
