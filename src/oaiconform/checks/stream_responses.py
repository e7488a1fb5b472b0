"""Checks of streamed Responses: typed events in order, one terminal event, deltas that add up.

Unlike chat, a Responses stream names each event (`event:` equal to the data's `type`), numbers
it (`sequence_number`), and ends with a terminal event instead of `data: [DONE]`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from oaiconform.checks._failure import Failure, capped
from oaiconform.checks._registry import Impact, check
from oaiconform.checks._soft import stream_soft_failures
from oaiconform.checks.schema import (
    split_violations,
    violation_where,
)
from oaiconform.checks.streaming import as_dict, data_events
from oaiconform.exchange import StreamExchange
from oaiconform.spec import SchemaViolation, Spec

TERMINAL = ("response.completed", "response.failed", "response.incomplete")
_UNION = "ResponseStreamEvent"
_schemas_by_spec: dict[int, dict[str, str]] = {}


def event_schemas(spec: Spec) -> dict[str, str]:
    """Event type -> pointer of its schema, read from the ResponseStreamEvent union."""
    cached = _schemas_by_spec.get(id(spec))
    if cached is not None:
        return cached
    schemas = spec.document["components"]["schemas"]
    out: dict[str, str] = {}
    for ref in schemas.get(_UNION, {}).get("anyOf", []):
        pointer = str(ref.get("$ref", "")).lstrip("#")
        name = pointer.rsplit("/", 1)[-1]
        kind = as_dict(as_dict(schemas.get(name)).get("properties")).get("type")
        for value in as_dict(kind).get("enum", []):
            out[value] = pointer
    _schemas_by_spec[id(spec)] = out
    return out


def _event_shape(
    spec: Spec, where: str, number: int, name: str, data: dict[str, Any]
) -> list[Failure]:
    kind = data.get("type")
    failures = response_event_named(where, number, name, kind)
    pointer = event_schemas(spec).get(kind) if isinstance(kind, str) else None
    if pointer is None:
        failures.append(
            Failure(
                "event_schema",
                f"{where}: event #{number}: type {kind!r} is not a documented "
                "Responses stream event",
                where=f"events[{number}].type",
                found=repr(kind),
            )
        )
    else:
        split = split_violations(spec, pointer, data)
        failures += response_event_schema(f"{where}: event #{number} ({kind})", number, split.hard)
        failures += stream_soft_failures(f"{where}: ({kind})", number, split)
    return failures


@check(
    title="Each Responses stream event is named by an `event:` line equal to its type",
    impact=Impact.SPEC_LITERAL,
    reason="the SDKs dispatch Responses events by data.type, which is there; a reader that "
    "listens by event name (EventSource) misses them",
)
def response_event_named(where: str, number: int, name: str, kind: Any) -> list[Failure]:
    """The event's name and its data.type differ. Without an `event:` line a reader dispatches
    it as "message", so that name most likely means the line is absent: said so."""
    if name == kind:
        return []
    found = (
        f"has no `event:` line (a reader names it {name!r})"
        if name == "message"
        else f"is named {name!r} by its `event:` line"
    )
    return [
        Failure(
            "event_name",
            f"{where}: event #{number} {found}, but data.type is {kind!r}; the description's "
            "streams name each event by its type",
            where=f"events[{number}].event",
            expected=repr(kind),
            found=repr(name),
        )
    ]


@check(
    title="Each Responses stream event validates against its documented schema",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="an event contradicts the documented shape; the SDKs parse events leniently, as a "
    "response body's",
)
def response_event_schema(
    prefix: str, number: int, violations: list[SchemaViolation]
) -> list[Failure]:
    """The schema violations of event #`number` (the events' types and order are
    response_stream_events')."""
    return [
        Failure(
            "event_schema",
            f"{prefix} {violation}",
            where=violation_where(violation, f"events[{number}]"),
        )
        for violation in violations
    ]


def _resumed_after(stream: StreamExchange) -> int | None:
    """The `starting_after` of a resumed stream (GET /responses/{id}?stream=true&starting_after=N),
    which begins after event N: not with response.created."""
    values = parse_qs(urlsplit(stream.head.request.url).query).get("starting_after")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def _first_event(
    where: str, events: list[tuple[int, dict[str, Any]]], resumed_after: int | None
) -> list[Failure]:
    first = events[0][1] if events else {}
    if resumed_after is None:
        if events and first.get("type") != "response.created":
            return [
                Failure(
                    "event_order",
                    f"{where}: the first event is {first.get('type')!r}, expected response.created",
                    where="events[0].type",
                    expected="response.created",
                    found=repr(first.get("type")),
                )
            ]
        return []
    sequence = first.get("sequence_number")
    if isinstance(sequence, int) and sequence <= resumed_after:
        return [
            Failure(
                "event_order",
                f"{where}: the stream was resumed with starting_after={resumed_after}, but its "
                f"first event has sequence_number {sequence}",
                where="events[0].sequence_number",
                expected=f"> {resumed_after}",
                found=str(sequence),
            )
        ]
    return []


