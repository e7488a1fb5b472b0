"""The report: a typed, versioned document that CI and other tools read.

`schema_version` changes only when a field is renamed or removed; new fields are additive.
Redaction happens once, here, at construction, so no writer can leak a credential.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from oaiconform import __version__
from oaiconform.context import RunContext, TestResult
from oaiconform.features import get_feature
from oaiconform.known_deviations import match_known_deviation
from oaiconform.profiles import Profile, ProfileError
from oaiconform.redact import Redactor, strip_userinfo
from oaiconform.report.baselined import apply_baseline
from oaiconform.report.problems import (
    VERDICT_FAILS_ON,
    FailedTest,
    Problem,
    build_problems,
    failed_in,
    is_count_line,
    root_problems,
)
from oaiconform.report.timings import latency_summary
from oaiconform.sdk_replay import sdk_version
from oaiconform.settings import Settings

# 2: test outcome `skipped` became `not_run` (and `not_applicable`, `error` were added);
# feature status `partial`, `error` and `not_applicable` were added; `passed` got stricter.
SCHEMA_VERSION = 2
NOT_BUILT = "not built: this version of oaiconform has no test for this feature yet"
NOT_SELECTED = "not selected (--feature)"
DID_NOT_RUN = "did not run: the run ended before this test (interrupted)"
EXIT_OK, EXIT_FAILED, EXIT_TOOL_ERROR = 0, 1, 4
FEATURE_STATUSES = (
    "passed",
    "flaky",
    "failed",
    "error",
    "not_implemented",
    "partial",
    "not_applicable",
    "skipped",
)
# A feature status -> the test outcome whose message is the feature's `reason`.
_EXPLAINED_BY = {
    "flaky": "flaky",
    "error": "error",
    "not_implemented": "not_implemented",
    "partial": "not_run",
    "not_applicable": "not_applicable",
}


@dataclass(frozen=True)
class FeatureFailure:
    test: str
    message: str
    repro: str
    traceback: str = ""  # for errors of the tool itself


@dataclass(frozen=True)
class TestNote:
    """Why a test did not run: `not_applicable` (decided before) or `not_run` (at run time)."""

    test: str
    reason: str


@dataclass(frozen=True)
class FeatureResult:
    # passed | flaky | failed | error | not_implemented | partial | not_applicable | skipped
    # (flaky: every test passed, one only after failing first: --reruns, see TestEntry)
    status: str
    tests: int
    level: str  # must | should
    required: bool
    failures: list[FeatureFailure] = field(default_factory=list)
    reason: str = ""
    errors: list[FeatureFailure] = field(default_factory=list)  # the tool broke, not the target
    not_applicable: list[TestNote] = field(default_factory=list)
    not_run: list[TestNote] = field(default_factory=list)
    flaky: list[FeatureFailure] = field(default_factory=list)  # failed, then passed on rerun
    # The status under each verdict (compat, strict): a verdict counts only the failures of
    # the impact classes it fails on; `status` is the strict one (advisory fails neither).
    statuses: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The status as a person reads it: "passed, 2 tests not applicable"."""
        notes = [
            _tests(len(found), what)
            for found, what, own_status in (
                (self.not_run, "not run", "partial"),
                (self.not_applicable, "not applicable", "not_applicable"),
            )
            if found and self.status != own_status
        ]
        return ", ".join([self.status.replace("_", " "), *notes])


def _tests(count: int, what: str) -> str:
    return f"{count} test{'' if count == 1 else 's'} {what}"


