"""The property suite (`schema.*`): each fault fails exactly its operations, the correct mock none.

These faults hide from the hand-written suites' few requests and show once requests are
generated from the description. The runs select a few served operations under the default
profile, where `schema.*` features are optional: a failure shows in the report, not in the exit
code, so the exit code is not asserted here (the `full` profile, where they are required, cannot
load operations whose ids contain `-` until the feature registry's family pattern allows it).
"""

from __future__ import annotations

import pytest

from tests.conftest import RunSuites
from tests.suites.matrix import Matrix, Proofs, assert_outcome_matches, built_features

FEATURES = (
    "schema.listModels",
    "schema.retrieveModel",
    "schema.createModeration",
    "schema.createChatCompletion",
    "schema.listFiles",
    "schema.listBatches",
    "schema.ListSkills",
)
EDGE = "[not_a_server_error]"
CONTENT_TYPE = "[content_type_conformance]"

MATRIX: Matrix = {
    # With the run seed of the self-tests, only the skills listing draws a non-ASCII cursor.
    "server-error-on-edge-values": {"schema.ListSkills": f"{EDGE} GET"},
    "undocumented-status": {
        "schema.createModeration": "[status_code_conformance] POST",
        "schema.createChatCompletion": "Received: 201",
    },
    "schema-drift": {
        "schema.listModels": '"created" is a required property',
        "schema.retrieveModel": '"created" is a required property',
        "schema.createChatCompletion": '"created" is a required property',
        "schema.ListSkills": '"created_at" is a required property',
    },
    "wrong-content-type": {feature: f"{CONTENT_TYPE}" for feature in FEATURES},
}

# The property suite judges with schemathesis's checks, not with oaiconform.checks.
PROVES: Proofs = {fault: set() for fault in MATRIX}


@pytest.mark.parametrize("fault", sorted(MATRIX))
def test_fault_fails_exactly_its_operations(run_suites: RunSuites, fault: str) -> None:
    outcome = run_suites(fault, features=FEATURES)
    assert outcome.report is not None
    assert sorted(built_features(outcome.report)) == sorted(FEATURES)
    assert_outcome_matches(outcome, fault, MATRIX[fault], proves=PROVES[fault])


def test_the_correct_mock_passes_the_generated_requests(run_suites: RunSuites) -> None:
    report = run_suites(features=FEATURES).report
    assert report is not None
    statuses = {f: report.features[f].status for f in built_features(report)}
    assert statuses == dict.fromkeys(FEATURES, "passed")
