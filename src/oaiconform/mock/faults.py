"""Fault switches: named deviations applied around the correct mock.

Each fault is a transformation of the request before the handlers see it, of a buffered JSON
response, or of an event stream, so the handlers never carry `if fault`. Each is modelled on a
deviation real OpenAI-compatible servers have shipped, and each exists so that a check can be
shown to fail (tests/suites/ pairs every check with its fault).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oaiconform.mock.config import DEFAULT_API_KEY


@dataclass(frozen=True)
class ResponseParts:
    method: str
    path: str
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    def with_header(self, name: bytes, value: bytes | None) -> ResponseParts:
        headers = [(k, v) for k, v in self.headers if k.lower() != name]
        if value is not None:
            headers.append((name, value))
        return replace(self, headers=headers)


RequestRewrite = Callable[[Scope, tuple[str, ...]], None]
ResponseRewrite = Callable[[ResponseParts], ResponseParts]


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    modelled_on: str
    request: RequestRewrite | None = None
    response: ResponseRewrite | None = None


def _json_rewrite(
    change: Callable[[Any], Any], *, errors_only: bool = False, success_only: bool = False
) -> ResponseRewrite:
    def rewrite(parts: ResponseParts) -> ResponseParts:
        is_error = parts.status >= 400
        if (errors_only and not is_error) or (success_only and is_error):
            return parts
        if not (parts.header(b"content-type") or b"").startswith(b"application/json"):
            return parts
        body = json.dumps(change(json.loads(parts.body))).encode()
        return replace(parts, body=body)

    return rewrite


def _error_message(parts: ResponseParts) -> str:
    try:
        return str(json.loads(parts.body)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return parts.body.decode(errors="replace")


def _plain_text_errors(parts: ResponseParts) -> ResponseParts:
    if parts.status < 400:
        return parts
    parts = replace(parts, body=_error_message(parts).encode())
    return parts.with_header(b"content-type", b"text/plain; charset=utf-8")


def _created_as_string(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (str(v) if k == "created" and isinstance(v, int) else _created_as_string(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_created_as_string(v) for v in value]
    return value


def _object_misnamed(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("object"), str):
        value = {**value, "object": value["object"] + "s"}
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        value = {**value, "data": [_object_misnamed(v) for v in value["data"]]}
    return value


def _usage_total_wrong(value: Any) -> Any:
    usage = value.get("usage") if isinstance(value, dict) else None
    if isinstance(usage, dict) and "completion_tokens" in usage:
        value = {**value, "usage": {**usage, "total_tokens": usage["completion_tokens"]}}
    return value


def _accept_any_key(scope: Scope, valid_keys: tuple[str, ...]) -> None:
    key = valid_keys[0] if valid_keys else DEFAULT_API_KEY
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
    scope["headers"] = [*headers, (b"authorization", f"Bearer {key}".encode())]


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault(
            "plain-text-errors",
            "errors are served as text/plain with the bare message",
            "servers built on generic web frameworks' default error pages",
            response=_plain_text_errors,
        ),
        Fault(
            "detail-errors",
            'errors use FastAPI\'s {"detail": ...} body instead of the envelope',
            "FastAPI-based servers that do not install an OpenAI error handler",
            response=_json_rewrite(lambda b: {"detail": b["error"]["message"]}, errors_only=True),
        ),
        Fault(
            "flat-errors",
            'errors put message/type at the top level, without the "error" object',
            "several early OpenAI-compatible servers",
            response=_json_rewrite(lambda b: dict(b["error"]), errors_only=True),
        ),
        Fault(
            "accept-any-key",
            "every key is accepted, including none",
            "local servers that ignore Authorization entirely",
            request=_accept_any_key,
        ),
        Fault(
            "echo-key",
            "401 messages repeat the submitted key in full (applied in FaultLayer, "
            "which alone sees both the request and the response)",
            "gateways that log and echo the rejected credential",
        ),
        Fault(
            "created-as-string",
            "`created` is a string instead of integer seconds",
            "servers that serialise timestamps with a string type",
            response=_json_rewrite(_created_as_string, success_only=True),
        ),
        Fault(
            "object-misnamed",
            '`object` has a wrong value (e.g. "lists", "chat.completions")',
            "servers whose object names drifted from the API",
            response=_json_rewrite(_object_misnamed, success_only=True),
        ),
        Fault(
            "usage-total-wrong",
            "usage.total_tokens equals completion_tokens",
            "servers that forget prompt tokens in the total",
            response=_json_rewrite(_usage_total_wrong, success_only=True),
        ),
    )
}


class UnknownFaultError(ValueError):
    def __str__(self) -> str:
        return f"unknown fault {self.args[0]!r}; known faults: {', '.join(sorted(FAULTS))}"


def resolve_faults(names: tuple[str, ...]) -> tuple[Fault, ...]:
    for name in names:
        if name not in FAULTS:
            raise UnknownFaultError(name)
    return tuple(FAULTS[name] for name in names)


class FaultLayer:
    """ASGI middleware that applies the switched-on faults around the correct app."""

    def __init__(self, app: ASGIApp, faults: tuple[Fault, ...], api_keys: tuple[str, ...]) -> None:
        self.app = app
        self.request_faults = [f.request for f in faults if f.request]
        self.response_faults = [f.response for f in faults if f.response]
        self.echo_key = any(f.name == "echo-key" for f in faults)
        self.api_keys = api_keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        submitted = next(
            (
                v.decode(errors="replace")
                for k, v in scope["headers"]
                if k.lower() == b"authorization"
            ),
            "",
        )
        for rewrite_request in self.request_faults:
            rewrite_request(scope, self.api_keys)
        if not self.response_faults and not self.echo_key:
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []
        streaming = False

        async def buffered_send(message: Message) -> None:
            nonlocal start, streaming
            if message["type"] == "http.response.start":
                start = message
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                streaming = content_type.startswith(b"text/event-stream")
                if streaming:
                    await send(message)
                return
            if streaming:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            parts = ResponseParts(
                scope["method"],
                scope["path"],
                start["status"],
                list(start.get("headers", [])),
                b"".join(chunks),
            )
            if self.echo_key and parts.status == 401 and submitted:
                parts = replace(
                    parts,
                    body=parts.body.replace(b"provided", b"provided (" + submitted.encode() + b")"),
                )
            for rewrite in self.response_faults:
                parts = rewrite(parts)
            parts = parts.with_header(b"content-length", str(len(parts.body)).encode())
            await send(
                {"type": "http.response.start", "status": parts.status, "headers": parts.headers}
            )
            await send({"type": "http.response.body", "body": parts.body})

        await self.app(scope, receive, buffered_send)
