"""Checks of embeddings, moderations, completions, tool calls and structured output on hand-built
bodies: each passes the conforming shape and names each defect."""

from __future__ import annotations

import base64
import struct
from typing import Any

import pytest

from oaiconform.checks._failure import Failure
from oaiconform.checks.chat import json_object_content, json_schema_content
from oaiconform.checks.completions import completion_logprobs, text_completion_fields
from oaiconform.checks.embeddings import (
    decode_vector,
    embedding_list,
    embedding_usage,
    same_input_same_vector,
)
from oaiconform.checks.moderations import (
    category_flagged,
    moderation_categories,
    moderation_results,
)
from oaiconform.checks.tools import (
    at_most_one_call,
    tool_call_made,
    tool_calls_well_formed,
    tool_choice_honoured,
)
from oaiconform.spec import Spec


def messages(failures: list[Failure]) -> str:
    return " | ".join(f.message for f in failures)


# --- embeddings ---


def b64(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


def embeddings(*vectors: Any, indexes: list[int] | None = None) -> dict[str, Any]:
    indexes = indexes if indexes is not None else list(range(len(vectors)))
    return {
        "object": "list",
        "model": "m",
        "data": [
            {"object": "embedding", "index": i, "embedding": v}
            for i, v in zip(indexes, vectors, strict=True)
        ],
        "usage": {"prompt_tokens": 3, "total_tokens": 3},
    }


def test_embedding_list_passes_the_conforming_shape() -> None:
    assert embedding_list(embeddings([0.6, 0.8], [1.0, 0.0]), inputs=2, dimensions=2) == []
    assert embedding_list(embeddings(b64([0.5, 0.5])), inputs=1, encoding="base64") == []
    assert decode_vector(b64([0.25, -1.0])) == [0.25, -1.0]


@pytest.mark.parametrize(
    ("body", "kwargs", "fragment"),
    [
        (embeddings([1.0]), {"inputs": 2}, "expected 2 embeddings (one per input), got 1"),
        (embeddings([1.0], [1.0], indexes=[0, 0]), {"inputs": 2}, "expected [0, 1], got [0, 0]"),
        (embeddings([1.0], [1.0, 2.0]), {"inputs": 2}, "vectors have different lengths"),
        (embeddings([1.0, 0.0]), {"inputs": 1, "dimensions": 8}, "with dimensions 8"),
        (embeddings([1.0]), {"inputs": 1, "encoding": "base64"}, "got an array of floats"),
        (embeddings(b64([1.0])), {"inputs": 1}, "expected the vector as an array of floats"),
        (embeddings([float("nan")]), {"inputs": 1}, "contains nan (not finite)"),
        (embeddings("@@@"), {"inputs": 1, "encoding": "base64"}, "neither numbers nor base64"),
        ({"object": "lists", "data": []}, {"inputs": 0}, '`object` must be "list"'),
    ],
)
def test_embedding_list_names_each_defect(
    body: dict[str, Any], kwargs: dict[str, Any], fragment: str
) -> None:
    assert fragment in messages(embedding_list(body, **kwargs))


def test_embedding_usage_wants_counted_prompt_tokens() -> None:
    assert embedding_usage(embeddings([1.0])) == []
    zero = {"usage": {"prompt_tokens": 0, "total_tokens": 0}}
    assert "usage.prompt_tokens is 0" in messages(embedding_usage(zero))
    off = {"usage": {"prompt_tokens": 2, "total_tokens": 5}}
    assert "differs from prompt_tokens" in messages(embedding_usage(off))
    assert "must be integers" in messages(embedding_usage({"usage": {"prompt_tokens": True}}))


def test_same_input_same_vector_finds_a_reordered_batch() -> None:
    single = embeddings([0.0, 1.0])
    assert (
        same_input_same_vector(embeddings([1.0, 0.0], [0.0, 1.0]), single, position=1, positions=2)
        == []
    )
    swapped = embeddings([0.0, 1.0], [1.0, 0.0])
    found = messages(same_input_same_vector(swapped, single, position=1, positions=2))
    assert "closest to that input embedded alone is data[0]" in found
    # Every input got the same vector (a fixture server): no order can be told apart.
    same = embeddings([0.0, 1.0], [0.0, 1.0])
    assert same_input_same_vector(same, single, position=1, positions=2) == []


# --- moderations ---

CATEGORIES = ("hate", "violence")


def moderation(flagged: bool, violence: bool, score: float = 0.9) -> dict[str, Any]:
    return {
        "id": "modr-1",
        "model": "m",
        "results": [
            {
                "flagged": flagged,
                "categories": {"hate": False, "violence": violence},
                "category_scores": {"hate": 0.01, "violence": score},
            }
        ],
    }


def test_moderation_categories_come_from_the_spec(spec: Spec) -> None:
    assert {"hate", "violence", "illicit", "self-harm/intent"} <= set(moderation_categories(spec))


def test_moderation_results_passes_the_conforming_shape() -> None:
    assert moderation_results(moderation(True, True), inputs=1, categories=CATEGORIES) == []
    assert category_flagged(moderation(True, True), "violence") == []


@pytest.mark.parametrize(
    ("body", "inputs", "fragment"),
    [
        (moderation(True, True), 2, "expected 2 results (one per input), got 1"),
        (moderation(False, True), 1, "flagged is False, but categories violence are true"),
        (moderation(True, False), 1, "flagged is True, but no category is true"),
        (moderation(True, True, 90.0), 1, "must be a number in [0, 1], got 90.0"),
        (
            {"results": [{"categories": {}, "category_scores": {}, "flagged": False}]},
            1,
            "missing hate, violence",
        ),
    ],
)
def test_moderation_results_names_each_defect(
    body: dict[str, Any], inputs: int, fragment: str
) -> None:
    assert fragment in messages(moderation_results(body, inputs=inputs, categories=CATEGORIES))


def test_category_flagged_names_the_unflagged_category() -> None:
    assert "should flag 'violence'" in messages(
        category_flagged(moderation(False, False), "violence")
    )


# --- completions ---


def text_completion(**overrides: Any) -> dict[str, Any]:
    choice = {"text": " Hello there", "index": 0, "logprobs": None, "finish_reason": "length"}
    body = {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1_700_000_000,
        "model": "m",
        "choices": [choice],
        "usage": {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4},
    }
    return {**body, **overrides}


def test_text_completion_fields_passes_the_conforming_shape() -> None:
    assert text_completion_fields(text_completion()) == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (text_completion(object="chat.completion"), '`object` must be "text_completion"'),
        (text_completion(created="1700000000"), "`created` must be integer Unix seconds"),
        (
            text_completion(choices=[{"text": "x", "index": 0, "finish_reason": "eos"}]),
            "finish_reason 'eos' is not one of stop, length, content_filter",
        ),
        (text_completion(choices=[{"index": 0, "finish_reason": "stop"}]), "text must be a string"),
        (
            text_completion(usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 1}),
            "`usage.total_tokens` is 1",
        ),
    ],
)
def test_text_completion_fields_names_each_defect(body: dict[str, Any], fragment: str) -> None:
    assert fragment in messages(text_completion_fields(body))


