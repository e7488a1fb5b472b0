"""Checks of non-streamed chat completions."""

from __future__ import annotations

import json
from typing import Any

from oaiconform.checks._clock import implausible_created
from oaiconform.checks._failure import Failure, indexes_are, indexes_text
from oaiconform.checks._registry import Impact, check, register
from oaiconform.checks._schemas import offline_validator
from oaiconform.checks.schema import integer_timestamp, object_value

MAX_TOKENS_HONOURED = register(  # judged by the suite, on the limit it sent
    "chat.max_tokens_honoured",
    title="max_tokens cuts the answer: finish_reason length, completion_tokens within the limit",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the max_tokens parameter was ignored",
).id

FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter", "function_call")
# `created` more than this far from the local clock is a unit or clock error (ms, not s).


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@check(
    title=(
        "Token counts are non-negative integers and `total_tokens` is prompt plus completion tokens"
    ),
    impact=Impact.WRONG_BEHAVIOUR,
    reason="usage arithmetic that does not add up misstates what a request used and costs",
)
def usage_totals(usage: Any, *, where: str = "usage", at: str = "") -> list[Failure]:
    """Token counts are non-negative integers and `total_tokens = prompt + completion`.

    `where` names the usage in messages, `at` locates it (default: `where`).
    """
    at = at or where
    if not isinstance(usage, dict):
        return [Failure("usage", f"`{where}` must be an object, got {usage!r:.80}", where=at)]
    failures = []
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        if not _is_int(usage.get(name)) or usage[name] < 0:
            failures.append(
                Failure(
                    "usage",
                    f"`{where}.{name}` must be a non-negative integer, got {usage.get(name)!r}",
                    where=f"{at}.{name}",
                )
            )
    if failures:
        return failures
    prompt, completion, total = (
        usage["prompt_tokens"],
        usage["completion_tokens"],
        usage["total_tokens"],
    )
    if total != prompt + completion:
        failures.append(
            Failure(
                "usage",
                f"`{where}.total_tokens` is {total}, but prompt_tokens "
                f"{prompt} + completion_tokens {completion} = "
                f"{prompt + completion}",
                where=f"{at}.total_tokens",
                expected=str(prompt + completion),
                found=str(total),
            )
        )
    return failures


@check(
    title=(
        "A chat completion carries its `id`, `model`, one choice per `n` and an "
        "assistant message each"
    ),
    impact=Impact.WRONG_BEHAVIOUR,
    reason=(
        "the answer contradicts the request (n) or omits what applications read; the SDK "
        "parses it leniently"
    ),
)
def chat_completion_fields(
    body: Any, *, requested_n: int = 1, now: float | None = None
) -> list[Failure]:
    """The identity fields and choices of a `chat.completion` object, beyond its schema.

    `now` is when the answer came (`Exchange.answered_at()`), which `created` is judged
    against; None judges only what cannot be Unix seconds at all."""
    if not isinstance(body, dict):
        return [
            Failure(
                "chat_completion",
                f"expected a JSON object, got {type(body).__name__}",
                where="body",
            )
        ]
    failures = []
    if not isinstance(body.get("id"), str) or not body["id"]:
        failures.append(
            Failure(
                "chat_completion",
                f"`id` must be a non-empty string, got {body.get('id')!r}",
                where="id",
            )
        )
    failures += object_value(body, "chat.completion")
    failures += integer_timestamp(body, "created")
    implausible = implausible_created(body.get("created"), now)
    if implausible:
        failures.append(Failure("chat_completion", implausible, where="created"))
    if not isinstance(body.get("model"), str) or not body["model"]:
        failures.append(
            Failure(
                "chat_completion",
                f"`model` must be a non-empty string, got {body.get('model')!r}",
                where="model",
            )
        )
    choices = body.get("choices")
    if not isinstance(choices, list):
        failures.append(
            Failure(
                "chat_completion",
                f"`choices` must be an array, got {choices!r:.80}",
                where="choices",
            )
        )
        return failures
    indexes = sorted(
        int(c["index"]) for c in choices if isinstance(c, dict) and _is_int(c.get("index"))
    )
    if not indexes_are(indexes, requested_n):
        failures.append(
            Failure(
                "chat_completion",
                f"expected choice indexes {indexes_text(requested_n)}, got {indexes}",
                where="choices[].index",
                expected=indexes_text(requested_n),
                found=str(indexes),
            )
        )
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        reason = choice.get("finish_reason")
        if reason not in FINISH_REASONS:
            failures.append(
                Failure(
                    "chat_completion",
                    f"choices[{choice.get('index')}]."
                    f"finish_reason {reason!r} is not one of "
                    f"{', '.join(FINISH_REASONS)}",
                    where=f"choices[{choice.get('index')}].finish_reason",
                    found=repr(reason),
                )
            )
        message = choice.get("message")
        if not isinstance(message, dict) or message.get("role") != "assistant":
            role = message.get("role") if isinstance(message, dict) else message
            failures.append(
                Failure(
                    "chat_completion",
                    f"choices[{choice.get('index')}].message."
                    f'role must be "assistant", got {role!r}',
                    where=f"choices[{choice.get('index')}].message.role",
                    expected="assistant",
                    found=repr(role),
                )
            )
    if "usage" in body and body["usage"] is not None:
        failures.extend(usage_totals(body["usage"]))
    return failures


