"""Spec-driven property tests: every operation of the description, one test each.

For each operation, schemathesis generates valid and invalid requests from the description;
they go through the Target (budget, timeouts, byte caps, recorded exchanges), and every answer
must conform: no server error, a documented status and content type, a body and headers valid
against the documented schemas, valid data accepted and invalid data rejected, credentials not
ignored. Feature `schema.<operationId>`; the `full` profile runs them all.
"""

from __future__ import annotations

import pytest

from oaiconform.features import is_known
from oaiconform.plugin import CONTEXT_KEY, not_implemented
from oaiconform.property import PropertySkip, RouteMissing, exercise_operation
from oaiconform.settings import Settings
from oaiconform.spec import Spec, SpecError
from oaiconform.target import Target


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per operation id of the loaded spec (collection reads no fixture, builds nothing).

    Only ids the feature registry accepts as `schema.<operationId>` are collected (the registry
    is the one source of feature ids; see features.py for the family's pattern).
    """
    if "operation_id" not in metafunc.fixturenames:
        return
    try:
        operation_ids = sorted(metafunc.config.stash[CONTEXT_KEY].spec.operations)
    except SpecError as exc:
        raise pytest.UsageError(f"oaiconform: {exc}") from None
    metafunc.parametrize(
        "operation_id",
        [
            pytest.param(op_id, marks=pytest.mark.feature(f"schema.{op_id}"), id=op_id)
            for op_id in operation_ids
            if is_known(f"schema.{op_id}")
        ],
    )


def test_generated_requests_get_spec_conformant_responses(
    target: Target,
    spec: Spec,
    settings: Settings,
    operation_id: str,
    request: pytest.FixtureRequest,
) -> None:
    """Generated requests to the operation get spec-conformant responses."""

    def record(name: str, value: float) -> None:  # the report's per-test metrics
        request.node.user_properties.append((name, value))

    try:
        exercise_operation(target, spec, settings, operation_id, record=record)
    except RouteMissing as exc:
        not_implemented(str(exc))
    except PropertySkip as exc:
        pytest.skip(str(exc))
