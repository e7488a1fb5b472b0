"""Parallel runs (`--workers N`): the same results as a serial run, one budget, one report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oaiconform.mock import MockServer
from tests.conftest import TEST_KEY
from tests.e2e.test_cli import assert_no_traceback, oaiconform
from tests.passthrough import pass_through

# A mix of every kind of suite: behavioural, pagination walks, tenancy, generated (schema.*).
FEATURES = (
    "models.list",
    "models.retrieve",
    "files",
    "pagination.files",
    "tenancy.isolation",
    "errors.envelope",
    "schema.listFiles",
    "schema.retrieveModel",
    "schema.createModeration",
)


def _run(tmp_path: Path, name: str, *args: str) -> dict[str, Any]:
    out = tmp_path / name
    command = ["run", "--seed", "11", "--report-dir", str(out), *args]
    for feature in FEATURES:
        command += ["--feature", feature]
    result = oaiconform(*command, cwd=tmp_path, timeout=300)
    assert_no_traceback(result)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    report["_exit"] = result.returncode
    report["_output"] = result.stdout + result.stderr
    return report


def _outcomes(report: dict[str, Any]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Per feature: its status and which of its tests failed."""
    return {
        feature_id: (result["status"], tuple(sorted(f["test"] for f in result["failures"])))
        for feature_id, result in report["features"].items()
    }


def _problems(report: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [(p["id"], p["impact"], p["title"], len(p["tests"])) for p in report["problems"]]


# With a fault only: the failing run exercises every feature the passing one does, plus the
# problems; a passing parallel run is covered by the budget and rerun tests below.
@pytest.mark.parametrize("fault", ["created-as-string"])
def test_two_workers_give_the_results_of_one(tmp_path: Path, fault: str | None) -> None:
    fault_args = ("--mock-fault", fault) if fault else ()
    serial = _run(tmp_path, "serial", *fault_args)
    parallel = _run(tmp_path, "parallel", "--workers", "2", *fault_args)
    assert _outcomes(parallel) == _outcomes(serial)
    assert parallel["_exit"] == serial["_exit"] == (1 if fault else 0)
    assert {t["id"] for t in parallel["tests"]} == {t["id"] for t in serial["tests"]}
    # Every worker's requests are counted in the one report.
    assert parallel["summary"]["requests"] == parallel["budget"]["used"]
    assert parallel["summary"]["requests"] >= 0.8 * serial["summary"]["requests"]
    # ... and every worker's created objects in the one ledger, under the run's one id.
    cleanup = parallel["cleanup"]
    assert cleanup["created"] >= 0.8 * serial["cleanup"]["created"] > 0
    assert cleanup["left"] == serial["cleanup"]["left"] == 0
    # The same problems, with the registry's titles and classes: the process that writes the
    # report ran no test itself.
    assert _problems(parallel) == _problems(serial)
    assert all(p[2] != "unclassified rule" for p in _problems(parallel))
    if fault:
        assert _problems(parallel)
        failed = [f for f, r in parallel["features"].items() if r["status"] == "failed"]
        assert "models.list" in failed and "schema.retrieveModel" in failed
        message = parallel["features"]["models.list"]["failures"][0]["message"]
        assert "created" in message
    # The per-worker tenants' keys are secrets like the others: none reaches the report.
    for path in (tmp_path / "parallel").rglob("*"):
        if path.is_file():
            assert "sk-mock-" not in path.read_text(errors="replace"), path
    assert "sk-mock-" not in parallel["_output"]


def test_reruns_compose_with_workers(tmp_path: Path) -> None:
    """--reruns under --workers: the attempt that failed and the one that passed are folded
    into one flaky test in the controller's report (pytest-rerunfailures under xdist)."""
    out = tmp_path / "flaky"
    result = oaiconform(
        *("run", "--seed", "11", "--report-dir", str(out), "--workers", "2", "--reruns", "1"),
        *("--mock-fault", "model-first-answer-incomplete"),
        *("--feature", "models.list", "--feature", "models.retrieve"),
        cwd=tmp_path,
        timeout=300,
    )
    assert_no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["features"]["models.retrieve"]["status"] == "flaky"
    assert [t["outcome"] for t in report["tests"] if t["failed_attempts"]] == ["flaky"]
    assert "1 test(s) rerun (--reruns), 1 of them flaky" in result.stdout


def test_the_request_budget_holds_across_workers(tmp_path: Path) -> None:
    report = _run(tmp_path, "budget", "--workers", "2", "--budget-requests", "30")
    assert report["budget"]["limit"] == 30
    assert report["budget"]["used"] <= 30
    assert report["budget"]["exhausted"] is True
    not_run = [t for t in report["tests"] if t["outcome"] == "not_run"]
    assert any("budget" in t["message"] for t in not_run)
    assert report["_exit"] == 1  # a budget that cut required features short is not a pass


def test_bad_worker_counts_are_refused(tmp_path: Path) -> None:
    for value in ("0", "two"):
        result = oaiconform("run", "--workers", value, cwd=tmp_path)
        assert result.returncode == 2
        assert "--workers" in result.stderr
        assert_no_traceback(result)


@pytest.fixture
def rate_limiting_target(correct_mock: MockServer) -> Iterator[str]:
    """Forwards to the mock, but answers every other request with 429 and Retry-After: 0."""
    with pass_through(correct_mock.base_url, limit_every=2) as url:
        yield url


def test_429s_waited_out_are_counted_in_the_report(
    tmp_path: Path, rate_limiting_target: str
) -> None:
    out = tmp_path / "r"
    result = oaiconform(
        "run",
        "--target",
        rate_limiting_target,
        "--feature",
        "schema.createModeration",
        "--seed",
        "2",
        "--report-dir",
        str(out),
        env={"OPENAI_API_KEY": TEST_KEY},
        cwd=tmp_path,
    )
    assert_no_traceback(result)
    report = json.loads((out / "report.json").read_text())
    (test,) = report["tests"]
    assert test["outcome"] == "passed", test["message"]
    assert test["metrics"]["rate_limited_retries"] >= 1
    assert test["metrics"]["examples"] >= 1
    assert report["budget"]["rate_limited_retries"] == test["metrics"]["rate_limited_retries"]
    assert "after waiting out a 429" in result.stdout
    # The 429s cut the requests in flight (AIMD), and the report says how far.
    flight = report["budget"]["concurrency"]
    assert flight["rate_limited"] >= 1
    assert flight["min_reached"] < flight["configured"]
    assert "429s cut the requests in flight" in result.stdout
    assert "waited out after a 429" in (out / "report.html").read_text()