@dataclass(frozen=True)
class TestEntry:
    id: str
    feature: str
    # passed | failed | flaky | error | not_implemented | not_applicable | not_run
    # (flaky: failed, then passed when --reruns ran it again; `failures` are the failed try's)
    outcome: str
    duration_s: float
    message: str
    metrics: dict[str, float] | None = None  # e.g. stream timings; additive
    traceback: str = ""  # outcome error: a bug of this tool, to file with this text
    # outcome failed: typed failures {rule, check_id, impact, where, expected, found, message}
    failures: list[dict[str, str]] = field(default_factory=list)
    sdk: list[dict[str, str]] = field(default_factory=list)  # what the official SDK did
    failed_attempts: int = 0  # --reruns: attempts that failed before the last one
    # outcome failed: its last exchange as text, redacted (exchange.exchange_record); additive
    exchange: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    schema_version: int
    tool: dict[str, str]
    spec: dict[str, Any]
    target: dict[str, Any]
    profile: str
    seed: int
    started_at: str
    duration_s: float
    summary: dict[str, int]
    features: dict[str, FeatureResult]
    tests: list[TestEntry]
    budget: dict[str, Any]
    error: str | None = None
    interrupted: bool = False
    verdict: dict[str, Any] = field(default_factory=dict)  # {exit_code, reasons}
    # What the run created on the target and whether it was removed (cleanup.py); additive:
    # {run_id, created, removed, left, left_reasons: [{kind, id, reason}]}
    cleanup: dict[str, Any] = field(default_factory=dict)
    # The failures grouped by defect, worst impact and widest first (report/problems.py).
    problems: list[Problem] = field(default_factory=list)
    # Both verdicts of the run: {compat|strict: {passed, exit_code, features: {status: count},
    # problems}}; the one named in verdict["mode"] sets the exit code.
    verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What the run was asked to run beyond the profile: {features: [--feature ...],
    # last_failed: bool, tests: [node ids] (--last-failed), reruns: N}; additive.
    selection: dict[str, Any] = field(default_factory=dict)
    # `run --baseline FILE` (report/baselined.py): {file, entries, strict, known: [ids],
    # new: [problem ids], stale: [{entry, reason, upstream, url}], not_checked: [ids],
    # covered: {verdict: [required features whose failure the baseline records in full]}};
    # empty without a baseline. Additive.
    baseline: dict[str, Any] = field(default_factory=dict)
    # The configuration file the run read (`oaiconform.toml`, pyproject.toml's
    # [tool.oaiconform] or --config): {file, keys: [the keys it set]}; empty without one.
    config: dict[str, Any] = field(default_factory=dict)
    # How long the target took to answer (report/timings.py): {requests, latency_ms: {p50, p90,
    # p99, max, histogram: [{le_ms, count}]}}; empty when nothing was answered; additive.
    timings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def verdict_mode(self) -> str:
        return str(self.verdict.get("mode") or "compat")

    def exit_code(self) -> int:
        """4 when the tool itself broke; 1 when a required feature did not pass; else 0."""
        return self.exit_code_and_reasons()[0]

    def exit_reasons(self) -> list[str]:
        """One line per reason the exit code is not 0, e.g. the budget that cut the run."""
        return self.exit_code_and_reasons()[1]

    def exit_code_and_reasons(self) -> tuple[int, list[str]]:
        return exit_code_and_reasons(
            self.features,
            self.tests,
            self.budget,
            self.verdict_mode,
            self.flaky_fails,
            baseline=self.baseline,
        )

    @property
    def flaky_fails(self) -> bool:
        return bool(self.verdict.get("flaky_fails"))


def status_under(result: FeatureResult, verdict: str) -> str:
    return result.statuses.get(verdict, result.status)


def _blocks(result: FeatureResult, verdict: str) -> bool:
    """A required feature that did not pass keeps the run from exiting 0."""
    status = status_under(result, verdict)
    if status in ("passed", "flaky", "not_applicable"):  # flaky fails as failed (--flaky-fails)
        return False
    return not (status == "skipped" and result.reason == NOT_SELECTED)


def exit_code_and_reasons(
    features: dict[str, FeatureResult],
    tests: list[TestEntry],
    budget: dict[str, Any],
    verdict: str = "compat",
    flaky_fails: bool = False,
    *,
    baseline: dict[str, Any] | None = None,
) -> tuple[int, list[str]]:
    """The exit code and why. With a baseline (report/baselined.py), a required feature whose
    failure it records in full does not block, and stale entries block with --baseline-strict."""
    reasons: list[str] = []
    errors = [t for t in tests if t.outcome == "error"]
    if errors:
        reasons.append(
            f"{len(errors)} test(s) hit an error in oaiconform itself (not the target's fault; "
            f"please report it with the traceback in report.json): {errors[0].id}"
        )
    blocking = {f: r for f, r in features.items() if r.required and _blocks(r, verdict)}
    baseline = baseline or {}
    known = set(baseline.get("covered", {}).get(verdict, ())) & set(blocking)
    for feature_id in known:
        del blocking[feature_id]
    stale_blocks = bool(baseline.get("strict") and baseline.get("stale"))
    if budget.get("exhausted"):
        done = sum(1 for r in features.values() if r.tests and not r.not_run)
        reasons.append(
            f"the budget of {budget.get('limit')} requests was spent after {done} feature(s) "
            "ran in full; raise --budget-requests"
        )
    if budget.get("deadline_hit"):
        reasons.append(
            f"the run's time limit of {budget.get('max_duration_s'):g} s passed before every "
            "test ran; raise --max-duration"
        )
    for feature_id, result in sorted(blocking.items()):
        why = (
            result.reason
            or _counted_failure(feature_id, tests, verdict)
            or (result.failures[0].message if result.failures else "")
        )
        status = status_under(result, verdict).replace("_", " ")
        reasons.append(f"required feature {feature_id} is {status} ({verdict}): {why[:200]}")
    if stale_blocks:
        stale = baseline["stale"]
        one = len(stale) == 1
        reasons.append(
            f"{len(stale)} baseline entr{'y no longer fails' if one else 'ies no longer fail'} "
            f"(--baseline-strict): {stale[0]['entry']}; remove "
            f"{'it' if one else 'them'} from {baseline.get('file')}"
        )
    code = EXIT_TOOL_ERROR if errors else EXIT_FAILED if blocking or stale_blocks else EXIT_OK
    return code, reasons


def _counted_failure(feature_id: str, tests: list[TestEntry], verdict: str) -> str:
    """The first failure of the feature that counts in `verdict`: the one that explains it."""
    counted = VERDICT_FAILS_ON[verdict]
    for test in tests:
        if test.feature == feature_id and test.outcome in ("failed", "flaky"):
            for failure in test.failures:
                if failure.get("impact") in counted:
                    return f"[{failure.get('rule', '')}] {failure.get('message', '')}"
    return ""


def outcome_under(
    outcome: str, failures: list[dict[str, str]], verdict: str, flaky_fails: bool = False
) -> str:
    """A failed test passes a verdict when every failure it met is of a class the verdict
    does not fail on (the test ran to its end: such failures never stop it, see `expect`).
    A flaky test is flaky in a verdict its failed attempt fails, and failed there with
    `--flaky-fails`."""
    if outcome not in ("failed", "flaky"):
        return outcome
    counted = [f.get("impact", "") for f in failures if not is_count_line(f)]
    if not failed_in(counted, verdict):
        return "passed"
    return "failed" if outcome == "failed" or flaky_fails else "flaky"


STRICTEST = "strict"  # the verdict that fails on the most impact classes


def _feature_status(outcomes: list[str]) -> str:
    if "failed" in outcomes:
        return "failed"
    if "error" in outcomes:
        return "error"
    if "not_implemented" in outcomes:
        return "not_implemented"
    if outcomes and all(o == "not_applicable" for o in outcomes):
        return "not_applicable"
    if "not_run" in outcomes:
        return "partial"
    if "flaky" in outcomes:
        return "flaky"
    return "passed"  # every test passed (or passed on a rerun: flaky) or does not apply


def build_report(context: RunContext) -> Report:
    redactor = Redactor(context.secrets())
    text = redactor.text
    try:
        profile = context.profile if context._spec else context.profile_definition
    except ProfileError:  # the report of a run that could not start still names the profile
        profile = Profile(context.settings.profile, "", (), ())
    by_feature: dict[str, list[Any]] = {}
    for result in context.results.values():
        by_feature.setdefault(result.feature, []).append(result)
    features: dict[str, FeatureResult] = {}
    all_tests: list[TestResult] = []
    advisories = 0
    for feature_id in dict.fromkeys([*profile.features, *by_feature]):
        results = by_feature.get(feature_id, [])
        if context.interrupted:  # the tests the run never reached did not run
            results += [
                TestResult(nodeid, feature_id, "not_run", message=DID_NOT_RUN)
                for nodeid in context.collected.get(feature_id, [])
                if nodeid not in context.results
            ]
        level = get_feature(feature_id).level
        required = profile.is_required(feature_id)
        if not results:
            reason = (
                NOT_BUILT
                if not context.settings.features or feature_id in context.settings.features
                else NOT_SELECTED
            )
            features[feature_id] = FeatureResult("skipped", 0, level, required, reason=reason)
            continue
        flaky_fails = context.settings.flaky_fails
        statuses = {
            verdict: _feature_status(
                [outcome_under(r.outcome, r.failures, verdict, flaky_fails) for r in results]
            )
            for verdict in VERDICT_FAILS_ON
        }
        # The status is the strictest verdict's: an advisory failure fails no verdict, so a
        # feature that met only advisory failures passes (they are its problems, and warnings).
        status = statuses[STRICTEST]
        advisory_only = status not in ("failed", "flaky") and any(
            r.outcome in ("failed", "flaky") for r in results
        )
        advisories += advisory_only
        failures = [
            FeatureFailure(r.nodeid, text(r.message), text(r.repro))
            for r in results
            if r.outcome == "failed"
        ]
        errors = [
            FeatureFailure(r.nodeid, text(r.message), text(r.repro), text(r.traceback))
            for r in results
            if r.outcome == "error"
        ]
        flaky = [
            FeatureFailure(r.nodeid, text(r.message), text(r.repro))
            for r in results
            if r.outcome == "flaky"
        ]
        notes = {
            kind: [TestNote(r.nodeid, text(r.message)) for r in results if r.outcome == kind]
            for kind in ("not_applicable", "not_run")
        }
        explained_by = _EXPLAINED_BY.get(status)
        reason = next((text(r.message) for r in results if r.outcome == explained_by), "")
        features[feature_id] = FeatureResult(
            status,
            len(results),
            level,
            required,
            failures,
            reason,
            errors,
            notes["not_applicable"],
            notes["not_run"],
            flaky,
            statuses,
        )
        all_tests.extend(results)
    summary = dict.fromkeys(FEATURE_STATUSES, 0)
    for feature in features.values():
        summary[feature.status] += 1
    # A failed should-level feature is a warning: still "failed", counted here as well; so is
    # a feature whose only failures are advisory (it passes).
    summary["warnings"] = advisories + sum(
        1 for f in features.values() if f.status == "failed" and f.level == "should"
    )
    budget = context.target.budget if context.target_started else None
    summary["requests"] = budget.used if budget else 0
    tests = [
        TestEntry(
            r.nodeid,
            r.feature,
            r.outcome,
            round(r.duration_s, 4),
            text(r.message),
            r.metrics,
            text(r.traceback),
            [{k: text(v) for k, v in f.items()} for f in r.failures],
            [{k: text(v) for k, v in replay.items()} for replay in r.sdk],
            r.failed_attempts,
            {k: text(v) for k, v in r.exchange.items()},
        )
        for r in all_tests
    ]
    budget_info = {
        "limit": budget.limit if budget else context.settings.budget_requests,
        "used": budget.used if budget else 0,
        "exhausted": budget.exhausted if budget else False,
        "rate_limited_retries": budget.rate_limited_retries if budget else 0,
        "max_duration_s": context.settings.max_duration_s,
        "deadline_hit": budget.deadline_hit if budget else False,
        # How far the requests in flight went: configured, the lowest 429s cut it to, 429s.
        "concurrency": budget.concurrency_info() if budget else None,
    }
    mode = context.settings.verdict
    repro_of = {r.nodeid: text(r.repro) for r in all_tests}
    failed = [
        FailedTest(t.id, t.feature, t.message, repro_of.get(t.id, ""), t.failures, t.sdk)
        for t in tests
        # A flaky test's failure is a problem only where it fails the run (--flaky-fails).
        if t.outcome == "failed" or (t.outcome == "flaky" and context.settings.flaky_fails)
    ]
    problems = build_problems(
        failed,
        # Asked only when there is something to replay: it imports the SDK.
        sdk_installed=bool(failed) and sdk_version() is not None,
        text=text,
        known=match_known_deviation,
    )
    baseline: dict[str, Any] = {}
    if context.baseline is not None:
        applied = apply_baseline(
            context.baseline,
            problems,
            features,
            file=text(str(context.settings.baseline)),
            strict=context.settings.baseline_strict,
            narrowed=bool(context.settings.features or context.settings.only_tests),
        )
        problems, baseline = applied.problems, applied.section
    code, reasons = exit_code_and_reasons(
        features, tests, budget_info, mode, context.settings.flaky_fails, baseline=baseline
    )
    summary["tool_errors"] = sum(1 for t in tests if t.outcome == "error")
    summary["flaky_tests"] = sum(1 for t in tests if t.outcome == "flaky")
    cleanup = context.objects.summary()
    for entry in cleanup["left_reasons"]:
        entry["reason"] = text(entry["reason"])
    source = context._source
    target = dict(context.target_info())
    if target.get("base_url"):
        target["base_url"] = text(strip_userinfo(str(target["base_url"])))
    target["route_miss"] = [
        {k: text(v) if isinstance(v, str) else v for k, v in probe.items()}
        for probe in target.get("route_miss", [])
    ]
    return Report(
        schema_version=SCHEMA_VERSION,
        tool={"name": "oaiconform", "version": __version__},
        spec={
            "version": context._spec.version if context._spec else None,
            "sha256": source.sha256 if source else None,
            "source": text(source.location) if source else None,
            "pinned": source.pinned if source else None,
            # Corrections applied to the upstream description; vendor overlays name their file.
            "overlays": [
                {
                    "name": o.name,
                    "title": o.title,
                    "source": text(o.source),
                    "nodes_changed": o.nodes_changed,
                }
                for o in (context._spec.overlays if context._spec else [])
            ],
            "nullable_rewritten": context._spec.nullable_rewritten if context._spec else 0,
        },
        target=target,
        profile=profile.name,
        seed=context.settings.seed,
        started_at=context.started_at,
        duration_s=round(context.duration_s, 3),
        summary=summary,
        features=features,
        tests=tests,
        budget=budget_info,
        error=text(context.error) if context.error else None,
        interrupted=context.interrupted,
        verdict={
            "mode": mode,
            "exit_code": code,
            "reasons": reasons,
            "flaky_fails": context.settings.flaky_fails,
        },
        cleanup=cleanup,
        problems=problems,
        verdicts={
            verdict: _verdict_summary(
                features,
                problems,
                verdict,
                tests,
                budget_info,
                context.settings.flaky_fails,
                baseline,
            )
            for verdict in VERDICT_FAILS_ON
        },
        timings=latency_summary(budget.latencies_s if budget else []),
        selection={
            "features": list(context.settings.features),
            "last_failed": context.settings.last_failed,
            "tests": list(context.settings.only_tests),
            "reruns": context.settings.reruns,
        },
        baseline=baseline,
        config=_config_section(context.settings, text),
    )


def _config_section(settings: Settings, text: Callable[[str], str]) -> dict[str, Any]:
    if not settings.config_file:
        return {}
    return {"file": text(settings.config_file), "keys": list(settings.config_keys)}


def _verdict_summary(
    features: dict[str, FeatureResult],
    problems: list[Problem],
    verdict: str,
    tests: list[TestEntry],
    budget: dict[str, Any],
    flaky_fails: bool,
    baseline: dict[str, Any],
) -> dict[str, Any]:
    code, _ = exit_code_and_reasons(
        features, tests, budget, verdict, flaky_fails, baseline=baseline
    )
    counted = [p for p in root_problems(problems) if p.impact in VERDICT_FAILS_ON[verdict]]
    counts = dict.fromkeys(FEATURE_STATUSES, 0)
    for result in features.values():
        counts[status_under(result, verdict)] += 1
    return {
        "passed": code == EXIT_OK,
        "exit_code": code,
        "features": counts,
        "problems": len(counted),
        # With --baseline: the counted problems it does not record (what the gate fails on).
        "new_problems": sum(1 for p in counted if not p.baseline),
    }
