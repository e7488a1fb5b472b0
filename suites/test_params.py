"""Parameters take effect or are refused: chat, legacy completions and embeddings.

One feature per parameter (`params.<endpoint>.<parameter>`). A target that refuses the
parameter with a 4xx naming it is `not_implemented` (honest); one that accepts it and answers
as if it were not there fails (impact wrong-behaviour). The prompts make a small model show
the effect: the stop sequence is a word taken from the same request's answer without it, the
token limits cut a long answer (checked longer without them), so no test depends on what a
model knows.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from oaiconform.checks import expect
from oaiconform.checks.chat import contents_to_judge, json_object_content, json_schema_content
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.params import (
    base64_is_the_float_vector,
    chat_logprobs,
    choice_count,
    choice_text,
    echoed_prompt,
    embedding_dimensions,
    no_stop_sequence,
    refused_naming,
    seed_reproduces,
    within_token_limit,
)
from oaiconform.checks.stream_usage import chat_stream_usage
from oaiconform.checks.streaming import event_stream_served
from oaiconform.checks.tools import at_most_one_call, tool_call_made, tool_choice_honoured
from oaiconform.exchange import Exchange
from oaiconform.pinning import pinned
from oaiconform.plugin import not_implemented, require_route
from oaiconform.settings import Settings
from oaiconform.target import Target

# Independent tests: the first request of each is sent ahead, together (oaiconform.ahead).
pytestmark = pytest.mark.independent

# "describe" makes the answer long for any model (and for the mock, which sizes answers by the
# prompt): longer than LIMIT, with words to take a stop sequence from.
COUNT = "Count from one to twenty in words, separated by commas, then describe the number seven."
ANSWER_TOKENS = 24  # the answer a stop sequence is taken from
LIMIT = 4  # far below that answer in any tokenizer
PROMPT = "Once upon a time, in a small village by the sea,"
WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TIME: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "The current local time in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
CITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
    "additionalProperties": False,
}


def chat(settings: Settings, prompt: str = COUNT, **extra: Any) -> dict[str, Any]:
    body = {
        "model": settings.model,
        "messages": [{"role": "user", "content": prompt}],
        **extra,
    }
    if "max_completion_tokens" not in body:
        body.setdefault("max_tokens", ANSWER_TOKENS)
    return pinned(settings, body)


def completion(settings: Settings, **extra: Any) -> dict[str, Any]:
    return pinned(
        settings,
        {
            "model": settings.completion_model,
            "prompt": PROMPT,
            "max_tokens": ANSWER_TOKENS,
            **extra,
        },
    )


def answered(exchange: Exchange, param: str, *needs: str) -> dict[str, Any]:
    """The answer's JSON object; a 4xx naming `param`, or a parameter it `needs` (top_logprobs
    needs logprobs), makes the feature not implemented."""
    require_route(exchange)
    for name in (param, *needs):
        reason = refused_naming(exchange, name)
        if reason is not None:
            not_implemented(reason)
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    body: dict[str, Any] = exchange.json()
    return body


def middle_word(text: str) -> str:
    """A word from the middle of an answer (the stop sequence a test asks for), or pytest's
    not-run skip when the answer is too short to take one from."""
    words = re.findall(r"[A-Za-z0-9]{3,}", text)
    if not words:
        pytest.skip(f"not judged: the answer without stop has no word to stop at: {text!r:.80}")
    word: str = words[len(words) // 2]
    return word


def stop_taken_from(target: Target, route: str, body: dict[str, Any]) -> str:
    baseline = answered(target.post(route, json=body), "stop")
    choices = baseline.get("choices") or [{}]
    return middle_word(choice_text(choices[0]) if isinstance(choices[0], dict) else "")


def longer_than_limit(target: Target, route: str, body: dict[str, Any], param: str) -> None:
    """Premise of a token-limit test: the same request with room to answer is longer."""
    baseline = answered(target.post(route, json=body), param)
    used = (baseline.get("usage") or {}).get("completion_tokens")
    if isinstance(used, int) and used <= LIMIT:
        pytest.skip(f"not judged: the answer without the limit has only {used} tokens")


@pytest.mark.feature("params.chat.n")
def test_chat_n_gives_that_many_choices(target: Target, settings: Settings) -> None:
    """n 2: two choices, indexed 0 and 1."""
    body = answered(target.post("chat/completions", json=chat(settings, n=2, max_tokens=8)), "n")
    expect(choice_count(body, 2))


@pytest.mark.feature("params.chat.stop")
@pytest.mark.parametrize("as_list", [False, True], ids=["string", "list"])
def test_chat_stop_ends_the_text_before_the_sequence(
    target: Target, settings: Settings, as_list: bool
) -> None:
    """A word of the answer without stop, as stop (alone, or second in a list): the answer
    with it never contains that word."""
    word = stop_taken_from(target, "chat/completions", chat(settings))
    stops = ["\u2603\u2603", word] if as_list else [word]
    request = chat(settings, stop=stops if as_list else word)
    expect(no_stop_sequence(answered(target.post("chat/completions", json=request), "stop"), stops))


@pytest.mark.feature("params.chat.max_tokens")
def test_chat_max_tokens_cuts_the_answer(target: Target, settings: Settings) -> None:
    """max_tokens 4 on a long answer: at most 4 completion tokens, finish_reason length."""
    longer_than_limit(target, "chat/completions", chat(settings), "max_tokens")
    body = answered(
        target.post("chat/completions", json=chat(settings, max_tokens=LIMIT)), "max_tokens"
    )
    expect(within_token_limit(body, LIMIT, "max_tokens"))


@pytest.mark.feature("params.chat.max_completion_tokens")
def test_chat_max_completion_tokens_cuts_the_answer(target: Target, settings: Settings) -> None:
    """max_completion_tokens 4 (without max_tokens): at most 4 tokens, finish_reason length."""
    param = "max_completion_tokens"
    room = chat(settings, max_completion_tokens=ANSWER_TOKENS)
    longer_than_limit(target, "chat/completions", room, param)
    request = chat(settings, max_completion_tokens=LIMIT)
    body = answered(target.post("chat/completions", json=request), param)
    expect(within_token_limit(body, LIMIT, param))


@pytest.mark.feature("params.chat.logprobs")
def test_chat_logprobs_spell_the_content(target: Target, settings: Settings) -> None:
    """logprobs true: one entry per token, and the tokens spell the content."""
    request = chat(settings, logprobs=True, max_tokens=8)
    expect(chat_logprobs(answered(target.post("chat/completions", json=request), "logprobs"), None))


@pytest.mark.feature("params.chat.top_logprobs")
def test_chat_top_logprobs_lists_that_many_alternatives(target: Target, settings: Settings) -> None:
    """top_logprobs 2: every token lists two alternatives."""
    request = chat(settings, logprobs=True, top_logprobs=2, max_tokens=8)
    body = answered(target.post("chat/completions", json=request), "top_logprobs", "logprobs")
    expect(chat_logprobs(body, 2))


def judged_contents(body: dict[str, Any]) -> None:
    if contents_to_judge(body, cut_too=False) == 0:
        pytest.skip("not judged: no choice wrote complete content (a refusal, a call or a cut)")


@pytest.mark.feature("params.chat.response_format")
def test_chat_response_format_json_object_gives_a_json_object(
    target: Target, settings: Settings
) -> None:
    """json_object: the content parses as a JSON object."""
    request = chat(
        settings,
        "Give the capital of France as a JSON object with a key city.",
        response_format={"type": "json_object"},
        max_tokens=48,
    )
    body = answered(target.post("chat/completions", json=request), "response_format")
    judged_contents(body)
    expect(json_object_content(body))


@pytest.mark.feature("params.chat.response_format")
def test_chat_response_format_json_schema_gives_valid_content(
    target: Target, settings: Settings
) -> None:
    """json_schema (strict): the content validates against the schema."""
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "place", "schema": CITY_SCHEMA, "strict": True},
    }
    request = chat(
        settings,
        "Name the capital of France and its country.",
        response_format=response_format,
        max_tokens=48,
    )
    body = answered(target.post("chat/completions", json=request), "response_format")
    judged_contents(body)
    expect(json_schema_content(body, CITY_SCHEMA))


TOOL_CHOICES: dict[str, tuple[str, Any]] = {
    "none": ("What is the weather in Paris?", "none"),
    "required": ("Say hello.", "required"),
    "named": (
        "What time is it in Paris?",
        {"type": "function", "function": {"name": "get_weather"}},
    ),
}


@pytest.mark.feature("params.chat.tool_choice")
@pytest.mark.parametrize("case", TOOL_CHOICES.values(), ids=TOOL_CHOICES.keys())
def test_chat_tool_choice_is_obeyed(
    target: Target, settings: Settings, case: tuple[str, Any]
) -> None:
    """none: words on a question a tool answers; required: a call on a greeting; named: that
    function, on a question another tool answers."""
    prompt, tool_choice = case
    request = chat(settings, prompt, tools=[WEATHER, TIME], tool_choice=tool_choice, max_tokens=64)
    body = answered(target.post("chat/completions", json=request), "tool_choice")
    expect(
        tool_choice_honoured(body, tool_choice),
        tool_call_made(body) if tool_choice != "none" else [],
    )


@pytest.mark.feature("params.chat.parallel_tool_calls")
def test_chat_parallel_tool_calls_false_makes_at_most_one_call(
    target: Target, settings: Settings
) -> None:
    """parallel_tool_calls false, a question two tools answer: at most one call."""
    request = chat(
        settings,
        "What are the weather and the time in Paris? Use both tools.",
        tools=[WEATHER, TIME],
        tool_choice="required",
        parallel_tool_calls=False,
        max_tokens=64,
    )
    body = answered(target.post("chat/completions", json=request), "parallel_tool_calls")
    choices = body.get("choices") or []
    if not any(isinstance(c, dict) and (c.get("message") or {}).get("tool_calls") for c in choices):
        pytest.skip("not judged: the answer made no tool call")
    expect(at_most_one_call(body))


@pytest.mark.feature("params.chat.stream_options")
def test_chat_stream_options_include_usage_adds_the_usage_chunk(
    target: Target, settings: Settings
) -> None:
    """stream_options.include_usage: one final chunk with choices [] and the usage."""
    request = chat(settings, stream=True, stream_options={"include_usage": True}, max_tokens=8)
    stream = target.stream("POST", "chat/completions", json=request)
    if stream.head.status != 200:
        answered(stream.head, "stream_options")
    expect(event_stream_served(stream))
    expect(chat_stream_usage(stream))


@pytest.mark.feature("params.chat.seed")
def test_chat_seed_repeats_a_sampled_answer(target: Target, settings: Settings) -> None:
    """The same request with seed 11 at temperature 1, twice: the same answer (advisory)."""
    request = chat(settings, "Write one sentence about the sea.", seed=11, temperature=1.0)
    first = answered(target.post("chat/completions", json=request), "seed")
    second = answered(target.post("chat/completions", json=request), "seed")
    expect(seed_reproduces(first, second, 11))


@pytest.mark.feature("params.completions.n")
def test_completions_n_gives_that_many_choices(target: Target, settings: Settings) -> None:
    """n 2: two choices."""
    exchange = target.post("completions", json=completion(settings, n=2, max_tokens=8))
    expect(choice_count(answered(exchange, "n"), 2))


@pytest.mark.feature("params.completions.stop")
def test_completions_stop_ends_the_text_before_the_sequence(
    target: Target, settings: Settings
) -> None:
    """A word of the completion without stop, as stop: the completion with it lacks it."""
    word = stop_taken_from(target, "completions", completion(settings))
    body = answered(target.post("completions", json=completion(settings, stop=[word])), "stop")
    expect(no_stop_sequence(body, [word]))


@pytest.mark.feature("params.completions.max_tokens")
def test_completions_max_tokens_cuts_the_completion(target: Target, settings: Settings) -> None:
    """max_tokens 4: at most 4 completion tokens, finish_reason length."""
    longer_than_limit(target, "completions", completion(settings), "max_tokens")
    exchange = target.post("completions", json=completion(settings, max_tokens=LIMIT))
    expect(within_token_limit(answered(exchange, "max_tokens"), LIMIT, "max_tokens"))


@pytest.mark.feature("params.completions.echo")
def test_completions_echo_puts_the_prompt_first(target: Target, settings: Settings) -> None:
    """echo true: the text begins with the prompt."""
    exchange = target.post("completions", json=completion(settings, echo=True, max_tokens=4))
    expect(echoed_prompt(answered(exchange, "echo"), PROMPT))


def embedding(settings: Settings, **extra: Any) -> dict[str, Any]:
    return {
        "model": settings.embedding_model,
        "input": "The quick brown fox jumps over the lazy dog.",
        **extra,
    }


@pytest.mark.feature("params.embeddings.dimensions")
def test_embeddings_dimensions_shorten_the_vector(target: Target, settings: Settings) -> None:
    """dimensions 64: vectors of 64 values."""
    exchange = target.post("embeddings", json=embedding(settings, dimensions=64))
    expect(embedding_dimensions(answered(exchange, "dimensions"), 64))


@pytest.mark.feature("params.embeddings.encoding_format")
def test_embeddings_base64_is_the_float_vector(target: Target, settings: Settings) -> None:
    """The same input as float and as base64: the base64 decodes to the float vector."""
    floats = answered(
        target.post("embeddings", json=embedding(settings, encoding_format="float")),
        "encoding_format",
    )
    encoded = answered(
        target.post("embeddings", json=embedding(settings, encoding_format="base64")),
        "encoding_format",
    )
    expect(base64_is_the_float_vector(floats, encoded))
