"""The capped copy of one exchange the proxy keeps beside the bytes it forwards.

The forwarding path only appends chunks (and when each arrived) until the cap is reached;
everything that costs CPU (decoding, SSE parsing, JSON) happens later, off the event loop, when
`to_exchange` builds the `Exchange` or `StreamExchange` the checks read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from oaiconform.exchange import Exchange, RecordedRequest, StreamEvent, StreamExchange
from oaiconform.sse import SSEParser
from oaiconform.target import _BodyDecoder

DEFAULT_CAP_BYTES = 4 * 1024 * 1024
_MAX_EVENT_BYTES = 1024 * 1024


@dataclass
class Capture:
    """One exchange as it passes: the request, the response head, and a capped body copy."""

    number: int
    method: str
    url: str  # the upstream URL the request went to
    judged_url: str  # the same request as the description addresses it (`/v1/...`)
    request_headers: tuple[tuple[str, str], ...]
    request_body: bytes
    request_size: int
    cap: int = DEFAULT_CAP_BYTES
    started_wall: float = field(default_factory=time.time)
    started: float = field(default_factory=time.perf_counter)
    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    head_s: float | None = None  # when the response head came (since the request)
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    size: int = 0  # bytes forwarded (all of them, not only the kept ones)
    kept: int = 0
    truncated: bool = False
    finished_s: float | None = None
    interrupted: str | None = None
    upstream_error: str | None = None  # the upstream never answered: why (the proxy answered)
    client_aborted: bool = False  # the client hung up before the answer ended

    def head(self, status: int, headers: tuple[tuple[str, str], ...]) -> None:
        self.status = status
        self.headers = headers
        self.head_s = time.perf_counter() - self.started

    def chunk(self, data: bytes) -> None:
        """Called per forwarded chunk: a bounded copy and its arrival time, nothing more."""
        self.size += len(data)
        if self.kept >= self.cap:
            self.truncated = True
            return
        piece = data[: self.cap - self.kept]
        self.truncated = self.truncated or len(piece) < len(data)
        self.kept += len(piece)
        self.chunks.append((time.perf_counter() - self.started, piece))

    def finish(self, interrupted: str | None = None) -> None:
        self.finished_s = time.perf_counter() - self.started
        self.interrupted = interrupted

    @property
    def media_type(self) -> str:
        content_type = next((v for k, v in self.headers if k.lower() == "content-type"), "")
        return content_type.split(";")[0].strip().lower()

    @property
    def request_media_type(self) -> str:
        content_type = next((v for k, v in self.request_headers if k.lower() == "content-type"), "")
        return content_type.split(";")[0].strip().lower()

    def raw_body(self) -> bytes:
        return b"".join(piece for _, piece in self.chunks)

    def decoded_chunks(self) -> tuple[list[tuple[float, bytes]], str | None]:
        """The kept chunks with their Content-Encoding undone (within the cap), or why not."""
        encoding = next((v for k, v in self.headers if k.lower() == "content-encoding"), "")
        try:
            decoder = _BodyDecoder(encoding)
            out: list[tuple[float, bytes]] = []
            size = 0
            for at, piece in self.chunks:
                data = decoder.feed(piece, self.cap - size)
                size += len(data)
                out.append((at, data))
                if size > self.cap:
                    break
        except ValueError as exc:
            return [], str(exc)
        return out, None

    def to_exchange(self) -> Exchange | StreamExchange:
        """What the checks read: a StreamExchange for an event stream, else an Exchange."""
        request = RecordedRequest(
            self.method, self.judged_url, self.request_headers, self.request_body
        )
        chunks, undecodable = self.decoded_chunks()
        body = b"".join(data for _, data in chunks)[: self.cap]
        head = Exchange(
            request=request,
            status=self.status,
            headers=self.headers,
            body=body,
            elapsed_s=self.finished_s or 0.0,
            truncated=self.truncated,
            received_at=self.started_wall + (self.head_s or 0.0),
        )
        if self.media_type != "text/event-stream":
            return head
        parser = SSEParser(max_event_bytes=min(self.cap, _MAX_EVENT_BYTES))
        events: list[StreamEvent] = []
        for at, data in chunks:
            events.extend(StreamEvent(e.data, e.event, at) for e in parser.feed(data))
        end = self.finished_s or 0.0
        events.extend(StreamEvent(e.data, e.event, end) for e in parser.close())
        interrupted = self.interrupted or undecodable
        if self.truncated and interrupted is None:
            interrupted = f"the stream exceeded the proxy's check cap of {self.cap} bytes"
        return StreamExchange(
            head=head,
            events=tuple(events),
            defects=tuple((d.kind, d.message) for d in parser.defects),
            done=parser.done,
            comments=parser.comments,
            first_byte_s=chunks[0][0] if chunks else None,
            interrupted=interrupted,
        )
