"""Checks of legacy completions: the `text_completion` object, its choices and logprobs."""

from __future__ import annotations

import re
from typing import Any

from oaiconform.checks._failure import Failure, indexes_are, indexes_text
from oaiconform.checks._registry import Impact, check, register
from oaiconform.checks.chat import usage_totals
from oaiconform.checks.schema import integer_timestamp, object_value

MAX_TOKENS_HONOURED = register(  # judged by the suite, on the limit it sent
    "completions.max_tokens_honoured",
    title="max_tokens cuts the text: finish_reason length, completion_tokens within the limit",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the max_tokens parameter was ignored",
).id

FINISH_REASONS = ("stop", "length", "content_filter")
# A token that is part of a character's UTF-8 bytes cannot be a JSON string of its own. The
# real API spells its bytes as text, `bytes:\xe2\x80` (DeepSeek `\xe2\x80`); vLLM and Ollama
# write the replacement character, which loses them.
_BYTES_PREFIX = "bytes:"
_ESCAPED_BYTES = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")
_LOSSY = "\ufffd"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@check(
    title="A legacy completion carries its `id`, one choice per prompt and `n`, each with text",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the answer contradicts the request (prompts x n) or omits the text applications read",
)
def text_completion_fields(body: Any, *, expected_choices: int = 1) -> list[Failure]:
    """id, `object: text_completion`, integer `created`, model, choices 0..k-1 with text."""
    if not isinstance(body, dict):
        return [
            Failure(
                "text_completion",
                f"expected a JSON object, got {type(body).__name__}",
                where="body",
            )
        ]
    failures = []
    if not isinstance(body.get("id"), str) or not body["id"]:
        failures.append(
            Failure(
                "text_completion",
                f"`id` must be a non-empty string, got {body.get('id')!r}",
                where="id",
            )
        )
    failures += object_value(body, "text_completion")
    failures += integer_timestamp(body, "created")
    choices = body.get("choices")
    if not isinstance(choices, list):
        return [
            *failures,
            Failure(
                "text_completion",
                f"`choices` must be an array, got {choices!r:.80}",
                where="choices",
            ),
        ]
    indexes = sorted(c["index"] for c in choices if isinstance(c, dict) and _is_int(c.get("index")))
    if not indexes_are(indexes, expected_choices):
        failures.append(
            Failure(
                "text_completion",
                f"expected choice indexes {indexes_text(expected_choices)} (prompts x n), "
                f"got {indexes}",
                where="choices[].index",
                expected=indexes_text(expected_choices),
                found=str(indexes),
            )
        )
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        where = f"choices[{choice.get('index')}]"
        if not isinstance(choice.get("text"), str):
            failures.append(
                Failure(
                    "text_completion",
                    f"{where}.text must be a string, got {choice.get('text')!r:.60}",
                    where=f"{where}.text",
                )
            )
        if choice.get("finish_reason") not in FINISH_REASONS:
            failures.append(
                Failure(
                    "text_completion",
                    f"{where}.finish_reason {choice.get('finish_reason')!r} is not one of "
                    f"{', '.join(FINISH_REASONS)}",
                    where=f"{where}.finish_reason",
                    found=repr(choice.get("finish_reason")),
                )
            )
    if body.get("usage") is not None:
        failures.extend(usage_totals(body["usage"]))
    return failures


@check(
    title=(
        "With `logprobs`, each choice's tokens join to its text with one logprob and top list each"
    ),
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the requested log probabilities are missing or do not describe the returned text",
)
def completion_logprobs(choice: Any, *, top: int) -> list[Failure]:
    """Legacy logprobs: tokens join to the text, one logprob, offset and top list per token."""
    where = f"choices[{choice.get('index') if isinstance(choice, dict) else '?'}].logprobs"
    at = f"choices[{choice.get('index') if isinstance(choice, dict) else 0}].logprobs"
    logprobs = choice.get("logprobs") if isinstance(choice, dict) else None
    if not isinstance(logprobs, dict):
        return [
            Failure(
                "logprobs",
                f"{where} must be an object when logprobs is set, got {logprobs!r:.60}",
                where=at,
            )
        ]
    tokens = logprobs.get("tokens")
    values = logprobs.get("token_logprobs")
    tops = logprobs.get("top_logprobs")
    if not (isinstance(tokens, list) and isinstance(values, list) and isinstance(tops, list)):
        return [
            Failure(
                "logprobs",
                f"{where} needs tokens, token_logprobs and top_logprobs arrays",
                where=at,
            )
        ]
    failures = []
    joined = joined_tokens(tokens)
    if joined is not None and joined != choice.get("text"):
        failures.append(
            Failure(
                "logprobs",
                f"{where}.tokens join to {joined!r:.80}, not the text {choice.get('text')!r:.80}",
                where=f"{at}.tokens",
            )
        )
    if not len(tokens) == len(values) == len(tops):
        failures.append(
            Failure(
                "logprobs",
                f"{where}: {len(tokens)} tokens but {len(values)} token_logprobs and "
                f"{len(tops)} top_logprobs",
                where=f"{at}.token_logprobs",
            )
        )
    for position, value in enumerate(values):
        if value is not None and (not isinstance(value, int | float) or value > 0):
            failures.append(
                Failure(
                    "logprobs",
                    f"{where}.token_logprobs[{position}] is {value!r}, not <= 0",
                    where=f"{at}.token_logprobs[{position}]",
                )
            )
    for position, entry in enumerate(tops):
        if entry is not None and (not isinstance(entry, dict) or len(entry) > top + 1):
            failures.append(
                Failure(
                    "logprobs",
                    f"{where}.top_logprobs[{position}] must map at most {top + 1} tokens to "
                    f"logprobs, got {entry!r:.80}",
                    where=f"{at}.top_logprobs[{position}]",
                )
            )
    return failures


def joined_tokens(tokens: list[Any]) -> str | None:
    """The text legacy logprobs' tokens spell, their escaped partial bytes joined as UTF-8;
    None when a token lost its bytes (a replacement character): the join cannot be judged."""
    parts: list[bytes] = []
    for token in tokens:
        text = str(token)
        if _LOSSY in text:
            return None
        escaped = text.removeprefix(_BYTES_PREFIX).strip()
        if _ESCAPED_BYTES.fullmatch(escaped):
            parts.append(bytes(int(h, 16) for h in escaped.split("\\x")[1:]))
        else:
            parts.append(text.encode())
    return b"".join(parts).decode(errors="replace")
