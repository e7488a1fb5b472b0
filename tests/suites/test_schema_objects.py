"""The property suite checks real objects: a broken object schema fails its retrieve operation.

Before objects were created for path parameters, `schema.retrieveFile` and its kind only ever
met "no such object" (404, accepted), so a server whose file, batch or stored completion
objects lack required fields passed them. Not a fault matrix (schema-drift is proven in
test_faults_schema.py); this pins what creating objects adds, end to end through the report.
"""

from __future__ import annotations

from tests.conftest import RunSuites
from tests.suites.matrix import failure_text

FEATURES = ("schema.retrieveFile", "schema.retrieveBatch", "schema.getChatCompletion")
MISSING = {
    "schema.retrieveFile": '"created_at" is a required property',
    "schema.retrieveBatch": '"created_at" is a required property',
    "schema.getChatCompletion": '"created" is a required property',
}


def test_a_broken_object_schema_fails_the_retrieve_operations(run_suites: RunSuites) -> None:
    report = run_suites("schema-drift", features=FEATURES).report
    assert report is not None
    for feature in FEATURES:
        assert report.features[feature].status == "failed", feature
        text = failure_text(report, feature)
        assert "[response_schema_conformance] GET" in text and MISSING[feature] in text


def test_the_correct_mock_passes_them_with_real_objects(run_suites: RunSuites) -> None:
    report = run_suites(features=FEATURES).report
    assert report is not None
    assert {f: report.features[f].status for f in FEATURES} == dict.fromkeys(FEATURES, "passed")
    metrics = [t.metrics or {} for t in report.tests if t.feature in FEATURES]
    assert len(metrics) == len(FEATURES)
    assert all(m.get("path_objects_pinned") == 1.0 for m in metrics), metrics
    assert all(m.get("path_objects_generated") == 0.0 for m in metrics), metrics
