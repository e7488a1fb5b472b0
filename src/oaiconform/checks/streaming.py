"""Checks of streamed answers: the event stream itself, and streamed chat completions.

A stream is judged on what a client sees: the content type, the framing defects the strict
parser recorded, `data: [DONE]` last, then the chunks: each a JSON object of the spec's chunk
schema, one identity, one role and one finish_reason per choice, usage only where asked for,
tool-call deltas a client can assemble. The request's own body (n, stream_options, tools) says
what to expect, so each check needs only the StreamExchange.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from oaiconform.checks._clock import implausible_created
from oaiconform.checks._failure import Failure, capped, indexes_are, indexes_text
from oaiconform.checks._registry import Impact, check
from oaiconform.checks._soft import stream_soft_failures
from oaiconform.checks.errors import error_envelope
from oaiconform.checks.schema import (
    integer_timestamp,
    object_value,
    split_violations,
    violation_where,
)
from oaiconform.exchange import Exchange, StreamExchange
from oaiconform.spec import Spec

DONE = "[DONE]"
CHUNK_SCHEMA = "/components/schemas/CreateChatCompletionStreamResponse"


def request_body(stream: StreamExchange | Exchange) -> dict[str, Any]:
    """The JSON object that was sent, or {} (the checks read n, stream_options, tools from it)."""
    head = stream.head if isinstance(stream, StreamExchange) else stream
    try:
        body = json.loads(head.request.body) if head.request.body else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


@check(
    title="A stream: true request is answered 200 text/event-stream, and the stream ends",
    impact=Impact.BREAKS_CLIENTS,
    reason=(
        "the SDKs cannot parse another answer as a stream, and wait forever on one that never ends"
    ),
)
def event_stream_served(stream: StreamExchange) -> list[Failure]:
    """A `stream: true` request is answered 200 text/event-stream, and the stream ended."""
    where = stream.describe()
    if stream.head.status != 200:
        return [
            Failure(
                "status_code",
                f"{where}: expected status 200, got {stream.head.status} with "
                f"{stream.head.body_excerpt()}",
                where="status",
                expected="200",
                found=str(stream.head.status),
            )
        ]
    failures = []
    if not stream.is_event_stream:
        found = stream.head.header("content-type") or "no Content-Type"
        failures.append(
            Failure(
                "content_type",
                f"{where}: a stream: true request was answered with {found}, "
                f"expected text/event-stream (body: {stream.head.body_excerpt()})",
                where="header:content-type",
                expected="text/event-stream",
                found=found,
            )
        )
    if stream.interrupted:
        failures.append(
            Failure("stream_interrupted", f"{where}: {stream.interrupted}", where="events")
        )
    return failures


@check(
    title="Without stream: true the answer is one JSON document, not an event stream",
    impact=Impact.BREAKS_CLIENTS,
    reason="the SDKs cannot parse an event stream where one JSON document is due",
)
def json_not_event_stream(exchange: Exchange) -> list[Failure]:
    """Without `stream: true` the answer is one JSON document, not an event stream."""
    if exchange.media_type == "text/event-stream":
        return [
            Failure(
                "content_type",
                f"{exchange.describe()}: a request without stream: true was answered with "
                "text/event-stream; expected one application/json document",
                where="header:content-type",
                expected="application/json",
                found="text/event-stream",
            )
        ]
    return []


@check(
    title="The event stream has no framing defect and ends with data: [DONE]",
    impact=Impact.BREAKS_CLIENTS,
    reason="the SDKs' SSE decoders drop or merge misframed events, and wait for [DONE]",
)
def stream_framing(stream: StreamExchange, *, done_required: bool = True) -> list[Failure]:
    """No framing defect (each names itself), and `data: [DONE]` ends the stream."""
    if not stream.is_event_stream:
        return []
    where = stream.describe()
    failures = [
        Failure("sse_framing", f"{where}: {message}", where="events")
        for _, message in stream.defects
    ]
    if done_required and not stream.done and not stream.interrupted:
        failures.append(
            Failure(
                "stream_done",
                f"{where}: the stream ended after {len(stream.events)} events without "
                "`data: [DONE]`; clients wait for it to know the answer is complete",
                where="events[-1].data",
                expected="[DONE]",
            )
        )
    return failures


@dataclass
class DataEvents:
    """The data events of a stream parsed as JSON objects, numbered from 1 as received."""

    objects: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


@check(
    title="Every data event before [DONE] is a JSON object",
    impact=Impact.BREAKS_CLIENTS,
    reason="the SDKs raise on a data event that is not JSON",
)
def data_events(stream: StreamExchange) -> DataEvents:
    """Every data event before [DONE] must be a JSON object; `{"error": ...}` ones are set apart."""
    out = DataEvents()
    where = stream.describe()
    for number, event in enumerate(stream.events, start=1):
        if event.data == DONE:
            break  # clients stop reading here; stream_framing reports anything after it
        try:
            value = json.loads(event.data)
        except ValueError:
            excerpt = event.data if len(event.data) <= 120 else event.data[:120] + "..."
            out.failures.append(
                Failure(
                    "event_json",
                    f"{where}: event #{number} is not JSON: {excerpt!r}",
                    where=f"events[{number}].data",
                )
            )
            continue
        if not isinstance(value, dict):
            out.failures.append(
                Failure(
                    "event_json",
                    f"{where}: event #{number} is a JSON {type(value).__name__}, "
                    "expected an object",
                    where=f"events[{number}].data",
                )
            )
        elif "error" in value and "object" not in value and "type" not in value:
            out.errors.append((number, value))
        else:
            out.objects.append((number, value))
    return out


@check(
    title=(
        "An error after the stream started is one data event with the error envelope, and the last"
    ),
    impact=Impact.BREAKS_CLIENTS,
    reason=(
        "the SDKs raise from exactly that shape; an error in another shape or followed "
        "by chunks is lost"
    ),
)
def mid_stream_errors(stream: StreamExchange, events: DataEvents) -> list[Failure]:
    """An error after the stream started is `data: {"error": {envelope}}`, and then it ends.

    Clients (the SDKs among them) look for exactly that shape in a data event; an error hidden
    in another shape or followed by more chunks is lost or misread.
    """
    failures = []
    where = stream.describe()
    last_number = max((n for n, e in enumerate(stream.events, 1) if e.data != DONE), default=0)
    for number, value in events.errors:
        as_exchange = Exchange(
            stream.head.request,
            stream.head.status,
            (("content-type", "application/json"),),
            json.dumps(value).encode(),
        )
        failures += [
            replace(f, message=f"event #{number}: {f.message}", where=f"events[{number}].{f.where}")
            for f in error_envelope(as_exchange)
        ]
        error = value.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        failures.append(
            Failure(
                "stream_error",
                f"{where}: event #{number} reports an error: {message!r:.200}",
                where=f"events[{number}].error",
            )
        )
        if number != last_number:
            failures.append(
                Failure(
                    "stream_error",
                    f"{where}: the error in event #{number} is followed by more events; "
                    "a stream must end after its error event",
                    where=f"events[{number}]",
                )
            )
    return failures


def as_dict(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object, else {}: a malformed part is reported elsewhere."""
    return value if isinstance(value, dict) else {}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def finish_reasons(spec: Spec) -> list[str]:
    """The chunk schema's finish_reason enum: the spec, not this code, says what is allowed."""
    schema = spec.document["components"]["schemas"]["CreateChatCompletionStreamResponse"]
    reason = schema["properties"]["choices"]["items"]["properties"]["finish_reason"]
    return [r for r in reason.get("enum", []) if isinstance(r, str)]


