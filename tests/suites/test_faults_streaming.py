"""Event streams: each streaming fault fails exactly its features; allowed framings pass.

The runs select the streaming features and their non-streamed neighbours (stream faults only
touch text/event-stream answers, so the other areas cannot change and are left out for time).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oaiconform.mock import faults
from oaiconform.mock.faults import Fault, ResponseParts, StreamRewriter
from oaiconform.runner import RunOutcome
from oaiconform.settings import Settings
from tests.conftest import ObservedOutcome, RunSuites, observed_run
from tests.suites.matrix import (
    Matrix,
    Proofs,
    assert_outcome_matches,
    built_features,
    failure_text,
)

FEATURES = (
    "chat.stream",
    "chat.stream.usage",
    "chat.tools.stream",
    "completions.stream",
    "responses.stream",
    "chat.completions",
    "chat.tools",
    "completions",
    "responses",
)
NO_DONE = "without `data: [DONE]`"
STALLED = "after event #2 (the stream stalled)"
ERROR_FIELD = "is an 'error' field, which is not an SSE field"
UNTERMINATED = "before a blank line closed the last event"

AS_JSON = "a stream: true request was answered with application/json, expected text/event-stream"
AS_STREAM = "expected application/json, got text/event-stream"
KEEP_ALIVE = "is not JSON: 'keep-alive'"

MATRIX: Matrix = {
    "stream-as-json": {
        "chat.stream": AS_JSON,
        "chat.stream.usage": AS_JSON,
        "chat.tools.stream": AS_JSON,
        "completions.stream": AS_JSON,
        "responses.stream": AS_JSON,
    },
    "stream-by-default": {
        "chat.stream": "a request without stream: true was answered with text/event-stream",
        "chat.completions": AS_STREAM,
        "chat.tools": AS_STREAM,
    },
    "stream-keepalive-data": {
        "chat.stream": KEEP_ALIVE,
        "chat.stream.usage": KEEP_ALIVE,
        "chat.tools.stream": KEEP_ALIVE,
        "completions.stream": KEEP_ALIVE,
        "responses.stream": KEEP_ALIVE,
    },
    "stream-no-done": {"chat.stream": NO_DONE, "completions.stream": NO_DONE},
    "stream-no-blank-line": {
        "chat.stream": UNTERMINATED,
        "chat.stream.usage": "but no chunk carries usage",
        "chat.tools.stream": "the stream carried no chunk with a choice",
        "completions.stream": UNTERMINATED,
        "responses.stream": UNTERMINATED,
    },
    "stream-finish-reason-twice": {
        "chat.stream": "choice 0 has a finish_reason in 2 chunks",
        "completions.stream": "choice 0 has a finish_reason in 2 chunks",
    },
    "stream-finish-reason-never": {
        "chat.stream": "choice 0 never got a finish_reason",
        "chat.tools.stream": 'streamed tool calls but finished with None, expected "tool_calls"',
    },
    "stream-role-every-delta": {"chat.stream": "a later delta of choice 0 repeats role"},
    "stream-id-changes": {
        "chat.stream": "but the first chunk's is",
        "completions.stream": "but the first chunk's is",
    },
    "stream-first-choice-only": {
        "chat.stream": "expected choice indexes [0, 1], got [0]",
        "completions.stream": "expected choice indexes [0, 1], got [0]",
    },
    "stream-usage-missing": {"chat.stream.usage": "but no chunk carries usage"},
    "stream-usage-every-chunk": {
        "chat.stream.usage": "carries usage, but the request did not ask for it"
    },
    "stream-usage-key-absent": {"chat.stream.usage": "has no `usage` field"},
    "stream-tool-call-no-index": {"chat.tools.stream": "a tool-call delta has no integer `index`"},
    "stream-event-name-missing": {
        "responses.stream": "has no `event:` line (a reader names it 'message'), but data.type is"
    },
    "stream-sequence-repeats": {"responses.stream": "sequence_number 1 does not increase"},
    "stream-sequence-missing": {"responses.stream": '$: "sequence_number" is a required property'},
    "stream-no-terminal-event": {
        "responses.stream": "expected exactly one terminal event (response.completed"
    },
    "stream-text-delta-dropped": {"responses.stream": "the output_text deltas of item"},
    "stream-data-after-done": {
        "chat.stream": "follows the [DONE] event",
        "completions.stream": "follows the [DONE] event",
    },
    "stream-error-field": {
        "chat.stream": ERROR_FIELD,
        "chat.stream.usage": "but no chunk carries usage",
        "chat.tools.stream": "finished with None",
        "completions.stream": ERROR_FIELD,
        "responses.stream": ERROR_FIELD,
    },
    "stream-error-string": {
        "chat.stream": "reports an error: 'upstream connection lost'",
        "chat.stream.usage": "but no chunk carries usage",
        "chat.tools.stream": "finished with None",
        "completions.stream": 'found "error" as a string instead of an object',
    },
    "stream-stall": {
        "chat.stream": STALLED,
        "chat.stream.usage": STALLED,
        "chat.tools.stream": STALLED,
        "completions.stream": STALLED,
        "responses.stream": STALLED,
    },
}
# chat_chunks and completion_chunks are the features' judges of a chunk sequence; they report
# what choice_sequence and choice_identity find.
PROVES: Proofs = {
    "stream-as-json": {"streaming.event_stream_served"},
    "stream-by-default": {"streaming.json_not_event_stream", "http.json_object_body"},
    "stream-no-done": {"streaming.stream_framing"},
    "stream-no-blank-line": {"streaming.stream_framing"},
    "stream-keepalive-data": {"streaming.data_events"},
    "stream-finish-reason-twice": {
        "streaming.choice_sequence",
        "streaming.chat_chunks",
        "stream_completions.completion_chunks",
    },
    "stream-finish-reason-never": {
        "streaming.choice_sequence",
        "stream_assembly.chat_tool_call_stream",
    },
    "stream-role-every-delta": {"streaming.choice_sequence", "streaming.chat_chunks"},
    "stream-id-changes": {
        "streaming.choice_identity",
        "streaming.chat_chunks",
        "stream_completions.completion_chunks",
    },
    "stream-first-choice-only": {
        "streaming.choice_sequence",
        "streaming.chat_chunks",
        "stream_completions.completion_chunks",
    },
    "stream-usage-missing": {"stream_usage.chat_stream_usage"},
    "stream-usage-every-chunk": {"stream_usage.chat_stream_usage"},
    "stream-usage-key-absent": {"stream_usage.usage_null_absent"},
    "stream-tool-call-no-index": {
        "stream_assembly.assemble_chat",
        "stream_assembly.chat_tool_call_stream",
    },
    "stream-event-name-missing": {"stream_responses.response_event_named"},
    "stream-sequence-repeats": {"stream_responses.response_stream_events"},
    "stream-sequence-missing": {"stream_responses.response_event_schema"},
    "stream-no-terminal-event": {"stream_responses.response_stream_events"},
    "stream-text-delta-dropped": {"stream_responses.response_stream_events"},
    "stream-data-after-done": {"streaming.stream_framing"},
    "stream-error-field": {"streaming.stream_framing"},
    "stream-error-string": {"streaming.mid_stream_errors"},
    "stream-stall": {"streaming.event_stream_served"},
}
# The stall holds each stream for STALL_S (1.5 s) without holding the mock: every stalled stream
# costs the run this idle timeout, which is still far above a healthy event's delay under load.
STALL_TIMEOUT_S = 0.5


def assert_stream_fault(outcome: ObservedOutcome, fault: str, expected: dict[str, str]) -> None:
    """As matrix.assert_fault_fails_its_features; the exit code follows the failed features'
    level, since chat.stream.usage is optional (a usage-only fault exits 0)."""
    assert_outcome_matches(outcome, fault, expected, proves=PROVES[fault])


def run_streaming(
    spec_path: str, report_dir: Path, fault: str, timeout_s: float
) -> ObservedOutcome:
    """As conftest's run_suites, with the streaming features and a chosen request timeout."""
    settings = Settings(
        spec=spec_path,
        report_dir=report_dir,
        seed=1234,
        mock_faults=(fault,),
        features=FEATURES,
        timeout_s=timeout_s,
    )
    return observed_run(settings)


