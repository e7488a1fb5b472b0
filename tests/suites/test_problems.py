"""Problems and verdicts on the embedded mock: one problem per defect, its impact, both verdicts.

Each impact class is shown by a fault of the mock whose problem has that class; for
`breaks-clients` the official SDK's exception comes from a real replay of the recorded answer.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from oaiconform.report import Report
from oaiconform.report.problems import Problem, root_problems
from oaiconform.runner import run
from oaiconform.settings import Settings
from tests.conftest import RunSuites


def _roots(report: Report | None) -> dict[str, Problem]:
    assert report is not None
    return {p.check: p for p in root_problems(report.problems)}


def test_two_faults_of_different_kinds_make_one_problem_each_shown_first(
    spec_path: str, tmp_path: Path
) -> None:
    settings = Settings(
        spec=spec_path,
        report_dir=tmp_path,
        seed=1234,
        mock_faults=("flat-errors", "usage-total-wrong"),
        # Behavioural suites and schema.* alike; not the whole core profile (39 s under load)
        features=(
            "errors.auth",
            "errors.envelope",
            "errors.validation",
            "schema.createChatCompletion",
            "schema.listFiles",
            "chat.completions",
            "completions",
        ),
        timeout_s=10.0,
    )
    out = io.StringIO()
    outcome = run(settings, out=out, err=io.StringIO())
    roots = _roots(outcome.report)
    assert sorted(roots) == ["chat.usage_totals", "errors.error_envelope"], roots
    envelope, usage = roots["errors.error_envelope"], roots["chat.usage_totals"]
    # One problem for every test the flat envelope fails, over the features it touches: the
    # property suite's error answers are the same problem, not schema violations of their own.
    assert {"errors.auth", "errors.envelope", "errors.validation"} <= set(envelope.features)
    assert {"schema.createChatCompletion", "schema.listFiles"} <= set(envelope.features)
    assert len(envelope.tests) > len(envelope.features) > 3
    assert {"chat.completions", "completions"} <= set(usage.features)
    for problem in (envelope, usage):
        assert problem.example["repro"].startswith("curl "), problem
        assert problem.title and problem.impact and problem.impact_reason
    assert usage.impact == "wrong-behaviour"
    text = out.getvalue()
    heading = "2 problem(s) (2 fail compat, 2 fail strict), worst first:"
    assert text.index(heading) < text.index("  chat.completions ")
    assert text.index("compat ") < text.index(heading)
    html = (tmp_path / "report.html").read_text()
    assert html.index("Problems (2)") < html.index("By area")
    assert outcome.exit_code == 1


def test_breaks_clients_with_the_sdk_exception_from_a_real_replay(run_suites: RunSuites) -> None:
    pytest.importorskip("openai")
    outcome = run_suites("stream-tool-call-no-index", features=("chat.tools.stream",))
    problem = _roots(outcome.report)["stream_assembly.assemble_chat"]
    assert problem.impact == "breaks-clients"
    assert problem.sdk["outcome"] == "raised", problem.sdk
    assert problem.sdk["detail"].startswith("TypeError: list indices"), problem.sdk
    assert problem.sdk["sdk_version"]
    assert problem.known_deviation is not None
    assert problem.known_deviation["reference"] == "ollama/ollama#7881"


def test_wrong_behaviour_fails_both_verdicts(run_suites: RunSuites) -> None:
    outcome = run_suites("usage-total-wrong", features=("chat.completions",), verdict="compat")
    assert outcome.report is not None
    assert _roots(outcome.report)["chat.usage_totals"].impact == "wrong-behaviour"
    assert outcome.report.features["chat.completions"].statuses == {
        "compat": "failed",
        "strict": "failed",
    }
    assert outcome.exit_code == 1


def test_spec_literal_fails_strict_only(run_suites: RunSuites) -> None:
    for verdict, exit_code in (("compat", 0), ("strict", 1)):
        outcome = run_suites("refusal-absent", features=("chat.completions",), verdict=verdict)
        report = outcome.report
        assert report is not None
        problem = _roots(report)["schema.required_nullable_absent"]
        assert problem.impact == "spec-literal"
        assert problem.id == "schema.required_nullable_absent@choices[].message.refusal"
        result = report.features["chat.completions"]
        assert result.status == "failed"  # the status is the strict verdict's
        assert result.statuses == {"compat": "passed", "strict": "failed"}
        assert report.verdicts["compat"]["passed"] and not report.verdicts["strict"]["passed"]
        assert outcome.exit_code == exit_code, report.verdict


def test_spec_literal_failures_do_not_hide_the_checks_after_them(run_suites: RunSuites) -> None:
    """A test goes on after a spec-literal failure: a wrong total after a missing `refusal`
    still fails compat, which ignores the missing field."""
    outcome = run_suites(
        "refusal-absent", "usage-total-wrong", features=("chat.completions",), verdict="compat"
    )
    assert outcome.report is not None
    roots = _roots(outcome.report)
    assert {"schema.required_nullable_absent", "chat.usage_totals"} <= set(roots)
    assert outcome.report.features["chat.completions"].statuses["compat"] == "failed"
    assert outcome.exit_code == 1


def test_advisory_fails_no_verdict(run_suites: RunSuites) -> None:
    outcome = run_suites("no-request-id", features=("headers.request_id",))
    report = outcome.report
    assert report is not None
    problem = next(iter(_roots(report).values()))
    assert problem.impact == "advisory"
    assert problem.where == "header:x-request-id"
    result = report.features["headers.request_id"]
    assert result.status == "passed" and result.failures  # advisory fails no verdict
    assert result.statuses == {"compat": "passed", "strict": "passed"}
    assert report.summary["warnings"] == 1
    assert report.verdicts["strict"]["problems"] == 0