@check(
    title="Every chunk of a stream carries the same id, created and model",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="chunks of one answer that name different answers contradict each other",
)
def choice_identity(
    where: str,
    chunks: list[tuple[int, dict[str, Any]]],
    kind: str,
    answered_at: float | None = None,
) -> list[Failure]:
    failures = []
    first = chunks[0][1] if chunks else {}
    for number, chunk in chunks:
        failures += object_value(chunk, kind, at=f"events[{number}]")
        failures += integer_timestamp(chunk, "created", at=f"events[{number}]")
        implausible = implausible_created(chunk.get("created"), answered_at)
        if implausible:
            failures.append(
                Failure(
                    "chunk_identity",
                    f"{where}: event #{number}: {implausible}",
                    where=f"events[{number}].created",
                )
            )
        for name in ("id", "created", "model"):
            if chunk.get(name) != first.get(name):
                failures.append(
                    Failure(
                        "chunk_identity",
                        f"{where}: event #{number}: `{name}` is {chunk.get(name)!r}, but the "
                        f"first chunk's is {first.get(name)!r}; every chunk must carry the same",
                        where=f"events[{number}].{name}",
                    )
                )
    return failures


def _choices(chunk: dict[str, Any]) -> Iterator[dict[str, Any]]:
    choices = chunk.get("choices")
    for choice in choices if isinstance(choices, list) else []:
        if isinstance(choice, dict) and _is_int(choice.get("index")):
            yield choice


