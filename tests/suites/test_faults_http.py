"""Error statuses and fields, route guarding, standard headers: each fault fails its features."""

from __future__ import annotations

import pytest

from oaiconform.profiles import DEFAULT_PROFILE, load_profile
from tests.conftest import RunSuites
from tests.suites.matrix import (
    Matrix,
    Proofs,
    assert_fault_fails_its_features,
    assert_feature_clean,
    assert_feature_fails,
    assert_proves,
    built_features,
)

MATRIX: Matrix = {
    "validation-422": {
        "errors.validation": "got 422 (the framework's validation status",
        "chat.stream": "expected status 400, got 422",
    },
    "validation-param-missing": {
        "errors.validation": "expected error.param to name 'messages', got None"
    },
    "wrong-type-500": {
        "errors.validation": "an invalid request got a server error (500)",
        "chat.stream": "expected status 400, got 500",
    },
    "bad-json-500": {"errors.invalid_json": "got a server error 500"},
    "text-plain-read-as-json": {
        "errors.invalid_json": "a JSON body sent as text/plain was accepted"
    },
    "html-404": {"errors.envelope": "error served as text/html"},
    "unknown-route-200": {
        "errors.envelope": "expected 404 for a route the API does not have, got 200"
    },
    "models-list-unguarded": {
        "errors.auth": "/v1/models -> 200: the request was served without valid credentials"
    },
    "unknown-model-400": {"errors.unknown_model": "expected 404 for an unknown model, got 400"},
    "unknown-model-500": {"errors.unknown_model": "expected 404 for an unknown model, got 500"},
    "unknown-model-no-code": {
        "errors.unknown_model": "expected error.code 'model_not_found', got None"
    },
    "no-request-id": {"headers.request_id": "the response has no x-request-id header"},
    "same-request-id": {"headers.request_id": "'req_0000000000000000' was already sent"},
    "ratelimit-reset-in-words": {
        "headers.rate_limit": "x-ratelimit-reset-requests is '6 minutes', expected a duration"
    },
    "429-without-retry-after": {
        "headers.rate_limit": "the 429 has neither Retry-After nor retry-after-ms"
    },
}

PROVES: Proofs = {
    "validation-422": {"errors.bad_request", "http.status_code_is"},
    "validation-param-missing": {"errors.error_param_names"},
    "wrong-type-500": {"errors.bad_request", "errors.client_error", "http.status_code_is"},
    "bad-json-500": {"errors.bad_request"},
    "text-plain-read-as-json": {"errors.declared_text_refused"},
    "html-404": {"errors.error_envelope"},
    "unknown-route-200": {"errors.route_not_found"},
    "models-list-unguarded": {"errors.unauthorized"},
    "unknown-model-400": {"errors.model_not_found"},
    "unknown-model-500": {"errors.model_not_found"},
    "unknown-model-no-code": {"errors.model_not_found", "errors.error_code_is"},
    "no-request-id": {"headers.request_id_present"},
    "same-request-id": {"headers.request_ids_unique"},
    "ratelimit-reset-in-words": {"headers.rate_limit_headers"},
    "429-without-retry-after": {"headers.retry_after"},
}


@pytest.mark.parametrize("fault", sorted(MATRIX))
def test_fault_fails_exactly_its_features(run_suites: RunSuites, fault: str) -> None:
    """As matrix.assert_fault_fails_its_features; the headers.* features are optional in core,
    so a fault that fails only them leaves the exit code 0 (a should-level warning)."""
    if any(load_profile(DEFAULT_PROFILE).is_required(f) for f in MATRIX[fault]):
        assert_fault_fails_its_features(run_suites, fault, MATRIX[fault], proves=PROVES[fault])
        return
    outcome = run_suites(fault, features=load_profile(DEFAULT_PROFILE).features)
    assert_proves(outcome, fault, PROVES[fault])
    report = outcome.report
    assert report is not None
    for feature in built_features(report):
        if feature in MATRIX[fault]:
            assert_feature_fails(report, fault, feature, MATRIX[fault][feature])
        else:
            assert_feature_clean(report, fault, feature)
    assert set(MATRIX[fault]) <= set(built_features(report))
    assert report.summary["warnings"] == len(MATRIX[fault])
    assert outcome.exit_code == 0
