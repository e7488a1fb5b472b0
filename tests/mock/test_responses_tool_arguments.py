"""A Responses function call's arguments come from the shared schema generator.

They validate against the function's `parameters` (enums, nesting, bounds, optional properties),
are the same for the same request, and a schema no instance can satisfy is the API's 400 naming
`tools`, as for chat completions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest

from oaiconform.mock import MockConfig, MockServer
from oaiconform.spec import Spec
from tests.conftest import TEST_KEY

PARAMETERS = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2},
        "unit": {"enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "window": {
            "type": "object",
            "properties": {
                "from": {"type": "string", "format": "date"},
                "hours": {"type": "array"},
            },
            "required": ["from"],
        },
        "note": {"type": "string"},
    },
    "required": ["city", "unit", "days", "window"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def http(spec: Spec) -> Iterator[httpx.Client]:
    with MockServer(MockConfig(api_keys=(TEST_KEY,)), spec) as server:
        headers = {"Authorization": f"Bearer {TEST_KEY}"}
        with httpx.Client(base_url=server.base_url, headers=headers) as client:
            yield client


def _call(http: httpx.Client, parameters: Any) -> httpx.Response:
    tool = {"type": "function", "name": "forecast", "parameters": parameters, "strict": False}
    body = {"model": "gpt-4o-mini", "input": "Weather?", "tools": [tool], "store": False}
    return http.post("/responses", json=body)


def test_arguments_validate_against_the_parameters_and_repeat(http: httpx.Client) -> None:
    answer = _call(http, PARAMETERS)
    assert answer.status_code == 200, answer.text
    call = answer.json()["output"][0]
    assert call["type"] == "function_call" and call["name"] == "forecast"
    arguments = json.loads(call["arguments"])
    assert jsonschema_rs.validator_for(PARAMETERS).is_valid(arguments), arguments
    assert "note" in arguments  # optional properties are filled near the top
    again = json.loads(_call(http, PARAMETERS).json()["output"][0]["arguments"])
    assert again == arguments


def test_parameters_no_instance_satisfies_are_a_400_naming_tools(http: httpx.Client) -> None:
    impossible = {
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 5, "maximum": 4}},
        "required": ["n"],
    }
    refused = _call(http, impossible)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["param"] == "tools" and error["type"] == "invalid_request_error"
    assert "forecast" in error["message"] and "no integer within the bounds" in error["message"]