def _answered_otherwise(message: dict[str, Any]) -> bool:
    """The model called a tool or refused instead of writing content: response_format governs
    content only, so there is nothing to judge (the API answers so, and the SDK expects it)."""
    return message.get("content") is None and bool(
        message.get("tool_calls") or message.get("function_call") or message.get("refusal")
    )


def _message_contents(body: Any) -> list[tuple[str, Any, Any]]:
    """(where, content, finish_reason) of each choice's message that carries content."""
    choices = body.get("choices") if isinstance(body, dict) else None
    out: list[tuple[str, Any, Any]] = []
    for choice in choices or []:
        if isinstance(choice, dict):
            message = choice.get("message")
            message = message if isinstance(message, dict) else {}
            if _answered_otherwise(message):
                continue
            out.append(
                (
                    f"choices[{choice.get('index')}].message.content",
                    message.get("content"),
                    choice.get("finish_reason"),
                )
            )
    return out


def contents_to_judge(body: Any, *, cut_too: bool) -> int:
    """How many choices wrote content the structured-output checks judge (no tool call, no
    refusal; `cut_too`: also one cut by max_tokens). None: the test's premise was not met."""
    return sum(1 for _, _, finish in _message_contents(body) if cut_too or finish != "length")


def _parse_json_content(where: str, content: Any) -> tuple[Any, list[Failure]]:
    if not isinstance(content, str):
        return None, [
            Failure(
                "structured_output", f"{where} must be a string, got {content!r:.60}", where=where
            )
        ]
    try:
        return json.loads(content), []
    except ValueError:
        hint = " (wrapped in markdown code fences)" if content.lstrip().startswith("```") else ""
        return None, [
            Failure("structured_output", f"{where} is not JSON{hint}: {content!r:.80}", where=where)
        ]


@check(
    title="With response_format json_object, each complete message content is a JSON object",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the requested response_format was ignored",
)
def json_object_content(body: Any) -> list[Failure]:
    """response_format json_object: each (complete) message content parses as a JSON object."""
    failures = []
    for where, content, finish in _message_contents(body):
        if finish == "length":
            continue
        value, problems = _parse_json_content(where, content)
        if not problems and not isinstance(value, dict):
            problems = [
                Failure(
                    "structured_output",
                    f"{where} must be a JSON object, got a JSON {type(value).__name__}",
                    where=where,
                )
            ]
        failures.extend(problems)
    return failures


@check(
    title=(
        "With response_format json_schema, each complete message content validates "
        "against the schema"
    ),
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the requested structured output was ignored or broken",
)
def json_schema_content(body: Any, schema: dict[str, Any]) -> list[Failure]:
    """response_format json_schema: each (complete) message content validates against it."""
    validator, unusable = offline_validator(schema, what="the response_format json_schema")
    if validator is None:
        return unusable
    failures = []
    for where, content, finish in _message_contents(body):
        if finish == "length":
            failures.append(
                Failure(
                    "structured_output",
                    f"{where} was cut by max_tokens before it ended",
                    where=where,
                )
            )
            continue
        value, problems = _parse_json_content(where, content)
        if not problems:
            errors = list(validator.iter_errors(value))
            if errors:
                path = "".join(f"[{p!r}]" for p in errors[0].instance_path) or "(root)"
                problems = [
                    Failure(
                        "structured_output",
                        f"{where} does not match the response schema: {path}: {errors[0].message}",
                        where=where,
                    )
                ]
        failures.extend(problems)
    return failures
