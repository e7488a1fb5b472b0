"""Streamed chat completions created with `store: true` are stored as the stream delivered them.

The stored object is what a client sees when it retrieves or lists completions afterwards
(e.g. an evals dashboard); it must say what the stream said, or a stored transcript lies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletion, ChatCompletionToolParam

from oaiconform.mock import MockConfig, MockServer
from oaiconform.spec import Spec

KEY = "sk-oaiconform-stored-streams-0123456789"
MODEL = "gpt-4o-mini"
WEATHER: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    },
}


@pytest.fixture(scope="module")
def server(spec: Spec) -> Iterator[MockServer]:
    with MockServer(MockConfig(api_keys=(KEY,)), spec) as running:
        yield running


@pytest.fixture
def client(server: MockServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0)


def _call(call: dict[str, Any]) -> tuple[Any, ...]:
    return (call["id"], call["type"], call["function"]["name"], call["function"]["arguments"])


def _summary(completion: ChatCompletion) -> list[tuple[Any, ...]]:
    """Per choice: what a client reads from it (text, tool calls, finish reason)."""
    return [
        (
            choice.index,
            choice.message.content,
            [_call(call.model_dump()) for call in choice.message.tool_calls or []],
            choice.finish_reason,
        )
        for choice in sorted(completion.choices, key=lambda c: c.index)
    ]


def test_streamed_text_is_stored_as_delivered(client: OpenAI) -> None:
    with client.chat.completions.stream(
        model=MODEL,
        messages=[{"role": "user", "content": "Stream and keep this."}],
        n=3,
        store=True,
        metadata={"suite": "stored-streams", "kind": "text"},
    ) as stream:
        delivered = stream.get_final_completion()
    assert all(choice.message.content for choice in delivered.choices)
    stored = client.chat.completions.retrieve(delivered.id)
    assert (stored.id, stored.object, stored.model) == (delivered.id, "chat.completion", MODEL)
    assert stored.created == delivered.created
    assert _summary(stored) == _summary(delivered)
    assert stored.metadata == {"suite": "stored-streams", "kind": "text"}
    assert stored.usage is not None and stored.usage.completion_tokens > 0
    listed = client.chat.completions.list(metadata={"kind": "text"})
    assert [c.id for c in listed] == [delivered.id]
    messages = client.chat.completions.messages.list(delivered.id)
    assert [(m.role, m.content) for m in messages.data] == [("user", "Stream and keep this.")]
    assert client.chat.completions.delete(delivered.id).deleted


def test_streamed_tool_calls_are_stored_as_delivered(client: OpenAI) -> None:
    with client.chat.completions.stream(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather in Paris for 3 days?"}],
        tools=[WEATHER],
        tool_choice="required",
        store=True,
    ) as stream:
        delivered = stream.get_final_completion()
    calls = delivered.choices[0].message.tool_calls
    assert calls and calls[0].function.name == "get_weather"
    stored = client.chat.completions.retrieve(delivered.id)
    assert _summary(stored) == _summary(delivered)
    assert stored.choices[0].finish_reason == "tool_calls"


def test_streamed_text_cut_by_a_limit_is_stored_cut(client: OpenAI) -> None:
    # The SDK's stream helper refuses a "length" finish, so the chunks are joined here.
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Say a lot."}],
        max_completion_tokens=3,
        n=2,
        store=True,
        stream=True,
    )
    texts: dict[int, str] = {}
    finishes: dict[int, str] = {}
    ids = set()
    for chunk in stream:
        ids.add(chunk.id)
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    (completion_id,) = ids
    stored = client.chat.completions.retrieve(completion_id)
    assert {c.index: c.message.content for c in stored.choices} == texts
    assert {c.index: c.finish_reason for c in stored.choices} == finishes
    assert finishes == {0: "length", 1: "length"}


def test_a_stream_without_store_is_not_stored(client: OpenAI) -> None:
    with client.chat.completions.stream(
        model=MODEL, messages=[{"role": "user", "content": "Forget me."}], store=False
    ) as stream:
        delivered = stream.get_final_completion()
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve(delivered.id)
    assert delivered.id not in [c.id for c in client.chat.completions.list()]


def test_a_full_store_refuses_a_stream_with_an_error_status(spec: Spec) -> None:
    """The limit is checked before the first byte: an envelope, never a stream cut short."""
    config = MockConfig(api_keys=(KEY,), max_objects_per_key=1)
    with MockServer(config, spec) as full:
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": "Keep me."}],
            "stream": True,
            "store": True,
        }
        headers = {"Authorization": f"Bearer {KEY}"}
        url = f"{full.base_url}/chat/completions"
        first = httpx.post(url, json=body, headers=headers)
        assert first.status_code == 200 and first.text.endswith("data: [DONE]\n\n")
        second = httpx.post(url, json=body, headers=headers)
        assert second.status_code == 400
        assert second.json()["error"]["code"] == "storage_limit_exceeded"