def test_text_completion_fields_counts_choices_per_prompt() -> None:
    assert "expected choice indexes [0, 1] (prompts x n), got [0]" in messages(
        text_completion_fields(text_completion(), expected_choices=2)
    )


def test_completion_logprobs_must_describe_the_text() -> None:
    logprobs: dict[str, list[Any]] = {
        "tokens": [" Hello", " there"],
        "token_logprobs": [-0.1, -0.2],
        "top_logprobs": [{" Hello": -0.1, " Hi": -2.0}, {" there": -0.2}],
        "text_offset": [0, 6],
    }
    choice = {"index": 0, "text": " Hello there", "logprobs": logprobs}
    assert completion_logprobs(choice, top=2) == []
    shifted = {**choice, "logprobs": {k: v[1:] for k, v in logprobs.items()}}
    assert "tokens join to ' there', not the text" in messages(completion_logprobs(shifted, top=2))
    uneven = {**choice, "logprobs": {**logprobs, "token_logprobs": [-0.1]}}
    assert "2 tokens but 1 token_logprobs" in messages(completion_logprobs(uneven, top=2))
    positive = {**choice, "logprobs": {**logprobs, "token_logprobs": [0.5, -0.1]}}
    assert "is 0.5, not <= 0" in messages(completion_logprobs(positive, top=2))
    assert "must map at most 1 tokens" in messages(completion_logprobs(choice, top=0))
    assert "must be an object" in messages(completion_logprobs({"index": 0, "text": "x"}, top=1))


# --- tool calls ---

TOOLS = [
    {
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
]


def call(name: str = "get_weather", arguments: str = '{"city":"Paris"}', id: str = "call_1") -> Any:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


def answer(*calls: Any, finish: str = "tool_calls", content: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = list(calls)
    return {"choices": [{"index": 0, "message": message, "finish_reason": finish}]}


def test_tool_calls_well_formed_passes_the_conforming_shape() -> None:
    assert tool_calls_well_formed(answer(call()), TOOLS) == []
    assert tool_call_made(answer(call())) == []
    assert tool_choice_honoured(answer(call()), "required") == []
    assert at_most_one_call(answer(call())) == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            answer(call(arguments="{'city': 'Paris'}")),
            "the arguments of get_weather are not valid JSON",
        ),
        (
            answer(call(arguments="{}")),
            'do not match its parameters schema: (root): "city" is a required',
        ),
        (answer(call(arguments="[1]")), "are not a JSON object"),
        (answer(call(name="functions.get_weather")), "'functions.get_weather', which is not among"),
        (answer(call(id="")), "id must be a non-empty string"),
        (answer(call(), call()), "'call_1' is used by another tool call"),
        (answer({**call(), "type": "tool"}), 'type must be "function"'),
    ],
)
def test_tool_calls_well_formed_names_each_defect(body: dict[str, Any], fragment: str) -> None:
    assert fragment in messages(tool_calls_well_formed(body, TOOLS))


