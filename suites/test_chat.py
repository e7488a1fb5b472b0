"""Chat completions, non-streamed: `POST /chat/completions`."""

from __future__ import annotations

from typing import Any

import pytest

from oaiconform.checks import Failure, expect
from oaiconform.checks.chat import MAX_TOKENS_HONOURED, chat_completion_fields, usage_totals
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.schema import response_schema_conformance
from oaiconform.pinning import pinned
from oaiconform.plugin import require_route
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from oaiconform.target import Target

# Independent tests: the first request of each is sent ahead, together (oaiconform.ahead).
pytestmark = pytest.mark.independent

# Small on purpose: runs against paid APIs stay cheap.
MAX_TOKENS = 16


def conversation(settings: Settings, **extra: Any) -> dict[str, Any]:
    body = {
        "model": settings.model,
        "max_tokens": MAX_TOKENS,
        "messages": [
            {"role": "system", "content": "You are a terse assistant."},
            {"role": "user", "content": "Say hello in three words."},
        ],
        **extra,
    }
    return pinned(settings, body)


@pytest.mark.feature("chat.completions")
def test_chat_completion_answers_with_a_chat_completion_object(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """A valid conversation gets 200 and a `chat.completion` that matches the spec's schema."""
    exchange = require_route(target.post("chat/completions", json=conversation(settings)))
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    expect(
        response_schema_conformance(spec, "createChatCompletion", exchange),
        chat_completion_fields(exchange.json(), now=exchange.answered_at()),
    )


@pytest.mark.feature("chat.completions")
def test_chat_completion_reports_consistent_usage(target: Target, settings: Settings) -> None:
    """`usage` is present and total_tokens = prompt_tokens + completion_tokens."""
    exchange = require_route(target.post("chat/completions", json=conversation(settings)))
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    body = exchange.json()
    expect(usage_totals(body.get("usage")))


@pytest.mark.feature("chat.completions")
def test_chat_completion_stops_at_max_tokens_with_finish_reason_length(
    target: Target, settings: Settings
) -> None:
    """A one-token limit cuts the answer: finish_reason "length", completion_tokens <= 1."""
    request = conversation(settings, max_tokens=1)
    exchange = require_route(target.post("chat/completions", json=request))
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    body = exchange.json()
    choices = body.get("choices") or [{}]
    failures = []
    if choices[0].get("finish_reason") != "length":
        failures.append(
            Failure(
                "max_tokens",
                "with max_tokens 1, expected finish_reason "
                f'"length", got {choices[0].get("finish_reason")!r}',
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