def _order(
    where: str, events: list[tuple[int, dict[str, Any]]], resumed_after: int | None
) -> list[Failure]:
    failures = []
    previous: Any = None
    for number, data in events:
        sequence = data.get("sequence_number")
        if isinstance(previous, int) and isinstance(sequence, int) and sequence <= previous:
            failures.append(
                Failure(
                    "sequence_number",
                    f"{where}: event #{number}: sequence_number {sequence} does not increase "
                    f"(the previous event had {previous})",
                    where=f"events[{number}].sequence_number",
                )
            )
        previous = sequence
    types = [data.get("type") for _, data in events]
    failures += _first_event(where, events, resumed_after)
    terminals = [t for t in types if t in TERMINAL]
    # A stream resumed after its terminal event has nothing left to send.
    resumed_past_the_end = resumed_after is not None and not events
    if not resumed_past_the_end and (len(terminals) != 1 or (types and types[-1] not in TERMINAL)):
        failures.append(
            Failure(
                "event_order",
                f"{where}: expected exactly one terminal event ({', '.join(TERMINAL)}) as the "
                f"last event, got {terminals or 'none'} (last event: "
                f"{types[-1] if types else 'none'!r})",
                where="events[-1].type",
            )
        )
    failures += [
        Failure(
            "stream_error",
            f"{where}: event #{n} is an error event: {d.get('message')!r:.200}",
            where=f"events[{n}]",
        )
        for n, d in events
        if d.get("type") == "error"
    ]
    return failures


def _final_texts(response: Any) -> dict[tuple[Any, Any], str]:
    texts: dict[tuple[Any, Any], str] = {}
    for item in as_dict(response).get("output") or []:
        for index, part in enumerate(as_dict(item).get("content") or []):
            if as_dict(part).get("type") == "output_text":
                texts[(item.get("id"), index)] = str(part.get("text"))
    return texts


def _text_adds_up(where: str, events: list[tuple[int, dict[str, Any]]]) -> list[Failure]:
    joined: dict[tuple[Any, Any], str] = {}
    failures = []
    final: dict[tuple[Any, Any], str] = {}
    for _, data in events:
        key = (data.get("item_id"), data.get("content_index"))
        if data.get("type") == "response.output_text.delta" and isinstance(data.get("delta"), str):
            joined[key] = joined.get(key, "") + data["delta"]
        elif data.get("type") == "response.output_text.done":
            final[key] = str(data.get("text"))
        elif data.get("type") in TERMINAL:
            for part, text in _final_texts(data.get("response")).items():
                final.setdefault(part, text)
    for key, text in joined.items():
        if key in final and final[key] != text:
            failures.append(
                Failure(
                    "output_text",
                    f"{where}: the output_text deltas of item {key[0]!r} part {key[1]} join to "
                    f"{text!r:.120}, but the final text is {final[key]!r:.120}",
                    where="events[].delta",
                )
            )
    return failures


@check(
    title=(
        "Responses stream events are typed, documented and numbered, created first and "
        "one terminal last"
    ),
    impact=Impact.BREAKS_CLIENTS,
    reason="the SDKs dispatch events by type and wait for the terminal event",
)
def response_stream_events(spec: Spec, stream: StreamExchange) -> list[Failure]:
    """Every event typed, documented and numbered in order; created first (unless resumed with
    starting_after), one terminal last."""
    if not stream.is_event_stream:
        return []
    where = stream.describe()
    parsed = data_events(stream)
    failures = list(parsed.failures)
    # Responses errors come as typed `error` events, so `{"error": ...}` objects are events too.
    events = sorted(parsed.objects + parsed.errors, key=lambda pair: pair[0])
    for number, data in events:
        failures += _event_shape(spec, where, number, stream.events[number - 1].event, data)
    failures += _order(where, events, _resumed_after(stream))
    failures += _text_adds_up(where, events)
    return capped(failures)
