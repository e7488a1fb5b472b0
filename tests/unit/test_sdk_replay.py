"""Recorded answers replayed through the official openai SDK: what a real client does with them.

Most exchanges are recorded by a Target against the embedded mock (correct, or with a named
fault); a few defects no mock fault produces are built by hand. Each expectation is what the
installed SDK was seen to do, not what it might do.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import struct
from typing import Any

import pytest

from oaiconform.checks.files import multipart_body
from oaiconform.exchange import Exchange, RecordedRequest, StreamExchange
from oaiconform.mock import MockServer
from oaiconform.target import Target
from tests.conftest import StartMock, target_for

openai = pytest.importorskip("openai")

from oaiconform import sdk_replay  # noqa: E402  (after the skip: it replays through openai)
from oaiconform.sdk_replay import LOOP_DETAIL, SdkReplay, replay_exchanges  # noqa: E402

MODEL = "gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "hi"}]
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
NOWHERE = "http://replay.invalid/v1"  # never resolved: the replay does no network


def replays(target: Target) -> list[SdkReplay]:
    return replay_exchanges(target.exchanges, target.streams)


def by_call(results: list[SdkReplay]) -> dict[str, SdkReplay]:
    return {r.call: r for r in results}


def chat_stream(target: Target, **extra: Any) -> None:
    body = {"model": MODEL, "messages": MESSAGES, "stream": True, **extra}
    target.stream("POST", "chat/completions", json=body)


def recorded(
    method: str, path: str, request: Any, status: int, body: Any, media: str = "application/json"
) -> Exchange:
    """An exchange as Target records one (the body decoded, the headers as received)."""
    return Exchange(
        request=RecordedRequest(
            method, f"{NOWHERE}/{path}", body=json.dumps(request).encode() if request else b""
        ),
        status=status,
        headers=(("content-type", media), ("content-encoding", "gzip")),
        body=body if isinstance(body, bytes) else json.dumps(body).encode(),
    )


def embeddings(vector: Any) -> dict[str, Any]:
    return {
        "object": "list",
        "model": "m",
        "data": [{"object": "embedding", "index": 0, "embedding": vector}],
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }


def test_sdk_version_is_the_installed_one() -> None:
    assert sdk_replay.sdk_version() == openai.__version__


def test_correct_answers_are_fine_through_every_call(correct_mock: MockServer) -> None:
    target = target_for(correct_mock)
    target.post("chat/completions", json={"model": MODEL, "messages": MESSAGES})
    chat_stream(target)
    chat_stream(target, tools=[TOOL], tool_choice="required")
    target.post("completions", json={"model": "gpt-3.5-turbo-instruct", "prompt": "hi"})
    target.stream(
        "POST",
        "completions",
        json={"model": "gpt-3.5-turbo-instruct", "prompt": "hi", "stream": True},
    )
    target.post("embeddings", json={"model": "text-embedding-3-small", "input": "hi"})
    target.post(
        "embeddings",
        json={"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "base64"},
    )
    target.get("models")
    target.get(f"models/{MODEL}")
    target.post("responses", json={"model": MODEL, "input": "hi"})
    target.stream("POST", "responses", json={"model": MODEL, "input": "hi", "stream": True})

    results = replays(target)

    assert [(r.outcome, r.detail) for r in results] == [("fine", "")] * len(results)
    calls = [r.call for r in results]
    # A stream's head is in target.exchanges and target.streams: replayed once per call.
    assert calls.count("client.chat.completions.create(stream=True) iterated") == 2
    assert calls.count("client.chat.completions.stream(...).get_final_completion()") == 2
    assert {
        "client.chat.completions.create()",
        "client.completions.create()",
        "client.completions.create(stream=True) iterated",
        "client.models.list() iterated",
        "client.models.retrieve()",
        "client.responses.create().output_text",
        "client.responses.create(stream=True) iterated",
        "client.responses.stream(...).get_final_response().output_text",
    } <= set(calls)
    embedding_calls = [c for c in calls if c.startswith("client.embeddings.create()")]
    assert len(embedding_calls) == 2
    assert len(results) == 14
    assert {r.sdk_version for r in results} == {openai.__version__}
    assert results[0].request == "POST /v1/chat/completions"


def test_an_answer_cut_by_max_tokens_is_fine_though_the_stream_helper_raises(
    correct_mock: MockServer,
) -> None:
    """`chat.completions.stream()` raises LengthFinishReasonError for any answer cut by
    max_tokens: the SDK's design, not evidence against the server (llama.cpp's stream)."""
    target = target_for(correct_mock)
    chat_stream(target, max_tokens=1)
    results = replays(target)
    assert {r.outcome for r in results} == {"fine"}, results
    assert any(r.call.startswith("client.chat.completions.stream(") for r in results)


def test_an_error_answer_the_sdk_raises_as_its_status_error_is_fine(
    correct_mock: MockServer,
) -> None:
    target = target_for(correct_mock)
    target.post("chat/completions", json={"model": MODEL, "messages": []})
    target.get("models/no-such-model")
    assert [(r.call, r.outcome) for r in replays(target)] == [
        ("client.chat.completions.create()", "fine"),
        ("client.models.retrieve()", "fine"),
    ]


def _sdk_keeps_a_text_error_message() -> bool:
    """Asked of the installed SDK directly: SDK versions differ here (3.0 keeps the text of a
    text/plain error in the exception's message, 3.63 does not), and the replay must say what
    the installed one does."""
    import openai

    from oaiconform.sdk_replay import _http_module

    http = _http_module()
    answer = http.Response(400, text="bad messages", headers={"content-type": "text/plain"})
    client = openai.OpenAI(
        base_url="http://127.0.0.1:9/v1",
        api_key="sk-replay-not-a-key",
        max_retries=0,
        http_client=openai.DefaultHttpxClient(transport=http.MockTransport(lambda _: answer)),
    )
    try:
        client.models.retrieve("m")
    except openai.APIStatusError as exc:
        return "bad messages" in exc.message
    raise AssertionError("the SDK did not raise on a 400")


def test_a_plain_text_error_is_replayed_as_the_installed_sdk_reads_it(
    start_mock: StartMock,
) -> None:
    target = target_for(start_mock("plain-text-errors"))
    target.post("chat/completions", json={"model": MODEL, "messages": []})
    (result,) = replays(target)
    if _sdk_keeps_a_text_error_message():
        assert (result.outcome, result.detail) == ("fine", "")
    else:
        assert result.outcome == "differs"
        assert result.detail.startswith("BadRequestError.message is 'Error code: 400'")
        assert "is not in it" in result.detail


def test_a_keep_alive_sent_as_data_breaks_every_stream_call(start_mock: StartMock) -> None:
    target = target_for(start_mock("stream-keepalive-data"))
    chat_stream(target)
    target.stream("POST", "responses", json={"model": MODEL, "input": "hi", "stream": True})
    results = replays(target)
    assert len(results) == 4
    assert {r.outcome for r in results} == {"raised"}
    assert all(r.detail.startswith("JSONDecodeError: Expecting value") for r in results)


def test_a_tool_call_delta_without_index_breaks_only_the_stream_helper(
    start_mock: StartMock,
) -> None:
    target = target_for(start_mock("stream-tool-call-no-index"))
    chat_stream(target, tools=[TOOL], tool_choice="required")
    results = by_call(replays(target))
    # Iterating the raw chunks hands them over as sent; the helper that assembles them fails.
    assert results["client.chat.completions.create(stream=True) iterated"].outcome == "fine"
    helper = results["client.chat.completions.stream(...).get_final_completion()"]
    assert helper.outcome == "raised"
    assert helper.detail == "TypeError: list indices must be integers or slices, not NoneType"


def test_a_stream_sent_as_one_json_document(start_mock: StartMock) -> None:
    target = target_for(start_mock("stream-as-json"))
    chat_stream(target)
    target.stream("POST", "responses", json={"model": MODEL, "input": "hi", "stream": True})
    results = by_call(replays(target))
    iterated = results["client.chat.completions.create(stream=True) iterated"]
    assert iterated.outcome == "differs"  # the SDK yields no chunk at all
    assert "the SDK handed over no such choice" in iterated.detail
    helper = results["client.chat.completions.stream(...).get_final_completion()"]
    assert helper.outcome == "raised"
    assert helper.detail.startswith("AssertionError: (no message) at ")
    final = results["client.responses.stream(...).get_final_response().output_text"]
    assert final.outcome == "raised"
    assert final.detail == "RuntimeError: Didn't receive a `response.completed` event."


def test_a_responses_stream_without_its_terminal_event(start_mock: StartMock) -> None:
    target = target_for(start_mock("stream-no-terminal-event"))
    target.stream("POST", "responses", json={"model": MODEL, "input": "hi", "stream": True})
    results = by_call(replays(target))
    assert results["client.responses.create(stream=True) iterated"].outcome == "fine"
    final = results["client.responses.stream(...).get_final_response().output_text"]
    assert (final.outcome, final.detail) == (
        "raised",
        "RuntimeError: Didn't receive a `response.completed` event.",
    )


def upload_files(target: Target, count: int) -> None:
    for n in range(count):
        body, content_type = multipart_body(
            {"purpose": "assistants"}, f"replay-{n}.txt", b"hello", f"boundary{n:04d}"
        )
        target.post("files", content=body, headers={"Content-Type": content_type})
    target.exchanges.clear()


def walk_files(target: Target, pages: int) -> None:
    """Page through GET /files as the suites do: after = the last id of the page."""
    page = target.get("files", params={"limit": 2})
    for _ in range(pages - 1):
        body = page.json()
        if not body.get("has_more") or not body.get("data"):
            return
        page = target.get("files", params={"limit": 2, "after": body["data"][-1]["id"]})


def test_auto_pagination_over_recorded_pages_is_replayed_once(correct_mock: MockServer) -> None:
    target = target_for(correct_mock)
    upload_files(target, 5)
    walk_files(target, pages=10)
    assert len(target.exchanges) >= 3
    (result,) = replays(target)
    assert (result.call, result.outcome) == ("client.files.list() auto-paginated", "fine")


def test_a_cursor_the_server_ignores_makes_auto_pagination_loop(start_mock: StartMock) -> None:
    target = target_for(start_mock("after-ignored"))
    upload_files(target, 5)
    walk_files(target, pages=3)
    (result,) = replays(target)
    assert (result.outcome, result.detail) == ("differs", LOOP_DETAIL)


def test_the_recording_ends_where_the_test_stopped_paging() -> None:
    # No has_more: the SDK asks for the page after f2, which the test never fetched.
    page = {"object": "list", "data": [{"id": "f1", "object": "file"}, {"id": "f2"}]}
    (result,) = replay_exchanges([recorded("GET", "files?limit=2", None, 200, page)], [])
    assert (result.outcome, result.detail) == ("fine", "")


def test_embeddings_whose_base64_is_not_whole_float32s_make_the_sdk_raise() -> None:
    odd = base64.b64encode(struct.pack("<2f", 1.0, 2.0) + b"\0\0").decode()
    request = {"model": "m", "input": "x", "encoding_format": "base64"}
    (result,) = replay_exchanges(
        [recorded("POST", "embeddings", request, 200, embeddings(odd))], []
    )
    assert result.call.startswith("client.embeddings.create() (no encoding_format")
    assert (result.outcome, result.detail) == (
        "raised",
        "ValueError: bytes length not a multiple of item size",
    )


def test_embeddings_the_sdk_decodes_from_base64_match_the_server() -> None:
    packed = base64.b64encode(struct.pack("<3f", 1.0, 2.5, -3.0)).decode()
    request = {"model": "m", "input": "x"}
    (result,) = replay_exchanges(
        [recorded("POST", "embeddings", request, 200, embeddings(packed))], []
    )
    assert (result.outcome, result.detail) == ("fine", "")


def test_base64_sent_for_a_float_request_reaches_the_client_as_a_string() -> None:
    packed = base64.b64encode(struct.pack("<3f", 1.0, 2.5, -3.0)).decode()
    request = {"model": "m", "input": "x", "encoding_format": "float"}
    (result,) = replay_exchanges(
        [recorded("POST", "embeddings", request, 200, embeddings(packed))], []
    )
    assert result.call == "client.embeddings.create(encoding_format='float')"
    assert result.outcome == "differs"
    assert result.detail.startswith("embedding 0: the SDK handed over a str")


def test_a_broken_chunk_raises_in_the_sdk() -> None:
    stream = (
        b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,'
        b'"delta":{"content":"hi"}}]}\n\ndata: {"id":"c","choices":[{"index":0,"delta":\n\n'
        b"data: [DONE]\n\n"
    )
    request = {"model": "m", "messages": MESSAGES, "stream": True}
    exchange = recorded("POST", "chat/completions", request, 200, stream, "text/event-stream")
    results = replay_exchanges([exchange], [])
    assert [r.outcome for r in results] == ["raised", "raised"]
    assert all(r.detail.startswith("JSONDecodeError: Expecting value") for r in results)


def test_a_2xx_body_that_is_not_json_raises_in_the_sdk() -> None:
    exchange = recorded("POST", "chat/completions", {"model": "m", "messages": []}, 200, b"<html>")
    (result,) = replay_exchanges([exchange], [])
    assert result.outcome == "raised"
    assert result.detail.startswith("JSONDecodeError: ")


def test_unreplayable_requests_are_skipped() -> None:
    unanswered = recorded("POST", "chat/completions", {"model": "m"}, 0, b"")
    other = recorded("DELETE", "files/f1", None, 200, {"id": "f1", "deleted": True})
    # A generated invalid body with a non-boolean `stream`: no SDK call sends one.
    truthy = recorded("POST", "chat/completions", {"model": "m", "stream": "yes"}, 400, {})
    assert replay_exchanges([unanswered, other, truthy], []) == []


def test_answers_the_target_did_not_read_to_their_end_are_skipped() -> None:
    request = {"model": "m", "messages": MESSAGES, "stream": True}
    head = recorded("POST", "chat/completions", request, 200, b'data: {"id', "text/event-stream")
    stalled = StreamExchange(head=head, interrupted="no data for 1 s (the stream stalled)")
    capped = dataclasses.replace(
        recorded("POST", "chat/completions", {"model": "m"}, 200, b'{"id"'), truncated=True
    )
    assert replay_exchanges([head, capped], [stalled]) == []


def test_an_error_of_the_replay_itself_is_not_reported_as_the_sdks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: object, request: object) -> None:
        raise ZeroDivisionError("ours")

    monkeypatch.setattr(sdk_replay._Recording, "_answer", broken)
    exchange = recorded("GET", "models", None, 200, {"object": "list", "data": []})
    with pytest.raises(ZeroDivisionError, match="ours"):
        replay_exchanges([exchange], [])
