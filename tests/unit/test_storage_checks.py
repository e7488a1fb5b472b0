"""The files, batches and responses checks on hand-built exchanges and bodies."""

from __future__ import annotations

import json
from typing import Any

from oaiconform.checks.batches import (
    batch_object_fields,
    completed_batch_counts,
    output_answers_inputs,
)
from oaiconform.checks.files import (
    deletion_confirmed,
    file_content_is,
    file_listed,
    file_object_fields,
    listed_ids,
    multipart_body,
)
from oaiconform.checks.responses import (
    continues_conversation,
    function_call_matches,
    incomplete_at_max_output_tokens,
    input_items_echo,
    output_text,
    response_object_fields,
)
from oaiconform.exchange import Exchange, RecordedRequest

FILE = {
    "id": "file-1",
    "object": "file",
    "bytes": 3,
    "created_at": 1,
    "filename": "a.txt",
    "purpose": "batch",
    "status": "processed",
}


def messages(failures: list[Any]) -> str:
    return " | ".join(f.message for f in failures)


def exchange(body: bytes, content_type: str = "application/octet-stream") -> Exchange:
    return Exchange(
        RecordedRequest("GET", "http://t/v1/files/file-1/content"),
        200,
        (("content-type", content_type),),
        body,
    )


def test_file_object_fields() -> None:
    good: dict[str, Any] = {"filename": "a.txt", "purpose": "batch", "size": 3}
    assert file_object_fields(FILE, **good) == []
    assert "`bytes` must be the uploaded size 3, got 4" in messages(
        file_object_fields({**FILE, "bytes": 4}, **good)
    )
    assert '`object` must be "file"' in messages(
        file_object_fields({**FILE, "object": "files"}, **good)
    )
    assert "integer Unix seconds" in messages(
        file_object_fields({**FILE, "created_at": "1"}, **good)
    )
    assert "asked for 'file-2'" in messages(file_object_fields(FILE, file_id="file-2", **good))
    assert file_object_fields([], **good)[0].rule == "file_object"


def test_file_content_is() -> None:
    assert file_content_is(exchange(b"abc"), b"abc") == []
    metadata = exchange(json.dumps(FILE).encode(), "application/json")
    assert "(metadata, not content)" in messages(file_content_is(metadata, b"abc"))
    assert "got 2 bytes" in messages(file_content_is(exchange(b"ab"), b"abc"))


def test_listing_and_deletion() -> None:
    ids = listed_ids({"data": [{"id": "file-1"}, "junk"]})
    assert ids == ["file-1"]
    assert file_listed(ids, "file-1", expected=True, when="now") == []
    assert "is still in GET /files" in messages(
        file_listed(ids, "file-1", expected=False, when="after DELETE")
    )
    assert "is missing from" in messages(file_listed([], "file-1", expected=True, when="now"))
    assert deletion_confirmed({"id": "f", "object": "file", "deleted": True}, "f", "file") == []
    assert deletion_confirmed({"id": "f", "deleted": False}, "f", "file")[0].rule == "deletion"


def test_multipart_body_round_trips_through_the_mock_parser() -> None:
    from oaiconform.mock.handlers._multipart import parse_multipart

    body, content_type = multipart_body({"purpose": "batch"}, "a.jsonl", b"{}\n", "bnd")
    parts = parse_multipart(content_type, body)
    assert [(p.name, p.filename, p.data) for p in parts] == [
        ("purpose", None, b"batch"),
        ("file", "a.jsonl", b"{}\n"),
    ]


BATCH = {
    "id": "batch_1",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "input_file_id": "file-1",
    "status": "completed",
    "request_counts": {"total": 2, "completed": 2, "failed": 0},
    "output_file_id": "file-2",
}


