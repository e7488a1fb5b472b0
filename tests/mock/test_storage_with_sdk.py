"""Files, batches, responses and stored chat completions, driven by the official `openai` SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import OpenAI

from oaiconform.mock import MockConfig, MockServer
from oaiconform.spec import Spec

KEY = "sk-oaiconform-storage-0123456789abcdef"
OTHER_KEY = "sk-oaiconform-storage-other-0123456789"
MODEL = "gpt-4o-mini"


@pytest.fixture(scope="module")
def server(spec: Spec) -> Iterator[MockServer]:
    config = MockConfig(api_keys=(KEY, OTHER_KEY), max_upload_bytes=4096)
    with MockServer(config, spec) as running:
        yield running


@pytest.fixture
def client(server: MockServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0)


@pytest.fixture
def other(server: MockServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key=OTHER_KEY, max_retries=0)


def test_file_lifecycle_and_auto_pagination(client: OpenAI) -> None:
    uploaded = [
        client.files.create(file=(f"f{n}.txt", f"file {n}".encode()), purpose="user_data")
        for n in range(7)
    ]
    first = uploaded[0]
    assert (first.object, first.bytes, first.filename, first.purpose, first.status) == (
        "file",
        6,
        "f0.txt",
        "user_data",
        "processed",
    )
    page = client.files.list(limit=2, purpose="user_data")
    assert len(page.data) == 2 and page.has_more
    walked = [f.id for f in client.files.list(limit=2, purpose="user_data")]  # auto-paginates
    assert sorted(walked) == sorted(f.id for f in uploaded)
    assert len(walked) == len(set(walked))
    ascending = [f.id for f in client.files.list(limit=3, order="asc", purpose="user_data")]
    assert ascending == list(reversed(walked))
    assert client.files.retrieve(first.id).id == first.id
    assert client.files.content(first.id).content == b"file 0"
    for f in uploaded:
        deleted = client.files.delete(f.id)
        assert (deleted.id, deleted.object, deleted.deleted) == (f.id, "file", True)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(first.id)
    assert [f.id for f in client.files.list(purpose="user_data")] == []


def test_upload_errors_are_envelopes(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        client.files.create(file=("x.txt", b"x"), purpose="nonsense")  # type: ignore[arg-type]
    assert bad.value.body["param"] == "purpose"  # type: ignore[index]
    with pytest.raises(openai.APIStatusError) as big:
        client.files.create(file=("big.txt", b"x" * 5000), purpose="user_data")
    assert big.value.status_code == 413
    with pytest.raises(openai.BadRequestError):
        client.files.create(file=("in.jsonl", b"not json\n"), purpose="batch")


def test_another_keys_objects_are_not_found(client: OpenAI, other: OpenAI) -> None:
    mine = client.files.create(file=("mine.txt", b"secret"), purpose="user_data")
    response = client.responses.create(model=MODEL, input="hi")
    try:
        with pytest.raises(openai.NotFoundError):
            other.files.retrieve(mine.id)
        with pytest.raises(openai.NotFoundError):
            other.files.content(mine.id)
        with pytest.raises(openai.NotFoundError):
            other.files.delete(mine.id)
        with pytest.raises(openai.NotFoundError):
            other.responses.retrieve(response.id)
        assert mine.id not in [f.id for f in other.files.list()]
        assert client.files.retrieve(mine.id).id == mine.id
    finally:
        client.files.delete(mine.id)
        client.responses.delete(response.id)


def _batch_input(n: int) -> bytes:
    lines = [
        {
            "custom_id": f"req-{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": MODEL if i else "no-such-model",
                "messages": [{"role": "user", "content": f"Say {i}."}],
            },
        }
        for i in range(n)
    ]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def test_batch_runs_to_completed_with_output_and_error_files(client: OpenAI) -> None:
    source = client.files.create(file=("in.jsonl", _batch_input(3)), purpose="batch")
    batch = client.batches.create(
        input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert batch.status == "validating"
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed) == (3, 2)
    assert done.request_counts.failed == 1
    assert done.in_progress_at and done.finalizing_at and done.completed_at
    assert done.output_file_id and done.error_file_id
    output = [json.loads(x) for x in client.files.content(done.output_file_id).text.splitlines()]
    assert sorted(o["custom_id"] for o in output) == ["req-1", "req-2"]
    assert all(o["response"]["body"]["object"] == "chat.completion" for o in output)
    errors = [json.loads(x) for x in client.files.content(done.error_file_id).text.splitlines()]
    assert [(e["custom_id"], e["response"]["status_code"]) for e in errors] == [("req-0", 404)]
    assert client.files.retrieve(done.output_file_id).purpose == "batch_output"
    assert batch.id in [b.id for b in client.batches.list(limit=100)]
    with pytest.raises(openai.BadRequestError):
        client.batches.cancel(batch.id)


def test_batch_cancel_and_malformed_input(client: OpenAI) -> None:
    source = client.files.create(file=("in.jsonl", _batch_input(1)), purpose="batch")
    batch = client.batches.create(
        input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert client.batches.cancel(batch.id).status == "cancelling"
    assert client.batches.retrieve(batch.id).status == "cancelled"
    wrong = client.batches.create(
        input_file_id=source.id, endpoint="/v1/embeddings", completion_window="24h"
    )
    assert wrong.status == "failed"
    assert wrong.errors is not None and wrong.errors.data
    assert wrong.errors.data[0].param == "url"


def test_responses_create_retrieve_items_continue_delete(client: OpenAI) -> None:
    first = client.responses.create(model=MODEL, input="My name is Ada.", instructions="Be brief.")
    assert first.status == "completed" and first.output_text
    assert client.responses.retrieve(first.id).output_text == first.output_text
    items = client.responses.input_items.list(first.id)
    assert [i.type for i in items.data] == ["message"]
    second = client.responses.create(
        model=MODEL, input="What is my name?", previous_response_id=first.id
    )
    assert second.previous_response_id == first.id
    assert first.usage is not None and second.usage is not None
    assert second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens
    cut = client.responses.create(model=MODEL, input="Tell a story.", max_output_tokens=16)
    assert cut.status == "incomplete" and cut.incomplete_details is not None
    assert cut.incomplete_details.reason == "max_output_tokens"
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=MODEL, input="x", previous_response_id="resp_unknown")
    unstored = client.responses.create(model=MODEL, input="x", store=False)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(unstored.id)
    for response in (first, second, cut):
        client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(first.id)


def test_responses_function_tool_call(client: OpenAI) -> None:
    parameters = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
        "required": ["city", "days"],
        "additionalProperties": False,
    }
    response = client.responses.create(
        model=MODEL,
        input="Weather in Paris?",
        tools=[{"type": "function", "name": "forecast", "parameters": parameters, "strict": True}],
    )
    call = response.output[0]
    assert call.type == "function_call"
    arguments = json.loads(call.arguments)
    assert set(arguments) == {"city", "days"} and isinstance(arguments["days"], int)
    answer = client.responses.create(
        model=MODEL,
        previous_response_id=response.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}],
        tools=[{"type": "function", "name": "forecast", "parameters": parameters, "strict": True}],
    )
    assert answer.output[0].type == "message" and answer.output_text


def test_responses_stream_events(client: OpenAI) -> None:
    plain = client.responses.create(model=MODEL, input="Stream me.", store=False)
    events = list(client.responses.create(model=MODEL, input="Stream me.", stream=True))
    types = [e.type for e in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == plain.output_text
    final = events[-1]
    assert final.type == "response.completed"
    assert final.response.output_text == deltas
    client.responses.delete(final.response.id)


def test_stored_chat_completions(client: OpenAI) -> None:
    created = [
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": f"Hello {n}"}],
            store=True,
            metadata={"suite": "storage", "n": str(n)},
        )
        for n in range(3)
    ]
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    listed = list(client.chat.completions.list(metadata={"suite": "storage"}, limit=2))
    assert sorted(c.id for c in listed) == sorted(c.id for c in created)
    # Ascending by time, ties in creation order (created here one after another).
    assert [c.id for c in listed] == [c.id for c in created]
    one = client.chat.completions.retrieve(created[0].id)
    assert one.choices[0].message.content == created[0].choices[0].message.content
    updated = client.chat.completions.update(created[0].id, metadata={"suite": "changed"})
    assert updated.metadata == {"suite": "changed"}
    messages = client.chat.completions.messages.list(created[1].id)
    assert [m.content for m in messages.data] == ["Hello 1"]
    for completion in created:
        assert client.chat.completions.delete(completion.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve(created[0].id)


@pytest.mark.parametrize("with_tool", [False, True])
def test_streamed_events_are_typed_ordered_and_valid(
    server: MockServer, spec: Spec, with_tool: bool
) -> None:
    """Each event's `event:` name is its `type`, sequence numbers rise, one terminal event comes
    last, and every event validates against the spec's ResponseStreamEvent schema."""
    body: dict[str, object] = {"model": MODEL, "input": "Hi.", "stream": True, "store": False}
    if with_tool:
        body["tools"] = [
            {"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": False}
        ]
    answer = httpx.post(
        f"{server.base_url}/responses", json=body, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = []
    for block in answer.text.strip().split("\n\n"):
        name_line, data_line = block.split("\n")
        event = json.loads(data_line.removeprefix("data: "))
        assert name_line == f"event: {event['type']}"
        assert spec.validate("/components/schemas/ResponseStreamEvent", event) == []
        events.append(event)
    numbers = [e["sequence_number"] for e in events]
    assert numbers == sorted(set(numbers))
    terminal = [e for e in events if e["type"] in ("response.completed", "response.incomplete")]
    assert terminal == [events[-1]]
    kinds = [e["type"] for e in events]
    expected = "response.function_call_arguments.done" if with_tool else "response.output_text.done"
    assert expected in kinds
