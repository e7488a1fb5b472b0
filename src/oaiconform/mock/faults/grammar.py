"""Faults of the Responses stream grammar: each stream stays well-formed event by event, but
not as a whole. Every fault breaks one rule of checks.stream_responses.response_stream_grammar
(or, for `stream-responses-differs`, what a deterministic target streams versus what it
answers), and renumbers the events it leaves so that no other rule notices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oaiconform.mock.faults._core import Fault, ResponseParts, StreamRewriter
from oaiconform.mock.faults.streaming import _block, _EventRewriter, _parse

Change = Callable[[dict[str, Any]], list[dict[str, Any]]]


def _responses(change: Change, *, shift: int = 0) -> Callable[[ResponseParts], StreamRewriter]:
    """Rewrite each Responses event into zero or more, then number them by one from the first
    event's own number (plus `shift`), so that faults stack."""

    def make(parts: ResponseParts) -> StreamRewriter:
        numbered: list[int] = []

        def number(original: Any) -> int:
            if not numbered:
                numbered.append((original if isinstance(original, int) else 0) + shift)
            else:
                numbered[0] += 1
            return numbered[0]

        def rewrite(event: bytes) -> bytes:
            head, payload = _parse(event)
            if not isinstance(payload, dict) or "sequence_number" not in payload:
                return event
            return b"".join(
                _block(
                    _named(head, p), {**p, "sequence_number": number(payload["sequence_number"])}
                )
                for p in change(payload)
            )

        return _EventRewriter(rewrite)

    return make


def _named(head: bytes, payload: dict[str, Any]) -> bytes:
    """The event's `event:` line, naming its (possibly rewritten) type as the mock does."""
    return b"event: %s\n" % str(payload.get("type")).encode() if head else head


def _dropping(kind: str) -> Change:
    return lambda event: [] if event.get("type") == kind else [event]


def _item_index_shifted(event: dict[str, Any]) -> list[dict[str, Any]]:
    if event.get("type") == "response.output_item.done":
        return [{**event, "output_index": int(event.get("output_index") or 0) + 1}]
    return [event]


def _completed_when_cut(event: dict[str, Any]) -> list[dict[str, Any]]:
    if event.get("type") == "response.incomplete":
        return [{**event, "type": "response.completed"}]
    return [event]


def _output_emptied(event: dict[str, Any]) -> list[dict[str, Any]]:
    if event.get("type") in ("response.completed", "response.incomplete"):
        return [{**event, "response": {**event["response"], "output": []}}]
    return [event]


def _shouted(value: Any) -> Any:
    """Every output text upper-cased, consistently across deltas, parts, items and the
    terminal response: a stream that agrees with itself but not with the plain answer."""
    if isinstance(value, dict):
        return {
            k: v.upper() if k in ("delta", "text") and isinstance(v, str) else _shouted(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_shouted(v) for v in value]
    return value


def _text_shouted(event: dict[str, Any]) -> list[dict[str, Any]]:
    if str(event.get("type")).startswith("response.function_call"):
        return [event]
    return [_shouted(event)]


FAULTS = (
    Fault(
        "stream-responses-in-progress-missing",
        "Responses streams skip response.in_progress after response.created",
        "servers that go straight from created to the output events",
        stream=_responses(_dropping("response.in_progress")),
    ),
    Fault(
        "stream-responses-sequence-from-one",
        "Responses stream events are numbered from 1, not 0",
        "servers that count events from one",
        stream=_responses(lambda event: [event], shift=1),
    ),
    Fault(
        "stream-responses-part-unclosed",
        "content parts are opened and never closed (no response.content_part.done)",
        "servers that close the item but not its parts",
        stream=_responses(_dropping("response.content_part.done")),
    ),
    Fault(
        "stream-responses-text-done-missing",
        "no response.output_text.done after the text deltas",
        "servers that send deltas and go straight to the item's end",
        stream=_responses(_dropping("response.output_text.done")),
    ),
    Fault(
        "stream-responses-item-index-wrong",
        "response.output_item.done names the item at the next output_index",
        "servers that count output indexes per event instead of per item",
        stream=_responses(_item_index_shifted),
    ),
    Fault(
        "stream-responses-completed-when-cut",
        "a response cut by max_output_tokens ends with response.completed (status incomplete)",
        "servers with one terminal event for every outcome",
        stream=_responses(_completed_when_cut),
    ),
    Fault(
        "stream-responses-output-empty",
        "the terminal event's response.output is empty after the items streamed",
        "servers that build the final response before the output is attached",
        stream=_responses(_output_emptied),
    ),
    Fault(
        "stream-responses-differs",
        "streamed output text differs from the non-streamed answer (upper-cased throughout)",
        "servers whose streaming path post-processes text differently",
        stream=_responses(_text_shouted),
    ),
)
