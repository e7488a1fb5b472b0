"""Faults of event streams: framing, chunk sequence, usage, and stalls.

Each is a StreamRewriter factory: the correct stream's bytes pass through an `_EventRewriter`
that cuts them into events (the mock ends each with a blank line) and lets the fault change,
drop, repeat or add events. A rewriter is made per response, so its state is per stream.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from oaiconform.mock.faults._core import Fault, ResponseParts, StreamRewriter

_DONE = b"data: [DONE]\n\n"
# Longer than any idle timeout a test of the stall sets; the pause is asynchronous, so the
# mock serves the next request meanwhile and a run pays only its own timeout per stall.
STALL_S = 1.5
_STALL_AFTER_EVENTS = 2
# A heartbeat sent as a data event; the standard's keep-alive is a comment line (": ...").
_KEEP_ALIVE = b"data: keep-alive\n\n"

EventChange = Callable[[bytes], bytes]  # one event, blank line included -> bytes to send


class _EventRewriter:
    """Cuts the stream into events and passes each through `change`; the tail through `tail`."""

    def __init__(self, change: EventChange, tail: Callable[[], bytes] = lambda: b"") -> None:
        self._change = change
        self._tail = tail
        self._buffer = b""

    def feed(self, chunk: bytes) -> bytes:
        self._buffer += chunk
        *events, self._buffer = self._buffer.split(b"\n\n")
        return b"".join(self._change(event + b"\n\n") for event in events)

    def end(self) -> bytes:
        rest, self._buffer = self._buffer, b""
        return (self._change(rest) if rest else b"") + self._tail()


def _parse(event: bytes) -> tuple[bytes, Any]:
    """(`event: ...` line or b"", JSON of the data line) of one mock event; None for [DONE]."""
    head, _, data = event.rpartition(b"data: ")
    try:
        return head, json.loads(data)
    except ValueError:
        return head, None


def _block(head: bytes, payload: Any) -> bytes:
    return head + b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


CHAT = ("chat.completion.chunk",)
CHUNKS = ("chat.completion.chunk", "text_completion")
ObjectChange = Callable[[dict[str, Any], dict[str, Any]], list[dict[str, Any]]]


def _objects(kinds: tuple[str, ...], change: ObjectChange) -> Callable[[ResponseParts], Any]:
    """A factory rewriting each JSON event of the given `object` kinds (or Responses event
    `type` prefixes) into zero or more events; `state` is per stream."""

    def make(parts: ResponseParts) -> StreamRewriter:
        state: dict[str, Any] = {}

        def rewrite(event: bytes) -> bytes:
            head, payload = _parse(event)
            if not isinstance(payload, dict):
                return event
            kind = str(payload.get("object") or payload.get("type") or "")
            if not any(kind == k or kind.startswith(k + ".") for k in kinds):
                return event
            return b"".join(_block(head, p) for p in change(payload, state))

        return _EventRewriter(rewrite)

    return make


def _has_finish(chunk: dict[str, Any]) -> bool:
    return any(c.get("finish_reason") for c in chunk.get("choices") or [])


def _finish_twice(chunk: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    return [chunk, chunk] if _has_finish(chunk) else [chunk]


def _finish_never(chunk: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    choices = [{**c, "finish_reason": None} for c in chunk.get("choices") or []]
    return [{**chunk, "choices": choices}]


def _role_every_delta(chunk: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    choices = [
        {**c, "delta": {"role": "assistant", **(c.get("delta") or {})}}
        for c in chunk.get("choices") or []
    ]
    return [{**chunk, "choices": choices}]


def _id_changes(chunk: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    state["n"] = state.get("n", 0) + 1
    return [{**chunk, "id": f"{chunk['id']}-{state['n']}"}]


def _drop_usage_chunk(chunk: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    return [] if chunk.get("choices") == [] and chunk.get("usage") else [chunk]


def _usage_every_chunk(chunk: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    if chunk.get("usage"):
        return [chunk]
    state["n"] = state.get("n", 0) + 1
    usage = {"prompt_tokens": 8, "completion_tokens": state["n"], "total_tokens": 8 + state["n"]}
    return [{**chunk, "usage": usage}]


def _usage_key_dropped(chunk: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    if "usage" in chunk and chunk["usage"] is None:
        return [{k: v for k, v in chunk.items() if k != "usage"}]
    return [chunk]


def _first_choice_only(chunk: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    """Only the chunks of choice 0: `n` and a prompt array stream one choice."""
    choices = chunk.get("choices")
    if not isinstance(choices, list) or not choices:
        return [chunk]  # the usage chunk (choices []) and anything else pass
    kept = [c for c in choices if not isinstance(c, dict) or c.get("index", 0) == 0]
    return [{**chunk, "choices": kept}] if kept else []


def _tool_call_without_index(chunk: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    choices = []
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") or {}
        if delta.get("tool_calls"):
            calls = [
                {k: v for k, v in call.items() if k not in ("index", "id")}
                for call in delta["tool_calls"]
            ]
            choice = {**choice, "delta": {**delta, "tool_calls": calls}}
        choices.append(choice)
    return [{**chunk, "choices": choices}]


def _sequence_repeats(event: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**event, "sequence_number": 1}] if "sequence_number" in event else [event]


def _sequence_dropped(event: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in event.items() if k != "sequence_number"}]


def _drop_terminal(event: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    return [] if event.get("type") in ("response.completed", "response.incomplete") else [event]


def _drop_first_text_delta(event: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    if event.get("type") == "response.output_text.delta" and not state.get("dropped"):
        state["dropped"] = True
        return []
    return [event]


def _without_event_names(parts: ResponseParts) -> StreamRewriter:
    return _EventRewriter(
        lambda event: event.split(b"\n", 1)[1] if event.startswith(b"event: ") else event
    )


def _without_done(parts: ResponseParts) -> StreamRewriter:
    return _EventRewriter(lambda event: b"" if event == _DONE else event)


def _single_newlines(parts: ResponseParts) -> StreamRewriter:
    return _EventRewriter(lambda event: event[:-1] if event.endswith(b"\n\n") else event)


def _data_after_done(parts: ResponseParts) -> StreamRewriter:
    trailer = b'data: {"object":"heartbeat"}\n\n'
    return _EventRewriter(lambda event: event + trailer if event == _DONE else event)


def _error_field(parts: ResponseParts) -> StreamRewriter:
    seen = 0

    def rewrite(event: bytes) -> bytes:
        nonlocal seen
        seen += 1
        if seen == _STALL_AFTER_EVENTS + 1:
            return b'error: {"message": "upstream connection lost", "type": "server_error"}\n\n'
        return event if seen <= _STALL_AFTER_EVENTS else b""

    return _EventRewriter(rewrite)


def _error_as_string(parts: ResponseParts) -> StreamRewriter:
    seen = 0

    def rewrite(event: bytes) -> bytes:
        nonlocal seen
        seen += 1
        if event.startswith(b"event: ") or seen <= _STALL_AFTER_EVENTS:
            return event  # Responses streams have their own typed error event
        if seen == _STALL_AFTER_EVENTS + 1:
            return b'data: {"error": "upstream connection lost"}\n\n' + _DONE
        return b""

    return _EventRewriter(rewrite)


class _Stall:
    """Passes the stream through and holds it for STALL_S after event #_STALL_AFTER_EVENTS;
    what came in the same chunk after that event waits for the next one."""

    def __init__(self) -> None:
        self._seen = 0
        self._held = b""
        self._pause = 0.0

    def feed(self, chunk: bytes) -> bytes:
        if self._seen >= _STALL_AFTER_EVENTS:
            out, self._held = self._held + chunk, b""
            return out
        sent = 0
        while self._seen < _STALL_AFTER_EVENTS:
            end = chunk.find(b"\n\n", sent)
            if end < 0:
                return chunk
            sent = end + 2
            self._seen += 1
        self._held = chunk[sent:]
        self._pause = STALL_S
        return chunk[:sent]

    def end(self) -> bytes:
        out, self._held = self._held, b""
        return out

    def take_pause(self) -> float:
        pause, self._pause = self._pause, 0.0
        return pause


def _stall(parts: ResponseParts) -> StreamRewriter:
    return _Stall()


def _stream_as_json(parts: ResponseParts) -> ResponseParts:
    """The stream is sent as one JSON document: the last data event, as application/json."""
    if not (parts.header(b"content-type") or b"").startswith(b"text/event-stream"):
        return parts
    events = [line[5:].strip() for line in parts.body.split(b"\n") if line.startswith(b"data:")]
    payloads = [e for e in events if e and e != b"[DONE]"]
    body = payloads[-1] if payloads else b"{}"
    parts = replace(parts, body=body)
    return parts.with_header(b"content-type", b"application/json")


def _stream_omitted(parts: ResponseParts) -> bool:
    body = parts.request_json()
    return isinstance(body, dict) and body.get("stream") is None


def _chunks_of(completion: dict[str, Any]) -> list[dict[str, Any]]:
    """The chunks a server streaming this completion sends: per choice, its whole message as
    one delta (tool calls indexed), then its finish_reason."""
    head = {k: v for k, v in completion.items() if k not in ("choices", "usage", "object")}
    head["object"] = "chat.completion.chunk"
    chunks = []
    for choice in completion.get("choices") or []:
        message = choice.get("message") or {}
        delta: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
        calls = message.get("tool_calls") or []
        if calls:
            delta["tool_calls"] = [{**call, "index": i} for i, call in enumerate(calls)]
        index = choice.get("index", 0)
        chunks.append({**head, "choices": [{"index": index, "delta": delta}]})
        finish = {"index": index, "delta": {}, "finish_reason": choice.get("finish_reason")}
        chunks.append({**head, "choices": [finish]})
    return chunks


def _stream_by_default(parts: ResponseParts) -> ResponseParts:
    """A chat completion asked for without `stream` is sent as an event stream."""
    if parts.method != "POST" or parts.path != "/v1/chat/completions" or parts.status != 200:
        return parts
    if not (parts.header(b"content-type") or b"").startswith(b"application/json"):
        return parts
    if not _stream_omitted(parts):
        return parts
    completion = json.loads(parts.body)
    if not isinstance(completion, dict) or completion.get("object") != "chat.completion":
        return parts
    body = b"".join(_block(b"", chunk) for chunk in _chunks_of(completion)) + _DONE
    return replace(parts, body=body).with_header(b"content-type", b"text/event-stream")


def _keep_alive_as_data(parts: ResponseParts) -> StreamRewriter:
    seen = 0

    def rewrite(event: bytes) -> bytes:
        nonlocal seen
        seen += 1
        return event + _KEEP_ALIVE if seen == 1 else event

    return _EventRewriter(rewrite)


FAULTS = (
    Fault(
        "stream-as-json",
        "`stream: true` is answered with one JSON body (application/json), not an event stream",
        "servers that ignore `stream` and always answer the whole completion",
        response=_stream_as_json,
        buffer_streams=True,
    ),
    Fault(
        "stream-no-done",
        "event streams end without `data: [DONE]`",
        "servers and proxies that just close the connection when generation ends",
        stream=_without_done,
    ),
    Fault(
        "stream-no-blank-line",
        "events are separated by a single newline instead of a blank line",
        "hand-written SSE writers that emit `data: ...\\n` per chunk",
        stream=_single_newlines,
    ),
    Fault(
        "stream-finish-reason-twice",
        "the chunk carrying finish_reason is sent twice",
        "relaying proxies that re-emit the final chunk",
        stream=_objects(CHUNKS, _finish_twice),
    ),
    Fault(
        "stream-finish-reason-never",
        "no chunk carries a finish_reason",
        "bridges that stream content deltas and [DONE] but drop the closing chunk",
        stream=_objects(CHAT, _finish_never),
    ),
    Fault(
        "stream-role-every-delta",
        'every delta repeats role "assistant"',
        "servers that copy the message role into each delta",
        stream=_objects(CHAT, _role_every_delta),
    ),
    Fault(
        "stream-id-changes",
        "each chunk has a different `id`",
        "servers that mint a new id per generated chunk",
        stream=_objects(CHUNKS, _id_changes),
    ),
    Fault(
        "stream-first-choice-only",
        "streamed chat and legacy completions carry choice 0 only: `n` and a prompt array "
        "are ignored while streaming",
        "servers whose streaming path serves one sequence per request (llama.cpp's server "
        "ignores `n`; Ollama's OpenAI layer too)",
        stream=_objects(CHUNKS, _first_choice_only),
    ),
    Fault(
        "stream-usage-missing",
        "stream_options.include_usage is ignored: no usage chunk",
        "servers that accept stream_options but never send the usage chunk",
        stream=_objects(CHAT, _drop_usage_chunk),
    ),
    Fault(
        "stream-usage-every-chunk",
        "every chunk carries running usage, asked for or not",
        "servers that attach continuous usage statistics to every chunk",
        stream=_objects(CHAT, _usage_every_chunk),
    ),
    Fault(
        "stream-usage-key-absent",
        "with include_usage, the chunks before the usage chunk leave out `usage` (not null)",
        "proxies that drop null fields when re-serialising chunks (LiteLLM)",
        stream=_objects(CHAT, _usage_key_dropped),
    ),
    Fault(
        "stream-tool-call-no-index",
        "tool-call deltas carry neither `index` nor `id`",
        "servers that stream tool calls as bare function-name/arguments deltas",
        stream=_objects(CHAT, _tool_call_without_index),
    ),
    Fault(
        "stream-event-name-missing",
        "Responses stream events have no `event:` line, only data",
        "servers that reuse their chat SSE writer for the Responses API",
        stream=_without_event_names,
    ),
    Fault(
        "stream-sequence-repeats",
        "every Responses stream event has sequence_number 1",
        "servers that do not number their Responses stream events",
        stream=_objects(("response",), _sequence_repeats),
    ),
    Fault(
        "stream-sequence-missing",
        "Responses stream events carry no sequence_number (required, an integer)",
        "mock servers that write Responses events without numbering them (aimock)",
        stream=_objects(("response",), _sequence_dropped),
    ),
    Fault(
        "stream-no-terminal-event",
        "Responses streams end without response.completed / response.incomplete",
        "servers that close the Responses stream after the last output event",
        stream=_objects(("response",), _drop_terminal),
    ),
    Fault(
        "stream-text-delta-dropped",
        "the first response.output_text.delta event is lost",
        "servers whose first token is emitted before the stream writer attaches",
        stream=_objects(("response",), _drop_first_text_delta),
    ),
    Fault(
        "stream-data-after-done",
        "a data event follows `data: [DONE]`",
        "proxies that append a trailer event after the sentinel",
        stream=_data_after_done,
    ),
    Fault(
        "stream-error-field",
        "mid-stream, an `error:` line (not an SSE field) replaces the rest of the stream",
        "gateways that report upstream failures with a non-standard `error:` field",
        stream=_error_field,
    ),
    Fault(
        "stream-error-string",
        'mid-stream, `data: {"error": "..."}` (a string, not the envelope), then [DONE]',
        "proxies that relay upstream failures as a bare error string",
        stream=_error_as_string,
    ),
    Fault(
        "stream-stall",
        f"after the second event the stream stalls for {STALL_S:g} s "
        "(noticed with --timeout below that)",
        "servers whose generation hangs mid-stream while the connection stays open",
        stream=_stall,
    ),
    Fault(
        "stream-by-default",
        "a chat completion request without `stream` is answered with an event stream",
        "shims over native APIs whose `stream` defaults to true (Ollama's /api/chat)",
        response=_stream_by_default,
    ),
    Fault(
        "stream-keepalive-data",
        "after the first event a heartbeat `data: keep-alive` (not JSON) is sent",
        "servers that send keep-alives as data events instead of SSE comments",
        stream=_keep_alive_as_data,
    ),
)