def test_batch_checks() -> None:
    fields = {"endpoint": "/v1/chat/completions", "input_file_id": "file-1"}
    assert batch_object_fields(BATCH, **fields) == []
    assert "unknown `status` 'done'" in messages(
        batch_object_fields({**BATCH, "status": "done"}, **fields)
    )
    assert "`endpoint` must be" in messages(
        batch_object_fields({**BATCH, "endpoint": "/v1/x"}, **fields)
    )
    assert completed_batch_counts(BATCH, 2) == []
    zero = {**BATCH, "request_counts": {"total": 2, "completed": 0, "failed": 0}}
    assert "must equal total (2)" in messages(completed_batch_counts(zero, 2))
    assert "no output_file_id" in messages(
        completed_batch_counts({**BATCH, "output_file_id": None}, 2)
    )


def _line(custom_id: str, status: int = 200) -> str:
    return json.dumps(
        {"custom_id": custom_id, "response": {"status_code": status, "body": {"id": "x"}}}
    )


def test_output_answers_inputs() -> None:
    good = f"{_line('a')}\n{_line('b')}\n".encode()
    assert output_answers_inputs(good, ["a", "b"]) == []
    assert "no output line answers custom_id(s) ['b']" in messages(
        output_answers_inputs(f"{_line('a')}\n".encode(), ["a", "b"])
    )
    assert "answered twice" in messages(
        output_answers_inputs(f"{_line('a')}\n{_line('a')}\n".encode(), ["a"])
    )
    assert "has no 200 response" in messages(
        output_answers_inputs(f"{_line('a', 500)}\n".encode(), ["a"])
    )
    assert "is not JSON" in messages(output_answers_inputs(b"nope\n", []))


def response(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "model": "gpt-4o-mini",
        "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "Hi."}]},
        ],
        "usage": {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7},
    }
    body.update(changes)
    return body


def test_response_object_fields() -> None:
    assert response_object_fields(response(), model="gpt-4o-mini") == []
    assert output_text(response()) == "Hi."
    assert '`object` must be "response"' in messages(
        response_object_fields(response(object="responses"))
    )
    bad_usage = response(usage={"input_tokens": 5, "output_tokens": 2, "total_tokens": 2})
    assert "usage.total_tokens (2)" in messages(response_object_fields(bad_usage))


def test_incomplete_and_conversation() -> None:
    cut = response(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    assert incomplete_at_max_output_tokens(cut, 16) == []
    assert 'expected status "incomplete"' in messages(
        incomplete_at_max_output_tokens(response(), 16)
    )
    first = response()
    second = response(
        id="resp_2",
        previous_response_id="resp_1",
        usage={"input_tokens": 12, "output_tokens": 2, "total_tokens": 14},
    )
    assert continues_conversation(first, second) == []
    assert "must echo previous_response_id" in messages(
        continues_conversation(first, {**second, "previous_response_id": None})
    )
    forgetful = {**second, "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}}
    assert "was not continued" in messages(continues_conversation(first, forgetful))


TOOL = {
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def call(arguments: Any, **extra: Any) -> dict[str, Any]:
    item = {"type": "function_call", "name": "get_weather", "call_id": "call_1"}
    return response(output=[{**item, "arguments": arguments, **extra}])


def test_function_call_matches() -> None:
    assert function_call_matches(call('{"city": "Paris"}'), TOOL) == []
    assert "JSON-encoded string, got a dict" in messages(
        function_call_matches(call({"city": "Paris"}), TOOL)
    )
    assert "do not match the tool's parameters" in messages(function_call_matches(call("{}"), TOOL))
    assert "is not JSON" in messages(function_call_matches(call("{"), TOOL))
    assert "no `call_id`" in messages(function_call_matches(call("{}", call_id=""), TOOL))
    assert "expected a function_call output item" in messages(
        function_call_matches(response(), TOOL)
    )


def test_input_items_echo() -> None:
    listing = {"data": [{"type": "message", "content": [{"type": "input_text", "text": "Hello"}]}]}
    assert input_items_echo(listing, "Hello") == []
    assert "no input message" in messages(input_items_echo(listing, "Bye"))
    assert input_items_echo({}, "Hello")[0].rule == "input_items"
