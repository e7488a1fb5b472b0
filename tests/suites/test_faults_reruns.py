"""A flaky target (`--reruns`, `--flaky-fails`) and a rerun of what failed (`--last-failed`).

The fault `model-first-answer-incomplete` answers the first GET /models/{model} without
`owned_by` and every later one whole: without reruns the feature fails, with them the test is
`flaky`, shown apart in every output and failing the run only with `--flaky-fails`.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from oaiconform.dryrun import dry_run
from oaiconform.last_failed import last_failed
from oaiconform.report.reruns import allure_name, junit_name
from oaiconform.runner import run
from oaiconform.settings import Settings
from tests.conftest import RunSuites
from tests.suites.matrix import Matrix, Proofs, assert_fault_fails_its_features

FAULT = "model-first-answer-incomplete"
FEATURES = ("models.list", "models.retrieve")
RETRIEVE = "test_models.py::test_models_retrieve_returns_the_model_object"

MATRIX: Matrix = {FAULT: {"models.retrieve": "owned_by"}}
PROVES: Proofs = {FAULT: {"models.model_object_fields"}}


def test_the_flaky_fault_fails_its_feature_without_reruns(run_suites: RunSuites) -> None:
    assert_fault_fails_its_features(
        run_suites, FAULT, MATRIX[FAULT], proves=PROVES[FAULT], features=FEATURES
    )


def _run(spec_path: str, report_dir: Path, **overrides: object) -> tuple[int, str]:
    settings = Settings(
        spec=spec_path,
        report_dir=report_dir,
        seed=1234,
        features=FEATURES,
        timeout_s=10.0,
        **overrides,  # type: ignore[arg-type]
    )
    out = io.StringIO()
    outcome = run(settings, out=out, err=out)
    return outcome.exit_code, out.getvalue()


def _report(report_dir: Path) -> Any:
    return json.loads((report_dir / "report.json").read_text())


def test_a_test_that_fails_then_passes_is_flaky_in_every_output(
    spec_path: str, tmp_path: Path
) -> None:
    code, printed = _run(spec_path, tmp_path, mock_faults=(FAULT,), reruns=2)
    report = _report(tmp_path)
    assert code == 0, printed
    tests = {t["id"]: t for t in report["tests"]}
    flaky = tests[RETRIEVE]
    assert (flaky["outcome"], flaky["failed_attempts"]) == ("flaky", 1)
    assert flaky["message"].startswith("flaky: failed 1 time, then passed on attempt 2")
    assert "owned_by" in flaky["message"]
    assert any("owned_by" in f["message"] for f in flaky["failures"])  # the evidence
    feature = report["features"]["models.retrieve"]
    assert feature["status"] == "flaky"
    assert feature["statuses"] == {"compat": "flaky", "strict": "flaky"}
    assert [f["test"] for f in feature["flaky"]] == [RETRIEVE]
    assert report["features"]["models.list"]["status"] == "passed"
    summary = report["summary"]
    assert (summary["flaky"], summary["flaky_tests"], summary["failed"]) == (1, 1, 0)
    assert report["problems"] == []  # a flake is no problem of the verdict: shown apart
    assert report["verdicts"]["compat"]["features"]["flaky"] == 1
    # The terminal summary, the HTML page, JUnit and allure each say so.
    assert "1 flaky" in printed and "models.retrieve  flaky" in printed
    assert "1 test(s) rerun (--reruns), 1 of them flaky" in printed
    html = (tmp_path / "report.html").read_text()
    assert "flaky test(s): failed, then passed on a rerun" in html
    junit = (tmp_path / "junit.xml").read_text()
    assert junit.count('name="test_models_retrieve_returns_the_model_object"') == 1
    assert "oaiconform: flaky: failed 1 time" in junit
    results = [
        json.loads(p.read_text()) for p in (tmp_path / "allure-results").glob("*-result.json")
    ]
    attempts = [r for r in results if r["name"] == "test_models_retrieve_returns_the_model_object"]
    assert sorted(r["status"] for r in attempts) == ["failed", "passed"]
    assert [r["status"] for r in attempts if r.get("statusDetails", {}).get("flaky")] == ["passed"]


def test_flaky_fails_makes_a_flaky_test_fail_the_run(spec_path: str, tmp_path: Path) -> None:
    code, printed = _run(spec_path, tmp_path, mock_faults=(FAULT,), reruns=1, flaky_fails=True)
    report = _report(tmp_path)
    assert code == 1, printed
    assert report["features"]["models.retrieve"]["status"] == "failed"
    assert report["verdict"]["flaky_fails"] is True
    assert next(p["tests"] for p in report["problems"]) == [RETRIEVE]
    assert "required feature models.retrieve is failed" in printed


def test_a_failure_every_attempt_meets_stays_failed(spec_path: str, tmp_path: Path) -> None:
    """Reruns never turn a steady defect into a pass: each attempt fails, the test fails."""
    code, printed = _run(spec_path, tmp_path, mock_faults=("object-misnamed",), reruns=2)
    report = _report(tmp_path)
    assert code == 1, printed
    test = {t["id"]: t for t in report["tests"]}[RETRIEVE]
    assert (test["outcome"], test["failed_attempts"]) == ("failed", 2)
    assert test["message"].startswith("failed in each of 3 attempts; the last: ")
    assert report["features"]["models.retrieve"]["status"] == "failed"
    assert "2 test(s) rerun (--reruns), 0 of them flaky" in printed


def test_a_run_without_reruns_never_reruns(spec_path: str, tmp_path: Path) -> None:
    _run(spec_path, tmp_path, mock_faults=(FAULT,))
    test = {t["id"]: t for t in _report(tmp_path)["tests"]}[RETRIEVE]
    assert (test["outcome"], test["failed_attempts"]) == ("failed", 0)


def test_last_failed_reruns_only_what_failed(spec_path: str, tmp_path: Path) -> None:
    code, _ = _run(spec_path, tmp_path, mock_faults=(FAULT,))
    assert code == 1
    ran_before = [t["id"] for t in _report(tmp_path)["tests"]]
    assert len(ran_before) == 3
    # --dry-run lists what --last-failed would run, and sends nothing.
    printed_dry = io.StringIO()
    settings = Settings(spec=spec_path, report_dir=tmp_path, last_failed=True, features=())
    assert dry_run(settings, out=printed_dry, err=printed_dry) == 0
    assert "1 tests in 1 features" in printed_dry.getvalue()
    assert "models.retrieve" in printed_dry.getvalue()
    # The defect is fixed (no fault): only the failed test runs again, and passes.
    code, printed = _run(spec_path, tmp_path, last_failed=True)
    report = _report(tmp_path)
    assert code == 0, printed
    assert [(t["id"], t["outcome"]) for t in report["tests"]] == [(RETRIEVE, "passed")]
    assert report["selection"]["last_failed"] is True
    assert report["selection"]["tests"] == [RETRIEVE]
    assert "--last-failed: 1 test(s) of 1 feature(s) that failed" in printed
    assert report["features"]["models.list"]["reason"] == "not selected (--feature)"
    # Nothing failed in that run: the next --last-failed runs every selected test.
    code, printed = _run(spec_path, tmp_path, last_failed=True)
    assert code == 0
    assert "nothing failed in the previous run" in printed
    assert len(_report(tmp_path)["tests"]) == 3


def test_last_failed_without_a_previous_report_is_one_line(spec_path: str, tmp_path: Path) -> None:
    code, printed = _run(spec_path, tmp_path / "empty", last_failed=True)
    assert code == 2
    assert f"--last-failed: no previous report at {tmp_path / 'empty' / 'report.json'}" in printed
    assert "Traceback" not in printed
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "report.json").write_text("{not json")
    code, printed = _run(spec_path, tmp_path / "bad", last_failed=True)
    assert code == 2 and "cannot be read" in printed and "Traceback" not in printed


def test_junit_and_allure_names_follow_the_writers() -> None:
    assert junit_name("test_x.py::test_y[a-b]") == ("test_x", "test_y[a-b]")
    assert junit_name("sub/test_x.py::test_y") == ("sub.test_x", "test_y")
    assert allure_name("sub/test_x.py::test_y[a]") == ("sub.test_x#test_y", "test_y[a]")


def test_last_failed_says_which_tests_of_the_rerun_features_it_leaves_out(
    tmp_path: Path,
) -> None:
    """A rerun feature is judged on its rerun tests alone: the run says how many others."""
    tests = [
        {"id": "t.py::a", "feature": "f", "outcome": "failed"},
        {"id": "t.py::b", "feature": "f", "outcome": "passed"},
        {"id": "t.py::c", "feature": "f", "outcome": "not_applicable"},
        {"id": "t.py::d", "feature": "g", "outcome": "passed"},
        {"id": "t.py::e", "feature": "h", "outcome": "error"},
    ]
    (tmp_path / "report.json").write_text(json.dumps({"started_at": "then", "tests": tests}))
    previous = last_failed(tmp_path)
    assert previous.feature_of == {"t.py::a": "f", "t.py::e": "h"}
    assert previous.not_rerun == 2
    assert "their other 2 test(s) did not fail then and are not run again" in previous.describe()
