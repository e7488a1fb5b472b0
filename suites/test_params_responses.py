"""Parameters of the Responses API take effect or are refused (`params.responses.*`).

As in test_params.py: a 4xx naming the parameter is not implemented, an answer showing the
parameter was ignored fails. Responses are created with `store: false` unless the test is about
storing; the stored ones are deleted afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from oaiconform.checks import expect
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.params import (
    instructions_counted,
    one_function_call,
    refused_naming,
    response_text_matches_schema,
    stored_as_asked,
)
from oaiconform.checks.responses import continues_conversation, incomplete_at_max_output_tokens
from oaiconform.cleanup import ObjectLedger, delete_object, run_metadata
from oaiconform.pinning import pinned
from oaiconform.plugin import not_implemented, require_route
from oaiconform.settings import Settings
from oaiconform.target import Target

MAX_OUTPUT_TOKENS = 16  # the API's minimum
LONG = "Write a 300-word story about a lighthouse keeper."
INSTRUCTIONS = (
    "You are a careful assistant for a small museum by the sea. Answer visitors politely, "
    "in plain words, without lists or headings, and never mention prices, opening hours or "
    "the weather unless a visitor asks about them directly in the question."
)
CITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
    "additionalProperties": False,
}


def tool(name: str, about: str) -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "description": about,
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    }


Create = Callable[..., dict[str, Any]]


@pytest.fixture
def create(target: Target, settings: Settings, run_objects: ObjectLedger) -> Iterator[Create]:
    """POST /responses; the answer's JSON, or not implemented when the target refuses the
    parameter the test is about (`param`); created responses are deleted afterwards."""
    created: list[str] = []

    def create_response(param: str, **fields: Any) -> dict[str, Any]:
        body = {
            "model": settings.model,
            "max_output_tokens": 64,
            "store": False,
            "metadata": run_metadata(run_objects.run_id),
            **fields,
        }
        body = {k: v for k, v in body.items() if v is not None}  # None: left to the default
        exchange = require_route(target.post("responses", json=pinned(settings, body, seed=False)))
        reason = refused_naming(exchange, param)
        if reason is not None:
            not_implemented(reason)
        expect(status_code_is(exchange, 200), json_object_body(exchange))
        answer: dict[str, Any] = exchange.json()
        if isinstance(answer.get("id"), str) and body.get("store") is not False:
            created.append(answer["id"])
            run_objects.created("response", answer["id"])
        return answer

    yield create_response
    for response_id in created:  # best effort; the test's own outcome stands
        delete_object(target, "response", f"responses/{response_id}", response_id)


@pytest.mark.feature("params.responses.max_output_tokens")
def test_responses_max_output_tokens_makes_a_long_answer_incomplete(create: Create) -> None:
    """max_output_tokens 16 on a long story: status incomplete, reason max_output_tokens."""
    body = create("max_output_tokens", input=LONG, max_output_tokens=MAX_OUTPUT_TOKENS)
    expect(incomplete_at_max_output_tokens(body, MAX_OUTPUT_TOKENS))


@pytest.mark.feature("params.responses.store")
@pytest.mark.parametrize("store", [None, False], ids=["default", "false"])
def test_responses_store_decides_retrieval(
    target: Target, create: Create, store: bool | None
) -> None:
    """store left out (true): GET /responses/{id} answers it; store false: 404."""
    body = create("store", input="Say hello in three words.", store=store)
    retrieved = target.get(f"responses/{body.get('id')}")
    expect(stored_as_asked(store, retrieved.status))


@pytest.mark.feature("params.responses.previous_response_id")
def test_responses_previous_response_id_continues(create: Create) -> None:
    """A follow-up names its previous response and counts the earlier turn as input."""
    first = create("store", input="My name is Ada. Reply with one word.", store=True)
    second = create(
        "previous_response_id", input="What is my name?", previous_response_id=first.get("id")
    )
    expect(continues_conversation(first, second))


@pytest.mark.feature("params.responses.instructions")
def test_responses_instructions_are_part_of_the_input(create: Create) -> None:
    """The same input with instructions of about 50 words counts more input tokens."""
    without = create("instructions", input="Say hello.", max_output_tokens=MAX_OUTPUT_TOKENS)
    with_them = create(
        "instructions",
        input="Say hello.",
        instructions=INSTRUCTIONS,
        max_output_tokens=MAX_OUTPUT_TOKENS,
    )
    expect(instructions_counted(without, with_them, len(INSTRUCTIONS.split())))


@pytest.mark.feature("params.responses.text_format")
def test_responses_text_format_json_schema_shapes_the_output(create: Create) -> None:
    """text.format json_schema (strict): the output text validates against the schema."""
    schema_format = {"type": "json_schema", "name": "place", "schema": CITY_SCHEMA, "strict": True}
    text = {"format": schema_format}
    body = create("text", input="Name the capital of France and its country.", text=text)
    if body.get("status") == "incomplete":
        pytest.skip("not judged: the answer was cut before the JSON ended")
    expect(response_text_matches_schema(body, CITY_SCHEMA))


@pytest.mark.feature("params.responses.parallel_tool_calls")
def test_responses_parallel_tool_calls_false_makes_at_most_one_call(create: Create) -> None:
    """parallel_tool_calls false, a question two tools answer: at most one function call."""
    body = create(
        "parallel_tool_calls",
        input="What are the weather and the time in Paris? Use both tools.",
        tools=[
            tool("get_weather", "The current weather in a city."),
            tool("get_time", "The current local time in a city."),
        ],
        tool_choice="required",
        parallel_tool_calls=False,
    )
    if not any(
        isinstance(i, dict) and i.get("type") == "function_call" for i in body.get("output") or []
    ):
        pytest.skip("not judged: the answer made no function call")
    expect(one_function_call(body))
