"""Faults only generated requests find: edge values, undocumented statuses, schema drift.

The behavioural suites send a few hand-written requests; these deviations hide from them and
show as soon as schemathesis generates requests from the description (the `schema.*` family).
"""

from __future__ import annotations

import contextvars
import json
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Scope

from oaiconform.mock.faults._core import Fault, ResponseParts, json_rewrite

# Set per request by the request rewrite, read by the response rewrite of the same request
# (the response is sent from the request's task or a child task, which inherits the context).
_EDGE_QUERY_VALUE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "oaiconform_edge_query_value", default=False
)
_DROPPED_FIELDS = ("created", "created_at")


def _is_edge_value(value: str) -> bool:
    return value == "" or not value.isascii()


def _note_edge_query_value(scope: Scope, _keys: tuple[str, ...]) -> None:
    query = scope.get("query_string", b"").decode("latin-1")
    pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace")
    _EDGE_QUERY_VALUE.set(any(_is_edge_value(value) for _, value in pairs))


def _crash_on_edge_query_value(parts: ResponseParts) -> ResponseParts:
    if not _EDGE_QUERY_VALUE.get():
        return parts
    body = {
        "error": {
            "message": "The server had an error while processing your request "
            "(UnicodeEncodeError).",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    parts = replace(parts, status=500, body=json.dumps(body).encode())
    return parts.with_header(b"content-type", b"application/json")


def _created_on_post(parts: ResponseParts) -> ResponseParts:
    if parts.method != "POST" or parts.status != 200:
        return parts
    return replace(parts, status=201)


def _drop_timestamps(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_timestamps(v) for k, v in value.items() if k not in _DROPPED_FIELDS}
    if isinstance(value, list):
        return [_drop_timestamps(v) for v in value]
    return value


def _json_as_text(parts: ResponseParts) -> ResponseParts:
    if parts.status >= 300:
        return parts
    content_type = parts.header(b"content-type") or b""
    if not content_type.startswith(b"application/json"):
        return parts
    return parts.with_header(b"content-type", b"text/plain; charset=utf-8")


FAULTS = (
    Fault(
        "server-error-on-edge-values",
        "500 when a query value is empty or not ASCII (e.g. `?after=%C3%A9`)",
        "servers that decode cursors as ASCII or index into them without checking for empty",
        request=_note_edge_query_value,
        response=_crash_on_edge_query_value,
    ),
    Fault(
        "undocumented-status",
        "successful POSTs answer 201 Created where the description documents 200",
        "REST frameworks whose create handlers default to 201",
        response=_created_on_post,
    ),
    Fault(
        "schema-drift",
        "`created` / `created_at` (required fields) are left out of successful responses",
        "servers whose serializers drifted from the API's object schemas",
        response=json_rewrite(_drop_timestamps, success_only=True),
    ),
    Fault(
        "wrong-content-type",
        "successful JSON answers are labelled text/plain",
        "servers that write JSON strings without setting the media type",
        response=_json_as_text,
    ),
)
