"""What a chat choice says: text, JSON for a response_format, or tool calls; and its logprobs.

One deterministic generation per (request, seed, choice index) feeds both the JSON answer and
the event stream, so streamed deltas (content tokens, argument fragments) join to exactly the
non-streamed message.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from typing import Any

from oaiconform.mock.answers import REFUSAL_TEXT, AnswerKind, answer_length, last_user_text
from oaiconform.mock.errors import APIError
from oaiconform.mock.instances import SchemaNotSatisfiableError, instance_for
from oaiconform.mock.state import MockState
from oaiconform.mock.text import (
    below,
    cut_tokens,
    generate_tokens,
    rng_for,
    split_tokens,
    stop_sequences,
    token_logprobs,
)

MAX_PARALLEL_CALLS = 3
_JSON_OBJECT_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
}
_ID_ALPHABET = string.ascii_letters + string.digits

Logprob = tuple[str, float, list[tuple[str, float]]]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    fragments: tuple[str, ...]  # the arguments, cut into token pieces

    @property
    def arguments(self) -> str:
        return "".join(self.fragments)


@dataclass(frozen=True)
class Choice:
    index: int
    tokens: tuple[str, ...]
    finish_reason: str
    tool_calls: tuple[ToolCall, ...] = ()
    logprobs: tuple[Logprob, ...] | None = None  # per content token, when requested
    refusal: bool = False  # the tokens are a refusal, not content
    reasoning_tokens: int = 0  # a reasoning model's hidden tokens (counted in usage only)

    @property
    def content(self) -> str | None:
        return None if self.tool_calls or self.refusal else "".join(self.tokens)

    @property
    def refusal_text(self) -> str | None:
        return "".join(self.tokens) if self.refusal else None

    @property
    def completion_tokens(self) -> int:
        visible = len(self.tokens) + sum(len(c.fragments) for c in self.tool_calls)
        return visible + self.reasoning_tokens


@dataclass(frozen=True)
class ToolPlan:
    functions: tuple[dict[str, Any], ...]  # the functions the answer calls; empty: it writes
    forced: bool


_NO_TOOLS = ToolPlan((), False)


def check_request(body: dict[str, Any]) -> None:
    """The 400s the API answers for combinations the request schema cannot express."""
    if body.get("top_logprobs") is not None and not body.get("logprobs"):
        raise APIError(
            400,
            "Invalid value for 'top_logprobs': 'logprobs' must be set to true "
            "when 'top_logprobs' is used.",
            param="top_logprobs",
        )
    response_format = body.get("response_format") or {}
    if (
        response_format.get("type") == "json_object"
        and "json" not in json.dumps(body["messages"]).lower()
    ):
        raise APIError(
            400,
            "'messages' must contain the word 'json' in some form, to use 'response_format' "
            "of type 'json_object'.",
            param="messages",
        )


def plan_tools(body: dict[str, Any], kind: AnswerKind = "normal") -> ToolPlan:
    """Which functions the answer calls, from tools, tool_choice and parallel_tool_calls (and
    the `tool_call` answer kind: the first function tool, as if tool_choice were "required")."""
    if not body.get("tools") and "tool_choice" not in body:
        return _NO_TOOLS  # most requests: nothing to plan
    if kind == "text" and body.get("tool_choice", "auto") == "auto":
        return ToolPlan((), False)  # the model answers in words (answers.py)
    if kind == "tool_call" and body.get("tool_choice", "auto") in ("auto", "required"):
        functions = [t["function"] for t in body.get("tools") or [] if t.get("type") == "function"]
        if functions:
            return ToolPlan((functions[0],), True)
    tools = body.get("tools") or []
    functions = [t["function"] for t in tools if t.get("type") == "function"]
    choice = body.get("tool_choice", "auto" if tools else "none")
    if choice != "none" and not tools:
        raise APIError(
            400,
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' "
            "are specified.",
            param="tool_choice",
        )
    if isinstance(choice, dict):
        return _plan_for_choice_object(body, choice, functions)
    if choice == "none" or not functions:
        return ToolPlan((), False)
    if choice == "auto" and body["messages"][-1].get("role") != "user":
        return ToolPlan((), False)  # after a tool result, the model answers in words
    return _limit(body, functions, forced=choice == "required")


def _plan_for_choice_object(
    body: dict[str, Any], choice: dict[str, Any], functions: list[dict[str, Any]]
) -> ToolPlan:
    if choice.get("type") == "function":
        name = choice["function"]["name"]
        named = [f for f in functions if f.get("name") == name]
        if not named:
            raise APIError(
                400, f"Tool choice '{name}' not found in 'tools' parameter.", param="tool_choice"
            )
        return ToolPlan((named[0],), True)
    if choice.get("type") == "allowed_tools":
        allowed = choice["allowed_tools"]
        names = {
            t.get("function", {}).get("name") for t in allowed.get("tools") or [] if t.get("type")
        }
        subset = [f for f in functions if f.get("name") in names]
        if allowed.get("mode") == "auto" and body["messages"][-1].get("role") != "user":
            return ToolPlan((), False)
        return _limit(body, subset, forced=allowed.get("mode") == "required")
    raise APIError(
        400,
        f"tool_choice of type {choice.get('type')!r} is not supported by this server.",
        param="tool_choice",
    )


def _limit(body: dict[str, Any], functions: list[dict[str, Any]], *, forced: bool) -> ToolPlan:
    count = MAX_PARALLEL_CALLS if body.get("parallel_tool_calls", True) is not False else 1
    return ToolPlan(tuple(functions[:count]), forced)


def generate_choice(
    state: MockState,
    body: dict[str, Any],
    plan: ToolPlan,
    index: int,
    kind: AnswerKind = "normal",
    reasoning: bool = False,
) -> Choice:
    """Choice `index` of the answer (`kind`: answers.py; `reasoning`: the model is a reasoning
    model, whose hidden tokens count in usage and against max_completion_tokens)."""
    parts = (state.config.seed, body.get("seed"), body["model"], body["messages"], index)
    rng = rng_for(*parts, body.get("temperature"))
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if plan.functions:
        calls = tuple(_tool_call(parts, fn, k) for k, fn in enumerate(plan.functions))
        return _cut_calls(index, calls, limit)
    if kind == "refusal":
        tokens, finish = cut_tokens(split_tokens(REFUSAL_TEXT), limit, [])
        return Choice(index, tuple(tokens), finish or "stop", refusal=True)
    tokens = _content_tokens(rng, body, kind)
    thought = 0
    if reasoning:
        thought = _reasoning_tokens(rng_for(*parts, "reasoning"), limit, len(tokens))
    if isinstance(limit, int):
        limit -= thought
    tokens, finish = cut_tokens(tokens, limit, stop_sequences(body.get("stop")))
    if kind == "content_filter":
        tokens, finish = tokens[: len(tokens) // 2], "content_filter"
    logprobs = None
    if body.get("logprobs"):
        top = int(body.get("top_logprobs") or 0)
        logprobs = tuple(token_logprobs(rng_for(*parts, "logprobs"), tokens, top))
    return Choice(index, tuple(tokens), finish or "stop", (), logprobs, reasoning_tokens=thought)


def _reasoning_tokens(rng: Any, limit: int | None, answer: int) -> int:
    """8 to 24 hidden tokens, but never so many that a limit would cut the answer: a mock
    answer is meant to fit where the real one would (the real API may spend the whole limit
    on reasoning and answer nothing)."""
    drawn = 8 + below(rng, 17)
    return drawn if not isinstance(limit, int) else max(min(drawn, limit - answer), 0)


def _content_tokens(rng: Any, body: dict[str, Any], kind: AnswerKind) -> list[str]:
    response_format = body.get("response_format") or {}
    format_type = response_format.get("type")
    if format_type == "json_schema":
        schema = response_format["json_schema"].get("schema") or {"type": "object"}
        value = _instance(schema, rng, "response_format", "response_format.json_schema")
    elif format_type == "json_object":
        value = instance_for(_JSON_OBJECT_SCHEMA, rng)
    else:
        return generate_tokens(rng, answer_length(rng, last_user_text(body["messages"]), kind))
    return split_tokens(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def _tool_call(parts: tuple[Any, ...], function: dict[str, Any], k: int) -> ToolCall:
    rng = rng_for(*parts, "tool_call", k)
    schema = function.get("parameters") or {"type": "object", "properties": {}}
    value = _instance(schema, rng, f"function '{function['name']}'", "tools")
    arguments = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    call_id = "call_" + "".join(rng.choice(_ID_ALPHABET) for _ in range(24))
    return ToolCall(call_id, function["name"], tuple(split_tokens(arguments)))


def _instance(schema: Any, rng: Any, what: str, param: str) -> Any:
    try:
        return instance_for(schema, rng)
    except SchemaNotSatisfiableError as exc:
        raise APIError(400, f"Invalid schema for {what}: {exc}", param=param) from None


def _cut_calls(index: int, calls: tuple[ToolCall, ...], limit: int | None) -> Choice:
    """A token limit cuts the arguments (as the API does): invalid JSON, finish "length"."""
    total = sum(len(c.fragments) for c in calls)
    if not isinstance(limit, int) or limit >= total:
        return Choice(index, (), "tool_calls", calls)
    kept: list[ToolCall] = []
    budget = limit
    for call in calls:
        if budget <= 0 and kept:
            break
        kept.append(ToolCall(call.id, call.name, call.fragments[: max(budget, 0)]))
        budget -= len(call.fragments)
    return Choice(index, (), "length", tuple(kept))


def message_json(choice: Choice) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": choice.content,
        "refusal": choice.refusal_text,
        "annotations": [],
    }
    if choice.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in choice.tool_calls
        ]
    return message


def logprob_entry(token: str, logprob: float, top: list[tuple[str, float]]) -> dict[str, Any]:
    return {
        "token": token,
        "logprob": logprob,
        "bytes": list(token.encode()),
        "top_logprobs": [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in top],
    }


def logprobs_json(choice: Choice, entries: tuple[Logprob, ...] | None = None) -> Any:
    """The choice's `logprobs` (all of it, or the given entries for one stream chunk)."""
    if choice.logprobs is None:
        return None
    chosen = choice.logprobs if entries is None else entries
    return {"content": [logprob_entry(*entry) for entry in chosen], "refusal": None}
