"""Each check on hand-built exchanges: it passes the conforming shape and names each defect."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oaiconform.checks.chat import chat_completion_fields, usage_totals
from oaiconform.checks.errors import error_code_is, error_envelope, key_not_echoed, unauthorized
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.models import model_list_fields, model_object_fields
from oaiconform.checks.routes import route_missing
from oaiconform.checks.schema import response_schema_conformance
from oaiconform.exchange import Exchange, RecordedRequest
from oaiconform.spec import Spec

NOW = 1_800_000_000
ENVELOPE = {
    "error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}
}


def exchange(
    status: int,
    body: Any = None,
    *,
    raw: bytes | None = None,
    content_type: str | None = "application/json",
) -> Exchange:
    headers = (("content-type", content_type),) if content_type else ()
    payload = raw if raw is not None else json.dumps(body).encode()
    return Exchange(RecordedRequest("GET", "http://127.0.0.1/v1/models"), status, headers, payload)


def messages(failures: list[Any]) -> str:
    return " | ".join(f.message for f in failures)


def test_status_code_names_expected_and_found() -> None:
    assert status_code_is(exchange(200, {}), 200) == []
    failure = messages(status_code_is(exchange(500, raw=b"oops", content_type="text/plain"), 200))
    assert "expected status 200, got 500" in failure
    assert "'oops'" in failure


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            exchange(200, raw=b"<html>", content_type="text/html"),
            "expected application/json, got text/html",
        ),
        (exchange(200, raw=b"{not json"), "body is not JSON"),
        (exchange(200, [1, 2]), "expected a JSON object, got a JSON list"),
    ],
)
def test_json_object_body_names_the_defect(case: Exchange, expected: str) -> None:
    assert expected in messages(json_object_body(case))


def test_json_object_body_accepts_a_json_object() -> None:
    assert json_object_body(exchange(200, {"a": 1})) == []


def test_error_envelope_accepts_the_openai_envelope() -> None:
    assert error_envelope(exchange(400, ENVELOPE)) == []
    with_code = {"error": {**ENVELOPE["error"], "param": "model", "code": "model_not_found"}}
    assert error_envelope(exchange(404, with_code)) == []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(
            exchange(400, raw=b"bad request", content_type="text/plain"),
            "error served as text/plain with 'bad request'",
            id="plain-text",
        ),
        pytest.param(
            exchange(400, raw=b"", content_type=None),
            "error served as no Content-Type with an empty body",
            id="empty",
        ),
        pytest.param(
            exchange(422, {"detail": [{"loc": ["body"]}]}),
            'FastAPI-style {"detail": ...}',
            id="detail",
        ),
        pytest.param(exchange(400, {"message": "bad", "type": "x"}), "a flat envelope", id="flat"),
        pytest.param(exchange(400, {"error": "bad"}), '"error" as a string', id="error-string"),
        pytest.param(
            exchange(400, {"error": {"message": "bad"}}), "error.type is missing", id="missing-type"
        ),
        pytest.param(
            exchange(400, {"error": {"message": 1, "type": "t", "param": None, "code": 2}}),
            "error.message must be a string",
            id="wrong-types",
        ),
        pytest.param(
            exchange(400, raw=b"{", content_type="application/json"),
            "error body is not JSON",
            id="broken-json",
        ),
    ],
)
def test_error_envelope_names_what_was_found(case: Exchange, expected: str) -> None:
    assert expected in messages(error_envelope(case))


def test_unauthorized_requires_401_with_the_envelope() -> None:
    assert unauthorized(exchange(401, ENVELOPE)) == []
    assert "served without valid credentials" in messages(unauthorized(exchange(200, {})))
    assert "expected 401" in messages(unauthorized(exchange(403, ENVELOPE)))
    assert "error served as text/plain" in messages(
        unauthorized(exchange(401, raw=b"no", content_type="text/plain"))
    )


def test_error_code_is_compares_the_envelope_code() -> None:
    body = {"error": {**ENVELOPE["error"], "code": "invalid_api_key"}}
    assert error_code_is(exchange(401, body), "invalid_api_key") == []
    assert "expected error.code 'invalid_api_key', got None" in messages(
        error_code_is(exchange(401, ENVELOPE), "invalid_api_key")
    )


def test_key_not_echoed_finds_the_key_in_body_and_headers() -> None:
    key = "sk-abcdefghijklmnop1234"
    masked = exchange(401, {"error": {"message": "Incorrect API key provided: sk-abc***1234"}})
    assert key_not_echoed(masked, key) == []
    echoed = exchange(401, {"error": {"message": f"Incorrect API key provided: {key}"}})
    assert "echoes the submitted API key" in messages(key_not_echoed(echoed, key))
    in_header = Exchange(masked.request, 401, (("x-debug-key", key),), b"{}")
    assert key_not_echoed(in_header, key) != []


MODEL = {"id": "gpt-4o-mini", "object": "model", "created": 1700000000, "owned_by": "openai"}


def test_model_checks_accept_a_conforming_list() -> None:
    assert model_object_fields(MODEL) == []
    assert model_list_fields({"object": "list", "data": [MODEL]}) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"object": "lists", "data": [MODEL]}, "`object` must be \"list\", got 'lists'"),
        ({"object": "list", "data": None}, "`data` must be an array"),
        (
            {"object": "list", "data": [{**MODEL, "created": "1700000000"}]},
            "data[0]: `created` must be integer Unix seconds, got '1700000000'",
        ),
        ({"object": "list", "data": [{**MODEL, "object": "models"}]}, '`object` must be "model"'),
        ({"object": "list", "data": [MODEL, MODEL]}, "listed more than once"),
        ({"object": "list", "data": [{**MODEL, "id": ""}]}, "`id` must be a non-empty string"),
    ],
)
def test_model_list_fields_name_the_defect(body: Any, expected: str) -> None:
    assert expected in messages(model_list_fields(body))


COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": NOW,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "hi", "refusal": None},
        }
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
}


def test_chat_completion_fields_accept_a_conforming_completion() -> None:
    assert chat_completion_fields(COMPLETION, now=NOW) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"object": "chat.completions"}, '`object` must be "chat.completion"'),
        ({"created": str(NOW)}, "`created` must be integer Unix seconds"),
        ({"created": NOW * 1000}, "more than a day from when the answer came"),
        ({"id": None}, "`id` must be a non-empty string"),
        ({"model": ""}, "`model` must be a non-empty string"),
        ({"choices": []}, "expected choice indexes [0], got []"),
        (
            {"choices": [{**COMPLETION["choices"][0], "finish_reason": "eos"}]},  # type: ignore[index]
            "finish_reason 'eos' is not one of",
        ),
        (
            {"choices": [{**COMPLETION["choices"][0], "message": {"role": "bot"}}]},  # type: ignore[index]
            "message.role must be \"assistant\", got 'bot'",
        ),
        (
            {"usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 2}},
            "prompt_tokens 5 + completion_tokens 2 = 7",
        ),
    ],
)
def test_chat_completion_fields_name_the_defect(change: dict[str, Any], expected: str) -> None:
    assert expected in messages(chat_completion_fields({**COMPLETION, **change}, now=NOW))


def test_usage_totals_require_non_negative_integers() -> None:
    assert usage_totals({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}) == []
    assert "must be a non-negative integer" in messages(
        usage_totals({"prompt_tokens": -1, "completion_tokens": 1, "total_tokens": 0})
    )
    assert "`usage` must be an object" in messages(usage_totals(None))


def test_route_missing_tells_routes_from_resources() -> None:
    assert route_missing(exchange(404, {"error": {"message": "Invalid URL", "code": None}}))
    assert route_missing(exchange(405, raw=b"", content_type=None))
    assert not route_missing(exchange(404, {"error": {"message": "x", "code": "model_not_found"}}))
    assert not route_missing(exchange(400, ENVELOPE))


def test_response_schema_conformance_uses_the_operation_schema(spec: Spec) -> None:
    good = exchange(200, {"object": "list", "data": [MODEL]})
    assert response_schema_conformance(spec, "listModels", good) == []
    bad = exchange(200, {"object": "list", "data": [{**MODEL, "created": "x"}]})
    assert 'listModels response $.data[0].created: "x" is not of type "integer"' in messages(
        response_schema_conformance(spec, "listModels", bad)
    )
    undocumented = exchange(418, {})
    assert "documents no application/json schema for status 418" in messages(
        response_schema_conformance(spec, "listModels", undocumented)
    )


def test_tenancy_checks_name_what_the_other_key_could_do() -> None:
    from oaiconform.checks.tenancy import absent_from_listing, hidden_from_other_tenant

    assert hidden_from_other_tenant(exchange(404, ENVELOPE), "a file") == []
    assert "could read a file" in messages(hidden_from_other_tenant(exchange(200, {}), "a file"))
    assert "expected 404" in messages(hidden_from_other_tenant(exchange(500, ENVELOPE), "a file"))
    listing = exchange(200, {"object": "list", "data": [{"id": "file-1"}]})
    assert "sees the file file-1" in messages(absent_from_listing(listing, "file-1", "the file"))
    assert absent_from_listing(listing, "file-2", "the file") == []


def test_created_is_judged_as_of_when_the_answer_came_not_today() -> None:
    """A recorded answer from two years ago is as fresh as it was when it came."""
    then = NOW - 2 * 365 * 24 * 3600
    recorded = {**COMPLETION, "created": then}
    assert chat_completion_fields(recorded, now=then + 5) == []
    assert chat_completion_fields(recorded, now=None) == []  # when unknown: only the implausible
    late = chat_completion_fields({**COMPLETION, "created": then}, now=NOW)
    assert [f.where for f in late] == ["created"]
    millis = chat_completion_fields({**COMPLETION, "created": NOW * 1000}, now=None)
    assert [f.message for f in millis] == [
        f"`created` {NOW * 1000} cannot be Unix seconds (milliseconds?)"
    ]


def test_an_answer_says_when_it_came_by_its_receipt_else_its_date_header() -> None:
    request = RecordedRequest("GET", "http://127.0.0.1/v1/models")
    dated = Exchange(request, 200, (("date", "Tue, 07 Jan 2025 10:00:00 GMT"),), b"{}")
    assert dated.answered_at() == 1736244000.0
    assert Exchange(request, 200, (), b"{}", received_at=12.5).answered_at() == 12.5
    assert Exchange(request, 200, (("date", "yesterday"),), b"{}").answered_at() is None
    assert Exchange(request, 200, (), b"{}").answered_at() is None
