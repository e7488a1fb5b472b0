"""The mock judges requests no stricter than the API: request_schemas.py, and through a mock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from oaiconform.mock import MockServer
from oaiconform.mock.request_schemas import _relax, request_spec
from oaiconform.spec import Spec
from tests.conftest import TEST_KEY

WEATHER_TOOL = {
    "type": "function",
    "name": "get_current_weather",
    "description": "Get the current weather in a given location",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}
_ABSENT = object()


def _create_response(server: MockServer, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TEST_KEY}"}
    return httpx.post(f"{server.base_url}/responses", json=body, headers=headers, timeout=10)


@pytest.mark.parametrize(
    "strict", [_ABSENT, False, True, None], ids=["absent", "false", "true", "null"]
)
def test_a_responses_function_tool_is_accepted_with_or_without_strict(
    correct_mock: MockServer, strict: object
) -> None:
    tool = dict(WEATHER_TOOL) if strict is _ABSENT else {**WEATHER_TOOL, "strict": strict}
    body = {"model": "gpt-4o-mini", "input": "Weather in Boston?", "tools": [tool]}
    response = _create_response(correct_mock, body)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("tool", "param"),
    [
        # The tool's `type` names its branch, so the refusal names the member, not only the
        # tool.
        pytest.param(
            {**WEATHER_TOOL, "strict": "yes"}, "tools[0].strict", id="strict-not-a-boolean"
        ),
        pytest.param(
            {k: v for k, v in WEATHER_TOOL.items() if k != "name"}, "tools[0]", id="no-name"
        ),
    ],
)
def test_a_function_tool_no_branch_accepts_is_still_refused(
    correct_mock: MockServer, tool: dict[str, Any], param: str
) -> None:
    body = {"model": "gpt-4o-mini", "input": "Weather in Boston?", "tools": [tool]}
    response = _create_response(correct_mock, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


def test_an_input_matching_two_overlapping_branches_is_accepted(correct_mock: MockServer) -> None:
    """An easy input message is also an input message: a literal oneOf refuses it."""
    message = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}
    response = _create_response(correct_mock, {"model": "gpt-4o-mini", "input": [message]})
    assert response.status_code == 200, response.text


def test_relax_reads_one_of_as_any_of_and_drops_listed_requirements() -> None:
    document: dict[str, Any] = {
        "components": {
            "schemas": {
                "FunctionTool": {"required": ["type", "name", "strict"], "properties": {}},
                "Both": {"anyOf": [{"type": "string"}], "oneOf": [{"minLength": 1}]},
                "Nested": {"items": {"oneOf": [{"type": "integer"}, {"type": "number"}]}},
            }
        }
    }
    _relax(document)
    schemas = document["components"]["schemas"]
    assert schemas["FunctionTool"]["required"] == ["type", "name"]
    assert schemas["Both"] == {
        "anyOf": [{"type": "string"}],
        "allOf": [{"anyOf": [{"minLength": 1}]}],
    }
    assert schemas["Nested"]["items"] == {"anyOf": [{"type": "integer"}, {"type": "number"}]}


def test_answers_are_still_judged_by_the_description_as_it_is(spec: Spec) -> None:
    """The relaxed copy is the mock's, for requests: the checks' description is untouched."""
    relaxed = request_spec(spec)
    assert relaxed is not spec and relaxed is request_spec(spec)  # built once
    pointer = "/components/schemas/FunctionTool"
    tool_without_strict = dict(WEATHER_TOOL)
    assert [v.property for v in spec.validate(pointer, tool_without_strict)] == ["strict"]
    assert relaxed.validate(pointer, tool_without_strict) == []