@pytest.mark.parametrize("fault", sorted(MATRIX))
def test_stream_fault_fails_exactly_its_features(
    spec_path: str, tmp_path: Path, fault: str
) -> None:
    timeout_s = STALL_TIMEOUT_S if fault == "stream-stall" else 10.0
    outcome = run_streaming(spec_path, tmp_path / "report", fault, timeout_s)
    assert_stream_fault(outcome, fault, MATRIX[fault])


def test_every_variant_is_reported_when_one_fault_breaks_two(
    spec_path: str, tmp_path: Path
) -> None:
    """Streams that carry choice 0 only break the `n-2` and the `prompts-2` variants of legacy
    completions: both fail in the one run, each as its own test, and the other variants of
    the same test still ran and passed."""
    outcome = run_streaming(spec_path, tmp_path / "report", "stream-first-choice-only", 10.0)
    assert outcome.report is not None
    variants = {
        t.id.partition("[")[2].rstrip("]"): t
        for t in outcome.report.tests
        if t.id.startswith("test_completions_stream.py::test_completions_stream_variant[")
    }
    failed = sorted(name for name, t in variants.items() if t.outcome == "failed")
    assert failed == ["n-2", "prompts-2"]
    assert {t.outcome for name, t in variants.items() if name not in failed} == {"passed"}
    assert len(variants) >= 6
    assert "2 choice(s) asked for (prompts x n)" in variants["prompts-2"].message
    feature = outcome.report.features["completions.stream"]
    assert {f.test for f in feature.failures} >= {variants["n-2"].id, variants["prompts-2"].id}


