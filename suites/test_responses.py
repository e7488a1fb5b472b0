"""The Responses API, non-streamed: create, retrieve, input items, delete, conversations, tools.

Every response is created with this run's id in its metadata and deleted at the end of its
test, pass or fail. Answers are kept short (max_output_tokens 16, the API's minimum).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from oaiconform.checks import Failure, expect
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.responses import (
    OUTPUT_TEXT,
    STORED,
    continues_conversation,
    function_call_matches,
    incomplete_at_max_output_tokens,
    input_items_echo,
    output_text,
    response_object_fields,
)
from oaiconform.checks.schema import response_schema_conformance
from oaiconform.cleanup import ObjectLedger, delete_object, run_metadata
from oaiconform.exchange import Exchange
from oaiconform.pinning import pinned
from oaiconform.plugin import require_route
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from oaiconform.target import Target

MAX_OUTPUT_TOKENS = 16
PROMPT = "Say hello in three words."
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
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
    "strict": True,
}

Create = Callable[..., Exchange]


@pytest.fixture
def create(target: Target, settings: Settings, run_objects: ObjectLedger) -> Iterator[Create]:
    """POST /responses with the run's model and prefix; every created response is deleted."""
    created: list[str] = []

    def create_response(**fields: Any) -> Exchange:
        body = {
            "model": settings.model,
            "max_output_tokens": MAX_OUTPUT_TOKENS,
            "metadata": run_metadata(run_objects.run_id),
            **fields,
        }
        exchange = require_route(target.post("responses", json=pinned(settings, body, seed=False)))
        if exchange.status == 200 and exchange.is_json and isinstance(exchange.json(), dict):
            response_id = exchange.json().get("id")
            if isinstance(response_id, str):
                created.append(response_id)
                run_objects.created("response", response_id)
        return exchange

    yield create_response
    for response_id in created:  # best effort; the test's own outcome stands
        delete_object(target, "response", f"responses/{response_id}", response_id)


def ok(exchange: Exchange, spec: Spec, settings: Settings) -> dict[str, Any]:
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    body: dict[str, Any] = exchange.json()
    expect(
        response_schema_conformance(spec, "createResponse", exchange),
        response_object_fields(body, model=settings.model),
    )
    return body


@pytest.mark.feature("responses")
def test_create_answers_a_response_and_stores_it(
    target: Target, spec: Spec, settings: Settings, create: Create
) -> None:
    """A string input gets a schema-valid response with output text; GET /responses/{id}
    answers the same response (store defaults to true)."""
    body = ok(create(input=PROMPT), spec, settings)
    if not output_text(body):
        no_text = "the response has no output_text in its output"
        expect([Failure("response_output", no_text, where="output", check_id=OUTPUT_TEXT)])
    retrieved = target.get(f"responses/{body['id']}")
    expect(status_code_is(retrieved, 200), json_object_body(retrieved))
    expect(response_schema_conformance(spec, "getResponse", retrieved))
    if retrieved.json().get("id") != body["id"] or output_text(retrieved.json()) != output_text(
        body
    ):
        differs = "GET /responses/{id} differs from the created one"
        expect([Failure("response_stored", differs, where="body", check_id=STORED)])


@pytest.mark.feature("responses")
def test_input_items_list_the_sent_message(
    target: Target, spec: Spec, settings: Settings, create: Create
) -> None:
    """GET /responses/{id}/input_items lists the input message as a schema-valid item list."""
    body = ok(create(input=[{"role": "user", "content": PROMPT}]), spec, settings)
    listing = target.get(f"responses/{body['id']}/input_items")
    expect(status_code_is(listing, 200), json_object_body(listing))
    expect(
        response_schema_conformance(spec, "listInputItems", listing),
        input_items_echo(listing.json(), PROMPT),
    )


@pytest.mark.feature("responses")
def test_a_deleted_response_is_gone(
    target: Target, spec: Spec, settings: Settings, create: Create
) -> None:
    """DELETE /responses/{id} answers 200; afterwards GET /responses/{id} is 404."""
    body = ok(create(input=PROMPT), spec, settings)
    expect(status_code_is(target.request("DELETE", f"responses/{body['id']}"), 200))
    expect(status_code_is(target.get(f"responses/{body['id']}"), 404))


@pytest.mark.feature("responses")
def test_previous_response_id_continues_the_conversation(
    target: Target, spec: Spec, settings: Settings, create: Create, run_objects: ObjectLedger
) -> None:
    """A follow-up with previous_response_id names it and counts the earlier turn as input;
    an unknown previous_response_id is a 404."""
    first = ok(create(input="My name is Ada. Reply with one word."), spec, settings)
    second = ok(create(input="What is my name?", previous_response_id=first["id"]), spec, settings)
    expect(continues_conversation(first, second))
    unknown = target.post(  # not `create`: this 404 names a resource, not a missing route
        "responses",
        json={
            "model": settings.model,
            "input": "Hi.",
            "previous_response_id": f"resp_{run_objects.run_id}-unknown",
            "store": False,  # nothing to clean up should a target create it after all
        },
    )
    expect(status_code_is(unknown, 404))


@pytest.mark.feature("responses")
def test_function_tool_is_called_with_valid_arguments(
    spec: Spec, settings: Settings, create: Create
) -> None:
    """With a required function tool, the output has a function_call item with a call_id and
    JSON-encoded arguments valid for the tool's parameters."""
    exchange = create(
        input="What is the weather in Paris? Use the tool.",
        tools=[WEATHER_TOOL],
        tool_choice="required",
        max_output_tokens=64,
    )
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    expect(
        function_call_matches(exchange.json(), WEATHER_TOOL),
        response_schema_conformance(spec, "createResponse", exchange),
        response_object_fields(exchange.json(), model=settings.model),
    )


@pytest.mark.feature("responses")
def test_max_output_tokens_makes_a_long_answer_incomplete(
    spec: Spec, settings: Settings, create: Create
) -> None:
    """A long answer cut at max_output_tokens is `incomplete` with reason max_output_tokens."""
    body = ok(create(input="Write a 300-word story about a lighthouse keeper."), spec, settings)
    expect(incomplete_at_max_output_tokens(body, MAX_OUTPUT_TOKENS))
