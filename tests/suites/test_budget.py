"""The request budget: a hard cap, and the report says when it cut the run short."""

from __future__ import annotations

from tests.conftest import RunSuites


def test_the_budget_caps_requests_and_the_report_says_so(run_suites: RunSuites) -> None:
    outcome = run_suites(
        features=("models.list", "chat.completions", "errors.auth"), budget_requests=5
    )
    report = outcome.report
    assert report is not None
    concurrency = report.budget.pop("concurrency")
    assert report.budget == {
        "limit": 5,
        "used": 5,
        "exhausted": True,
        "rate_limited_retries": 0,
        "max_duration_s": None,
        "deadline_hit": False,
    }
    # Requests sent ahead, several in flight, took no more than the budget allowed.
    assert concurrency["configured"] == 8 and concurrency["sent_ahead"] > 5
    assert report.summary["requests"] == 5
    not_run = [t for t in report.tests if t.outcome == "not_run"]
    assert not_run
    assert all("request budget of 5 requests is spent" in t.message for t in not_run)
    assert outcome.exit_code == 1
    html = (outcome.report_dir / "report.html").read_text()
    assert "the budget of 5 requests cut the run short" in html
