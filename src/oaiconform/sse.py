"""A strict, incremental parser for the WHATWG server-sent events (``text/event-stream``) format.

It follows the standard's interpretation rules exactly, so the events it yields are the events a
browser ``EventSource`` would see. It also records framing defects: things a conforming client
silently tolerates (and so silently loses) that a conformance suite must report. Defects are data,
never exceptions, because a checker must keep parsing to see everything else that is wrong.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DONE", "Event", "FramingDefect", "SSEParser", "parse_stream"]

DONE = "[DONE]"
"""The data of OpenAI's terminating event; nothing but blank lines and comments may follow it."""

# Alternation order matters: CRLF must win over a lone CR so it counts as one line ending.
_LINE_END = re.compile(r"\r\n|\r|\n")
_CLIP = 200
# Per kind, so a hostile stream cannot grow the defect list without bound, while one kind
# flooding (say, error lines) cannot hide the others.
_MAX_DEFECTS_PER_KIND = 20
# Python refuses to convert longer digit strings to int; such a retry is absurd anyway.
_MAX_RETRY_DIGITS = 4300


@dataclass(frozen=True)
class Event:
    """One dispatched event, as ``EventSource`` would deliver it."""

    data: str
    event: str = "message"
    id: str = ""  # the last event id in effect when dispatched
    retry: int | None = None  # retry value seen in this event's block, if any


@dataclass(frozen=True)
class FramingDefect:
    """A framing problem a lenient client would hide; ``kind`` is a stable identifier."""

    kind: str
    message: str


def _clip(text: str) -> str:
    """Quote text for a message; clipped so a huge line cannot make a huge report."""
    if len(text) <= _CLIP:
        return repr(text)
    return f"{text[:_CLIP]!r}... ({len(text)} characters)"


