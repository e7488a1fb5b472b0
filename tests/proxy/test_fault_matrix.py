"""Through the proxy, a faulty server is named by the same checks `oaiconform run` names.

Each case is `run --via-proxy` against the mock with one fault: the suites judge their traffic,
the proxy judges the same traffic on its own, and `proxy.agreement` compares the two check by
check. CI runs one fault per family (streaming, errors, schema, inference) and the correct
mock; OAICONFORM_PROXY_MATRIX=all runs every fault of the four families (minutes).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from oaiconform.mock.faults import errors, inference, schema, streaming
from oaiconform.proxy.agreement import COUNTERPARTS, Agreement, compare
from oaiconform.runner import run
from oaiconform.settings import Settings
from tests.suites import (
    test_faults_core,
    test_faults_inference,
    test_faults_schema,
    test_faults_streaming,
)

FAMILIES = {
    "streaming": (streaming, test_faults_streaming.FEATURES),
    "errors": (errors, test_faults_core.SCOPE),
    "schema": (schema, test_faults_schema.FEATURES),
    "inference": (
        inference,
        test_faults_inference.FEATURES + test_faults_inference.NON_CHAT_FEATURES,
    ),
}
# CI's cases: one fault a family, on the fewest features that show it. (stream-no-done
# needs chat.stream, the heaviest streaming feature, 10-16 s; test_cli.py shows the framing
# failure it causes through the proxy, and the whole matrix runs it.)
LEAN = {
    "stream-usage-missing": ("chat.stream.usage",),
    "flat-errors": ("errors.envelope",),
    "schema-drift": ("schema.listModels", "schema.retrieveModel"),
    "embeddings-index-zero": ("embeddings",),
}


# The checks a suite names with knowledge no single exchange carries: the proxy cannot judge
# them, so agreement is on the rest. Any other check the suites name must be judged by the
# proxy (or matched by its counterpart), so that a check the proxy skips cannot hide.
BEYOND_TRAFFIC = {
    "errors.unauthorized": "that the key sent is unknown to the server",
    "embeddings.same_input_same_vector": "two answers to the same input",
    "moderations.category_flagged": "an input built to be flagged",
    "stream_assembly.stream_matches_completion": "a streamed and a plain answer compared",
    "tools.tool_call_made": "a request built so that a tool call is due",
    # a 5xx to a generated edge value is a crash; in traffic it may be a passing outage, and
    # the judge leaves an error's status to the server (it judges the envelope)
    "property.not_a_server_error": "a request generated to be valid",
}


def _faults(family: str) -> list[str]:
    module = FAMILIES[family][0]
    return sorted(f.name for f in vars(module).get("FAULTS", ()))


def _cases() -> list[tuple[str, str]]:
    if os.environ.get("OAICONFORM_PROXY_MATRIX") == "all":
        return [(family, fault) for family in FAMILIES for fault in _faults(family)]
    lean = [next(f for f in LEAN if f in _faults(family)) for family in FAMILIES]
    return list(zip(FAMILIES, lean, strict=True))


def run_via_proxy(
    spec_path: str, report_dir: Path, faults: tuple[str, ...], features: tuple[str, ...]
) -> tuple[set[str], dict[str, Any]]:
    """A run through the proxy, in-process: the suites' failing checks, the proxy's report."""
    settings = Settings(
        spec=spec_path,
        report_dir=report_dir,
        seed=1234,
        mock_faults=faults,
        features=features,
        timeout_s=10.0,
        via_proxy=True,
    )
    outcome = run(settings, out=io.StringIO(), err=io.StringIO())
    assert outcome.report is not None
    proxy_report = json.loads((report_dir / "proxy" / "report.json").read_text())
    return {p.check for p in outcome.report.problems}, proxy_report


def agreement(run_checks: set[str], proxy_report: dict[str, Any]) -> Agreement:
    problems = [(p["check"], p["tests"]) for p in proxy_report["problems"]]
    return compare(run_checks, problems, set(proxy_report["proxy"]["checks_applied"]))


@pytest.mark.parametrize(("family", "fault"), _cases())
def test_the_proxy_names_the_checks_the_run_names(
    spec_path: str, tmp_path: Path, family: str, fault: str
) -> None:
    features = FAMILIES[family][1] if os.environ.get("OAICONFORM_PROXY_MATRIX") else LEAN[fault]
    run_checks, proxy_report = run_via_proxy(spec_path, tmp_path, (fault,), features)
    found = agreement(run_checks, proxy_report)
    assert found.agrees, (fault, found)
    judged = set(proxy_report["proxy"]["checks_applied"]) | {
        p["check"] for p in proxy_report["problems"]
    }
    unjudged = {
        c
        for c in run_checks - judged
        if not any(frozenset((c, other)) in COUNTERPARTS for other in judged)
    }
    assert unjudged <= set(BEYOND_TRAFFIC), (fault, unjudged)
    if fault in LEAN:  # these break what the traffic shows: both must see it
        assert found.both, (fault, found)


def test_the_correct_mock_through_the_proxy_has_no_problem(spec_path: str, tmp_path: Path) -> None:
    run_checks, proxy_report = run_via_proxy(
        spec_path, tmp_path, (), ("chat.completions", "chat.stream", "errors.envelope")
    )
    assert run_checks == set() and proxy_report["problems"] == []
    applied = set(proxy_report["proxy"]["checks_applied"])
    assert {"streaming.stream_framing", "errors.error_envelope"} <= applied
