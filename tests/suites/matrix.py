"""The fault matrix: which features each mock fault must fail, and with which message.

Each suite area adds its own `tests/suites/test_faults_<area>.py` with a `MATRIX` and calls
`assert_fault_fails_its_features`; `test_faults_coverage.py` checks that every fault of the mock
appears in exactly one matrix, so no check goes unproven and no fault goes unused.
"""

from __future__ import annotations

from oaiconform.report import Report
from tests.conftest import RunSuites

# fault -> {feature that must fail: a fragment its failure message must contain}
Matrix = dict[str, dict[str, str]]


def failure_text(report: Report, feature: str) -> str:
    return "\n".join(f.message for f in report.features[feature].failures)


def built_features(report: Report) -> list[str]:
    return [f for f, result in report.features.items() if result.tests > 0]


def assert_fault_fails_its_features(
    run_suites: RunSuites, fault: str, expected: dict[str, str]
) -> None:
    """The fault fails exactly the expected features, each with its message and a curl repro."""
    outcome = run_suites(fault)
    report = outcome.report
    assert report is not None
    for feature in built_features(report):
        result = report.features[feature]
        if feature in expected:
            assert result.status == "failed", f"{fault} should fail {feature}"
            assert expected[feature] in failure_text(report, feature)
            assert all(f.repro.startswith("curl ") for f in result.failures)
        else:
            assert result.status == "passed", (
                f"{fault} should not affect {feature}: {failure_text(report, feature)}"
            )
    for feature in expected:
        assert feature in report.features, f"{feature} was not run"
    assert outcome.exit_code == 1
