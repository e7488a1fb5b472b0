"""The check registry: what it holds, and the observer that sees which checks failed."""

from __future__ import annotations

import inspect
import threading
from typing import Any

import pytest

from oaiconform.checks import REGISTRY, Failure, check, load_all_checks, observe_failing_checks
from oaiconform.checks._registry import failures_of
from oaiconform.checks.http import status_code_is
from oaiconform.checks.routes import route_missing
from oaiconform.checks.stream_assembly import assemble_chat
from oaiconform.checks.streaming import DataEvents
from oaiconform.exchange import Exchange, RecordedRequest
from tests.suites.proofs import functions_defined_in, public_check_modules, returns_failures


def _exchange(status: int) -> Exchange:
    request = RecordedRequest("GET", "http://127.0.0.1/v1/models")
    return Exchange(request, status, (("content-type", "application/json"),), b"{}")


def test_every_public_function_returning_failures_is_registered_and_nothing_else() -> None:
    load_all_checks()
    checks: set[str] = set()
    others: set[str] = set()
    for module in public_check_modules():
        short = module.__name__.rpartition(".")[2]
        for name, function in functions_defined_in(module).items():
            (checks if returns_failures(function) else others).add(f"{short}.{name}")
    assert sorted(checks - set(REGISTRY)) == [], "public checks without @check"
    functions = {i for i, info in REGISTRY.items() if info.function is not None}
    assert sorted(functions - checks) == [], "registered functions that are no checks"
    assert "routes.route_missing" in others  # a predicate: bool, not failures
    assert {"streaming.json_not_event_stream", "errors.route_not_found"} <= set(REGISTRY)


def test_the_registry_holds_the_function_callers_import() -> None:
    load_all_checks()
    info = REGISTRY["http.status_code_is"]
    assert info.id == "http.status_code_is"
    assert info.function is status_code_is
    assert status_code_is.__name__ == "status_code_is"
    assert "exchange" in inspect.signature(status_code_is).parameters
    assert inspect.unwrap(route_missing) is route_missing


def test_the_observer_records_exactly_the_checks_that_returned_failures() -> None:
    with observe_failing_checks() as failing:
        assert status_code_is(_exchange(200), 200) == []
        assert failing == set()
        assert status_code_is(_exchange(500), 200) != []
        route_missing(_exchange(404))  # no check: never recorded
    assert failing == {"http.status_code_is"}


def test_without_an_observation_nothing_is_recorded() -> None:
    assert status_code_is(_exchange(500), 200) != []
    with observe_failing_checks() as failing:
        pass
    assert status_code_is(_exchange(500), 200) != []
    assert failing == set()


def test_observations_nest_and_stay_in_their_context() -> None:
    with observe_failing_checks() as outer:
        with observe_failing_checks() as inner:
            status_code_is(_exchange(500), 200)
        assert inner == {"http.status_code_is"}
        # Another thread starts from an empty context: its checks are not this run's.
        other = threading.Thread(target=status_code_is, args=(_exchange(500), 201))
        other.start()
        other.join()
    assert outer == {"http.status_code_is"}


def test_results_that_carry_failures_beside_a_value_are_recorded() -> None:
    failure = Failure("x", "y")
    assert list(failures_of([failure])) == [failure]
    assert list(failures_of(({}, [failure]))) == [failure]
    assert list(failures_of(DataEvents(failures=[failure]))) == [failure]
    assert list(failures_of(({0: "choice"}, []))) == []
    assert returns_failures(assemble_chat)


def test_a_check_id_is_registered_once() -> None:
    def status_code_is(exchange: Any) -> list[Failure]:
        return []

    status_code_is.__module__ = "oaiconform.checks.http"
    with pytest.raises(RuntimeError, match="registered twice"):
        check(status_code_is)
