"""Every fault is proven by exactly one matrix, every check the suites call is proven by a
fault, and the correct mock passes every built feature without a check returning a failure."""

from __future__ import annotations

import importlib
from pathlib import Path

from oaiconform.checks import REGISTRY, load_all_checks
from oaiconform.mock import FAULTS
from tests.conftest import RunSuites
from tests.suites.matrix import built_features
from tests.suites.proofs import (
    checks_called_by_suites,
    declared_proofs,
    matrix_modules,
    unproven,
)


def _matrices() -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for path in sorted(Path(__file__).parent.glob("test_faults_*.py")):
        module = importlib.import_module(f"tests.suites.{path.stem}")
        for fault in getattr(module, "MATRIX", {}):
            owners.setdefault(fault, []).append(path.stem)
    return owners


def test_every_fault_of_the_mock_is_in_exactly_one_matrix() -> None:
    owners = _matrices()
    assert sorted(set(FAULTS) - set(owners)) == [], "faults no check is proven with"
    assert sorted(set(owners) - set(FAULTS)) == [], "matrix entries for faults that do not exist"
    assert {f: o for f, o in owners.items() if len(o) > 1} == {}


def test_every_matrix_declares_what_each_of_its_faults_proves() -> None:
    """PROVES has one entry per fault of its MATRIX (an empty one says: no check of ours, as
    for the property suite's faults), and names registered checks only."""
    load_all_checks()
    for module in matrix_modules():
        matrix, proves = getattr(module, "MATRIX", {}), getattr(module, "PROVES", {})
        assert sorted(proves) == sorted(matrix), module.__name__
        unknown = {f: sorted(set(ids) - set(REGISTRY)) for f, ids in proves.items()}
        assert {f: ids for f, ids in unknown.items() if ids} == {}, module.__name__


def test_every_check_the_suites_call_is_registered_and_proven_by_a_fault() -> None:
    suites = checks_called_by_suites()
    assert sorted(suites.unregistered) == [], "functions returning failures without @check"
    assert {"streaming.json_not_event_stream", "http.status_code_is"} <= suites.called
    assert unproven(suites.called, declared_proofs(matrix_modules())) == [], (
        "checks the suites call that no fault makes fail: add a fault (mock/faults/) and "
        "declare it in the PROVES of its matrix"
    )


def test_a_check_no_fault_proves_is_reported() -> None:
    called = {"streaming.json_not_event_stream", "http.status_code_is", "errors.error_envelope"}
    proofs = {"validation-422": {"http.status_code_is"}, "flat-errors": {"errors.error_envelope"}}
    assert unproven(called, proofs) == ["streaming.json_not_event_stream"]
    assert unproven(called, {**proofs, "stream-by-default": called}) == []
    assert unproven(called, {}) == sorted(called)


def test_a_suite_calling_an_unregistered_check_is_reported(tmp_path: Path) -> None:
    (tmp_path / "test_fake.py").write_text(
        "from oaiconform.checks.streaming import capped, json_not_event_stream\n"
        "from oaiconform.checks._failure import capped as also_capped\n"
        "from oaiconform.checks.files import multipart_body\n"
        "from oaiconform.checks.routes import route_missing\n"
    )
    suites = checks_called_by_suites([tmp_path])
    assert suites.called == {"streaming.json_not_event_stream"}
    # capped returns failures but is no check: a suite calling it would escape the proofs.
    assert suites.unregistered == {
        "oaiconform.checks.streaming.capped",
        "oaiconform.checks._failure.capped",
    }


def test_the_correct_mock_passes_every_built_feature(run_suites: RunSuites) -> None:
    outcome = run_suites()
    assert outcome.report is not None
    built = built_features(outcome.report)
    assert {"models.list", "models.retrieve", "chat.completions", "errors.auth"} <= set(built)
    failing = {
        f: outcome.report.features[f].status
        for f in built
        if outcome.report.features[f].status != "passed"
    }
    assert failing == {}
    assert outcome.exit_code == 0
    # No check returns a failure against the correct mock, so a check that does under a fault
    # (matrix.assert_proves) has judged that fault's defect.
    assert sorted(outcome.failing_checks) == []
