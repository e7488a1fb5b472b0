"""Honest verdicts: a feature passes only when each test that applies to the target ran and passed.

The invariant is checked on report.json itself, on three kinds of run: the embedded mock, the
same mock behind a pass-through proxy (a target that looks remote: nothing mock-only applies),
and a run the request budget cuts short.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from oaiconform.checks import models as model_checks
from oaiconform.checks.headers import rate_limit_header_names
from oaiconform.exchange import Exchange, RecordedRequest
from oaiconform.mock import MockServer
from oaiconform.profiles import DEFAULT_PROFILE, load_profile
from oaiconform.report.model import outcome_under
from oaiconform.runner import RunOutcome
from oaiconform.settings import Secret
from tests.conftest import TEST_KEY, RunSuites
from tests.passthrough import pass_through

CORE = load_profile(DEFAULT_PROFILE).features  # the profile's own features, no schema.*
CLEAN = {"passed", "not_applicable"}


def assert_honest(outcome: RunOutcome) -> dict[str, Any]:
    """report.json keeps the invariant: `passed` only when every test passed or does not
    apply; `partial` exactly when a test did not run; every reason is given."""
    data: dict[str, Any] = json.loads((outcome.report_dir / "report.json").read_text())
    assert data["schema_version"] == 2
    by_feature: dict[str, list[dict[str, Any]]] = {}
    for test in data["tests"]:
        by_feature.setdefault(test["feature"], []).append(test)
    for feature_id, feature in data["features"].items():
        # A test that failed only on advisory checks fails no verdict: the status is strict's.
        outcomes = {
            outcome_under(t["outcome"], t.get("failures", []), "strict")
            for t in by_feature.get(feature_id, [])
        }
        if feature["status"] == "passed":
            assert outcomes and outcomes <= CLEAN, (feature_id, outcomes)
            assert "passed" in outcomes, f"{feature_id}: nothing was checked"
        if "not_run" in outcomes and not outcomes & {"failed", "error", "not_implemented"}:
            assert feature["status"] == "partial", feature_id
        for note in feature["not_applicable"] + feature["not_run"]:
            assert note["reason"], (feature_id, note)
    assert data["verdict"]["exit_code"] == outcome.exit_code
    return data


@pytest.fixture
def remote_looking(correct_mock: MockServer) -> Any:
    with pass_through(correct_mock.base_url) as url:
        yield url


def test_on_the_embedded_mock_every_test_applies_and_passes(run_suites: RunSuites) -> None:
    outcome = run_suites(features=CORE)
    data = assert_honest(outcome)
    assert {t["outcome"] for t in data["tests"]} == {"passed"}
    assert outcome.exit_code == 0


def test_a_remote_looking_target_gets_not_applicable_tests_named_not_passed(
    run_suites: RunSuites, remote_looking: str
) -> None:
    outcome = run_suites(features=CORE, target_url=remote_looking, api_key=Secret(TEST_KEY))
    data = assert_honest(outcome)
    features = data["features"]
    # One of two tests applies: the feature passes, and says that one did not apply.
    rate_limit = features["headers.rate_limit"]
    assert rate_limit["status"] == "passed"
    assert [n["test"].rpartition("::")[2] for n in rate_limit["not_applicable"]] == [
        "test_rate_limit_a_429_says_when_to_retry"
    ]
    assert "429 on demand" in rate_limit["not_applicable"][0]["reason"]
    stream = features["chat.stream"]
    assert stream["status"] == "passed"
    assert "--deterministic" in stream["not_applicable"][0]["reason"]
    # Nothing of these applies without a second key or paid objects: not passed.
    assert features["tenancy.isolation"]["status"] == "not_applicable"
    assert "--second-api-key-env" in features["tenancy.isolation"]["reason"]
    assert features["pagination.batches"]["status"] == "not_applicable"
    assert outcome.exit_code == 0, data["verdict"]
    html = (outcome.report_dir / "report.html").read_text()
    assert "1 test not applicable" in html
    junit = (outcome.report_dir / "junit.xml").read_text()
    assert "not applicable: needs a second tenant" in junit


def test_deterministic_makes_the_equivalence_tests_run_on_a_remote_target(
    run_suites: RunSuites, remote_looking: str
) -> None:
    outcome = run_suites(
        features=("chat.stream",),
        target_url=remote_looking,
        api_key=Secret(TEST_KEY),
        deterministic=True,
    )
    data = assert_honest(outcome)
    stream = data["features"]["chat.stream"]
    assert (stream["status"], stream["not_applicable"]) == ("passed", [])
    assert {t["outcome"] for t in data["tests"]} == {"passed"}


def test_a_target_without_rate_limit_headers_has_not_implemented_them(
    run_suites: RunSuites, correct_mock: MockServer
) -> None:
    with pass_through(correct_mock.base_url, drop_response_headers=r"x-ratelimit-") as url:
        outcome = run_suites(
            features=("headers.rate_limit",), target_url=url, api_key=Secret(TEST_KEY)
        )
    data = assert_honest(outcome)
    feature = data["features"]["headers.rate_limit"]
    assert feature["status"] == "not_implemented", feature
    assert "no x-ratelimit-* header on GET http" in feature["reason"]
    assert outcome.exit_code == 0  # optional in core


def test_rate_limit_header_names_sees_only_rate_limit_headers() -> None:
    exchange = Exchange(
        RecordedRequest("GET", "http://127.0.0.1/v1/models"),
        status=200,
        headers=(("X-RateLimit-Limit-Requests", "60"), ("x-request-id", "req_1")),
        body=b"{}",
    )
    assert rate_limit_header_names(exchange) == ["X-RateLimit-Limit-Requests"]


def test_a_budget_cut_run_is_partial_and_exits_1_naming_the_budget(
    run_suites: RunSuites,
) -> None:
    outcome = run_suites(features=CORE, budget_requests=3)
    data = assert_honest(outcome)
    assert outcome.exit_code == 1
    partial = [f for f, r in data["features"].items() if r["status"] == "partial"]
    assert partial
    assert all(
        "request budget of 3 requests is spent" in n["reason"]
        for f in partial
        for n in data["features"][f]["not_run"]
    )
    reasons = data["verdict"]["reasons"]
    assert any("budget of 3 requests was spent" in r and "--budget-requests" in r for r in reasons)
    assert not any(r["status"] == "passed" and not r["tests"] for r in data["features"].values())


def test_an_exception_in_a_check_is_a_tool_error_exit_4_not_a_failure(
    run_suites: RunSuites, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> list[Any]:
        raise ZeroDivisionError("injected into a check")

    # The suites hold their own reference to the check: change the code both names share.
    check = model_checks.model_list_fields
    inner = getattr(check, "__wrapped__", check)
    monkeypatch.setattr(inner, "__code__", broken.__code__)
    outcome = run_suites(features=("models.list", "models.retrieve"))
    data = assert_honest(outcome)
    feature = data["features"]["models.list"]
    assert feature["status"] == "error"
    assert feature["failures"] == []
    (error,) = feature["errors"][:1]
    assert "oaiconform error: ZeroDivisionError: injected into a check" in error["message"]
    assert "ZeroDivisionError" in error["traceback"]
    assert data["features"]["models.retrieve"]["status"] == "passed"
    assert outcome.exit_code == 4
    assert "error in oaiconform itself" in data["verdict"]["reasons"][0]


def test_an_interrupted_run_reports_the_tests_it_never_ran(
    run_suites: RunSuites, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: object, **kwargs: object) -> list[Any]:
        raise KeyboardInterrupt

    check = model_checks.model_list_fields
    inner = getattr(check, "__wrapped__", check)
    monkeypatch.setattr(inner, "__code__", interrupt.__code__)
    outcome = run_suites(features=("models.list", "models.retrieve"))
    data = json.loads((outcome.report_dir / "report.json").read_text())
    assert data["interrupted"] is True
    assert outcome.exit_code == 1
    statuses = {f: r["status"] for f, r in data["features"].items() if r["tests"]}
    assert statuses == {"models.list": "partial", "models.retrieve": "partial"}
    # The test the interrupt hit never finished; the others never started: none passed.
    assert {t["outcome"] for t in data["tests"]} == {"not_run"}
    assert all("interrupted" in t["message"] for t in data["tests"])


def test_a_target_echoing_the_key_in_a_fixture_error_leaks_it_into_no_artifact(
    run_suites: RunSuites, correct_mock: MockServer
) -> None:
    """A fixture's setup failure is rendered by allure, JUnit and the terminal: all redacted."""
    with pass_through(correct_mock.base_url, echo_paths=r"/v1/files") as url:
        outcome = run_suites(
            features=("files", "models.list"), target_url=url, api_key=Secret(TEST_KEY)
        )
    data = assert_honest(outcome)
    assert data["features"]["files"]["status"] == "failed"
    assert "cannot serve /v1/files" in data["features"]["files"]["failures"][0]["message"]
    leaks = [
        str(path.relative_to(outcome.report_dir))
        for path in outcome.report_dir.rglob("*")
        if path.is_file() and TEST_KEY in path.read_text(errors="replace")
    ]
    assert leaks == []
    assert any(outcome.report_dir.glob("allure-results/*-container.json"))


def test_exception_groups_are_judged_by_their_leaves() -> None:
    from oaiconform.checks import ConformanceError, Failure
    from oaiconform.plugin import judge_exception
    from oaiconform.target import BudgetExhaustedError, TargetError

    failed = ConformanceError([Failure("x", "y")])
    assert judge_exception(ExceptionGroup("g", [failed, TargetError("t")])) == "failed"
    assert judge_exception(ExceptionGroup("g", [failed, BudgetExhaustedError("b")])) == "failed"
    assert judge_exception(ExceptionGroup("g", [BudgetExhaustedError("b")])) == "not_run"
    assert judge_exception(ExceptionGroup("g", [failed, KeyError("ours")])) == "error"
    assert judge_exception(KeyError("ours")) == "error"
