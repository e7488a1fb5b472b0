"""Checks are offline: a schema with a `$ref` to a URL is never fetched.

Tool parameters and response formats come with the traffic (from a client, through the proxy,
or from a target's echo), so a check that compiled them online would make requests of its own.
A local server on 127.0.0.1 counts the requests that reach it: there must be none, and each
check names the schema it could not use instead of crashing or passing it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from oaiconform.checks import Failure, observe_failing_checks
from oaiconform.checks.chat import json_schema_content
from oaiconform.checks.responses import function_call_matches
from oaiconform.checks.stream_assembly import chat_tool_call_stream
from oaiconform.checks.tools import tool_calls_well_formed
from oaiconform.spec import Spec, SpecError, SpecSource
from tests.unit.test_streaming_checks import stream_of


class _Counting(BaseHTTPRequestHandler):
    hits: list[str]  # set per server

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'{"type": "string"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def remote() -> Iterator[tuple[str, list[str]]]:
    """(the URL of a schema served on 127.0.0.1, the paths requested of that server)."""
    hits: list[str] = []
    handler = type("Handler", (_Counting,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/schema.json", hits
    finally:
        server.shutdown()
        server.server_close()


def _parameters(url: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"city": {"$ref": url}}, "required": ["city"]}


def _chat_tool_call(arguments: str) -> dict[str, Any]:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": arguments},
    }
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return {"choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}


def _tool(url: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "get_weather", "parameters": _parameters(url)}}


def _unusable(failures: list[Failure], url: str) -> None:
    assert [f.rule for f in failures] == ["unusable_schema"], failures
    assert "cannot be compiled offline" in failures[0].message
    assert url in failures[0].message


def test_tool_call_arguments_are_not_checked_against_a_remote_schema(
    remote: tuple[str, list[str]],
) -> None:
    url, hits = remote
    failures = tool_calls_well_formed(_chat_tool_call('{"city": 1}'), [_tool(url)])
    _unusable(failures, url)
    assert "the parameters schema of get_weather" in failures[0].message
    assert hits == []


def test_structured_output_is_not_checked_against_a_remote_schema(
    remote: tuple[str, list[str]],
) -> None:
    url, hits = remote
    body = {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": '{"city": 1}'},
                "finish_reason": "stop",
            }
        ]
    }
    _unusable(json_schema_content(body, _parameters(url)), url)
    assert hits == []


def test_responses_function_call_is_not_checked_against_a_remote_schema(
    remote: tuple[str, list[str]],
) -> None:
    url, hits = remote
    body = {
        "output": [
            {
                "type": "function_call",
                "name": "get_weather",
                "call_id": "call_1",
                "arguments": '{"city": 1}',
            }
        ]
    }
    tool = {"type": "function", "name": "get_weather", "parameters": _parameters(url)}
    _unusable(function_call_matches(body, tool), url)
    assert hits == []


def test_streamed_tool_call_is_not_checked_against_a_remote_schema(
    remote: tuple[str, list[str]],
) -> None:
    url, hits = remote
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    call = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": 1}'},
    }
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [call]}}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    raw = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks] + [b"data: [DONE]\n\n"]
    request = {"stream": True, "tools": [_tool(url)], "tool_choice": "required"}
    _unusable(chat_tool_call_stream(stream_of(raw, request)), url)
    assert hits == []


def test_a_local_ref_still_resolves_offline() -> None:
    parameters = {
        "type": "object",
        "$defs": {"City": {"type": "string"}},
        "properties": {"city": {"$ref": "#/$defs/City"}},
        "required": ["city"],
    }
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": parameters}}
    assert tool_calls_well_formed(_chat_tool_call('{"city": "Oslo"}'), [tool]) == []
    wrong = tool_calls_well_formed(_chat_tool_call('{"city": 1}'), [tool])
    assert [f.rule for f in wrong] == ["tool_calls"]
    assert 'is not of type "string"' in wrong[0].message


def test_an_unusable_schema_is_a_failure_the_observer_sees(remote: tuple[str, list[str]]) -> None:
    url, hits = remote
    with observe_failing_checks() as failing:
        tool_calls_well_formed(_chat_tool_call('{"city": "Oslo"}'), [_tool(url)])
    assert failing == {"tools.tool_calls_well_formed"}
    assert hits == []


def test_a_description_with_a_remote_ref_is_a_spec_error_not_a_fetch(
    remote: tuple[str, list[str]],
) -> None:
    url, hits = remote
    document = {
        "openapi": "3.1.0",
        "paths": {},
        "components": {
            "schemas": {"Local": {"type": "object"}, "Remote": {"$ref": url}},
        },
    }
    content = json.dumps(document).encode()
    spec = Spec(SpecSource("flag", "remote-ref.json", content, "0" * 64, False), document)
    assert spec.validate("/components/schemas/Local", {}) == []
    with pytest.raises(SpecError, match="cannot be compiled"):
        spec.validate("/components/schemas/Remote", "Oslo")
    assert hits == []
