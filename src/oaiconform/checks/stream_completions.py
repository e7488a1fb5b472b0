"""Checks of streamed legacy completions: `text_completion` chunks ending in `data: [DONE]`."""

from __future__ import annotations

from typing import Any

from oaiconform.checks._failure import Failure, capped
from oaiconform.checks._registry import Impact, check
from oaiconform.checks._soft import stream_soft_failures
from oaiconform.checks.schema import (
    split_violations,
    violation_where,
)
from oaiconform.checks.streaming import (
    choice_identity,
    choice_sequence,
    data_events,
    mid_stream_errors,
    request_body,
)
from oaiconform.exchange import StreamExchange
from oaiconform.spec import Spec

COMPLETION_SCHEMA = "/components/schemas/CreateCompletionResponse"


def _reasons(spec: Spec) -> list[str]:
    schema = spec.document["components"]["schemas"]["CreateCompletionResponse"]
    reason = schema["properties"]["choices"]["items"]["properties"]["finish_reason"]
    return [r for r in reason.get("enum", []) if isinstance(r, str)]


def _expected_choices(body: dict[str, Any]) -> int:
    prompt = body.get("prompt")
    prompts = len(prompt) if isinstance(prompt, list) and prompt and not _is_ids(prompt) else 1
    return prompts * int(body.get("n") or 1)


def _is_ids(prompt: list[Any]) -> bool:
    return all(isinstance(p, int) for p in prompt)


def _as_final(chunk: dict[str, Any]) -> dict[str, Any]:
    """The chunk with a null finish_reason filled in, for schema validation only.

    The description documents one shape for streamed and plain completions, and that shape has
    no null finish_reason, though every streamed chunk but a choice's last carries null.
    """
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        return chunk
    filled = [
        {**c, "finish_reason": "stop"}
        if isinstance(c, dict) and c.get("finish_reason", "") is None
        else c
        for c in choices
    ]
    return {**chunk, "choices": filled}


@check(
    title=(
        "Streamed legacy completion chunks match the schema, with one identity and "
        "finish_reason per choice"
    ),
    impact=Impact.WRONG_BEHAVIOUR,
    reason="a chunk contradicts the documented shape or its stream",
)
def completion_chunks(spec: Spec, stream: StreamExchange) -> list[Failure]:
    """text_completion chunks of the schema, one identity, one finish_reason per choice, last."""
    if not stream.is_event_stream:
        return []
    where = stream.describe()
    events = data_events(stream)
    failures = events.failures + mid_stream_errors(stream, events)
    chunks = [(n, c) for n, c in events.objects if c.get("choices") != []]  # not a usage chunk
    for number, chunk in chunks:
        split = split_violations(spec, COMPLETION_SCHEMA, _as_final(chunk))
        # In a stream finish_reason is null until a choice's last chunk (see _as_final): a
        # chunk that leaves it out says what null says, as chat's nullable one does.
        absent = [v for v in split.hard if v.kind == "Required" and v.property == "finish_reason"]
        split.hard[:] = [v for v in split.hard if v not in absent]
        split.nullable.extend(absent)
        failures += [
            Failure(
                "chunk_schema",
                f"{where}: event #{number} {violation}",
                where=violation_where(violation, f"events[{number}]"),
            )
            for violation in split.hard
        ]
        failures += stream_soft_failures(where, number, split)
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict) and not isinstance(choice.get("text"), str):
                failures.append(
                    Failure(
                        "chunk_text",
                        f"{where}: event #{number}: choice {choice.get('index')!r} has no "
                        f"string `text` (got {choice.get('text')!r:.60})",
                        where=f"events[{number}].choices[{choice.get('index')}].text",
                    )
                )
    failures += choice_identity(where, chunks, "text_completion", stream.head.answered_at())
    n = _expected_choices(request_body(stream))
    failures += choice_sequence(where, chunks, n, _reasons(spec), roles=False)
    return capped(failures)
