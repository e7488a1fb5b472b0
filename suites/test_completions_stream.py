"""Legacy completions, streamed: `POST /completions` with `stream: true`.

A few generated variants (n, several prompts, max_tokens, stop, echo, logprobs) with small
max_tokens; Hypothesis takes its seed from the run and keeps no database.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from oaiconform.checks import expect
from oaiconform.checks.stream_completions import completion_chunks
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

MAX_TOKENS = 8  # small on purpose: runs against paid APIs stay cheap

VARIANTS = st.fixed_dictionaries(
    {},
    optional={
        "n": st.integers(1, 2),
        "prompt": st.sampled_from([["Once upon a time", "The sky is"]]),
        "max_tokens": st.integers(1, MAX_TOKENS),
        "stop": st.sampled_from(["\n", [".", "!"]]),
        "echo": st.booleans(),
        "logprobs": st.sampled_from([0, 2]),
        "temperature": st.sampled_from([0, 1.0]),
    },
)

# One parameter each, every one its own test (an ignored `n` never hides an ignored `echo`).
NAMED_VARIANTS: dict[str, dict[str, Any]] = {
    "n-2": {"n": 2},
    "prompts-2": {"prompt": ["Once upon a time", "The sky is"]},
    "max_tokens-1": {"max_tokens": 1},
    "stop-string": {"stop": "\n"},
    "stop-list": {"stop": [".", "!"]},
    "echo": {"echo": True},
    "logprobs-2": {"logprobs": 2},
    "temperature-1": {"temperature": 1.0},
}


def completion(settings: Settings, **extra: Any) -> dict[str, Any]:
    """A streamed completion, pinned; a generated `temperature` variant is kept as drawn."""
    body = {
        "model": settings.completion_model,
        "prompt": "Once upon a time",
        "max_tokens": MAX_TOKENS,
        "stream": True,
        **extra,
    }
    return pinned(settings, body)


def send(target: Target, body: dict[str, Any]) -> StreamExchange:
    return target.stream("POST", "completions", json=body)


def chunks_hold(target: Target, spec: Spec, body: dict[str, Any]) -> None:
    """The request streams, on a route the target has, as well-formed completion chunks."""
    stream = send(target, body)
    require_route(stream.head)
    expect(event_stream_served(stream))
    expect(stream_framing(stream), completion_chunks(spec, stream))


@pytest.mark.feature("completions.stream")
def test_completions_stream_sends_text_completion_chunks(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """stream: true gets text_completion chunks, one finish_reason per choice, then [DONE]."""
    chunks_hold(target, spec, completion(settings))


@pytest.mark.feature("completions.stream")
@pytest.mark.parametrize("variant", NAMED_VARIANTS.values(), ids=NAMED_VARIANTS.keys())
def test_completions_stream_variant(
    target: Target, spec: Spec, settings: Settings, variant: dict[str, Any]
) -> None:
    """One parameter set: well-formed chunks for every prompt and choice."""
    chunks_hold(target, spec, completion(settings, **variant))


@pytest.mark.feature("completions.stream")
def test_completions_stream_request_variants(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """Generated combinations of the variants stream well-formed chunks for every prompt and
    choice (each parameter alone is `test_completions_stream_variant`)."""
    first = send(target, completion(settings, max_tokens=1))
    require_route(first.head)
    expect(event_stream_served(first))

    @hypothesis_settings(
        max_examples=target.example_budget,
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
        stream = send(target, completion(settings, **extra))
        expect(event_stream_served(stream))
        expect(stream_framing(stream), completion_chunks(spec, stream))

    target.speculatively(variant)
