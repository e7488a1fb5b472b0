"""Every fault is proven by exactly one matrix, and the correct mock passes every built feature."""

from __future__ import annotations

import importlib
from pathlib import Path

from oaiconform.mock import FAULTS
from tests.conftest import RunSuites
from tests.suites.matrix import built_features


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
