"""Models, chat completions, auth and the error envelope: each fault fails exactly its features.

These faults are global (every error body, every `created`, every `object`), so other areas'
matrices list what they break there; here each run is scoped to the features below, which keeps
the matrix fast and its expectations stable as suites are added.
"""

from __future__ import annotations

import pytest

from tests.conftest import RunSuites
from tests.suites.matrix import Matrix, Proofs, assert_fault_fails_its_features

MATRIX: Matrix = {
    "accept-any-key": {"errors.auth": "served without valid credentials; expected 401"},
    "plain-text-errors": {
        "errors.auth": "error served as text/plain",
        "errors.envelope": "error served as text/plain",
        "errors.invalid_json": "error served as text/plain",
        "errors.validation": "error served as text/plain",
        "errors.unknown_model": "error served as text/plain",
    },
    "detail-errors": {
        "errors.auth": 'found a FastAPI-style {"detail": ...} body',
        "errors.envelope": 'found a FastAPI-style {"detail": ...} body',
        "errors.invalid_json": 'found a FastAPI-style {"detail": ...} body',
        "errors.validation": 'found a FastAPI-style {"detail": ...} body',
        "errors.unknown_model": 'found a FastAPI-style {"detail": ...} body',
    },
    "flat-errors": {
        "errors.auth": "found a flat envelope",
        "errors.envelope": "found a flat envelope",
        "errors.invalid_json": "found a flat envelope",
        "errors.validation": "found a flat envelope",
        "errors.unknown_model": "found a flat envelope",
    },
    "echo-key": {"errors.auth": "echoes the submitted API key in full"},
    "created-as-string": {
        "models.list": '$.data[0].created: "1700000000" is not of type "integer"',
        "models.retrieve": "`created` must be integer Unix seconds",
        "chat.completions": "`created` must be integer Unix seconds",
    },
    "object-misnamed": {
        "models.list": '$.object: "lists" is not one of "list"',
        "models.retrieve": "`object` must be \"model\", got 'models'",
        "chat.completions": "`object` must be \"chat.completion\", got 'chat.completions'",
    },
    "usage-total-wrong": {"chat.completions": "`usage.total_tokens` is"},
    "refusal-absent": {"chat.completions": '"refusal" is a required property; send it as null'},
    "usage-details-null": {"chat.completions": "leave it out instead of sending null"},
}

# The envelope faults are judged by error_envelope, which the status checks of the errors.*
# features call once the status is right; error_response is errors.envelope's own judge.
PROVES: Proofs = {
    "accept-any-key": {"errors.unauthorized"},
    "plain-text-errors": {"errors.error_envelope", "errors.error_response"},
    "detail-errors": {"errors.error_envelope", "errors.error_response"},
    "flat-errors": {"errors.error_envelope", "errors.error_response"},
    "echo-key": {"errors.key_not_echoed"},
    "created-as-string": {
        "schema.integer_timestamp",
        "schema.response_schema_conformance",
        "models.model_object_fields",
        "chat.chat_completion_fields",
    },
    "object-misnamed": {
        "schema.object_value",
        "schema.response_schema_conformance",
        "models.model_list_fields",
        "models.model_object_fields",
        "chat.chat_completion_fields",
    },
    "usage-total-wrong": {"chat.usage_totals"},
    "refusal-absent": {"schema.required_nullable_absent"},
    "usage-details-null": {"schema.optional_member_null"},
}


SCOPE = (
    "models.list",
    "models.retrieve",
    "chat.completions",
    "errors.auth",
    "errors.envelope",
    "errors.invalid_json",
    "errors.validation",
    "errors.unknown_model",
)


@pytest.mark.parametrize("fault", sorted(MATRIX))
def test_fault_fails_exactly_its_features(run_suites: RunSuites, fault: str) -> None:
    assert_fault_fails_its_features(
        run_suites, fault, MATRIX[fault], proves=PROVES[fault], features=SCOPE
    )
