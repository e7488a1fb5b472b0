"""Checks of legacy completions: the `text_completion` object, its choices and logprobs."""

from __future__ import annotations

from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import check
from oaiconform.checks.chat import usage_totals

FINISH_REASONS = ("stop", "length", "content_filter")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@check
def text_completion_fields(body: Any, *, expected_choices: int = 1) -> list[Failure]:
    """id, `object: text_completion`, integer `created`, model, choices 0..k-1 with text."""
    if not isinstance(body, dict):
        return [Failure("text_completion", f"expected a JSON object, got {type(body).__name__}")]
    failures = []
    if not isinstance(body.get("id"), str) or not body["id"]:
        failures.append(
            Failure("text_completion", f"`id` must be a non-empty string, got {body.get('id')!r}")
        )
    if body.get("object") != "text_completion":
        failures.append(
            Failure(
                "text_completion",
                f'`object` must be "text_completion", got {body.get("object")!r}',
            )
        )
    if not _is_int(body.get("created")):
        failures.append(
            Failure(
                "text_completion",
                f"`created` must be integer Unix seconds, got {body.get('created')!r}",
            )
        )
    choices = body.get("choices")
    if not isinstance(choices, list):
        return [
            *failures,
            Failure("text_completion", f"`choices` must be an array, got {choices!r:.80}"),
        ]
    indexes = sorted(c["index"] for c in choices if isinstance(c, dict) and _is_int(c.get("index")))
    if indexes != list(range(expected_choices)):
        failures.append(
            Failure(
                "text_completion",
                f"expected choice indexes {list(range(expected_choices))} (prompts x n), "
                f"got {indexes}",
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
                )
            )
        if choice.get("finish_reason") not in FINISH_REASONS:
            failures.append(
                Failure(
                    "text_completion",
                    f"{where}.finish_reason {choice.get('finish_reason')!r} is not one of "
                    f"{', '.join(FINISH_REASONS)}",
                )
            )
    if body.get("usage") is not None:
        failures.extend(usage_totals(body["usage"]))
    return failures


@check
def completion_logprobs(choice: Any, *, top: int) -> list[Failure]:
    """Legacy logprobs: tokens join to the text, one logprob, offset and top list per token."""
    where = f"choices[{choice.get('index') if isinstance(choice, dict) else '?'}].logprobs"
    logprobs = choice.get("logprobs") if isinstance(choice, dict) else None
    if not isinstance(logprobs, dict):
        return [
            Failure(
                "logprobs", f"{where} must be an object when logprobs is set, got {logprobs!r:.60}"
            )
        ]
    tokens = logprobs.get("tokens")
    values = logprobs.get("token_logprobs")
    tops = logprobs.get("top_logprobs")
    if not (isinstance(tokens, list) and isinstance(values, list) and isinstance(tops, list)):
        return [
            Failure("logprobs", f"{where} needs tokens, token_logprobs and top_logprobs arrays")
        ]
    failures = []
    if "".join(str(t) for t in tokens) != choice.get("text"):
        failures.append(
            Failure(
                "logprobs",
                f"{where}.tokens join to {''.join(str(t) for t in tokens)!r:.80}, not the text "
                f"{choice.get('text')!r:.80}",
            )
        )
    if not len(tokens) == len(values) == len(tops):
        failures.append(
            Failure(
                "logprobs",
                f"{where}: {len(tokens)} tokens but {len(values)} token_logprobs and "
                f"{len(tops)} top_logprobs",
            )
        )
    for position, value in enumerate(values):
        if value is not None and (not isinstance(value, int | float) or value > 0):
            failures.append(
                Failure("logprobs", f"{where}.token_logprobs[{position}] is {value!r}, not <= 0")
            )
    for position, entry in enumerate(tops):
        if entry is not None and (not isinstance(entry, dict) or len(entry) > top + 1):
            failures.append(
                Failure(
                    "logprobs",
                    f"{where}.top_logprobs[{position}] must map at most {top + 1} tokens to "
                    f"logprobs, got {entry!r:.80}",
                )
            )
    return failures
