"""Chat completions, streamed: `POST /chat/completions` with `stream: true`.

Generated variants (n, max_tokens, stop, temperature, logprobs, include_usage) stay few and
small: a handful against a paid API, a dozen against a server on this machine. Hypothesis
takes its seed from the run (`--hypothesis-seed`), keeps no database, and shrinks a failing
variant to the smallest request that still fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from oaiconform.checks import expect
from oaiconform.checks.errors import error_envelope
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.stream_assembly import (
    assemble_chat,
    chat_tool_call_stream,
    stream_matches_completion,
)
from oaiconform.checks.stream_usage import chat_stream_usage
from oaiconform.checks.streaming import (
    chat_chunks,
    data_events,
    event_stream_served,
    json_not_event_stream,
    stream_framing,
)
from oaiconform.exchange import StreamExchange
from oaiconform.generation import PHASES
from oaiconform.pinning import pinned
from oaiconform.plugin import require_route
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from oaiconform.target import Target

# Independent tests: the first request of each is sent ahead, together (oaiconform.ahead).
pytestmark = pytest.mark.independent

MAX_TOKENS = 12  # small on purpose: runs against paid APIs stay cheap


def conversation(settings: Settings, **extra: Any) -> dict[str, Any]:
    """A streamed conversation, pinned; generated `temperature`/`seed` variants are kept."""
    body = {
        "model": settings.model,
        "max_tokens": MAX_TOKENS,
        "messages": [
            {"role": "system", "content": "You are a terse assistant."},
            {"role": "user", "content": "Count from one to five in words."},
        ],
        "stream": True,
        **extra,
    }
    return pinned(settings, body)


def generated(target: Target) -> hypothesis_settings:
    """Hypothesis settings for one generated test: small, seeded by the run, no database."""
    return hypothesis_settings(
        max_examples=target.example_budget,
        database=None,
        derandomize=False,  # the run's --hypothesis-seed fixes the examples
        deadline=None,
        report_multiple_bugs=False,
        phases=PHASES,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


VARIANTS = st.fixed_dictionaries(
    {},
    optional={
        "n": st.integers(1, 3),
        "max_tokens": st.integers(1, MAX_TOKENS),
        "stop": st.sampled_from(["\n", ".", ["five", "4"]]),
        "temperature": st.sampled_from([0, 0.7, 1.5]),
        "logprobs": st.booleans(),
        "seed": st.integers(0, 1000),
    },
)

# One parameter each, every one its own test: one ignored parameter never hides another. The
# generated tests below draw combinations of the same parameters (interactions).
NAMED_VARIANTS: dict[str, dict[str, Any]] = {
    "n-2": {"n": 2},
    "max_tokens-1": {"max_tokens": 1},
    "stop-string": {"stop": "\n"},
    "stop-list": {"stop": ["five", "4"]},
    "temperature-1.5": {"temperature": 1.5},
    "logprobs": {"logprobs": True},
    "seed-7": {"seed": 7},
}
USAGE_VARIANTS: dict[str, dict[str, Any]] = {
    "include_usage-n-2": {"stream_options": {"include_usage": True}, "n": 2},
    "include_usage-max_tokens-1": {"stream_options": {"include_usage": True}, "max_tokens": 1},
    "include_usage-false": {"stream_options": {"include_usage": False}},
}


WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}
TIME_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "The current local time in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TOOL_MAX_TOKENS = 64  # arguments must fit, or the call is cut (finish_reason "length")
TOOL_VARIANTS = st.fixed_dictionaries(
    {
        "tool_choice": st.sampled_from(
            ["required", "auto", {"type": "function", "function": {"name": "get_weather"}}]
        )
    },
    optional={"n": st.integers(1, 2), "parallel_tool_calls": st.booleans()},
)

TOOL_NAMED_VARIANTS: dict[str, dict[str, Any]] = {
    "tool_choice-auto": {"tool_choice": "auto"},
    "tool_choice-function": {
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}}
    },
    "n-2": {"tool_choice": "required", "n": 2},
    "parallel_tool_calls-false": {"tool_choice": "required", "parallel_tool_calls": False},
    "parallel_tool_calls-true": {"tool_choice": "required", "parallel_tool_calls": True},
}


def tool_conversation(settings: Settings, **extra: Any) -> dict[str, Any]:
    body = conversation(settings, max_tokens=TOOL_MAX_TOKENS, tools=[WEATHER_TOOL, TIME_TOOL])
    body["messages"] = [
        {"role": "user", "content": "What are the weather and the time in Paris? Use the tools."}
    ]
    return pinned(settings, {**body, **extra})


def send(target: Target, body: dict[str, Any]) -> StreamExchange:
    return target.stream("POST", "chat/completions", json=body)


def chunks_hold(target: Target, spec: Spec, body: dict[str, Any]) -> None:
    """The request streams, on a route the target has, as well-formed chat chunks."""
    stream = send(target, body)
    require_route(stream.head)
    expect(event_stream_served(stream))
    expect(stream_framing(stream), chat_chunks(spec, stream))


@pytest.mark.feature("chat.stream")
def test_chat_stream_sends_chunks_and_ends_with_done(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """stream: true gets text/event-stream chunks of the spec's schema, then `data: [DONE]`."""
    chunks_hold(target, spec, conversation(settings))


