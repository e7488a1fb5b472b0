"""Checks of streamed Responses: typed events in order, one terminal event, deltas that add up.

Unlike chat, a Responses stream names each event (`event:` equal to the data's `type`), numbers
it (`sequence_number`), and ends with a terminal event instead of `data: [DONE]`.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
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


# The grammar of a whole Responses stream, beyond response_stream_events (which owns: created
# first, one terminal event last, sequence numbers increasing, deltas adding up to the final
# text). Each rule has a name the failures carry, so a report says which one a server broke.
_OPENS = {
    "response.output_item.added": "response.output_item.done",
    "response.content_part.added": "response.content_part.done",
    "response.reasoning_summary_part.added": "response.reasoning_summary_part.done",
    "response.function_call_arguments.delta": "response.function_call_arguments.done",
    "response.output_text.delta": "response.output_text.done",
}
_CLOSES = {close: open_ for open_, close in _OPENS.items()}
# Items whose output_item.added the API always closes with output_item.done; others (the API
# announces mcp_list_tools items it never closes, recorded in tests/corpus/real_api) end with
# the terminal response alone.
_ITEMS_CLOSED = frozenset({"message", "function_call", "reasoning"})
# What may follow response.created: background responses are queued first.
_AFTER_CREATED = ("response.in_progress", "response.queued")


def _slot(data: dict[str, Any]) -> tuple[Any, ...]:
    """What an opening and its closing event share: the item (its id; indexes are the
    `indexes` rule's) and the part within it."""
    kind = str(data.get("type"))
    if kind.startswith("response.output_item."):
        return (_dict_of(data.get("item")).get("id"),)
    return (
        data.get("item_id"),
        data.get("output_index"),
        data.get("content_index", data.get("summary_index")),
    )


def _grammar_failure(rule: str, number: int, message: str, field: str = "type") -> Failure:
    return Failure(
        f"grammar.{rule}",
        f"event #{number}: rule {rule}: {message}",
        where=f"events[{number}].{field}",
    )


def _grammar_sequence(events: list[tuple[int, dict[str, Any]]]) -> list[Failure]:
    numbers = [(n, d.get("sequence_number")) for n, d in events]
    if not numbers or not all(isinstance(s, int) for _, s in numbers):
        return []  # a missing number is the event's schema failure
    failures = []
    if numbers[0][1] != 0:
        failures.append(
            _grammar_failure(
                "sequence_from_zero",
                numbers[0][0],
                f"the first sequence_number is {numbers[0][1]}, expected 0",
                "sequence_number",
            )
        )
    for (_, before), (number, after) in itertools.pairwise(numbers):
        if isinstance(before, int) and isinstance(after, int) and after > before + 1:
            failures.append(
                _grammar_failure(
                    "sequence_by_one",
                    number,
                    f"sequence_number jumps from {before} to {after} (events are missing or "
                    "misnumbered)",
                    "sequence_number",
                )
            )
    return failures


def _grammar_pairs(events: list[tuple[int, dict[str, Any]]]) -> list[Failure]:
    """Every opening event closed by its `.done` on the same item and part; no `.done` of
    something never opened; content events name an item that was announced at that index."""
    failures: list[Failure] = []
    open_: dict[tuple[str, tuple[Any, ...]], int] = {}
    items: dict[Any, Any] = {}  # item id -> output_index of its output_item.added
    unclosed_kinds: set[tuple[Any, ...]] = set()  # items the API may leave without a .done
    for number, data in events:
        kind = str(data.get("type"))
        if kind == "response.output_item.added":
            item = _dict_of(data.get("item"))
            items[item.get("id")] = data.get("output_index")
            if item.get("type") not in _ITEMS_CLOSED:
                unclosed_kinds.add((item.get("id"),))
        item_id = data.get("item_id")
        if item_id is not None and item_id in items and items[item_id] != data.get("output_index"):
            failures.append(
                _grammar_failure(
                    "indexes",
                    number,
                    f"{kind} names item {item_id!r} at output_index "
                    f"{data.get('output_index')!r}, but it was announced at {items[item_id]!r}",
                    "output_index",
                )
            )
        if kind == "response.output_item.done":
            done_id = _dict_of(data.get("item")).get("id")
            if done_id in items and items[done_id] != data.get("output_index"):
                failures.append(
                    _grammar_failure(
                        "indexes",
                        number,
                        f"output_item.done closes item {done_id!r} at output_index "
                        f"{data.get('output_index')!r}, but it was announced at "
                        f"{items[done_id]!r}",
                        "output_index",
                    )
                )
        if kind in _OPENS:
            open_.setdefault((kind, _slot(data)), number)
        elif kind in _CLOSES:
            opened = open_.pop((_CLOSES[kind], _slot(data)), None)
            if opened is None and not kind.endswith(("arguments.done", "output_text.done")):
                failures.append(
                    _grammar_failure(
                        "closed",
                        number,
                        f"{kind} closes {_slot(data)!r}, which no {_CLOSES[kind]} opened",
                    )
                )
    for (kind, slot), number in sorted(open_.items(), key=lambda pair: pair[1]):
        if kind == "response.output_item.added" and slot in unclosed_kinds:
            continue
        rule = "text_done" if kind == "response.output_text.delta" else "closed"
        failures.append(
            _grammar_failure(rule, number, f"{kind} on {slot!r} is never closed by {_OPENS[kind]}")
        )
    return failures


def _dict_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _item_view(item: Any) -> dict[str, Any]:
    """What an output item says, for comparing the closed items with the terminal output."""
    item = _dict_of(item)
    parts = [
        (_dict_of(p).get("type"), _dict_of(p).get("text", _dict_of(p).get("refusal")))
        for p in item.get("content") or []
    ]
    keep = ("id", "type", "role", "name", "arguments", "call_id")
    return {**{k: item.get(k) for k in keep if k in item}, "content": parts}


def _grammar_terminal(events: list[tuple[int, dict[str, Any]]]) -> list[Failure]:
    terminals = [(n, d) for n, d in events if d.get("type") in TERMINAL]
    if len(terminals) != 1:
        return []  # response_stream_events reports it
    number, data = terminals[0]
    response = _dict_of(data.get("response"))
    status = response.get("status")
    failures = []
    if f"response.{status}" != data.get("type"):
        failures.append(
            _grammar_failure(
                "terminal_status",
                number,
                f"the stream ends with {data.get('type')}, but its response.status is "
                f"{status!r} (a cut answer ends with response.incomplete)",
            )
        )
    if data.get("type") == "response.failed":
        return failures  # a failed response may hold what it had so far
    output = [_item_view(item) for item in response.get("output") or []]
    added = sorted(
        (d.get("output_index"), n, _dict_of(d.get("item")).get("id"))
        for n, d in events
        if d.get("type") == "response.output_item.added" and isinstance(d.get("output_index"), int)
    )
    announced = [item_id for _, _, item_id in added]
    held = [o.get("id") for o in output]
    if held != announced:
        failures.append(
            _grammar_failure(
                "terminal_output",
                number,
                f"the terminal response.output holds {len(held)} items {held}, but the stream "
                f"announced {len(announced)} {announced}",
                "response.output",
            )
        )
        return failures
    closed = {
        _dict_of(d.get("item")).get("id"): (n, _item_view(d.get("item")))
        for n, d in events
        if d.get("type") == "response.output_item.done"
    }
    for view in output:
        done = closed.get(view.get("id"))
        if done is not None and done[1] != view:
            failures.append(
                _grammar_failure(
                    "terminal_output",
                    number,
                    f"the terminal response.output's item {view.get('id')!r} differs from the "
                    f"one event #{done[0]} closed: {view!r:.160} vs {done[1]!r:.160}",
                    "response.output",
                )
            )
    return failures


@check(
    title="A Responses stream follows the event grammar as a whole (parts closed, terminal agrees)",
    impact=Impact.BREAKS_CLIENTS,
    reason="the SDK's responses.stream() accumulates by these events and hands over the "
    "terminal response: agents built on it lose or misread the answer",
)
def response_stream_grammar(stream: StreamExchange) -> list[Failure]:
    """The whole stream's grammar; each failure names the event index and the rule."""
    if not stream.is_event_stream:
        return []
    parsed = data_events(stream)
    events = sorted(parsed.objects + parsed.errors, key=lambda pair: pair[0])
    if not events or _resumed_after(stream) is not None:
        return []  # a resumed stream starts mid-grammar
    failures = []
    if len(events) > 1 and events[0][1].get("type") == "response.created":
        second, data = events[1]
        if data.get("type") not in _AFTER_CREATED:
            failures.append(
                _grammar_failure(
                    "in_progress",
                    second,
                    f"response.created is followed by {data.get('type')!r}, expected "
                    "response.in_progress (or response.queued)",
                )
            )
    failures += _grammar_sequence(events)
    failures += _grammar_pairs(events)
    failures += _grammar_terminal(events)
    where = stream.describe()
    return capped([replace(f, message=f"{where}: {f.message}") for f in failures])


def _outputs(response: Any) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in _item_view(i).items() if k not in ("id", "call_id")}
        for i in _dict_of(response).get("output") or []
    ]


@check(
    title="A streamed response's terminal output equals the non-streamed one (deterministic "
    "targets)",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="streaming changes what the model answers",
)
def stream_matches_response(stream: StreamExchange, body: Any) -> list[Failure]:
    """Same request, streamed and not: the same output items (ids aside) and status."""
    parsed = data_events(stream)
    terminal = next((d for _, d in reversed(parsed.objects) if d.get("type") in TERMINAL), None)
    if terminal is None:
        return []  # response_stream_events reports it
    streamed = _dict_of(terminal.get("response"))
    plain = _dict_of(body)
    if _outputs(streamed) == _outputs(plain) and streamed.get("status") == plain.get("status"):
        return []
    return [
        Failure(
            "stream_matches",
            f"{stream.describe()}: the streamed response ({streamed.get('status')!r}, "
            f"{_outputs(streamed)!r:.160}) differs from the non-streamed one "
            f"({plain.get('status')!r}, {_outputs(plain)!r:.160})",
            where="response.output",
        )
    ]