class _AllowedReframing:
    """Re-frames a correct stream in every way the standard allows: a BOM, `data:` without a
    space, LF / CRLF / CR line endings, comments and keep-alive lines, and chunks that end
    anywhere (mid-line, between CR and LF). Used only here: it is no fault, and not registered."""

    def __init__(self) -> None:
        self._events = 0
        self._pending = b""
        self._carry = b"\xef\xbb\xbf"

    def _reframe(self, event: bytes) -> bytes:
        self._events += 1
        eol = (b"\n", b"\r\n", b"\r")[self._events % 3]
        lines = event.split(b"\n")
        if self._events % 2:
            lines = [line.replace(b"data: ", b"data:", 1) for line in lines]
        keep_alive = [b": keep-alive", b":"] if self._events % 4 == 0 else []
        return eol.join([*keep_alive, *lines, b""]) + eol

    def _chunked(self, out: bytes) -> bytes:
        data = self._carry + out
        hold = min(len(data), self._events % 7 + 1)
        self._carry = data[len(data) - hold :]
        return data[: len(data) - hold]

    def feed(self, chunk: bytes) -> bytes:
        *events, self._pending = (self._pending + chunk).split(b"\n\n")
        return self._chunked(b"".join(self._reframe(e) for e in events))

    def end(self) -> bytes:
        tail = self._reframe(self._pending) if self._pending else b""
        out, self._carry = self._carry + tail, b""
        return out


def _reframing(parts: ResponseParts) -> StreamRewriter:
    return _AllowedReframing()


def test_allowed_framings_pass_every_streaming_feature(
    run_suites: RunSuites, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "test-only-allowed-reframing"
    allowed = Fault(name, "allowed SSE variants", "the WHATWG standard", stream=_reframing)
    monkeypatch.setitem(faults.FAULTS, name, allowed)
    outcome = run_suites(name, features=FEATURES)
    assert outcome.report is not None
    built = built_features(outcome.report)
    assert set(FEATURES) <= set(built)
    failing = {f: failure_text(outcome.report, f) for f in built if f not in _passed(outcome)}
    assert failing == {}
    assert outcome.exit_code == 0


def _passed(outcome: RunOutcome) -> set[str]:
    assert outcome.report is not None
    return {f for f, r in outcome.report.features.items() if r.status == "passed"}


def test_stream_timings_are_in_the_report(spec_path: str, tmp_path: Path) -> None:
    settings = Settings(
        spec=spec_path, report_dir=tmp_path / "report", seed=7, features=("chat.stream",)
    )
    outcome = observed_run(settings)
    assert outcome.report is not None
    streamed = [t for t in outcome.report.tests if t.metrics]
    assert streamed, "no streaming test reported its timings"
    for entry in streamed:
        assert entry.metrics is not None
        assert {"first_event_s_mean", "gap_s_max", "events"} <= set(entry.metrics)
        assert 0 <= entry.metrics["first_event_s_mean"] < settings.timeout_s