@pytest.mark.feature("chat.stream")
@pytest.mark.parametrize("variant", NAMED_VARIANTS.values(), ids=NAMED_VARIANTS.keys())
def test_chat_stream_variant(
    target: Target, spec: Spec, settings: Settings, variant: dict[str, Any]
) -> None:
    """One parameter set: the stream is well-formed for it (n choices, one role, one finish)."""
    chunks_hold(target, spec, conversation(settings, **variant))


@pytest.mark.feature("chat.stream")
def test_chat_stream_request_variants(target: Target, spec: Spec, settings: Settings) -> None:
    """Generated combinations of the variants stream well-formed chunks (stops at the first
    failing combination, shrunk; each parameter alone is `test_chat_stream_variant`)."""
    first = send(target, conversation(settings, max_tokens=1))
    require_route(first.head)
    expect(event_stream_served(first))  # a broken transport fails here, before generation

    @generated(target)
    @given(VARIANTS)
    @target.speculative
    def variant(extra: dict[str, Any]) -> None:
        stream = send(target, conversation(settings, **extra))
        expect(event_stream_served(stream))
        expect(stream_framing(stream), chat_chunks(spec, stream))

    target.speculatively(variant)


@pytest.mark.feature("chat.stream")
def test_chat_without_stream_is_not_an_event_stream(target: Target, settings: Settings) -> None:
    """Without stream: true the answer is one JSON object, not an event stream."""
    body = conversation(settings, max_tokens=1)
    del body["stream"]
    exchange = require_route(target.post("chat/completions", json=body))
    expect(status_code_is(exchange, 200), json_not_event_stream(exchange))
    expect(json_object_body(exchange))


@pytest.mark.feature("chat.stream")
def test_chat_stream_error_before_the_stream_is_an_http_error(
    target: Target, settings: Settings
) -> None:
    """An invalid streamed request gets an ordinary 400 with the error envelope, not a stream."""
    stream = send(target, conversation(settings, messages="not a list of messages"))
    head = require_route(stream.head)
    expect(status_code_is(head, 400), error_envelope(head))


