"""Legacy completions, non-streamed: `POST /completions`."""

from __future__ import annotations

from typing import Any

import pytest

from oaiconform.checks import Failure, expect
from oaiconform.checks.chat import usage_totals
from oaiconform.checks.completions import (
    MAX_TOKENS_HONOURED,
    completion_logprobs,
    text_completion_fields,
)
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.schema import response_schema_conformance
from oaiconform.exchange import Exchange
from oaiconform.pinning import pinned
from oaiconform.plugin import require_route
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from oaiconform.target import Target

# Independent tests: the first request of each is sent ahead, together (oaiconform.ahead).
pytestmark = pytest.mark.independent

# Small on purpose: runs against paid APIs stay cheap.
MAX_TOKENS = 8
PROMPT = "Once upon a time"


def complete(target: Target, settings: Settings, **extra: Any) -> Exchange:
    body = {"model": settings.completion_model, "prompt": PROMPT, "max_tokens": MAX_TOKENS}
    exchange = require_route(target.post("completions", json=pinned(settings, {**body, **extra})))
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    return exchange


@pytest.mark.feature("completions")
def test_completion_answers_with_a_text_completion_object(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """A prompt gets 200 and a `text_completion` that matches the spec's schema."""
    exchange = complete(target, settings)
    expect(
        response_schema_conformance(spec, "createCompletion", exchange),
        text_completion_fields(exchange.json()),
    )


@pytest.mark.feature("completions")
def test_completion_reports_consistent_usage(target: Target, settings: Settings) -> None:
    """`usage` is present and total_tokens = prompt_tokens + completion_tokens."""
    body = complete(target, settings).json()
    expect(usage_totals(body.get("usage")))


@pytest.mark.feature("completions")
def test_completion_of_a_prompt_array_has_one_choice_per_prompt(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """An array of two prompts gets two choices, indexes 0 and 1."""
    exchange = complete(target, settings, prompt=[PROMPT, "The capital of France is"])
    expect(
        response_schema_conformance(spec, "createCompletion", exchange),
        text_completion_fields(exchange.json(), expected_choices=2),
    )


@pytest.mark.feature("completions")
def test_completion_stops_at_max_tokens_with_finish_reason_length(
    target: Target, settings: Settings
) -> None:
    """A one-token limit cuts the text: finish_reason "length", completion_tokens <= 1."""
    body = complete(target, settings, max_tokens=1).json()
    choice = (body.get("choices") or [{}])[0]
    failures = []
    if choice.get("finish_reason") != "length":
        failures.append(
            Failure(
                "max_tokens",
                f'with max_tokens 1, expected finish_reason "length", '
                f"got {choice.get('finish_reason')!r}",
                where="choices[0].finish_reason",
                expected="length",
                check_id=MAX_TOKENS_HONOURED,
            )
        )
    completion = (body.get("usage") or {}).get("completion_tokens")
    if isinstance(completion, int) and completion > 1:
        failures.append(
            Failure(
                "max_tokens",
                f"with max_tokens 1, usage.completion_tokens is {completion}",
                where="usage.completion_tokens",
                expected="<= 1",
                found=str(completion),
                check_id=MAX_TOKENS_HONOURED,
            )
        )
    expect(failures)


@pytest.mark.feature("completions")
def test_completion_logprobs_describe_the_returned_tokens(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """logprobs 2: tokens join to the text, one logprob per token, at most 3 alternatives."""
    exchange = complete(target, settings, logprobs=2)
    expect(response_schema_conformance(spec, "createCompletion", exchange))
    choice = (exchange.json().get("choices") or [{}])[0]
    expect(completion_logprobs(choice, top=2))
