"""What was exchanged with a target: the data every check is a pure function of.

The suites build exchanges through the Target, the proxy will build them from live traffic,
and the self-tests build them by hand; a check never knows which.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import cached_property
from itertools import pairwise
from typing import Any

_NOT_JSON = object()
_REASON_CHARS = 120


class BodyNotJSONError(ValueError):
    """A test needed a JSON body and the target sent something else: the target's fault."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:  # json.loads would keep the last one silently; clients disagree
            raise ValueError(f"duplicate key {key!r} in an object")
        seen[key] = value
    return seen


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e999999 parses to inf, which no JSON document can mean
        raise ValueError(f"number out of range: {text[:20]}{'...' if len(text) > 20 else ''}")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> tuple[Any, str | None]:
    """The parsed body and None, or _NOT_JSON and why, however hostile the bytes are.

    Strict where Python's parser is lenient (NaN, Infinity, duplicate keys, numbers out of
    range) and safe where it would raise something else (nesting past the recursion limit,
    integers past the digit limit).
    """
    try:
        parsed = json.loads(
            body,
            object_pairs_hook=_unique_keys,
            parse_float=_finite,
            parse_constant=_no_constant,
        )
    except UnicodeDecodeError as exc:
        return _NOT_JSON, f"invalid UTF-8 at byte {exc.start}"
    except RecursionError:
        return _NOT_JSON, "nested too deeply to parse"
    except ValueError as exc:  # JSONDecodeError, the int digit limit, the hooks above
        return _NOT_JSON, str(exc).splitlines()[0][:_REASON_CHARS]
    return parsed, None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass(frozen=True)
class Exchange:
    request: RecordedRequest
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    elapsed_s: float = 0.0
    truncated: bool = False  # the body hit the byte cap
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    # Wall-clock seconds when the answer came (the Target sets it): what freshness rules judge
    # against, so a recorded answer is judged as of its recording, not as of today.
    received_at: float | None = field(default=None, compare=False)

    def answered_at(self) -> float | None:
        """When the answer came: `received_at`, else its Date header, else unknown (None)."""
        if self.received_at is not None:
            return self.received_at
        date = self.header("date")
        if not date:
            return None
        try:
            return parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return None

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def media_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    @cached_property
    def _parsed(self) -> tuple[Any, str | None]:
        return parse_json(self.body)

    @property
    def is_json(self) -> bool:
        return self._parsed[0] is not _NOT_JSON

    @property
    def json_error(self) -> str | None:
        """Why the body is not JSON (None when it is)."""
        return self._parsed[1]

    def json(self) -> Any:
        """The parsed body; raises BodyNotJSONError (a ValueError) when it is not JSON.

        Checks test `is_json` first; a suite that needs the body to go on may call it
        directly, and then a body that is not JSON fails the test as the target's fault.
        """
        if self._parsed[0] is _NOT_JSON:
            raise BodyNotJSONError(
                f"{self.describe()}: the body is not JSON ({self._parsed[1]}): "
                f"{self.body_excerpt()}"
            )
        return self._parsed[0]

    def describe(self) -> str:
        return f"{self.request.method} {self.request.url} -> {self.status}"

    def body_excerpt(self, limit: int = 200) -> str:
        text = self.body[:limit].decode("utf-8", errors="replace")
        if not text:
            return "an empty body"
        return repr(text) + ("..." if len(self.body) > limit else "")


@dataclass(frozen=True)
class StreamEvent:
    """One dispatched server-sent event, with when it arrived (seconds since the request)."""

    data: str
    event: str = "message"
    at_s: float = 0.0


@dataclass(frozen=True)
class StreamExchange:
    """A streamed answer: the response head as an Exchange, then what the event stream carried.

    `head.body` holds the raw bytes received (up to the byte cap), so a non-SSE answer (an error
    before the stream starts) reads exactly like `Target.request`'s. Framing defects are
    `(kind, message)` pairs from the SSE parser; `interrupted` says why reading stopped early
    (stalled, too slow, too large, connection reset), None when the server ended the stream.
    """

    head: Exchange
    events: tuple[StreamEvent, ...] = ()
    defects: tuple[tuple[str, str], ...] = ()
    done: bool = False  # a `data: [DONE]` event was dispatched
    comments: int = 0  # comment (keep-alive) lines
    first_byte_s: float | None = None
    interrupted: str | None = None

    @property
    def is_event_stream(self) -> bool:
        return self.head.media_type == "text/event-stream"

    def describe(self) -> str:
        return self.head.describe()

    @property
    def first_event_s(self) -> float | None:
        return self.events[0].at_s if self.events else None

    @property
    def gaps_s(self) -> list[float]:
        """Time between consecutive events: what a user sees as stutter."""
        times = [e.at_s for e in self.events]
        return [later - earlier for earlier, later in pairwise(times)]


def stream_metrics(streams: list[StreamExchange]) -> dict[str, float]:
    """Timings of a test's streams for the report: first byte/event, and inter-event gaps."""
    streams = [s for s in streams if s.is_event_stream]
    if not streams:
        return {}
    metrics: dict[str, float] = {"streams": float(len(streams))}
    firsts = [s.first_byte_s for s in streams if s.first_byte_s is not None]
    events = [s.first_event_s for s in streams if s.first_event_s is not None]
    gaps = [gap for s in streams for gap in s.gaps_s]
    if firsts:
        metrics["first_byte_s_max"] = round(max(firsts), 6)
    if events:
        metrics["first_event_s_mean"] = round(sum(events) / len(events), 6)
        metrics["first_event_s_max"] = round(max(events), 6)
    if gaps:
        metrics["gap_s_mean"] = round(sum(gaps) / len(gaps), 6)
        metrics["gap_s_max"] = round(max(gaps), 6)
    metrics["events"] = float(sum(len(s.events) for s in streams))
    return metrics


# Request headers whose values are credentials: never copied into a record, whatever they hold.
_CREDENTIAL_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "openai-api-key"})
RECORD_BODY_CHARS = 4000


def exchange_record(exchange: Exchange, body_chars: int = RECORD_BODY_CHARS) -> dict[str, str]:
    """One exchange as plain text for a report (a failed test's evidence): the request line,
    headers and body, the status, response headers and body, bodies cut at `body_chars`.
    Credential headers are masked here; the report redacts the rest at construction."""

    def body(raw: bytes) -> str:
        text = raw[:body_chars].decode("utf-8", errors="replace")
        return text + (f"\n... ({len(raw)} bytes in all)" if len(raw) > body_chars else "")

    def headers(pairs: tuple[tuple[str, str], ...], mask: bool) -> str:
        return "\n".join(
            f"{k}: {'***' if mask and k.lower() in _CREDENTIAL_HEADERS else v}" for k, v in pairs
        )

    request = exchange.request
    return {
        "request": f"{request.method} {request.url}",
        "request_headers": headers(request.headers, mask=True),
        "request_body": body(request.body),
        "status": str(exchange.status),
        "response_headers": headers(exchange.headers, mask=False),
        "response_body": body(exchange.body),
        "elapsed_ms": f"{exchange.elapsed_s * 1000:.1f}",
    }
