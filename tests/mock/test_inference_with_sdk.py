"""Embeddings, moderations, completions, tools and structured output of the mock, driven by the
official `openai` SDK as an application would drive them (no patching of the SDK)."""

from __future__ import annotations

import base64
import json
import math
import struct
from typing import Any

import openai
import pytest
from openai import OpenAI
from openai.types import ModerationMultiModalInputParam
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from pydantic import BaseModel

from oaiconform.mock import MockServer
from tests.conftest import TEST_KEY

EMBEDDING_MODEL = "text-embedding-3-small"
CHAT_MODEL = "gpt-4o-mini"
WEATHER: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 3},
            },
            "required": ["city", "unit", "days"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
TIME: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
ASK: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Weather and time in Oslo?"}]


@pytest.fixture
def client(correct_mock: MockServer) -> OpenAI:
    return OpenAI(base_url=correct_mock.base_url, api_key=TEST_KEY, max_retries=0)


# --- embeddings ---


def test_embeddings_are_unit_vectors_in_input_order_and_deterministic(client: OpenAI) -> None:
    texts = ["alpha", "beta", "gamma"]
    first = client.embeddings.create(model=EMBEDDING_MODEL, input=texts, encoding_format="float")
    assert [d.index for d in first.data] == [0, 1, 2]
    assert {len(d.embedding) for d in first.data} == {1536}
    assert all(math.isclose(math.hypot(*d.embedding), 1.0, rel_tol=1e-5) for d in first.data)
    alone = client.embeddings.create(model=EMBEDDING_MODEL, input="beta", encoding_format="float")
    assert alone.data[0].embedding == first.data[1].embedding
    assert first.usage.prompt_tokens == first.usage.total_tokens == 3
    large = client.embeddings.create(model="text-embedding-3-large", input=[[1, 2, 3]])
    assert len(large.data[0].embedding) == 3072


def test_embeddings_in_base64_decode_to_the_same_floats(client: OpenAI) -> None:
    floats = client.embeddings.create(
        model=EMBEDDING_MODEL, input="same text", dimensions=32, encoding_format="float"
    )
    # Without encoding_format the SDK asks for base64 and decodes it itself.
    decoded = client.embeddings.create(model=EMBEDDING_MODEL, input="same text", dimensions=32)
    assert decoded.data[0].embedding == floats.data[0].embedding
    raw = client.embeddings.create(
        model=EMBEDDING_MODEL, input="same text", dimensions=32, encoding_format="base64"
    )
    encoded = raw.data[0].embedding
    assert isinstance(encoded, str)
    values = list(struct.unpack("<32f", base64.b64decode(encoded)))
    assert values == floats.data[0].embedding


def test_embeddings_refuse_what_the_api_refuses(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as empty:
        client.embeddings.create(model=EMBEDDING_MODEL, input="")
    assert empty.value.param == "input"
    with pytest.raises(openai.BadRequestError) as too_many:
        client.embeddings.create(model=EMBEDDING_MODEL, input="x", dimensions=5000)
    assert too_many.value.param == "dimensions"
    with pytest.raises(openai.NotFoundError) as missing:
        client.embeddings.create(model="no-such-embedder", input="x")
    assert missing.value.code == "model_not_found"


# --- moderations ---


def test_moderations_flag_trigger_words_and_score_every_category(client: OpenAI) -> None:
    result = client.moderations.create(input=["I will kill them", "A lovely picnic"])
    violent, benign = result.results
    assert violent.flagged and violent.categories.violence
    assert violent.category_scores.violence > 0.5
    assert not benign.flagged
    scores = benign.category_scores.model_dump(by_alias=True)
    assert len(scores) == 13 and all(0 <= s <= 1 for s in scores.values())
    assert result.model == "omni-moderation-latest"
    parts: list[ModerationMultiModalInputParam] = [
        {"type": "text", "text": "gore"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]
    image = client.moderations.create(input=parts)
    assert len(image.results) == 1
    assert image.results[0].category_applied_input_types.violence == ["text", "image"]


# --- legacy completions ---


def test_completions_honour_prompts_n_echo_max_tokens_and_logprobs(client: OpenAI) -> None:
    completion = client.completions.create(
        model="gpt-3.5-turbo-instruct",
        prompt=["Say", "Hi"],
        n=2,
        max_tokens=3,
        echo=True,
        logprobs=2,
    )
    assert completion.object == "text_completion"
    assert [c.index for c in completion.choices] == [0, 1, 2, 3]
    assert all(c.finish_reason == "length" for c in completion.choices)
    assert completion.choices[2].text.startswith("Hi")
    logprobs = completion.choices[0].logprobs
    assert logprobs is not None and logprobs.tokens is not None
    assert "".join(logprobs.tokens) == completion.choices[0].text
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 12
    assert completion.usage.prompt_tokens == 2


def test_completions_stop_and_stream_match_the_whole_text(client: OpenAI) -> None:
    whole = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Go", seed=3)
    assert whole.choices[0].text and whole.choices[0].finish_reason in ("stop", "length")
    word = whole.choices[0].text.split()[1]
    cut = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Go", seed=3, stop=word)
    assert word not in cut.choices[0].text and cut.choices[0].finish_reason == "stop"
    stream = client.completions.create(
        model="gpt-3.5-turbo-instruct", prompt="Go", seed=3, stream=True
    )
    chunks = list(stream)
    assert "".join(c.choices[0].text for c in chunks) == whole.choices[0].text
    assert [c.choices[0].finish_reason for c in chunks][-1] == whole.choices[0].finish_reason


# --- tools ---


def _arguments_valid(arguments: str) -> dict[str, Any]:
    value = json.loads(arguments)
    assert isinstance(value, dict)
    return value


def test_tool_choice_auto_required_and_named(client: OpenAI) -> None:
    auto = client.chat.completions.create(model=CHAT_MODEL, messages=ASK, tools=[WEATHER, TIME])
    calls = auto.choices[0].message.tool_calls or []
    assert auto.choices[0].finish_reason == "tool_calls"
    assert auto.choices[0].message.content is None
    assert [c.function.name for c in calls if c.type == "function"] == ["get_weather", "get_time"]
    assert len({c.id for c in calls}) == 2 and all(c.id.startswith("call_") for c in calls)
    weather = _arguments_valid(calls[0].function.arguments) if calls[0].type == "function" else {}
    assert weather["unit"] in ("celsius", "fahrenheit") and 1 <= weather["days"] <= 3
    single = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=ASK,
        tools=[WEATHER, TIME],
        tool_choice="required",
        parallel_tool_calls=False,
    )
    assert len(single.choices[0].message.tool_calls or []) == 1
    named = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=ASK,
        tools=[WEATHER, TIME],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )
    named_calls = named.choices[0].message.tool_calls or []
    assert [c.function.name for c in named_calls if c.type == "function"] == ["get_time"]
    none = client.chat.completions.create(
        model=CHAT_MODEL, messages=ASK, tools=[WEATHER], tool_choice="none"
    )
    assert none.choices[0].message.tool_calls is None and none.choices[0].message.content


def test_streamed_tool_calls_join_to_the_non_streamed_calls(client: OpenAI) -> None:
    whole = client.chat.completions.create(model=CHAT_MODEL, messages=ASK, tools=[WEATHER, TIME])
    stream = client.chat.completions.create(
        model=CHAT_MODEL, messages=ASK, tools=[WEATHER, TIME], stream=True
    )
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in stream:
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        for delta in choice.delta.tool_calls or []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            call["id"] += delta.id or ""
            function = delta.function
            call["name"] += (function.name or "") if function else ""
            call["arguments"] += (function.arguments or "") if function else ""
    expected = [
        {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
        for c in whole.choices[0].message.tool_calls or []
        if c.type == "function"
    ]
    assert [calls[i] for i in sorted(calls)] == expected
    assert finish == "tool_calls"


def test_tool_requests_the_api_refuses_get_400_naming_the_param(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as unknown:
        client.chat.completions.create(
            model=CHAT_MODEL,
            messages=ASK,
            tools=[WEATHER],
            tool_choice={"type": "function", "function": {"name": "nope"}},
        )
    assert unknown.value.param == "tool_choice"
    with pytest.raises(openai.BadRequestError) as bad_schema:
        client.chat.completions.create(
            model=CHAT_MODEL,
            messages=ASK,
            tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "x"}}}],
        )
    assert bad_schema.value.param == "tools"


