"""Absent endpoints are not implemented, present ones are judged: 404s read by evidence.

Two servers that word their 404s in ways that fooled the body-only guess: a gateway whose
every unknown route answers `404 {"error": {"code": "not_found"}}` (which reads like "no such
object"), and a FastAPI-style server whose unknown objects answer `{"detail": ...}` (which
reads like "no such route"). The run learns each target's answer to a route that cannot exist
(route_probe) and compares.
"""

from __future__ import annotations

from oaiconform.features import PARAMETER_FEATURES
from oaiconform.profiles import DEFAULT_PROFILE, load_profile
from tests.conftest import RunSuites
from tests.suites.matrix import (
    Matrix,
    Proofs,
    assert_fault_fails_its_features,
    built_features,
)

MATRIX: Matrix = {
    # Fails nothing: the absent endpoints are not implemented, the rest passes (see below).
    "unknown-route-not-found": {},
    "unknown-object-detail-404": {
        "errors.envelope": 'found a FastAPI-style {"detail": ...} body',
        "tenancy.isolation": "/v1/files/file-",
    },
}

PROVES: Proofs = {
    "unknown-route-not-found": set(),  # proves the route decision, not a check
    "unknown-object-detail-404": {"errors.error_envelope"},
}

ABSENT = {
    "completions",
    "completions.stream",
    "moderations",
    *(f for f in PARAMETER_FEATURES if f.startswith("params.completions.")),
}


def test_endpoints_a_gateway_lacks_are_not_implemented_and_the_rest_is_judged(
    run_suites: RunSuites,
) -> None:
    """Every unknown route answers 404 code not_found: POST /completions and /moderations are
    absent (not implemented, with the evidence), every other feature is judged and passes,
    and the errors suites probe only the endpoints the target serves."""
    outcome = run_suites("unknown-route-not-found", features=load_profile(DEFAULT_PROFILE).features)
    report = outcome.report
    assert report is not None
    statuses = {f: report.features[f].status for f in built_features(report)}
    assert {f for f, s in statuses.items() if s == "not_implemented"} == ABSENT, statuses
    assert {s for f, s in statuses.items() if f not in ABSENT} == {"passed"}, statuses
    reason = report.features["completions"].reason
    assert "the 404 is the target's answer to an unknown route" in reason
    assert "code 'not_found'" in reason
    probes = report.target["route_miss"]
    assert probes and probes[0]["status"] == 404, probes
    invalid_json = [t for t in report.tests if t.feature == "errors.invalid_json"]
    skipped = {t.id for t in invalid_json if t.outcome == "not_applicable"}
    assert skipped and all(i.endswith(("-completions]", "-moderations]")) for i in skipped)
    assert {t.outcome for t in invalid_json} == {"passed", "not_applicable"}
    assert outcome.exit_code == 0


def test_a_present_route_whose_404s_lack_the_envelope_is_judged_not_called_absent(
    run_suites: RunSuites,
) -> None:
    """Unknown objects answer {"detail": <message>}, unknown routes {"detail": "Not Found"}:
    the object routes exist (their 404 is not the route-miss answer), so nothing is not
    implemented and the broken envelope fails its features."""
    assert_fault_fails_its_features(
        run_suites,
        "unknown-object-detail-404",
        MATRIX["unknown-object-detail-404"],
        proves=PROVES["unknown-object-detail-404"],
    )