@check(
    title=(
        "Per choice: the role first and once, one finish_reason in the last chunk, every "
        "choice ends"
    ),
    impact=Impact.BREAKS_CLIENTS,
    reason="clients assembling deltas lose the end of a choice or see it twice",
)
def choice_sequence(
    where: str,
    chunks: list[tuple[int, dict[str, Any]]],
    n: int,
    reasons: list[str],
    *,
    roles: bool = True,
) -> list[Failure]:
    """Per choice: role first and once (chat deltas only), finish_reason once and last, all end."""
    failures = []
    seen: dict[int, int] = {}  # index -> chunks seen
    finished: dict[int, list[int]] = {}  # index -> event numbers carrying a finish_reason
    for number, chunk in chunks:
        for choice in _choices(chunk):
            index = choice["index"]
            delta = as_dict(choice.get("delta"))
            first = index not in seen
            seen[index] = seen.get(index, 0) + 1
            if not roles:
                pass
            elif first and delta.get("role") != "assistant":
                failures.append(
                    Failure(
                        "delta_role",
                        f"{where}: event #{number}: the first delta of choice {index} must have "
                        f'role "assistant", got {delta.get("role")!r}',
                        where=f"events[{number}].choices[{index}].delta.role",
                        expected="assistant",
                        found=repr(delta.get("role")),
                    )
                )
            elif not first and delta.get("role") is not None:
                failures.append(
                    Failure(
                        "delta_role",
                        f"{where}: event #{number}: a later delta of choice {index} repeats "
                        f"role {delta['role']!r}; the role comes once, in the first delta",
                        where=f"events[{number}].choices[{index}].delta.role",
                        expected="absent",
                        found=repr(delta["role"]),
                    )
                )
            if finished.get(index):
                failures.append(
                    Failure(
                        "finish_reason",
                        f"{where}: event #{number}: choice {index} continues after its "
                        f"finish_reason (event #{finished[index][0]}); it must be the last chunk",
                        where=f"events[{number}].choices[{index}]",
                    )
                )
            reason = choice.get("finish_reason")
            if reason is not None:
                finished.setdefault(index, []).append(number)
                if reason not in reasons:
                    failures.append(
                        Failure(
                            "finish_reason",
                            f"{where}: event #{number}: finish_reason {reason!r} of choice "
                            f"{index} is not one of {', '.join(reasons)}",
                            where=f"events[{number}].choices[{index}].finish_reason",
                            found=repr(reason),
                        )
                    )
    if not indexes_are(sorted(seen), n):
        failures.append(
            Failure(
                "choices",
                f"{where}: {n} choice(s) asked for (prompts x n): expected choice indexes "
                f"{indexes_text(n)}, got {sorted(seen)}",
                where="events[].choices[].index",
                expected=indexes_text(n),
                found=str(sorted(seen)),
            )
        )
    for index in sorted(seen):
        if not finished.get(index):
            failures.append(
                Failure(
                    "finish_reason",
                    f"{where}: choice {index} never got a finish_reason; it must appear "
                    "exactly once, in the choice's last chunk",
                    where=f"events[].choices[{index}].finish_reason",
                )
            )
        elif len(finished[index]) > 1:
            failures.append(
                Failure(
                    "finish_reason",
                    f"{where}: choice {index} has a finish_reason in {len(finished[index])} "
                    f"chunks (events {finished[index]}); expected exactly one",
                    where=f"events[].choices[{index}].finish_reason",
                )
            )
    return failures


@check(
    title="Each streamed chat chunk validates against the chunk schema",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="a chunk contradicts the documented shape; the SDKs parse chunks leniently",
)
def chat_chunks(spec: Spec, stream: StreamExchange) -> list[Failure]:
    """Every chunk of a streamed chat completion, and the sequence per choice (see module doc)."""
    if not stream.is_event_stream:
        return []
    where = stream.describe()
    n = request_body(stream).get("n") or 1
    events = data_events(stream)
    failures = events.failures + mid_stream_errors(stream, events)
    for number, chunk in events.objects:
        split = split_violations(spec, CHUNK_SCHEMA, chunk)
        failures += [
            Failure(
                "chunk_schema",
                f"{where}: event #{number} {violation}",
                where=violation_where(violation, f"events[{number}]"),
            )
            for violation in split.hard
        ]
        failures += stream_soft_failures(where, number, split)
    answered_at = stream.head.answered_at()
    failures += choice_identity(where, events.objects, "chat.completion.chunk", answered_at)
    failures += choice_sequence(where, events.objects, n, finish_reasons(spec))
    return capped(failures)