# --- structured output and logprobs ---


class CityFacts(BaseModel):
    city: str
    population: int
    landmarks: list[str]


def test_parse_with_a_pydantic_model(client: OpenAI) -> None:
    completion = client.chat.completions.parse(
        model=CHAT_MODEL, messages=ASK, response_format=CityFacts
    )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, CityFacts)
    assert completion.choices[0].finish_reason == "stop"


def test_json_object_content_and_its_requirement(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Answer in JSON."}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(completion.choices[0].message.content or ""), dict)
    with pytest.raises(openai.BadRequestError) as no_json_word:
        client.chat.completions.create(
            model=CHAT_MODEL, messages=ASK, response_format={"type": "json_object"}
        )
    assert no_json_word.value.param == "messages"


def test_logprobs_describe_the_content_tokens(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=ASK,
        logprobs=True,
        top_logprobs=3,
        max_tokens=6,
        extra_headers={"x-oaiconform-answer": "long"},  # a short question gets a short answer
    )
    logprobs = completion.choices[0].logprobs
    assert logprobs is not None and logprobs.content is not None
    assert "".join(t.token for t in logprobs.content) == completion.choices[0].message.content
    assert len(logprobs.content) == 6 and completion.choices[0].finish_reason == "length"
    for token in logprobs.content:
        assert token.logprob <= 0 and len(token.top_logprobs) == 3
        assert token.top_logprobs[0].token == token.token
        assert [t.logprob for t in token.top_logprobs] == sorted(
            (t.logprob for t in token.top_logprobs), reverse=True
        )
    with pytest.raises(openai.BadRequestError) as without:
        client.chat.completions.create(model=CHAT_MODEL, messages=ASK, top_logprobs=2)
    assert without.value.param == "top_logprobs"
