"""Baselines: known deviations let a run through, new ones do not, stale entries are named."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from oaiconform.baseline import BaselineEntry, BaselineError, parse_baseline
from oaiconform.baseline_write import TODO_REASON, baseline_yaml
from oaiconform.report.baselined import apply_baseline
from oaiconform.report.model import exit_code_and_reasons
from oaiconform.report.problems import Problem


@dataclass(frozen=True)
class Feature:
    status: str
    tests: int = 2
    required: bool = True
    statuses: dict[str, str] = field(default_factory=dict)
    level: str = "must"
    reason: str = ""
    failures: list[object] = field(default_factory=list)


def _problem(pid: str, impact: str, *features: str) -> Problem:
    check = pid.partition("@")[0]
    return Problem(pid, check, impact, "t", "", "d", list(features), ["x"], 1, {})


FEATURES = {
    "chat.stream": Feature("failed"),
    "errors.envelope": Feature("failed"),
    "files": Feature("not_implemented"),
    "models.list": Feature("passed"),
}
PROBLEMS = [
    _problem("streaming.stream_framing@events", "breaks-clients", "chat.stream"),
    _problem("errors.error_envelope@error", "breaks-clients", "errors.envelope", "chat.stream"),
]


def _exit(section: dict[str, object]) -> tuple[int, list[str]]:
    return exit_code_and_reasons(FEATURES, [], {}, "compat", baseline=section)  # type: ignore[arg-type]


def test_every_deviation_known_lets_the_run_through() -> None:
    entries = (
        BaselineEntry("streaming.stream_framing@events", "r", features=("chat.stream",)),
        BaselineEntry("errors.error_envelope@error", "r"),
        BaselineEntry("", "no files API", feature="files", status="not_implemented"),
    )
    applied = apply_baseline(
        entries, PROBLEMS, FEATURES, file="k.yaml", strict=True, narrowed=False
    )
    assert all(p.baseline["reason"] for p in applied.problems)
    assert applied.section["new"] == [] and applied.section["stale"] == []
    assert applied.section["covered"]["compat"] == ["chat.stream", "errors.envelope", "files"]
    assert _exit(applied.section) == (0, [])
    assert _exit({})[0] == 1


def test_a_new_problem_in_a_known_feature_fails_it() -> None:
    entries = (BaselineEntry("streaming.stream_framing@events", "r"),)
    applied = apply_baseline(entries, PROBLEMS, FEATURES, file="k", strict=False, narrowed=False)
    assert applied.section["new"] == ["errors.error_envelope@error"]
    assert applied.section["covered"]["compat"] == []  # chat.stream has the new one too
    code, reasons = _exit(applied.section)
    assert code == 1 and any("chat.stream" in r for r in reasons)


def test_an_entry_that_no_longer_fails_is_stale_and_fails_only_when_strict() -> None:
    entries = (
        BaselineEntry("streaming.stream_framing@events", "r"),
        BaselineEntry("errors.error_envelope@error", "r"),
        BaselineEntry("", "r", feature="files", status="not_implemented"),
        BaselineEntry("headers.request_id_present@header:x-request-id", "fixed", features=("x",)),
        BaselineEntry("streaming.gone@events", "fixed upstream", features=("models.list",)),
    )
    for strict in (False, True):
        applied = apply_baseline(
            entries, PROBLEMS, FEATURES, file="k", strict=strict, narrowed=False
        )
        assert [s["entry"] for s in applied.section["stale"]] == ["streaming.gone@events"]
        assert applied.section["not_checked"] == ["headers.request_id_present@header:x-request-id"]
        code, reasons = _exit(applied.section)
        assert code == (1 if strict else 0)
        if strict:
            assert "no longer fails (--baseline-strict): streaming.gone@events" in reasons[0]


def test_a_feature_entry_is_stale_when_the_feature_passes_and_unchecked_when_not_run() -> None:
    entry = BaselineEntry("", "r", feature="models.list", status="not_implemented")
    absent = BaselineEntry("", "r", feature="batches", status="partial")
    applied = apply_baseline((entry, absent), [], FEATURES, file="k", strict=False, narrowed=True)
    assert [s["entry"] for s in applied.section["stale"]] == ["feature:models.list"]
    assert applied.section["not_checked"] == ["feature:batches"]


def test_a_tool_error_is_never_let_through() -> None:
    features = {"chat.stream": Feature("error")}
    entries = (BaselineEntry("", "r", feature="chat.stream", status="partial"),)
    applied = apply_baseline(entries, [], features, file="k", strict=False, narrowed=False)
    assert applied.section["covered"]["compat"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- {reason: x}", "either `problem` or `feature`"),
        ("- {problem: a, feature: b, reason: x}", "either `problem` or `feature`"),
        ("- {feature: files, status: failed, reason: x}", "a failed feature is recorded by"),
        ("- {problem: a, reason: ''}", "`reason` must be a non-empty string"),
        ("- {problem: a, reason: x, upstream: 'see the bug'}", "upstream must be owner/repo#N"),
        ("- {problem: a, reason: x, features: chat}", "`features` must be a list"),
        ("- {problem: a, reason: x}\n- {problem: a, reason: y}", "'a' is listed twice"),
        ("key: [", "not valid YAML"),
    ],
)
def test_a_malformed_baseline_is_one_clear_error(text: str, expected: str) -> None:
    with pytest.raises(BaselineError, match=expected.replace("(", r"\(").replace("[", r"\[")):
        parse_baseline(text)


def test_baseline_write_records_problems_and_problemless_required_features() -> None:
    report = {
        "target": {"embedded_mock": True},
        "problems": [
            {
                "id": "errors.error_envelope@error",
                "check": "errors.error_envelope",
                "features": ["errors.envelope"],
                "impact": "breaks-clients",
                "known_deviation": {"url": "https://github.com/o/r/issues/1"},
            }
        ],
        "features": {
            "files": {"required": True, "status": "not_implemented", "reason": "404 on /files"},
            "batches": {"required": False, "status": "not_implemented"},
            "chat.basic": {"required": True, "status": "passed"},
        },
    }
    text = baseline_yaml(report, source="r/report.json")
    assert "the embedded mock" in text
    entries = parse_baseline(text)
    assert [e.key for e in entries] == ["errors.error_envelope@error", "feature:files"]
    assert entries[0].features == ("errors.envelope",)
    assert entries[0].upstream == "https://github.com/o/r/issues/1"
    assert entries[1].status == "not_implemented" and TODO_REASON in entries[1].reason
    assert parse_baseline(baseline_yaml({"problems": [], "features": {}}, source="x")) == ()
