"""Streaming checks on hand-built streams: allowed framings pass, each defect is named."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oaiconform.checks import is_soft
from oaiconform.checks._failure import Failure
from oaiconform.checks.stream_assembly import chat_tool_call_stream, stream_matches_completion
from oaiconform.checks.stream_completions import completion_chunks
from oaiconform.checks.stream_responses import response_stream_events, response_stream_grammar
from oaiconform.checks.stream_usage import chat_stream_usage
from oaiconform.checks.streaming import (
    chat_chunks,
    event_stream_served,
    json_not_event_stream,
    stream_framing,
)
from oaiconform.exchange import (
    Exchange,
    RecordedRequest,
    StreamEvent,
    StreamExchange,
    stream_metrics,
)
from oaiconform.mock import MockServer
from oaiconform.settings import Secret
from oaiconform.spec import Spec
from oaiconform.sse import SSEParser
from oaiconform.target import RequestBudget, Target
from tests.conftest import TEST_KEY

NOW = int(time.time())
URL = "http://127.0.0.1:1/v1/chat/completions"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def stream_of(
    chunks: list[bytes],
    body: dict[str, Any] | None = None,
    *,
    content_type: str = "text/event-stream",
    status: int = 200,
    url: str = URL,
) -> StreamExchange:
    """What Target.stream records, built from the given network chunks."""
    parser = SSEParser()
    events: list[StreamEvent] = []
    for number, chunk in enumerate(chunks):
        events += [StreamEvent(e.data, e.event, 0.01 * number) for e in parser.feed(chunk)]
    events += [StreamEvent(e.data, e.event, 0.01 * len(chunks)) for e in parser.close()]
    request = RecordedRequest("POST", url, (), json.dumps(body or {"stream": True}).encode())
    head = Exchange(request, status, (("content-type", content_type),), b"".join(chunks))
    defects = tuple((d.kind, d.message) for d in parser.defects)
    return StreamExchange(head, tuple(events), defects, parser.done, parser.comments, 0.0)


def chat_payloads(
    texts: dict[int, list[str]] | None = None,
    *,
    finish: str = "stop",
    include_usage: bool = False,
) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": NOW, "model": "m"}
    extra = {"usage": None} if include_usage else {}
    out = []
    for index, tokens in (texts or {0: ["Hello", " world"]}).items():
        deltas = [{"role": "assistant", "content": ""}, *({"content": t} for t in tokens), {}]
        for k, delta in enumerate(deltas):
            reason = finish if k == len(deltas) - 1 else None
            choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": reason}
            out.append({**base, "choices": [choice], **extra})
    if include_usage:
        usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
        out.append({**base, "choices": [], "usage": usage})
    return out


def frame(payloads: list[Any], eol: bytes = b"\n", space: bytes = b" ", done: bool = True) -> bytes:
    lines = [b"data:" + space + json.dumps(p).encode() + eol + eol for p in payloads]
    return b"".join(lines) + (b"data:" + space + b"[DONE]" + eol + eol if done else b"")


def text(failures: list[Failure]) -> str:
    return " | ".join(f.message for f in failures)


def chat_failures(spec: Spec, stream: StreamExchange) -> list[Failure]:
    return [
        *event_stream_served(stream),
        *stream_framing(stream),
        *chat_chunks(spec, stream),
        *chat_stream_usage(stream),
    ]


# --- every allowed variant passes ------------------------------------------------------------

ALLOWED: dict[str, Callable[[list[Any]], bytes]] = {
    "standard": lambda p: frame(p),
    "no space after data:": lambda p: frame(p, space=b""),
    "CRLF": lambda p: frame(p, eol=b"\r\n"),
    "CR": lambda p: frame(p, eol=b"\r"),
    "comments and keep-alives": lambda p: (
        b": connected\n\n" + frame(p).replace(b"\n\n", b"\n: keep-alive\n\n:\n\n")
    ),
    "BOM": lambda p: b"\xef\xbb\xbf" + frame(p),
}


@pytest.mark.parametrize("variant", sorted(ALLOWED))
@pytest.mark.parametrize("include_usage", [False, True])
def test_a_conforming_chat_stream_passes_in_every_allowed_framing(
    spec: Spec, variant: str, include_usage: bool
) -> None:
    body = {"stream": True, "n": 2, "stream_options": {"include_usage": include_usage}}
    payloads = chat_payloads({0: ["a", "b"], 1: ["c"]}, include_usage=include_usage)
    stream = stream_of([ALLOWED[variant](payloads)], body)
    assert chat_failures(spec, stream) == []


@settings(max_examples=40, database=None, deadline=None)
@given(cuts=st.lists(st.integers(0, 2000), max_size=12), variant=st.sampled_from(sorted(ALLOWED)))
def test_chunk_boundaries_anywhere_change_nothing(
    spec: Spec, cuts: list[int], variant: str
) -> None:
    raw = ALLOWED[variant](chat_payloads())
    points = sorted({c % (len(raw) + 1) for c in cuts})
    chunks = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    stream = stream_of(chunks)
    assert chat_failures(spec, stream) == []
    assert "".join(e.data for e in stream.events) == "".join(
        e.data for e in stream_of([raw]).events
    )


# --- transport and framing ---------------------------------------------------------------------


def test_served_as_json_or_as_an_error_or_cut_short() -> None:
    as_json = stream_of([b'{"id": "x"}'], content_type="application/json")
    assert "answered with application/json, expected text/event-stream" in text(
        event_stream_served(as_json)
    )
    refused = stream_of([b'{"error": {}}'], content_type="application/json", status=400)
    assert "expected status 200, got 400" in text(event_stream_served(refused))
    cut = StreamExchange(stream_of([frame(chat_payloads())]).head, interrupted="no data for 5 s")
    assert "no data for 5 s" in text(event_stream_served(cut))


def test_json_not_event_stream() -> None:
    plain = stream_of([b"data: {}\n\n"]).head
    assert "answered with text/event-stream" in text(json_not_event_stream(plain))
    ok = Exchange(plain.request, 200, (("content-type", "application/json"),), b"{}")
    assert json_not_event_stream(ok) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (frame(chat_payloads(), done=False), "without `data: [DONE]`"),
        (frame(chat_payloads()) + b"data: {}\n\n", "follows the [DONE] event"),
        (frame(chat_payloads())[:-1], "ended after line"),
        (b"data: {}\nerror: boom\n\n" + frame(chat_payloads()), "is an 'error' field"),
    ],
)
def test_framing_defects_are_failures(raw: bytes, expected: str) -> None:
    assert expected in text(stream_framing(stream_of([raw])))


# --- chat chunks ---------------------------------------------------------------------------------


def _edit(payloads: list[dict[str, Any]], k: int, **fields: Any) -> list[dict[str, Any]]:
    return [{**p, **fields} if i == k else p for i, p in enumerate(payloads)]


def _choice(payloads: list[dict[str, Any]], k: int, **fields: Any) -> list[dict[str, Any]]:
    choice = {**payloads[k]["choices"][0], **fields}
    return _edit(payloads, k, choices=[choice])


BASE = chat_payloads()


@pytest.mark.parametrize(
    ("payloads", "expected"),
    [
        (_edit(BASE, 1, object="chat.completion"), '`object` must be "chat.completion.chunk"'),
        (_edit(BASE, 2, id="chatcmpl-2"), "`id` is 'chatcmpl-2', but the first chunk's"),
        (_edit(BASE, 0, created=NOW * 1000), "cannot be Unix seconds (milliseconds?)"),
        (_edit(BASE, 1, created=str(NOW)), "`created` must be integer Unix seconds"),
        (_choice(BASE, 0, delta={"content": ""}), "first delta of choice 0 must have role"),
        (_choice(BASE, 1, delta={"role": "assistant", "content": "x"}), "repeats role"),
        (_choice(BASE, 1, finish_reason="stop"), "continues after its finish_reason"),
        ([*BASE, BASE[-1]], "has a finish_reason in 2 chunks"),
        (_choice(BASE, 3, finish_reason=None), "never got a finish_reason"),
        (_choice(BASE, 3, finish_reason="done"), "'done' of choice 0 is not one of stop"),
        (_edit(BASE, 1, choices="none"), "event #2 $.choices"),
    ],
)
def test_chat_chunk_defects_are_named(
    spec: Spec, payloads: list[dict[str, Any]], expected: str
) -> None:
    assert expected in text(chat_chunks(spec, stream_of([frame(payloads)])))


def test_every_choice_of_n_must_stream(spec: Spec) -> None:
    stream = stream_of([frame(chat_payloads({0: ["a"]}))], {"stream": True, "n": 2})
    expected = "2 choice(s) asked for (prompts x n): expected choice indexes [0, 1], got [0]"
    assert expected in text(chat_chunks(spec, stream))


def test_non_json_events_are_named(spec: Spec) -> None:
    stream = stream_of([b"data: {not json\n\n" + frame(BASE)])
    assert "event #1 is not JSON: '{not json'" in text(chat_chunks(spec, stream))


def test_a_repeated_defect_is_counted_not_repeated(spec: Spec) -> None:
    payloads = [{**p, "id": f"other-{k}"} for k, p in enumerate(chat_payloads({0: list("abcdef")}))]
    failures = chat_chunks(spec, stream_of([frame(payloads)]))
    assert sum("`id` is" in f.message for f in failures) == 3
    assert "... and 4 more like these" in text(failures)


# --- mid-stream errors -------------------------------------------------------------------------

ENVELOPE = {"error": {"message": "overloaded", "type": "server_error", "param": None, "code": None}}


def test_a_mid_stream_error_event_is_reported_with_its_message(spec: Spec) -> None:
    raw = frame([*BASE[:2], ENVELOPE], done=False)
    failures = text(chat_chunks(spec, stream_of([raw])))
    assert "event #3 reports an error: 'overloaded'" in failures
    assert "followed by more events" not in failures
    assert "error_envelope" not in failures


def test_a_mid_stream_error_must_have_the_envelope_and_end_the_stream(spec: Spec) -> None:
    raw = frame([*BASE[:2], {"error": "overloaded"}, *BASE[2:]])
    failures = text(chat_chunks(spec, stream_of([raw])))
    assert 'event #3: POST http://127.0.0.1:1/v1/chat/completions -> 200: expected {"error"' in (
        failures
    )
    assert "the error in event #3 is followed by more events" in failures


# --- usage ---------------------------------------------------------------------------------------

USAGE_ON = {"stream": True, "stream_options": {"include_usage": True}}


def test_usage_defects_are_named() -> None:
    def usage(payloads: list[Any], body: dict[str, Any] = USAGE_ON) -> str:
        return text(chat_stream_usage(stream_of([frame(payloads)], body)))

    with_usage = chat_payloads(include_usage=True)
    assert usage(with_usage) == ""
    assert "did not ask for it" in usage(with_usage, {"stream": True})
    assert "no chunk carries usage" in usage(with_usage[:-1])
    assert "only one chunk may" in usage(
        [{**p, "usage": with_usage[-1]["usage"]} for p in with_usage]
    )
    no_key = [{k: v for k, v in p.items() if k != "usage"} for p in with_usage[:-1]]
    assert "has no `usage` field" in usage([*no_key, with_usage[-1]])
    absent = chat_stream_usage(stream_of([frame([*no_key, with_usage[-1]])], USAGE_ON))
    assert {f.check_id for f in absent} == {"stream_usage.usage_null_absent"}
    assert all(is_soft(f) for f in absent)  # absent says what null says: spec-literal
    wrong = {
        **with_usage[-1],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 2},
    }
    assert "`event #5 usage.total_tokens` is 2" in usage([*with_usage[:-1], wrong])
    assert "must have choices []" in usage([*with_usage[:-1], {**wrong, "choices": [{}]}])
    # The API may send a chunk after the usage chunk: legal, the usage chunk is still found.
    trailing = {**with_usage[-2], "choices": [], "usage": None}
    assert usage([*with_usage, trailing]) == ""
    assert "must have choices []" in usage([*with_usage[:-1], {**wrong, "choices": [{}]}, trailing])


# --- tool calls and equivalence ---------------------------------------------------------------


def tool_stream(
    deltas: list[dict[str, Any]], finish: str = "tool_calls", choice: Any = "required"
) -> StreamExchange:
    base = {"id": "c", "object": "chat.completion.chunk", "created": NOW, "model": "m"}
    payloads = [
        {**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas
    ]
    payloads.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    body = {"stream": True, "tools": [WEATHER], "tool_choice": choice}
    return stream_of([frame(payloads)], body)


OPEN = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather"}}


def args(fragment: str, **fields: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": 0, "function": {"arguments": fragment}, **fields}]}


def test_tool_call_deltas_that_assemble_pass() -> None:
    deltas = [{"role": "assistant", "tool_calls": [OPEN]}, args('{"city"'), args(': "Paris"}')]
    assert chat_tool_call_stream(tool_stream(deltas)) == []


@pytest.mark.parametrize(
    ("deltas", "finish", "expected"),
    [
        (
            [{"tool_calls": [{"function": {"name": "get_weather"}}]}],
            "tool_calls",
            "no integer `index`",
        ),
        (
            [
                {
                    "tool_calls": [
                        {"index": 0, "function": {"name": "get_weather", "arguments": "{}"}}
                    ]
                }
            ],
            "tool_calls",
            "must carry `id`",
        ),
        ([{"tool_calls": [OPEN]}, args('{"city": ')], "tool_calls", "are not JSON"),
        ([{"tool_calls": [OPEN]}, args('{"city": 3}')], "tool_calls", "arguments 3 is not of type"),
        ([{"tool_calls": [OPEN]}, args('{"city": "P"}')], "stop", 'expected "tool_calls"'),
        ([{"content": "no"}], "stop", "streamed no tool call"),
    ],
)
def test_tool_call_defects_are_named(
    deltas: list[dict[str, Any]], finish: str, expected: str
) -> None:
    assert expected in text(chat_tool_call_stream(tool_stream(deltas, finish)))


def test_a_call_cut_by_max_tokens_is_not_judged_on_its_arguments() -> None:
    stream = tool_stream([{"tool_calls": [OPEN]}, args('{"city": ')], finish="length")
    assert chat_tool_call_stream(stream) == []


def test_stream_equivalence() -> None:
    stream = stream_of([frame(chat_payloads({0: ["Hello", " world"]}))])
    message = {"role": "assistant", "content": "Hello world"}
    plain = {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    same = Exchange(
        stream.head.request,
        200,
        (("content-type", "application/json"),),
        json.dumps(plain).encode(),
    )
    assert stream_matches_completion(stream, same) == []
    plain["choices"][0]["message"] = {**message, "content": "Hello there"}
    other = Exchange(
        stream.head.request,
        200,
        (("content-type", "application/json"),),
        json.dumps(plain).encode(),
    )
    assert "streamed content 'Hello world' differs from the non-streamed 'Hello there'" in text(
        stream_matches_completion(stream, other)
    )


# --- legacy completions --------------------------------------------------------------------------


def completion_payloads(finish_twice: bool = False) -> list[dict[str, Any]]:
    base = {"id": "cmpl-1", "object": "text_completion", "created": NOW, "model": "m"}
    texts = [("Hello", None), (" there", None), ("", "length")]
    if finish_twice:
        texts.append(("", "length"))
    return [
        {**base, "choices": [{"text": t, "index": 0, "logprobs": None, "finish_reason": f}]}
        for t, f in texts
    ]


def test_completion_chunks(spec: Spec) -> None:
    url = "http://127.0.0.1:1/v1/completions"
    ok = stream_of([frame(completion_payloads())], url=url)
    assert completion_chunks(spec, ok) == []
    twice = stream_of([frame(completion_payloads(finish_twice=True))], url=url)
    assert "has a finish_reason in 2 chunks" in text(completion_chunks(spec, twice))
    wrong = stream_of(
        [frame([{**p, "object": "chat.completion.chunk"} for p in completion_payloads()])]
    )
    assert '`object` must be "text_completion"' in text(completion_chunks(spec, wrong))
    # A chunk without the finish_reason key says what null says (LiteLLM sends such chunks).
    bare = [
        {**p, "choices": [{k: v for k, v in c.items() if k != "finish_reason"}]}
        for p in completion_payloads()[:-1]
        for c in p["choices"]
    ]
    failures = completion_chunks(
        spec, stream_of([frame([*bare, completion_payloads()[-1]])], url=url)
    )
    assert failures and all(
        f.check_id == "schema.stream_required_nullable_absent" for f in failures
    ), failures


def test_stream_metrics() -> None:
    stream = stream_of([b"data: {}\n\n", b"data: {}\n\n", b"data: [DONE]\n\n"])
    metrics = stream_metrics([stream])
    assert metrics["first_event_s_mean"] == 0.0
    assert metrics["gap_s_max"] == pytest.approx(0.01)
    assert metrics["events"] == 3.0
    assert stream_metrics([]) == {}


# --- Responses streams (a correct stream from the mock, then edited by hand) ---------------------


@pytest.fixture(scope="module")
def response_events(correct_mock: MockServer) -> list[dict[str, Any]]:
    target = Target(
        correct_mock.base_url,
        api_key=Secret(TEST_KEY),
        api_key_env="OPENAI_API_KEY",
        timeout_s=10.0,
        max_response_bytes=1 << 20,
        budget=RequestBudget(None),
    )
    body = {"model": "gpt-4o-mini", "input": "hi", "stream": True, "store": False}
    stream = target.stream("POST", "responses", json=body)
    target.close()
    return [json.loads(e.data) for e in stream.events]


def responses_stream(
    events: list[dict[str, Any]], names: list[str] | None = None, *, query: str = ""
) -> StreamExchange:
    raw = b"".join(
        f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
        for name, data in zip(names or [e["type"] for e in events], events, strict=True)
    )
    return stream_of([raw], url=f"http://127.0.0.1:1/v1/responses{query}")


def test_a_conforming_responses_stream_passes(spec: Spec, response_events: list[Any]) -> None:
    stream = responses_stream(response_events)
    assert response_stream_events(spec, stream) == []
    assert stream_framing(stream, done_required=False) == []


def _renumber(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "sequence_number": k} for k, e in enumerate(events)]


def test_responses_stream_defects_are_named(spec: Spec, response_events: list[Any]) -> None:
    def failures(events: list[dict[str, Any]], names: list[str] | None = None) -> str:
        return text(response_stream_events(spec, responses_stream(events, names)))

    events = response_events
    names = [e["type"] for e in events]
    unnamed = "event #1 has no `event:` line (a reader names it 'message'), but data.type is "
    assert unnamed + "'response.created'" in failures(events, ["message", *names[1:]])
    misnamed = response_stream_events(spec, responses_stream(events, ["created", *names[1:]]))
    assert "event #1 is named 'created' by its `event:` line" in text(misnamed)
    # A name that differs from the type is the description's letter, not a broken client: the
    # SDKs dispatch by data.type (mock-ai-api 0.1.1 streams without `event:` lines).
    assert {(f.check_id, f.where) for f in misnamed} == {
        ("stream_responses.response_event_named", "events[1].event")
    }
    assert "sequence_number 0 does not increase" in failures(
        [{**e, "sequence_number": 0} for e in events]
    )
    assert "the first event is 'response.in_progress', expected response.created" in failures(
        _renumber(events[1:])
    )
    assert "got none (last event: 'response.output_item.done')" in failures(events[:-1])
    assert "got ['response.completed', 'response.completed']" in failures(
        _renumber([*events, events[-1]])
    )
    unknown = {**events[2], "type": "response.output_text.added"}
    assert "type 'response.output_text.added' is not a documented" in failures(
        [*events[:2], unknown, *events[3:]], [*names[:2], unknown["type"], *names[3:]]
    )
    missing = {k: v for k, v in events[0].items() if k != "response"}
    assert '(response.created) $: "response" is a required property' in failures(
        [missing, *events[1:]]
    )
    shape = response_stream_events(spec, responses_stream([missing, *events[1:]]))
    assert {f.check_id for f in shape} == {"stream_responses.response_event_schema"}
    deltas = [k for k, e in enumerate(events) if e["type"] == "response.output_text.delta"]
    dropped = [e for k, e in enumerate(events) if k != deltas[0]]
    assert "deltas of item" in failures(_renumber(dropped))
    error = {"type": "error", "code": "server_error", "message": "boom", "param": None}
    assert "is an error event: 'boom'" in failures(_renumber([*events[:3], error]))


def test_an_absent_member_that_cannot_be_null_stays_hard_among_many_violations(
    spec: Spec, response_events: list[Any]
) -> None:
    """aimock's response.created: no sequence_number (an integer: null would not do) and five
    required members of the response missing. Adding null for sequence_number causes a
    violation beyond the first five a report shows; it is still seen, so the absence is a
    broken shape, not spec-literal."""
    created = {k: v for k, v in response_events[0].items() if k != "sequence_number"}
    gone = ("error", "incomplete_details", "instructions", "tools", "parallel_tool_calls")
    created["response"] = {k: v for k, v in created["response"].items() if k not in gone}
    failures = response_stream_events(spec, responses_stream([created, *response_events[1:]]))
    at = {f.where: f.check_id for f in failures if f.where.startswith("events[1]")}
    assert at["events[1].sequence_number"] == "stream_responses.response_event_schema", at
    assert at["events[1].response.error"] == "schema.stream_required_nullable_absent", at


def test_a_resumed_responses_stream_begins_after_starting_after(
    spec: Spec, response_events: list[Any]
) -> None:
    """GET /responses/{id}?stream=true&starting_after=N sends the events after N: it does not
    begin with response.created, but it must not repeat an event the client has seen."""
    events = response_events[3:]
    after = events[0]["sequence_number"] - 1

    def failures(query: str) -> str:
        return text(response_stream_events(spec, responses_stream(events, query=query)))

    assert failures(f"/resp_1?stream=true&starting_after={after}") == ""
    assert "but its first event has sequence_number" in failures(
        f"/resp_1?stream=true&starting_after={after + 1}"
    )
    assert "expected response.created" in failures("/resp_1?stream=true")
    past_the_end = responses_stream([], query="/resp_1?stream=true&starting_after=99")
    assert response_stream_events(spec, past_the_end) == []


def test_a_recorded_stream_is_judged_as_of_when_it_came(spec: Spec) -> None:
    then = NOW - 2 * 365 * 24 * 3600
    old = [{**payload, "created": then} for payload in chat_payloads()]
    recorded = stream_of([frame(old)])
    as_recorded = replace(recorded, head=replace(recorded.head, received_at=then + 3))
    assert chat_chunks(spec, as_recorded) == []
    judged_today = replace(recorded, head=replace(recorded.head, received_at=float(NOW)))
    assert "more than a day from when the answer came" in text(chat_chunks(spec, judged_today))


def test_the_responses_grammar_names_the_event_and_the_rule(response_events: list[Any]) -> None:
    """The rules no mock fault isolates: a gap in the numbers, a `.done` nothing opened; a
    correct stream passes, and a resumed one (it starts mid-grammar) is not judged."""
    assert response_stream_grammar(responses_stream(response_events)) == []
    gap = [e for e in response_events if e["type"] != "response.output_text.delta"][:3]
    gap += [{**e, "sequence_number": e["sequence_number"] + 2} for e in response_events[3:4]]
    assert "rule sequence_by_one: sequence_number jumps from" in text(
        response_stream_grammar(responses_stream(gap))
    )
    stray = {**next(e for e in response_events if e["type"] == "response.content_part.done")}
    stray["content_index"] = 5
    found = text(response_stream_grammar(responses_stream(_renumber([*response_events, stray]))))
    assert f"event #{len(response_events) + 1}: rule closed: response.content_part.done" in found
    resumed = responses_stream(response_events[3:], query="?stream=true&starting_after=2")
    assert response_stream_grammar(resumed) == []
