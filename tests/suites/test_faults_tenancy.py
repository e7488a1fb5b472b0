"""Tenant isolation: the shared-tenancy fault fails it; the correct mock keeps keys apart."""

from __future__ import annotations

from tests.conftest import RunSuites
from tests.suites.matrix import Matrix, Proofs, assert_proves, failure_text

MATRIX: Matrix = {
    "shared-tenancy": {"tenancy.isolation": "a second API key could read a file created with"},
}
PROVES: Proofs = {
    "shared-tenancy": {"tenancy.hidden_from_other_tenant", "tenancy.absent_from_listing"},
}
FEATURES = ("tenancy.isolation", "files", "models.list")


def test_shared_tenancy_fails_tenant_isolation_only(run_suites: RunSuites) -> None:
    outcome = run_suites("shared-tenancy", features=FEATURES)
    assert_proves(outcome, "shared-tenancy", PROVES["shared-tenancy"])
    report = outcome.report
    assert report is not None
    assert report.features["tenancy.isolation"].status == "failed"
    text = failure_text(report, "tenancy.isolation")
    assert MATRIX["shared-tenancy"]["tenancy.isolation"] in text
    assert "sees the file" in text
    assert "$SECOND_API_KEY" in report.features["tenancy.isolation"].failures[0].repro
    assert report.features["files"].status == "passed"
    assert report.features["models.list"].status == "passed"


def test_the_correct_mock_keeps_tenants_apart(run_suites: RunSuites) -> None:
    report = run_suites(features=FEATURES).report
    assert report is not None
    assert report.features["tenancy.isolation"].status == "passed"
