"""Faults of the inference endpoints: embeddings, moderations, legacy completions, tool calls
and structured output. Each rewrites a buffered JSON answer of one route, as real servers got
these answers wrong; none touches event streams (the streaming faults live in `streaming`).
`sampling` is the exception: it rewrites the request, so that the mock's own (correct)
generation varies, streamed or not, as a sampling server's does.

A response rewrite sees the answer but not the request body, so the faults that need to know
what was asked (tool_choice none, parallel_tool_calls false) act on what the answer shows.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import struct
import zlib
from collections.abc import Callable
from typing import Any

from oaiconform.mock.faults._core import (
    BodyRewrite,
    Fault,
    ResponseParts,
    ResponseRewrite,
    json_rewrite,
)
from oaiconform.mock.handlers._common import PREFIX
from oaiconform.mock.handlers.embeddings import native_dimensions

Change = Callable[[Any], Any]


def _on(path: str, change: Change) -> ResponseRewrite:
    """Apply `change` to the success JSON of POST /v1/<path> only."""
    rewrite = json_rewrite(change, success_only=True)

    def on_path(parts: ResponseParts) -> ResponseParts:
        if parts.method != "POST" or parts.path.rstrip("/") != f"{PREFIX}/{path}":
            return parts
        return rewrite(parts)

    return on_path


def _each(items: Any, change: Change) -> Any:
    return [change(item) if isinstance(item, dict) else item for item in items or []]


# --- embeddings ---


def _out_of_order(body: Any) -> Any:
    data = body.get("data") or []
    vectors = [item.get("embedding") for item in reversed(data)]
    return {
        **body,
        "data": [{**item, "embedding": v} for item, v in zip(data, vectors, strict=True)],
    }


def _index_zero(body: Any) -> Any:
    return {**body, "data": _each(body.get("data"), lambda item: {**item, "index": 0})}


def _floats(embedding: Any) -> list[float]:
    if isinstance(embedding, str):
        raw = base64.b64decode(embedding)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return list(embedding)


def _dimensions_ignored(body: Any) -> Any:
    full = native_dimensions(str(body.get("model")))

    def pad(item: dict[str, Any]) -> dict[str, Any]:
        values = _floats(item["embedding"])
        values += [0.0] * (full - len(values))
        if isinstance(item["embedding"], str):
            packed = struct.pack(f"<{len(values)}f", *values)
            return {**item, "embedding": base64.b64encode(packed).decode()}
        return {**item, "embedding": values}

    return {**body, "data": _each(body.get("data"), pad)}


def _base64_ignored(body: Any) -> Any:
    return {
        **body,
        "data": _each(
            body.get("data"), lambda item: {**item, "embedding": _floats(item["embedding"])}
        ),
    }


def _usage_zero(body: Any) -> Any:
    return {**body, "usage": {"prompt_tokens": 0, "total_tokens": 0}}


# --- moderations ---

_NEWER_CATEGORIES = ("illicit", "illicit/violent")


def _categories_missing(body: Any) -> Any:
    def drop(result: dict[str, Any]) -> dict[str, Any]:
        return {
            **result,
            **{
                key: {k: v for k, v in result[key].items() if k not in _NEWER_CATEGORIES}
                for key in ("categories", "category_scores", "category_applied_input_types")
                if isinstance(result.get(key), dict)
            },
        }

    return {**body, "results": _each(body.get("results"), drop)}


def _single_result(body: Any) -> Any:
    return {**body, "results": (body.get("results") or [])[:1]}


def _always_clear(body: Any) -> Any:
    def clear(result: dict[str, Any]) -> dict[str, Any]:
        return {
            **result,
            "flagged": False,
            "categories": dict.fromkeys(result["categories"], False),
            "category_scores": dict.fromkeys(result["category_scores"], 0.0),
        }

    return {**body, "results": _each(body.get("results"), clear)}


# --- legacy completions ---


def _as_chat(body: Any) -> Any:
    def choice(c: dict[str, Any]) -> dict[str, Any]:
        message = {"role": "assistant", "content": c.get("text")}
        return {"index": c.get("index"), "message": message, "finish_reason": c["finish_reason"]}

    return {**body, "object": "chat.completion", "choices": _each(body.get("choices"), choice)}


def _first_prompt_only(body: Any) -> Any:
    return {**body, "choices": [c for c in body.get("choices") or [] if c.get("index") == 0]}


def _logprobs_misaligned(body: Any) -> Any:
    def shift(c: dict[str, Any]) -> dict[str, Any]:
        logprobs = c.get("logprobs")
        if not isinstance(logprobs, dict):
            return c
        return {**c, "logprobs": {k: v[1:] for k, v in logprobs.items()}}

    return {**body, "choices": _each(body.get("choices"), shift)}


# --- tool calls and structured output (chat completions) ---


def _messages(change: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]) -> Change:
    """Apply change(choice, message) -> choice to every choice of a chat.completion."""

    def apply(body: Any) -> Any:
        if body.get("object") != "chat.completion":
            return body
        return {
            **body,
            "choices": _each(body.get("choices"), lambda c: change(c, c.get("message") or {})),
        }

    return apply


def _calls(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Change:
    """Apply change(tool call) -> tool call to every tool call."""

    def on_choice(choice: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        if not message.get("tool_calls"):
            return choice
        return {
            **choice,
            "message": {**message, "tool_calls": _each(message["tool_calls"], change)},
        }

    return _messages(on_choice)


def _parsed(arguments: Any) -> Any:
    try:
        return json.loads(arguments)
    except (TypeError, ValueError):
        return arguments  # cut by max_tokens: left as it is


def _arguments(change: Callable[[Any], str]) -> Change:
    def on_call(call: dict[str, Any]) -> dict[str, Any]:
        function = call["function"]
        arguments = change(_parsed(function["arguments"]))
        return {**call, "function": {**function, "arguments": arguments}}

    return _calls(on_call)


def _in_content(choice: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    calls = message.get("tool_calls")
    if not calls:
        return choice
    text = "\n".join(
        "<tool_call>\n"
        + json.dumps(
            {"name": c["function"]["name"], "arguments": _parsed(c["function"]["arguments"])}
        )
        + "\n</tool_call>"
        for c in calls
    )
    message = {k: v for k, v in message.items() if k != "tool_calls"}
    return {**choice, "message": {**message, "content": text}, "finish_reason": "stop"}


def _finish_stop(choice: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    return {**choice, "finish_reason": "stop"} if message.get("tool_calls") else choice


def _choice_none_ignored(choice: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    if message.get("tool_calls"):
        return choice
    content = message.get("content")
    if not isinstance(content, str) or content.lstrip().startswith("{"):
        return choice  # a JSON answer asked for by response_format, not a tool question
    call = {
        "id": "call_injected0000000000000",
        "type": "function",
        "function": {"name": "lookup", "arguments": "{}"},
    }
    return {**choice, "message": {**message, "tool_calls": [call]}}


def _parallel_ignored(choice: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    calls = message.get("tool_calls") or []
    if len(calls) != 1:
        return choice
    twin = {**calls[0], "id": calls[0]["id"] + "_2"}
    return {**choice, "message": {**message, "tool_calls": [calls[0], twin]}}


def _json_content(change: Callable[[str], str]) -> Change:
    def on_choice(choice: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        content = message.get("content")
        try:
            parsed = json.loads(content) if isinstance(content, str) else None
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            return choice
        return {**choice, "message": {**message, "content": change(content or "")}}

    return _messages(on_choice)


def _schema_ignored(content: str) -> str:
    return json.dumps({"response": json.loads(content)})


EMBEDDINGS = "embeddings"
MODERATIONS = "moderations"
COMPLETIONS = "completions"
CHAT = "chat/completions"


# --- sampling (chat completions and legacy completions: the routes with a `seed`) ---

_DRAWS = itertools.count(1)  # one draw per sampled request, across the process
# Unpinned answers are not reproducible from one process to the next, as a sampling server's
# are not: the seeds drawn and which auto request answers in words start from a random point.
# (The one place the mock is not deterministic for its seed: it models exactly that.)
_PROCESS_NOISE = secrets.randbits(32)


def is_pinned(body: dict[str, Any]) -> bool:
    """temperature 0 and an integer seed: a sampling server answers such a request alike."""
    temperature, seed = body.get("temperature"), body.get("seed")
    greedy = isinstance(temperature, int | float) and not isinstance(temperature, bool)
    seeded = isinstance(seed, int) and not isinstance(seed, bool)
    return greedy and temperature == 0 and seeded


def _sampled(routes: tuple[str, ...]) -> BodyRewrite:
    """An unpinned request gets a fresh seed per request (its text, tool-call arguments and
    logprobs change, each answer still consistent with itself, streamed or not), and every
    other one with tools and tool_choice auto answers in words (tool_choice none), as a
    sampler that did not pick the call. A body that is not JSON, or whose seed is not an
    integer, is left for the mock to refuse."""
    paths = {f"{PREFIX}/{route}" for route in routes}

    def rewrite(method: str, path: str, raw: bytes) -> bytes:
        if method != "POST" or path.rstrip("/") not in paths:
            return raw
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return raw
        if not isinstance(body, dict) or is_pinned(body):
            return raw
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            return raw
        draw = next(_DRAWS) + _PROCESS_NOISE
        sampled = {**body, "seed": zlib.crc32(f"{seed}:{draw}".encode())}
        auto = body.get("tool_choice", "auto") == "auto"
        if body.get("tools") and auto and draw % 2 == 0:
            sampled["tool_choice"] = "none"
        return json.dumps(sampled).encode()

    return rewrite


# --- legal answers that leave a test's premise unmet (the test is not run, never passed) ---


def _auto_in_words(method: str, path: str, raw: bytes) -> bytes:
    """tool_choice auto (or none given, with tools) is answered in words: tool_choice none."""
    if method != "POST" or path.rstrip("/") != f"{PREFIX}/{CHAT}":
        return raw
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw
    if not isinstance(body, dict) or not body.get("tools"):
        return raw
    if body.get("tool_choice", "auto") != "auto":
        return raw
    return json.dumps({**body, "tool_choice": "none"}).encode()


REFUSAL = "I'm sorry, but I can't help with that."


def _structured_output_refused(parts: ResponseParts) -> ResponseParts:
    """A request with a response_format is refused (content null, `refusal` set)."""
    request = parts.request_json()
    if not isinstance(request, dict) or not isinstance(request.get("response_format"), dict):
        return parts
    if request["response_format"].get("type") not in ("json_object", "json_schema"):
        return parts

    def refuse(body: Any) -> Any:
        choices = body.get("choices") if isinstance(body, dict) else None
        if not isinstance(choices, list):
            return body
        refused = [
            {**c, "message": {**c["message"], "content": None, "refusal": REFUSAL}}
            if isinstance(c, dict) and isinstance(c.get("message"), dict)
            else c
            for c in choices
        ]
        return {**body, "choices": refused}

    return _on(CHAT, refuse)(parts)


FAULTS = (
    Fault(
        "tool-choice-auto-in-words",
        "under tool_choice auto the model always answers in words, never with a call (legal: "
        "auto lets it choose)",
        "small models behind real servers (SmolLM2 on llama.cpp) that rarely pick a tool",
        request_body=_auto_in_words,
    ),
    Fault(
        "structured-output-refused",
        "every request with a JSON response_format is refused (content null, `refusal` set; "
        "legal: the API refuses so)",
        "safety-tuned models that refuse, as the API documents for structured outputs",
        response=_structured_output_refused,
    ),
    Fault(
        "embeddings-out-of-order",
        "a batch's vectors come back reversed, index renumbered 0..n-1",
        "servers that gather batched embeddings as they finish, not in input order",
        response=_on(EMBEDDINGS, _out_of_order),
    ),
    Fault(
        "embeddings-index-zero",
        "every embedding has index 0",
        "proxies that embed inputs one at a time and concatenate the answers",
        response=_on(EMBEDDINGS, _index_zero),
    ),
    Fault(
        "embeddings-dimensions-ignored",
        "`dimensions` is ignored: vectors keep the model's full length",
        "servers for fixed-size models that accept and ignore `dimensions`",
        response=_on(EMBEDDINGS, _dimensions_ignored),
    ),
    Fault(
        "embeddings-base64-ignored",
        "encoding_format base64 is ignored: vectors are sent as float arrays",
        "servers that support only float output and ignore encoding_format",
        response=_on(EMBEDDINGS, _base64_ignored),
    ),
    Fault(
        "embeddings-usage-zero",
        "embeddings usage reports 0 tokens",
        "servers that fill usage with zeros instead of counting",
        response=_on(EMBEDDINGS, _usage_zero),
    ),
    Fault(
        "moderation-categories-missing",
        "results lack the illicit and illicit/violent categories",
        "servers that still answer with the text-moderation-007 category set",
        response=_on(MODERATIONS, _categories_missing),
    ),
    Fault(
        "moderation-single-result",
        "an array input gets only one result",
        "servers that classify only the first (or the joined) input",
        response=_on(MODERATIONS, _single_result),
    ),
    Fault(
        "moderation-always-clear",
        "every result is unflagged with zero scores, whatever the input",
        "stub moderation endpoints that accept the call and never flag",
        response=_on(MODERATIONS, _always_clear),
    ),
    Fault(
        "completions-as-chat",
        "/completions answers with a chat.completion (message instead of text)",
        "proxies that route legacy completions to a chat model and pass its answer through",
        response=_on(COMPLETIONS, _as_chat),
    ),
    Fault(
        "completions-first-prompt-only",
        "a prompt array gets choices for its first prompt only",
        "servers that accept a single prompt and silently drop the rest",
        response=_on(COMPLETIONS, _first_prompt_only),
    ),
    Fault(
        "completions-logprobs-misaligned",
        "logprobs arrays are shifted by one token",
        "servers that drop the first sampled token's logprob",
        response=_on(COMPLETIONS, _logprobs_misaligned),
    ),
    Fault(
        "tool-arguments-single-quoted",
        "tool-call arguments are a Python dict repr (single quotes), not JSON",
        "servers that str() the parsed arguments instead of json.dumps()",
        response=_on(CHAT, _arguments(str)),
    ),
    Fault(
        "tool-arguments-empty",
        'tool-call arguments are "{}" whatever the schema requires',
        "servers whose tool parser loses the arguments and sends an empty object",
        response=_on(CHAT, _arguments(lambda _: "{}")),
    ),
    Fault(
        "tool-call-name-prefixed",
        'tool-call names carry a "functions." prefix',
        "servers that leak the model's internal tool namespace (functions.get_weather)",
        response=_on(
            CHAT,
            _calls(
                lambda c: {
                    **c,
                    "function": {**c["function"], "name": "functions." + c["function"]["name"]},
                }
            ),
        ),
    ),
    Fault(
        "tool-calls-in-content",
        "tool calls stay as <tool_call> text in the content; no tool_calls, finish stop",
        "servers whose tool-call parser does not recognise the model's output format",
        response=_on(CHAT, _messages(_in_content)),
    ),
    Fault(
        "tool-calls-finish-stop",
        'choices with tool calls end with finish_reason "stop"',
        "servers that report the end of generation, not why it ended",
        response=_on(CHAT, _messages(_finish_stop)),
    ),
    Fault(
        "tool-choice-none-ignored",
        'a tool call is made even with tool_choice "none" (to a placeholder function)',
        "servers that ignore tool_choice and parse tool calls whenever tools are sent",
        response=_on(CHAT, _messages(_choice_none_ignored)),
    ),
    Fault(
        "parallel-tool-calls-ignored",
        "a single tool call is made twice, even with parallel_tool_calls false",
        "servers that ignore parallel_tool_calls",
        response=_on(CHAT, _messages(_parallel_ignored)),
    ),
    Fault(
        "json-content-fenced",
        "JSON content is wrapped in ```json markdown fences",
        "servers that prompt for JSON instead of constraining it, and pass the fences through",
        response=_on(CHAT, _json_content(lambda text: f"```json\n{text}\n```")),
    ),
    Fault(
        "sampling",
        "answers vary from request to request (text, tool-call arguments, whether tool_choice "
        "auto calls a tool) unless the request pins temperature 0 and a seed",
        "sampling servers at their default temperature (llama.cpp, vLLM), asked without a seed",
        request_body=_sampled((CHAT, COMPLETIONS)),
    ),
    Fault(
        "json-schema-ignored",
        'json_schema is treated as json_object: content is {"response": ...}',
        "servers that support json_object but ignore the schema",
        response=_on(CHAT, _json_content(_schema_ignored)),
    ),
)
