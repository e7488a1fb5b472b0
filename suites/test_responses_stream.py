"""The Responses API, streamed: `POST /responses` with `stream: true`.

Streamed responses are created with `store: false`, so nothing is left behind to delete;
answers stay short (max_output_tokens 16, the API's minimum).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from oaiconform.checks import expect
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.stream_responses import (
    response_stream_events,
    response_stream_grammar,
    stream_matches_response,
)
from oaiconform.checks.streaming import event_stream_served, stream_framing
from oaiconform.exchange import StreamExchange
from oaiconform.generation import PHASES
from oaiconform.pinning import pinned
from oaiconform.plugin import require_route
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from oaiconform.target import Target

# Independent tests: the first request of each is sent ahead, together (oaiconform.ahead).
pytestmark = pytest.mark.independent

MAX_OUTPUT_TOKENS = 16
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "get_weather",
    "description": "The current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}

VARIANTS = st.fixed_dictionaries(
    {},
    optional={
        "max_output_tokens": st.integers(16, 48),
        "temperature": st.sampled_from([0, 1.0]),
        "instructions": st.sampled_from(["Answer in one sentence."]),
        "tools": st.just([WEATHER_TOOL]),
    },
)

NAMED_VARIANTS: dict[str, dict[str, Any]] = {
    "max_output_tokens-16": {"max_output_tokens": 16},
    "temperature-1": {"temperature": 1.0},
    "instructions": {"instructions": "Answer in one sentence."},
    "tools": {"tools": [WEATHER_TOOL]},
}


def request(settings: Settings, **extra: Any) -> dict[str, Any]:
    """A streamed response, its temperature pinned (Responses has no `seed`); a generated
    `temperature` variant is kept as drawn."""
    body = {
        "model": settings.model,
        "input": "Say hello in three words.",
        "max_output_tokens": MAX_OUTPUT_TOKENS,
        "store": False,
        "stream": True,
        **extra,
    }
    return pinned(settings, body, seed=False)


def send(target: Target, body: dict[str, Any]) -> StreamExchange:
    return target.stream("POST", "responses", json=body)


def check(spec: Spec, stream: StreamExchange) -> None:
    expect(event_stream_served(stream))
    expect(stream_framing(stream, done_required=False), response_stream_events(spec, stream))
    expect(response_stream_grammar(stream))


@pytest.mark.feature("responses.stream")
def test_responses_stream_sends_typed_events(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """Typed, numbered events: response.created first, one terminal event last, text adds up."""
    stream = send(target, request(settings))
    require_route(stream.head)
    check(spec, stream)


@pytest.mark.feature("responses.stream")
def test_responses_stream_a_function_call(target: Target, spec: Spec, settings: Settings) -> None:
    """A required function tool streams its call as documented events, then completes."""
    body = request(
        settings,
        input="What is the weather in Paris? Use the tool.",
        tools=[WEATHER_TOOL],
        tool_choice="required",
        max_output_tokens=64,
    )
    stream = send(target, body)
    require_route(stream.head)
    check(spec, stream)


@pytest.mark.feature("responses.stream")
def test_responses_stream_cut_by_max_output_tokens_ends_incomplete(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """A long answer cut at max_output_tokens streams its grammar to response.incomplete."""
    stream = send(target, request(settings, input="Write a 300-word story about a lighthouse."))
    require_route(stream.head)
    check(spec, stream)


@pytest.mark.feature("responses.stream")
@pytest.mark.requires("deterministic")
def test_responses_stream_matches_the_non_streamed_response(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """Same request: the terminal event's output equals the non-streamed response's (ids
    aside), and so does its status."""
    body = request(settings)
    stream = send(target, body)
    require_route(stream.head)
    check(spec, stream)
    exchange = target.post("responses", json={**body, "stream": False})
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    expect(stream_matches_response(stream, exchange.json()))


@pytest.mark.feature("responses.stream")
@pytest.mark.parametrize("variant", NAMED_VARIANTS.values(), ids=NAMED_VARIANTS.keys())
def test_responses_stream_variant(
    target: Target, spec: Spec, settings: Settings, variant: dict[str, Any]
) -> None:
    """One parameter set: documented events in order."""
    stream = send(target, request(settings, **variant))
    require_route(stream.head)
    check(spec, stream)


@pytest.mark.feature("responses.stream")
def test_responses_stream_request_variants(target: Target, spec: Spec, settings: Settings) -> None:
    """Generated combinations of the variants stream documented events in order."""
    first = send(target, request(settings))
    require_route(first.head)
    expect(event_stream_served(first))

    @hypothesis_settings(
        max_examples=max(2, target.example_budget // 2),
        database=None,
        derandomize=False,  # the run's --hypothesis-seed fixes the examples
        deadline=None,
        report_multiple_bugs=False,
        phases=PHASES,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(VARIANTS)
    @target.speculative
    def variant(extra: dict[str, Any]) -> None:
        check(spec, send(target, request(settings, **extra)))

    target.speculatively(variant)
