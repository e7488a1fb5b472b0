"""Files, batches and responses: each storage fault fails exactly its features.

The runs cover FEATURES (the stored resources, their pagination and their neighbours), not the
property-based `schema.*` features, which any changed body also fails.
"""

from __future__ import annotations

import pytest

from tests.conftest import RunSuites
from tests.suites.matrix import Matrix, Proofs, assert_outcome_matches

FEATURES = (
    "files",
    "batches",
    "responses",
    "responses.stream",
    "pagination.files",
    "pagination.batches",
    "chat.completions",
    "models.list",
)

MATRIX: Matrix = {
    "delete-keeps-file": {
        "files": "expected status 404, got 200",
        "pagination.files": "items this run deleted",
    },
    "content-as-metadata": {
        "files": "got a JSON object with object='file' (metadata, not content)",
        "batches": "no output line answers custom_id(s)",
    },
    "file-bytes-wrong": {"files": "`bytes` must be the uploaded size"},
    "batch-output-missing-lines": {"batches": "no output line answers custom_id(s)"},
    "batch-counts-not-updated": {
        "batches": "request_counts.completed (0) + failed (0) must equal total (2)"
    },
    "previous-response-ignored": {"responses": "the follow-up must echo previous_response_id"},
    "function-arguments-as-object": {
        "responses": "`arguments` must be a JSON-encoded string, got a dict"
    },
    "incomplete-as-completed": {
        "responses": 'expected status "incomplete" with reason "max_output_tokens"'
    },
    "soft-deleted-files-listed": {
        "files": "is still in GET /files",
        "pagination.files": "items this run deleted",
    },
    "delete-object-misnamed": {"files": "`object` must be \"file\", got 'file.deleted'"},
    "batch-endpoint-unversioned": {
        "batches": "`endpoint` must be '/v1/chat/completions', got '/chat/completions'"
    },
    "response-usage-total-wrong": {"responses": "must equal input_tokens"},
    "cache-write-tokens-absent": {"responses": "cache_write_tokens became required in mid-2026"},
    "input-items-dropped": {"responses": "no input message with the text"},
}

PROVES: Proofs = {
    "delete-keeps-file": {"http.status_code_is", "pagination.visits_each_once"},
    "content-as-metadata": {"files.file_content_is", "batches.output_answers_inputs"},
    "file-bytes-wrong": {"files.file_object_fields"},
    "batch-output-missing-lines": {"batches.output_answers_inputs"},
    "batch-counts-not-updated": {"batches.completed_batch_counts"},
    "previous-response-ignored": {"responses.continues_conversation"},
    "function-arguments-as-object": {
        "responses.function_call_matches",
        "schema.response_schema_conformance",
    },
    "incomplete-as-completed": {"responses.incomplete_at_max_output_tokens"},
    "soft-deleted-files-listed": {"files.file_listed", "pagination.visits_each_once"},
    "delete-object-misnamed": {
        "files.deletion_confirmed",
        "schema.object_value",
        "schema.response_schema_conformance",
    },
    "batch-endpoint-unversioned": {"batches.batch_object_fields"},
    "response-usage-total-wrong": {"responses.response_object_fields"},
    "cache-write-tokens-absent": {"schema.late_required_absent"},
    "input-items-dropped": {"responses.input_items_echo"},
}


@pytest.mark.parametrize("fault", sorted(MATRIX))
def test_storage_fault_fails_exactly_its_features(run_suites: RunSuites, fault: str) -> None:
    """As matrix.assert_fault_fails_its_features, on FEATURES; the exit code follows the failed
    features' level (batches is optional in core)."""
    expected = MATRIX[fault]
    outcome = run_suites(fault, features=FEATURES)
    assert_outcome_matches(outcome, fault, expected, proves=PROVES[fault])
