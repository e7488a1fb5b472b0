"""Recorded api.openai.com traffic, neutralized (see SOURCES.md), and its loader."""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from oaiconform.exchange import Exchange, RecordedRequest, StreamEvent, StreamExchange
from oaiconform.sse import SSEParser

CORPUS_DIR = Path(__file__).parent
ORIGIN = "https://api.openai.com"


@dataclass(frozen=True)
class Recorded:
    """One recorded exchange: where it comes from, and what it is as the checks see it."""

    source: str  # the corpus file's stem (the public repository it was recorded by)
    name: str  # <cassette>#<interaction>
    raw: dict[str, Any]
    exchange: Exchange | StreamExchange

    @property
    def key(self) -> str:
        return f"{self.source}:{self.name}"


def load_corpus(directory: Path = CORPUS_DIR) -> list[Recorded]:
    """Every exchange of every corpus file, in file order."""
    recorded = []
    for path in sorted(directory.glob("*.json")):
        if path.name == "structures.json":  # facts derived from the corpus (structures.py)
            continue
        for raw in json.loads(path.read_text(encoding="utf-8")):
            recorded.append(Recorded(path.stem, raw["name"], raw, to_exchange(raw)))
    return recorded


def request_bytes(raw: dict[str, Any]) -> bytes:
    if "request" in raw:
        return json.dumps(raw["request"], separators=(",", ":"), ensure_ascii=False).encode()
    return str(raw.get("request_text") or "").encode()


def response_bytes(raw: dict[str, Any]) -> bytes:
    if "body" in raw:
        return json.dumps(raw["body"], separators=(",", ":"), ensure_ascii=False).encode()
    return str(raw.get("body_text") or "").encode()


def recorded_at(raw: dict[str, Any]) -> float | None:
    """When the answer came, from its recorded Date header: freshness is judged as of then."""
    date = next((value for name, value in raw["headers"] if name == "date"), None)
    return parsedate_to_datetime(date).timestamp() if date else None


def to_exchange(raw: dict[str, Any]) -> Exchange | StreamExchange:
    """The Exchange the Target would have recorded; a StreamExchange for an event stream."""
    request_headers = (("content-type", raw.get("request_content_type") or "application/json"),)
    request = RecordedRequest(
        raw["method"], ORIGIN + raw["path"], request_headers, request_bytes(raw)
    )
    response_headers = tuple((name, value) for name, value in raw["headers"])
    head = Exchange(
        request,
        raw["status"],
        response_headers,
        response_bytes(raw),
        received_at=recorded_at(raw),
    )
    if head.media_type != "text/event-stream":
        return head
    parser = SSEParser()
    events = [StreamEvent(e.data, e.event) for e in parser.feed(head.body)]
    events += [StreamEvent(e.data, e.event) for e in parser.close()]
    defects = tuple((d.kind, d.message) for d in parser.defects)
    return StreamExchange(head, tuple(events), defects, parser.done, parser.comments)
