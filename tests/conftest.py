"""Fixtures of the self-tests: the spec, mocks with faults, and whole runs of the suites."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from oaiconform.checks import observe_failing_checks
from oaiconform.mock import MockConfig, MockServer
from oaiconform.report import Report
from oaiconform.runner import RunOutcome, run
from oaiconform.settings import Secret, Settings
from oaiconform.spec import Spec, SpecUnavailableError, load_spec, resolve_spec_source
from oaiconform.target import RequestBudget, Target

TEST_KEY = "sk-oaiconform-selftest-0123456789abcdef"


def target_for(server: MockServer, budget: int | None = None, *, mock: bool = True) -> Target:
    """A Target on a self-test mock with TEST_KEY; `mock=False` treats it as a live API."""
    return Target(
        server.base_url,
        api_key=Secret(TEST_KEY),
        api_key_env="OPENAI_API_KEY",
        timeout_s=10.0,
        max_response_bytes=1 << 20,
        budget=RequestBudget(budget),
        embedded_mock=mock,
    )


@pytest.fixture(scope="session")
def spec() -> Spec:
    try:
        source = resolve_spec_source(None, env_value=os.environ.get("OAICONFORM_SPEC"))
    except SpecUnavailableError as exc:
        pytest.exit(f"the self-tests need the OpenAPI description: {exc}", returncode=2)
    return load_spec(source)


@pytest.fixture(scope="session")
def spec_path(spec: Spec) -> str:
    return spec.source.location


StartMock = Callable[..., MockServer]


@pytest.fixture
def start_mock(spec: Spec) -> Iterator[StartMock]:
    """Start mocks (stopped at teardown): `start_mock("fault-a", api_keys=(...))`."""
    servers: list[MockServer] = []

    def start(*faults: str, api_keys: tuple[str, ...] = (TEST_KEY,)) -> MockServer:
        server = MockServer(MockConfig(api_keys=api_keys, faults=faults), spec).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def correct_mock(spec: Spec) -> Iterator[MockServer]:
    with MockServer(MockConfig(api_keys=(TEST_KEY,)), spec) as server:
        yield server


@dataclass
class ObservedOutcome(RunOutcome):
    """A run of the suites, and the ids of the checks that returned a failure during it: what
    the fault matrices hold against the checks each fault declares it proves."""

    failing_checks: frozenset[str] = frozenset()


def observed_run(settings: Settings) -> ObservedOutcome:
    """Run the suites in-process, as `oaiconform run` does: they execute in this thread, so
    the observation sees every check they call."""
    with observe_failing_checks() as failing:
        outcome = run(settings, out=io.StringIO(), err=io.StringIO())
    values = {f.name: getattr(outcome, f.name) for f in fields(outcome)}
    return ObservedOutcome(**values, failing_checks=frozenset(failing))


RunSuites = Callable[..., ObservedOutcome]


def run_against(
    server: MockServer,
    spec_path: str,
    report_dir: Path,
    features: tuple[str, ...],
    *,
    seed: int,
    out: io.StringIO | None = None,
) -> Report:
    """A whole run against a self-test mock as a remote target (its state stays readable),
    with `paid_objects` as on the embedded mock (the full profile): batches cost nothing here."""
    settings = Settings(
        target_url=server.base_url,
        api_key=Secret(TEST_KEY),
        spec=spec_path,
        report_dir=report_dir,
        seed=seed,
        profile="full",
        features=features,
        timeout_s=30.0,
    )
    outcome = run(settings, out=out or io.StringIO(), err=io.StringIO())
    assert outcome.report is not None
    return outcome.report


@pytest.fixture
def run_suites(spec_path: str, tmp_path: Path) -> RunSuites:
    """Run the suites in-process (as `oaiconform run` does) and return the outcome."""

    def run_suites(
        *faults: str, features: tuple[str, ...] = (), **overrides: object
    ) -> ObservedOutcome:
        settings = Settings(
            spec=spec_path,
            report_dir=tmp_path / "report",
            seed=1234,
            mock_faults=faults,
            features=features,
            timeout_s=10.0,
            **{"verdict": "strict", **overrides},  # type: ignore[arg-type]
        )
        return observed_run(settings)

    return run_suites
