"""One operation's property run against the mock: budget, replay, outcomes, collection cost."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from schemathesis.generation import GenerationMode

from oaiconform.checks import ConformanceError
from oaiconform.features import is_known
from oaiconform.mock import MockServer
from oaiconform.property import OperationRun, PropertyOptions, RouteMissing, property_schema
from oaiconform.property.runner import example_seed
from oaiconform.settings import build_settings
from oaiconform.spec import Spec
from oaiconform.target import BudgetExhaustedError, Target
from tests.conftest import StartMock, target_for

ROOT = Path(__file__).resolve().parents[2]


def run(target: Target, spec: Spec, operation_id: str, **options: object) -> OperationRun:
    operation_run = OperationRun(
        target,
        property_schema(spec),
        operation_id,
        PropertyOptions(seed=5, models={"createChatCompletion": "gpt-4o-mini"}, **options),  # type: ignore[arg-type]
    )
    operation_run.run()
    return operation_run


def test_a_conforming_operation_passes_within_its_example_counts(
    correct_mock: MockServer, spec: Spec
) -> None:
    target = target_for(correct_mock)
    done = run(target, spec, "createModeration", positive_examples=3, negative_examples=2)
    # 3 positive + 2 negative at most, plus the one request resent without credentials
    assert 1 <= done.sent <= 6
    assert done.accepted is not None


def test_the_budget_bounds_an_operation_and_is_reported(
    correct_mock: MockServer, spec: Spec
) -> None:
    target = target_for(correct_mock, budget=2)
    with pytest.raises(BudgetExhaustedError):
        run(target, spec, "createModeration", positive_examples=5, negative_examples=3)
    assert target.budget.used == 2


def test_the_same_seed_replays_the_same_requests(correct_mock: MockServer, spec: Spec) -> None:
    def requests_of_a_run() -> list[tuple[str, str, bytes]]:
        target = target_for(correct_mock)
        run(target, spec, "createModeration", positive_examples=3, negative_examples=2)
        return [(e.request.method, e.request.url, e.request.body) for e in target.exchanges]

    assert requests_of_a_run() == requests_of_a_run()
    positive = GenerationMode.POSITIVE
    assert example_seed(1, "a", positive) != example_seed(2, "a", positive)


def test_an_endpoint_the_target_lacks_is_a_route_miss(correct_mock: MockServer, spec: Spec) -> None:
    target = target_for(correct_mock)
    target.base_url += "/not-an-api"  # every route of the description is missing here
    with pytest.raises(RouteMissing, match="no such endpoint"):
        run(target, spec, "listModels", positive_examples=2, negative_examples=0)
    assert len(target.exchanges) == 1  # the first miss ends the operation


def test_a_served_request_without_credentials_fails_ignored_auth(
    start_mock: StartMock, spec: Spec
) -> None:
    target = target_for(start_mock("accept-any-key"))
    with pytest.raises(ConformanceError, match=r"\[ignored_auth\] .*expected 401, got 200"):
        run(target, spec, "listModels", positive_examples=1, negative_examples=0)


def test_settings_carry_the_property_options() -> None:
    settings = build_settings(
        {"allow_expensive": True, "property_examples": "7", "property_negative_examples": "0"},
        {},
    )
    assert (settings.allow_expensive, settings.property_examples) == (True, 7)
    assert settings.property_negative_examples == 0
    defaults = build_settings({}, {})
    assert (defaults.allow_expensive, defaults.property_examples) == (False, 5)
    assert defaults.property_negative_examples == 3


def test_every_operation_is_collected_quickly(spec: Spec) -> None:
    """Collection reads the loaded spec only: no schemathesis schema, no strategies."""
    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(ROOT / "suites" / "test_schema.py"),
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--spec",
            spec.source.location,
            "--profile",
            "core",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "OAICONFORM_SPEC": spec.source.location},
        timeout=120,
        check=False,
    )
    elapsed = time.perf_counter() - started
    match = re.search(r"(?:\d+/)?(\d+) tests? collected", completed.stdout)
    assert match is not None, completed.stdout[-2000:] + completed.stderr[-2000:]
    expected = sum(1 for op_id in spec.operations if is_known(f"schema.{op_id}"))
    assert int(match.group(1)) == expected
    assert elapsed < 20.0


def test_a_mode_whose_generation_breaks_once_is_tried_on_a_second_seed(
    correct_mock: MockServer, spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hypothesis import strategies as st

    from oaiconform.property.session import PropertySchema

    real_strategy = PropertySchema.strategy
    broken = {"left": 1}

    def breaking_once(self: PropertySchema, operation_id: str, mode: GenerationMode) -> Any:
        strategy = real_strategy(self, operation_id, mode)
        if mode.is_positive and broken["left"]:
            broken["left"] -= 1
            return st.just(None).map(_raise)  # every draw of this strategy fails
        return strategy

    monkeypatch.setattr(PropertySchema, "strategy", breaking_once)
    done = run(target_for(correct_mock), spec, "createModeration", negative_examples=0)
    assert done.examples >= 1 and done.accepted is not None
    assert done.stats()["generation_notes"] == 0


def _raise(_: object) -> object:
    raise RuntimeError("generation broke")


def test_a_bug_in_our_own_judging_is_raised_as_itself_not_a_generation_note(
    correct_mock: MockServer, spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception of our code while judging an answer is a tool error (exit 4), never read
    as "schemathesis failed to generate" or turned into a skip."""

    def broken(*args: object, **kwargs: object) -> list[Any]:
        raise ZeroDivisionError("injected into a property check")

    monkeypatch.setattr("oaiconform.property.runner.run_response_checks", broken)
    target = target_for(correct_mock)
    with pytest.raises(ZeroDivisionError, match="injected into a property check"):
        run(target, spec, "createModeration", positive_examples=3, negative_examples=2)
    assert len(target.exchanges) == 1  # the first broken judgement stopped the operation
