"""`run --baseline FILE`: which of a run's deviations the baseline records, which are new, and
which entries no longer fail (stale).

A known deviation stays in every output, marked known; it only stops failing the gate. A
required feature that fails is let through when everything that fails it in a verdict is
recorded: each problem counted by that verdict (a failed feature), or the feature's own entry
with the same status (a feature that fails without a problem: an absent endpoint, tests that
could not run). A tool error is never let through. An entry whose deviation no longer shows is
stale: reported always, failing the run with `--baseline-strict`, so a fixed bug that comes
back cannot hide behind an entry nobody removed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from oaiconform.baseline import BaselineEntry
from oaiconform.report.problems import VERDICT_FAILS_ON, Problem

__all__ = ["BaselineOutcome", "FeatureLike", "apply_baseline"]

_LET_THROUGH_WHEN_KNOWN = ("failed", "flaky")


class FeatureLike(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def tests(self) -> int: ...
    @property
    def required(self) -> bool: ...
    @property
    def statuses(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class BaselineOutcome:
    problems: list[Problem]  # the run's problems, each known one with its `baseline` entry
    section: dict[str, Any]  # report.json `baseline`


def _status(result: FeatureLike, verdict: str) -> str:
    return result.statuses.get(verdict, result.status)


def _ran(result: FeatureLike | None) -> bool:
    return result is not None and result.tests > 0 and result.status != "skipped"


def _entry_fields(entry: BaselineEntry) -> dict[str, str]:
    return {"reason": entry.reason, "upstream": entry.upstream, "url": entry.url}


def _stale_or_unchecked(
    entry: BaselineEntry,
    problem_ids: Collection[str],
    features: Mapping[str, FeatureLike],
    narrowed: bool,
) -> str:
    """'known', 'stale' or 'not_checked' (what it names did not run this time)."""
    if entry.problem:
        if entry.problem in problem_ids:
            return "known"
        # A hand-written entry without features: only a run of everything tells it is gone.
        ran = any(_ran(features.get(f)) for f in entry.features) if entry.features else not narrowed
        return "stale" if ran else "not_checked"
    result = features.get(entry.feature)
    if not _ran(result):
        return "not_checked"
    assert result is not None  # _ran said so
    statuses = {result.status, *result.statuses.values()}
    return "known" if entry.status in statuses else "stale"


def _covered(
    verdict: str,
    features: Mapping[str, FeatureLike],
    problems: Sequence[Problem],
    known: Collection[str],
) -> list[str]:
    """The required features whose failure in `verdict` the baseline records in full."""
    counted = VERDICT_FAILS_ON[verdict]
    covered = []
    for feature_id, result in features.items():
        status = _status(result, verdict)
        if not result.required or status in ("passed", "error"):
            continue
        if status in _LET_THROUGH_WHEN_KNOWN:
            failing = [p.id for p in problems if feature_id in p.features and p.impact in counted]
            if failing and all(p in known for p in failing):
                covered.append(feature_id)
        elif f"feature:{feature_id}={status}" in known:
            covered.append(feature_id)
    return sorted(covered)


def apply_baseline(
    entries: Sequence[BaselineEntry],
    problems: Sequence[Problem],
    features: Mapping[str, FeatureLike],
    *,
    file: str,
    strict: bool,
    narrowed: bool,
) -> BaselineOutcome:
    """Mark the known problems and say, per verdict, which failing features are all known."""
    problem_ids = {p.id for p in problems}
    by_problem = {e.problem: e for e in entries if e.problem}
    states = {e.key: _stale_or_unchecked(e, problem_ids, features, narrowed) for e in entries}
    known = {k for k, state in states.items() if state == "known"}
    known_keys = {*known}
    for entry in entries:
        if entry.feature and entry.key in known:
            known_keys.add(f"feature:{entry.feature}={entry.status}")
    marked = [
        replace(p, baseline=_entry_fields(by_problem[p.id])) if p.id in known else p
        for p in problems
    ]
    stale = [{"entry": e.key, **_entry_fields(e)} for e in entries if states[e.key] == "stale"]
    section: dict[str, Any] = {
        "file": file,
        "entries": len(entries),
        "strict": strict,
        "known": sorted(known),
        "new": [p.id for p in problems if p.id not in known],
        "stale": stale,
        "not_checked": sorted(k for k, state in states.items() if state == "not_checked"),
        "covered": {
            verdict: _covered(verdict, features, marked, known_keys) for verdict in VERDICT_FAILS_ON
        },
    }
    return BaselineOutcome(marked, section)
