"""HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): the proxied exchanges as a file
that browsers' developer tools and API tools open. Bodies are capped; credentials are masked
when the file is written (`har_document` takes the redactor)."""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from oaiconform import __version__
from oaiconform.proxy.capture import Capture
from oaiconform.redact import Redactor

_SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "openai-api-key"})


def _headers(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"name": k, "value": "***" if k.lower() in _SECRET_HEADERS else v} for k, v in pairs]


def _text(body: bytes, limit: int) -> dict[str, Any]:
    """A body as HAR content: text when it is UTF-8, else base64; capped at `limit` bytes."""
    piece = body[:limit]
    out: dict[str, Any]
    try:
        out = {"text": piece.decode("utf-8")}
    except UnicodeDecodeError:
        out = {"text": base64.b64encode(piece).decode("ascii"), "encoding": "base64"}
    if len(body) > limit:
        out["comment"] = f"capped at {limit} of {len(body)} bytes"
    return out


def har_entry(capture: Capture, body_limit: int) -> dict[str, Any]:
    """One exchange as a HAR entry (bodies decoded, capped)."""
    chunks, _ = capture.decoded_chunks()
    body = b"".join(data for _, data in chunks)
    started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(capture.started_wall))
    millis = int((capture.started_wall % 1) * 1000)
    wait_ms = (capture.head_s or 0.0) * 1000
    total_ms = (capture.finished_s or capture.head_s or 0.0) * 1000
    content_type = next((v for k, v in capture.headers if k.lower() == "content-type"), "")
    request: dict[str, Any] = {
        "method": capture.method,
        "url": capture.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(capture.request_headers),
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(capture.url).query)],
        "headersSize": -1,
        "bodySize": capture.request_size,
    }
    if capture.request_body:
        request["postData"] = {
            "mimeType": capture.request_media_type or "application/octet-stream",
            **_text(capture.request_body, body_limit),
        }
    return {
        "startedDateTime": f"{started}.{millis:03d}Z",
        "time": round(total_ms, 3),
        "request": request,
        "response": {
            "status": capture.status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _headers(capture.headers),
            "content": {
                "size": len(body),
                "mimeType": content_type or "application/octet-stream",
                **_text(body, body_limit),
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": capture.size,
        },
        "cache": {},
        "timings": {
            "send": 0,
            "wait": round(wait_ms, 3),
            "receive": round(max(total_ms - wait_ms, 0.0), 3),
        },
        "comment": f"oaiconform proxy exchange {capture.number}",
    }


def har_document(entries: list[dict[str, Any]], redactor: Redactor) -> dict[str, Any]:
    document = {
        "log": {
            "version": "1.2",
            "creator": {"name": "oaiconform proxy", "version": __version__},
            "entries": entries,
        }
    }
    redacted: dict[str, Any] = redactor.deep(document)
    return redacted
