"""A sampling server: answers vary from request to request unless the request pins
`temperature: 0` and a `seed`. The suites pin both on every inference request whose check does
not depend on sampling (oaiconform.pinning), so the fault fails no feature and two runs give the
same statuses; the control shows that an unpinned request does get varying answers.
"""

from __future__ import annotations

from typing import Any

from oaiconform.pinning import request_seed
from tests.conftest import RunSuites, StartMock, target_for
from tests.suites.matrix import (
    Matrix,
    Proofs,
    assert_feature_clean,
    assert_proves,
    built_features,
)
from tests.unit.test_streaming_checks import WEATHER

MATRIX: Matrix = {
    # Fails nothing: every inference request of the suites is pinned (see below).
    "sampling": {},
}

PROVES: Proofs = {
    "sampling": set(),  # proves the suites' pinned requests, not a check
}

# The features whose requests are sampled (chat completions and legacy completions, plain and
# streamed, tools, structured output), and Responses, whose temperature is pinned.
FEATURES = (
    "chat.completions",
    "chat.stream",
    "chat.stream.usage",
    "chat.tools",
    "chat.tools.stream",
    "chat.structured_output",
    "completions",
    "completions.stream",
    "responses",
    "responses.stream",
)
PINS = {"temperature": 0, "seed": request_seed(1234)}


def test_two_runs_against_a_sampling_server_give_identical_statuses(
    run_suites: RunSuites,
) -> None:
    """Every inference feature passes under `sampling`, twice, with the same statuses."""
    first = run_suites("sampling", features=FEATURES)
    assert_proves(first, "sampling", PROVES["sampling"])
    assert first.report is not None
    for feature in built_features(first.report):
        assert_feature_clean(first.report, "sampling", feature)
    assert set(built_features(first.report)) == set(FEATURES)
    assert first.exit_code == 0
    second = run_suites("sampling", features=FEATURES)  # the first report is held in memory
    assert second.report is not None
    statuses = {f: r.statuses for f, r in first.report.features.items() if r.tests}
    assert statuses == {f: r.statuses for f, r in second.report.features.items() if r.tests}
    assert [(t.id, t.outcome) for t in first.report.tests] == [
        (t.id, t.outcome) for t in second.report.tests
    ]


def _choices(body: dict[str, Any]) -> list[Any]:
    return [{k: v for k, v in c.items() if k != "index"} for c in body["choices"]]


def test_sampling_varies_unpinned_answers_and_keeps_pinned_ones(start_mock: StartMock) -> None:
    """The control: the same unpinned request gets different text, and tool_choice auto a call
    one time and words the next; pinned, the answers are the mock's deterministic ones."""
    target = target_for(start_mock("sampling"))
    chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi."}]}
    completion = {"model": "gpt-3.5-turbo-instruct", "prompt": "Once upon a time"}
    tools = {**chat, "tools": [WEATHER], "tool_choice": "auto"}

    def answers(path: str, body: dict[str, Any], times: int = 3) -> list[list[Any]]:
        exchanges = [target.post(path, json=body) for _ in range(times)]
        assert [e.status for e in exchanges] == [200] * times, exchanges[0].describe()
        return [_choices(e.json()) for e in exchanges]

    for path, body in (("chat/completions", chat), ("completions", completion)):
        unpinned = answers(path, body)
        assert len({repr(a) for a in unpinned}) == len(unpinned), unpinned  # each differs
        assert len({repr(a) for a in answers(path, {**body, **PINS})}) == 1
        # temperature 0 alone, or a seed alone, is not enough for a sampling server
        assert len({repr(a) for a in answers(path, {**body, "temperature": 0})}) > 1
        assert len({repr(a) for a in answers(path, {**body, "seed": 7})}) > 1
    called = [bool(a[0]["message"].get("tool_calls")) for a in answers("chat/completions", tools)]
    assert set(called) == {True, False}, called
    pinned = answers("chat/completions", {**tools, **PINS})
    assert len({repr(a) for a in pinned}) == 1 and pinned[0][0]["message"]["tool_calls"]


def test_sampling_leaves_a_request_it_cannot_read_to_be_refused(start_mock: StartMock) -> None:
    """A seed that is not an integer is the request's own error: still a 400 under sampling."""
    target = target_for(start_mock("sampling"))
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "seed": "x"}
    assert target.post("chat/completions", json=body).status == 400


def test_a_failed_tests_repro_shows_the_pins(run_suites: RunSuites) -> None:
    """The curl repro is built from the request sent: it carries temperature 0 and the seed."""
    outcome = run_suites("tool-calls-finish-stop", features=("chat.tools",))
    assert outcome.report is not None
    repros = [f.repro for f in outcome.report.features["chat.tools"].failures]
    assert repros
    for repro in repros:
        assert '"temperature": 0' in repro or '"temperature":0' in repro, repro
        assert str(request_seed(1234)) in repro, repro