class SSEParser:
    """Push parser: feed it bytes as they arrive, it returns the events each chunk completes.

    Work is per line, not per character: lines are split with a regex in C, and a partial line is
    kept as a list of pieces so a long line arriving in tiny chunks costs linear, not quadratic,
    time. ``max_event_bytes`` bounds one line and one event's data, measured in decoded
    characters (never more than the bytes), so a hostile server cannot exhaust memory.
    """

    def __init__(self, max_event_bytes: int = 16 * 1024 * 1024) -> None:
        self._max = max_event_bytes
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._started = False  # the leading BOM may only be stripped once, at stream start
        self._closed = False
        self._skip_lf = False  # the last chunk ended in CR: an LF starting the next is its pair
        self._skip_line = False  # discarding the rest of an oversized line
        self._partial: list[str] = []  # pieces of the unterminated last line
        self._partial_len = 0
        self._line_no = 0
        # Event being built; a blank line dispatches it.
        self._data: list[str] = []
        self._data_len = 0
        self._event_type = ""
        self._block_retry: int | None = None
        self._pending = False  # a field line was seen since the last blank line
        self._skip_event = False  # the event hit the size bound and will be dropped
        self._id_buffer = ""
        self._last_event_id = ""
        self._retry: int | None = None
        self._comments = 0
        self._done = False
        self._after_done_reported = False
        self._defects: list[FramingDefect] = []
        self._defect_counts: dict[str, int] = {}

    @property
    def defects(self) -> list[FramingDefect]:
        """Defects so far, in stream order; a copy, so callers cannot edit the record."""
        return list(self._defects)

    @property
    def comments(self) -> int:
        """Comment lines seen; servers send them as keep-alives."""
        return self._comments

    @property
    def done(self) -> bool:
        """Whether an event with data exactly ``[DONE]`` was dispatched."""
        return self._done

    @property
    def last_event_id(self) -> str:
        """The id a reconnecting client would send as ``Last-Event-ID``."""
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The stream's reconnection time in ms, if any valid ``retry`` field set it."""
        return self._retry

    def feed(self, chunk: bytes) -> list[Event]:
        """Parse one chunk; return the events it completes (possibly none)."""
        if self._closed:
            raise RuntimeError("SSEParser.feed() called after close()")
        return self._push(self._decoder.decode(chunk))

    def close(self) -> list[Event]:
        """End of stream: a pending event is discarded, as the standard says, and reported."""
        if self._closed:
            return []
        events = self._push(self._decoder.decode(b"", final=True))
        self._closed = True
        if self._partial_len or self._skip_line:
            line = "".join(self._partial)
            if self._done and line and not line.startswith(":"):
                self._after_done(self._line_no + 1, line)
            what = "an oversized line" if self._skip_line else _clip(line)
            self._record(
                "unterminated_event",
                f"The stream ended in the middle of line {self._line_no + 1} ({what}), which has "
                "no line terminator; the standard discards it"
                + (" and the event it belongs to." if self._pending else "."),
            )
        elif self._pending:
            pending = _clip("\n".join(self._data)) if self._data else "no data"
            self._record(
                "unterminated_event",
                f"The stream ended after line {self._line_no} before a blank line closed the "
                f"last event (pending data: {pending}); the standard discards it, so clients "
                "never see it.",
            )
        self._partial = []
        self._partial_len = 0
        return events

    def _record(self, kind: str, message: str) -> None:
        count = self._defect_counts.get(kind, 0)
        if count < _MAX_DEFECTS_PER_KIND:
            self._defects.append(FramingDefect(kind, message))
        self._defect_counts[kind] = count + 1

    def _push(self, text: str) -> list[Event]:
        events: list[Event] = []
        if not text:
            return events
        if not self._started:
            self._started = True
            if text[0] == "\ufeff":
                text = text[1:]
        if self._skip_lf and text:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        if self._skip_line:
            match = _LINE_END.search(text)
            if match is None:
                return events
            self._skip_line = False
            self._line_no += 1
            text = text[match.end() :]
            if not text:
                self._skip_lf = match.group() == "\r"
                return events
        if "\n" not in text and "\r" not in text:
            self._add_partial(text)
            return events
        if self._partial:
            self._partial.append(text)
            text = "".join(self._partial)
            self._partial = []
            self._partial_len = 0
        lines = _LINE_END.split(text)
        rest = lines.pop()
        self._skip_lf = text[-1] == "\r"
        for line in lines:
            self._line(line, events)
        if rest:
            self._add_partial(rest)
        return events

    def _add_partial(self, text: str) -> None:
        self._partial.append(text)
        self._partial_len += len(text)
        if self._partial_len > self._max:
            self._partial = []
            self._partial_len = 0
            self._skip_line = True
            self._oversized(f"Line {self._line_no + 1} is longer than")

    def _oversized(self, what: str) -> None:
        self._record(
            "oversized_event",
            f"{what} the limit of {self._max} characters; it was discarded together with the "
            "event it belongs to.",
        )
        self._pending = True
        self._skip_event = True
        self._data = []
        self._data_len = 0

    def _after_done(self, line_no: int, line: str) -> None:
        if not self._after_done_reported:
            self._after_done_reported = True
            self._record(
                "data_after_done",
                f"Line {line_no} ({_clip(line)}) follows the {DONE} event, which must end "
                "the stream; only blank lines and comments may follow it.",
            )

    def _line(self, line: str, events: list[Event]) -> None:
        self._line_no += 1
        if not line:
            self._dispatch(events)
            return
        # Before the comment test, so a long comment is treated alike whole or in pieces.
        if len(line) > self._max:
            self._oversized(f"Line {self._line_no} is longer than")
            return
        if line[0] == ":":
            self._comments += 1
            return
        self._pending = True
        if self._done:
            self._after_done(self._line_no, line)
        if self._skip_event:
            return
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data_len += len(value) + 1
            if self._data_len > self._max:
                self._oversized(f"The event data at line {self._line_no} exceeds")
                return
            self._data.append(value)
        elif name == "event":
            self._event_type = value
        elif name == "id":
            if "\x00" not in value:
                self._id_buffer = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                digits = value.lstrip("0") or "0"
                if len(digits) <= _MAX_RETRY_DIGITS:
                    self._block_retry = self._retry = int(digits)
        elif name == "error":
            self._record(
                "error_field",
                f"Line {self._line_no} is an 'error' field, which is not an SSE field (the "
                f"standard ignores it, so clients lose the error): {_clip(value)}",
            )

    def _dispatch(self, events: list[Event]) -> None:
        self._last_event_id = self._id_buffer
        data, event_type, retry = self._data, self._event_type, self._block_retry
        dropped = self._skip_event
        self._data, self._data_len, self._event_type, self._block_retry = [], 0, "", None
        self._pending = self._skip_event = False
        if dropped or not data:
            return
        event = Event("\n".join(data), event_type or "message", self._id_buffer, retry)
        if event.data == DONE:
            self._done = True
        events.append(event)


def parse_stream(chunks: Iterable[bytes]) -> tuple[list[Event], list[FramingDefect]]:
    """Parse a whole stream: every event the standard dispatches, and every framing defect."""
    parser = SSEParser()
    events: list[Event] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    events.extend(parser.close())
    return events, parser.defects