@pytest.mark.feature("chat.stream")
@pytest.mark.requires("deterministic")
def test_chat_stream_matches_the_non_streamed_answer(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """Same request and seed: the joined deltas equal the non-streamed content and finish."""
    body = conversation(settings, n=2, seed=7, temperature=0)
    stream = send(target, body)
    require_route(stream.head)
    expect(event_stream_served(stream))
    plain = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    exchange = target.post("chat/completions", json=plain)
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    expect(stream_matches_completion(stream, exchange))


@pytest.mark.feature("chat.stream.usage")
def test_chat_stream_usage_comes_in_one_final_chunk(target: Target, settings: Settings) -> None:
    """include_usage: `usage: null` on every chunk, then one chunk with choices [] and usage."""
    options = {"stream_options": {"include_usage": True}}
    stream = send(target, conversation(settings, **options))
    require_route(stream.head)
    expect(event_stream_served(stream))
    expect(chat_stream_usage(stream))


@pytest.mark.feature("chat.stream.usage")
def test_chat_stream_without_include_usage_has_no_usage(target: Target, settings: Settings) -> None:
    """Without stream_options.include_usage no chunk carries usage."""
    stream = send(target, conversation(settings))
    require_route(stream.head)
    expect(event_stream_served(stream))
    expect(chat_stream_usage(stream))


@pytest.mark.feature("chat.stream.usage")
@pytest.mark.parametrize("variant", USAGE_VARIANTS.values(), ids=USAGE_VARIANTS.keys())
def test_chat_stream_usage_variant(
    target: Target, settings: Settings, variant: dict[str, Any]
) -> None:
    """One include_usage variant: usage exactly where asked for."""
    stream = send(target, conversation(settings, **variant))
    require_route(stream.head)
    expect(event_stream_served(stream))
    expect(chat_stream_usage(stream))


@pytest.mark.feature("chat.stream.usage")
def test_chat_stream_usage_variants(target: Target, settings: Settings) -> None:
    """Generated combinations with and without include_usage: usage exactly where asked for."""
    first = send(target, conversation(settings, max_tokens=1))
    require_route(first.head)
    expect(event_stream_served(first))
    usage_variants = st.tuples(st.booleans(), st.integers(1, 3), st.integers(1, MAX_TOKENS)).map(
        lambda v: {
            "stream_options": {"include_usage": v[0]},
            "n": v[1],
            "max_tokens": v[2],
        }
    )

    @generated(target)
    @given(usage_variants)
    @target.speculative
    def variant(extra: dict[str, Any]) -> None:
        stream = send(target, conversation(settings, **extra))
        expect(event_stream_served(stream))
        expect(chat_stream_usage(stream))

    target.speculatively(variant)


@pytest.mark.feature("chat.tools.stream")
def test_chat_tools_stream_tool_calls_as_indexed_deltas(target: Target, settings: Settings) -> None:
    """Required tools: each call opens with index, id, type and name; arguments join to JSON."""
    stream = send(target, tool_conversation(settings, tool_choice="required"))
    require_route(stream.head)
    expect(event_stream_served(stream))
    expect(data_events(stream).failures, chat_tool_call_stream(stream))


@pytest.mark.feature("chat.tools.stream")
@pytest.mark.parametrize("variant", TOOL_NAMED_VARIANTS.values(), ids=TOOL_NAMED_VARIANTS.keys())
def test_chat_tools_stream_variant(
    target: Target, settings: Settings, variant: dict[str, Any]
) -> None:
    """One tool_choice, n or parallel_tool_calls variant: every streamed call assembles.

    Under tool_choice auto the model may answer in words: then no call streamed, nothing was
    assembled, and the test did not run its check (not a vacuous pass)."""
    stream = send(target, tool_conversation(settings, **variant))
    require_route(stream.head)
    expect(event_stream_served(stream))
    expect(data_events(stream).failures, chat_tool_call_stream(stream))
    choices, _ = assemble_chat(stream)
    if not any(choice.tool_calls for choice in choices.values()):
        pytest.skip(
            "not judged: under tool_choice auto the answer streamed no tool call, so no call "
            "could be assembled (tool_choice required and a named function have their own "
            "variants)"
        )


@pytest.mark.feature("chat.tools.stream")
def test_chat_tools_stream_variants(target: Target, settings: Settings) -> None:
    """Generated combinations of tool_choice, n and parallel_tool_calls: every streamed call
    assembles."""
    first = send(target, tool_conversation(settings, tool_choice="required"))
    require_route(first.head)
    expect(event_stream_served(first))

    @generated(target)
    @given(TOOL_VARIANTS)
    @target.speculative
    def variant(extra: dict[str, Any]) -> None:
        stream = send(target, tool_conversation(settings, **extra))
        expect(event_stream_served(stream))
        expect(data_events(stream).failures, chat_tool_call_stream(stream))

    target.speculatively(variant)


@pytest.mark.feature("chat.tools.stream")
@pytest.mark.requires("deterministic")
def test_chat_tools_stream_matches_the_non_streamed_calls(
    target: Target, settings: Settings
) -> None:
    """Same request and seed: the streamed tool calls equal the non-streamed ones."""
    body = tool_conversation(settings, tool_choice="required", seed=7, temperature=0)
    stream = send(target, body)
    require_route(stream.head)
    expect(event_stream_served(stream))
    exchange = target.post("chat/completions", json={**body, "stream": False})
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    expect(stream_matches_completion(stream, exchange))