def test_arguments_cut_by_max_tokens_are_reported_not_parsed() -> None:
    cut = messages(tool_calls_well_formed(answer(call(arguments='{"ci'), finish="length"), TOOLS))
    assert "were cut by max_tokens" in cut and "not valid JSON" not in cut
    # Cut, but finish_reason says tool_calls (llama.cpp at max_tokens): the message says so.
    unsaid = messages(tool_calls_well_formed(answer(call(arguments='{"city": "Pa')), TOOLS))
    assert "not valid JSON" in unsaid and "ends unfinished: cut short?" in unsaid
    wrong = messages(tool_calls_well_formed(answer(call(arguments="{'city': 'Paris'}")), TOOLS))
    assert "cut short" not in wrong


def test_tool_choice_honoured_names_each_violation() -> None:
    named = {"type": "function", "function": {"name": "get_weather"}}
    assert tool_choice_honoured(answer(call(), finish="stop"), named) == []
    assert tool_choice_honoured(answer(content="Sunny.", finish="stop"), "none") == []
    assert 'tool_choice is "none", but choices[0] calls get_weather' in messages(
        tool_choice_honoured(answer(call()), "none")
    )
    assert 'tool_choice is "required", but choices[0] has no tool call' in messages(
        tool_choice_honoured(answer(content="<tool_call>", finish="stop"), "required")
    )
    assert "tool_choice names 'get_weather', but choices[0] calls other" in messages(
        tool_choice_honoured(answer(call(name="other")), named)
    )
    assert "finish_reason must be \"tool_calls\", got 'stop'" in messages(
        tool_choice_honoured(answer(call(), finish="stop"), "required")
    )
    assert "answers without a tool call" in messages(tool_call_made(answer(content="Hi")))
    two = answer(call(), call(id="call_2"))
    assert "parallel_tool_calls is false, but choices[0] has 2 tool calls" in messages(
        at_most_one_call(two)
    )


# --- structured output ---

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}


def test_json_object_content_wants_one_json_object() -> None:
    assert json_object_content(answer(content='{"a": 1}', finish="stop")) == []
    assert "(wrapped in markdown code fences)" in messages(
        json_object_content(answer(content='```json\n{"a": 1}\n```', finish="stop"))
    )
    assert "must be a JSON object, got a JSON list" in messages(
        json_object_content(answer(content="[1]", finish="stop"))
    )
    assert "must be a string, got None" in messages(json_object_content(answer(finish="stop")))


def test_json_schema_content_validates_against_the_schema() -> None:
    assert json_schema_content(answer(content='{"a": 1}', finish="stop"), SCHEMA) == []
    assert "does not match the response schema: ['a']" in messages(
        json_schema_content(answer(content='{"a": "x"}', finish="stop"), SCHEMA)
    )
    assert "was cut by max_tokens" in messages(
        json_schema_content(answer(content='{"a"', finish="length"), SCHEMA)
    )


def test_structured_output_is_not_judged_when_the_model_called_a_tool_or_refused() -> None:
    """response_format governs content: a tool call or a refusal (content null) is a legal answer,
    as the API gives it; a null content with neither is still a failure."""
    assert json_schema_content(answer(call()), SCHEMA) == []
    assert json_object_content(answer(call())) == []
    refused = answer(finish="stop")
    refused["choices"][0]["message"]["refusal"] = "I can't help with that."
    assert json_schema_content(refused, SCHEMA) == []
    assert "must be a string, got None" in messages(
        json_schema_content(answer(finish="stop"), SCHEMA)
    )


@pytest.mark.parametrize(
    ("tokens", "judged"),
    [
        # "It\u2019s": the API spells a split character's bytes as text
        (["It", "bytes:\\xe2\\x80", "bytes:\\x99", "s"], True),
        (["It", "\\xe2\\x80", "\\x99", "s"], True),  # DeepSeek's spelling
        (["It", "\ufffd", "\ufffd", "s"], False),  # the bytes are lost: not judged
    ],
)
def test_completion_logprobs_join_a_split_character_as_utf8(
    tokens: list[str], judged: bool
) -> None:
    logprobs: dict[str, list[Any]] = {
        "tokens": tokens,
        "token_logprobs": [-0.1] * len(tokens),
        "top_logprobs": [None] * len(tokens),
    }
    choice = {"index": 0, "text": "It\u2019s", "logprobs": logprobs}
    assert completion_logprobs(choice, top=1) == []
    wrong = {**choice, "text": "It\u2019s a"}
    assert bool(completion_logprobs(wrong, top=1)) is judged
    # A token that only looks like the prefix is text.
    two = {k: v[:2] for k, v in logprobs.items()}
    word = {"index": 0, "text": "bytes: x", "logprobs": {**two, "tokens": ["bytes:", " x"]}}
    assert completion_logprobs(word, top=1) == []
