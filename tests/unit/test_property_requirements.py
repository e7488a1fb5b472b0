"""Generated requests that mean something: cross-field rules and unresolved references."""

from __future__ import annotations

import json
from typing import Any

from oaiconform.exchange import Exchange, RecordedRequest
from oaiconform.property.requirements import (
    broken_rule,
    meet,
    names_a_parameter,
    names_unresolved_reference,
)


def refusal(status: int, message: str, param: str | None = None) -> Exchange:
    body = {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    }
    return Exchange(
        RecordedRequest("POST", "http://127.0.0.1:9/v1/x"),
        status,
        (("content-type", "application/json"),),
        json.dumps(body).encode(),
    )


def test_a_responses_request_without_model_or_prompt_gets_the_run_model() -> None:
    body: dict[str, Any] = {"input": "hi"}
    rule = broken_rule("createResponse", body)
    assert rule is not None and "needs `model` unless a stored `prompt`" in rule.reason
    assert meet("createResponse", body, "gpt-4o-mini") == {"input": "hi", "model": "gpt-4o-mini"}
    assert broken_rule("createResponse", {"prompt": {"id": "pmpt_1"}}) is None
    assert meet("createEmbedding", body, "m") == body  # not a rule of that operation


def test_tool_choice_without_tools_and_top_logprobs_without_logprobs_are_dropped() -> None:
    body = {"model": "m", "messages": [], "tool_choice": "auto", "top_logprobs": 2}
    assert broken_rule("createChatCompletion", body) is not None
    assert meet("createChatCompletion", body, "m") == {"model": "m", "messages": []}
    kept = {"model": "m", "messages": [], "tools": [{"type": "function"}], "tool_choice": "auto"}
    assert meet("createChatCompletion", kept, "m") == kept


def test_a_refusal_naming_a_generated_reference_is_the_right_answer() -> None:
    """The issue's case: `input_file_id: ""` answered "Input file '' not found." (no param)."""
    batch = {"input_file_id": "", "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    assert names_unresolved_reference(batch, refusal(400, "Input file '' not found.")) == (
        "input_file_id"
    )
    by_param = refusal(404, "Not found", param="previous_response_id")
    assert names_unresolved_reference({"previous_response_id": "resp_x"}, by_param) == (
        "previous_response_id"
    )
    by_value = refusal(404, "No such File object: file-abc123")
    assert names_unresolved_reference({"tool_resources": {"file_ids": ["file-abc123"]}}, by_value)
    # A refusal about something else, or a success, is not explained by the reference.
    assert names_unresolved_reference(batch, refusal(400, "completion_window is invalid")) is None
    assert (
        names_unresolved_reference({"model": "m"}, refusal(400, "Input file '' not found.")) is None
    )


def test_a_refusal_of_a_generated_cursor_is_the_right_answer() -> None:
    """aimock: `GET /batches?after=` -> 400 "'after' is not a known cursor: ''"."""
    refused = refusal(400, "'after' is not a known cursor: ''")
    assert names_unresolved_reference(None, refused, {"after": ""}) == "after"
    assert names_unresolved_reference(None, refused, {"limit": "2"}) is None


def test_a_400_whose_message_names_a_parameter_explains_a_rule() -> None:
    """aimock: `limit=0` -> "'limit' must be an integer between 1 and 100" (the description's
    prose says so, its schema does not); `endpoint: /v1/videos` -> "Invalid endpoint ..."."""
    limit = refusal(400, "Invalid parameter: 'limit' must be an integer between 1 and 100")
    assert names_a_parameter(None, limit, {"after": "", "limit": "0"}) == "limit"
    endpoint = refusal(400, "Invalid endpoint '/v1/videos'. Expected one of: /v1/responses")
    batch = {"input_file_id": "file-1", "endpoint": "/v1/videos", "completion_window": "24h"}
    assert names_a_parameter(batch, endpoint) == "endpoint"
    # A refusal that names nothing of the request, or another status, explains nothing.
    assert names_a_parameter(batch, refusal(400, "Something went wrong")) is None
    assert names_a_parameter(batch, refusal(404, "Invalid endpoint")) is None
