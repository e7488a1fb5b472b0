"""Structured output in chat completions: `response_format` json_object and json_schema."""

from __future__ import annotations

from typing import Any

import pytest

from oaiconform.checks import expect
from oaiconform.checks.chat import contents_to_judge, json_object_content, json_schema_content
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

# Enough for a small JSON object; small so that runs against paid APIs stay cheap.
MAX_TOKENS = 128
CITY_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "country": {"type": "string"},
        "population_millions": {"type": "number"},
        "landmarks": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "climate": {"type": "string", "enum": ["cold", "temperate", "warm"]},
    },
    "required": ["city", "country", "population_millions", "landmarks", "climate"],
    "additionalProperties": False,
}


def ask(target: Target, settings: Settings, question: str, response_format: Any) -> Exchange:
    body = {
        "model": settings.model,
        "max_tokens": MAX_TOKENS,
        "messages": [{"role": "user", "content": question}],
        "response_format": response_format,
    }
    exchange = require_route(target.post("chat/completions", json=pinned(settings, body)))
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    return exchange


def premise_met(exchange: Exchange, *, cut_too: bool) -> None:
    """No vacuous pass: an answer that wrote no content to judge (it refused, called a tool,
    or, for json_object, was cut by max_tokens) leaves the test not run, with the reason."""
    if not contents_to_judge(exchange.json(), cut_too=cut_too):
        pytest.skip(
            "not judged: no choice wrote content the response_format governs (a refusal, a "
            f"tool call{'' if cut_too else ' or an answer cut by max_tokens'}), so the "
            "structured output could not be seen"
        )


@pytest.mark.feature("chat.structured_output")
def test_structured_output_json_object_content_is_a_json_object(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """response_format json_object: the message content parses as one JSON object."""
    question = "Reply in JSON with a key `greeting` holding a short greeting."
    exchange = ask(target, settings, question, {"type": "json_object"})
    expect(
        response_schema_conformance(spec, "createChatCompletion", exchange),
        json_object_content(exchange.json()),
    )
    premise_met(exchange, cut_too=False)


@pytest.mark.feature("chat.structured_output")
def test_structured_output_json_schema_content_validates_against_the_schema(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """response_format json_schema (strict): the content is JSON valid against the schema."""
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "city_facts", "schema": CITY_SCHEMA, "strict": True},
    }
    exchange = ask(target, settings, "Describe Paris briefly.", response_format)
    expect(
        response_schema_conformance(spec, "createChatCompletion", exchange),
        json_schema_content(exchange.json(), CITY_SCHEMA),
    )
    premise_met(exchange, cut_too=True)
