"""The fault matrix: which features each mock fault must fail, with which message, and which
checks it proves.

Each suite area adds its own `tests/suites/test_faults_<area>.py` with a `MATRIX`, a `PROVES`
and calls `assert_fault_fails_its_features`; `test_faults_coverage.py` checks that every fault
of the mock appears in exactly one matrix, and that every check the suites call is proven by a
fault, so no check goes unproven and no fault goes unused.
"""

from __future__ import annotations

from collections.abc import Collection

from oaiconform.checks import load_all_checks
from oaiconform.profiles import DEFAULT_PROFILE, load_profile
from oaiconform.report import Report
from tests.conftest import ObservedOutcome, RunSuites

# fault -> {feature that must fail: a fragment its failure message must contain}
Matrix = dict[str, dict[str, str]]
# fault -> the ids of the registered checks (oaiconform.checks.REGISTRY) that must return a
# failure in the fault's run: the checks that judge the fault's own defect. A check that also
# fails as a consequence (a status check after the body broke) is left out; it is proven where
# its own defect is.
Proofs = dict[str, set[str]]


def failure_text(report: Report, feature: str) -> str:
    return "\n".join(f.message for f in report.features[feature].failures)


def built_features(report: Report) -> list[str]:
    return [f for f, result in report.features.items() if result.tests > 0]


def assert_fault_fails_its_features(
    run_suites: RunSuites,
    fault: str,
    expected: dict[str, str],
    *,
    proves: Collection[str],
    features: tuple[str, ...] | None = None,
    **overrides: object,
) -> None:
    """The fault fails exactly the expected features, each with its message and a curl repro.

    By default the core profile's own features run, without the property suite (`schema.*`,
    which the core profile adds by tag): it catches most faults by design and is pinned by
    test_faults_schema.py, which passes `features` (and `overrides`, e.g. the profile) itself.
    """
    if features is None:
        features = load_profile(DEFAULT_PROFILE).features
    outcome = run_suites(fault, features=features, **overrides)
    assert_outcome_matches(outcome, fault, expected, proves=proves)


def assert_outcome_matches(
    outcome: ObservedOutcome, fault: str, expected: dict[str, str], *, proves: Collection[str]
) -> None:
    """Exactly the expected features failed, each with its message and a curl repro, and every
    check the fault proves returned a failure; the exit code is 1 exactly when one of the
    features is required by the profile (a should-level or optional feature's failure is a
    warning)."""
    assert_proves(outcome, fault, proves)
    report = outcome.report
    assert report is not None
    for feature in built_features(report):
        if feature in expected:
            assert_feature_fails(report, fault, feature, expected[feature])
        else:
            assert_feature_clean(report, fault, feature)
    assert set(expected) <= set(built_features(report)), "a feature of the matrix was not run"
    assert_failures_are_typed(report, fault)
    # The exit code follows the run's verdict (strict in the self-tests): a fault whose checks
    # are advisory fails its features' raw status but no verdict.
    verdict = report.verdict_mode
    required = any(
        report.features[f].required and report.features[f].statuses[verdict] == "failed"
        for f in expected
    )
    assert outcome.exit_code == (1 if required else 0)


def assert_feature_fails(report: Report, fault: str, feature: str, says: str) -> None:
    """The fault failed tests of the feature, saying `says` with a curl repro; the feature's
    status is failed, or passed when every failure it met is advisory (fails no verdict)."""
    result = report.features[feature]
    assert result.failures, f"{fault} should fail {feature}"
    assert says in failure_text(report, feature)
    assert all(f.repro.startswith("curl ") for f in result.failures)
    impacts = {
        f.get("impact")
        for t in report.tests
        if t.feature == feature and t.outcome == "failed"
        for f in t.failures
    }
    advisory_only = impacts == {"advisory"}
    assert result.status == ("passed" if advisory_only else "failed"), (fault, feature, impacts)


def assert_feature_clean(report: Report, fault: str, feature: str) -> None:
    result = report.features[feature]
    assert result.status == "passed" and not result.failures, (
        f"{fault} should not affect {feature}: {failure_text(report, feature)}"
    )


def assert_failures_are_typed(report: Report, fault: str) -> None:
    """Every failed test carries typed failures, each from a registered check, so the fault's
    failures group into problems by check id (never an "unclassified rule")."""
    registry = load_all_checks()
    for test in report.tests:
        if test.outcome != "failed":
            continue
        assert test.failures, f"{fault}: {test.id} failed without a typed failure"
        unknown = {f["check_id"] for f in test.failures} - set(registry)
        assert not unknown, f"{fault}: {test.id} has failures of no registered check: {unknown}"
    assert report.problems, f"{fault}: failures but no problem"


def assert_proves(outcome: ObservedOutcome, fault: str, proves: Collection[str]) -> None:
    """Every check the fault declares it proves returned a failure in the fault's run."""
    unproven = sorted(set(proves) - outcome.failing_checks)
    assert unproven == [], f"{fault} should make these checks return a failure: {unproven}"
