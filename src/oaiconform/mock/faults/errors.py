"""Faults of the error envelope and of authentication."""

from __future__ import annotations

from dataclasses import replace

from starlette.types import Scope

from oaiconform.mock.config import DEFAULT_API_KEY
from oaiconform.mock.faults._core import Fault, ResponseParts, error_message, json_rewrite


def _plain_text_errors(parts: ResponseParts) -> ResponseParts:
    if parts.status < 400:
        return parts
    parts = replace(parts, body=error_message(parts).encode())
    return parts.with_header(b"content-type", b"text/plain; charset=utf-8")


def _accept_any_key(scope: Scope, valid_keys: tuple[str, ...]) -> None:
    key = valid_keys[0] if valid_keys else DEFAULT_API_KEY
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
    scope["headers"] = [*headers, (b"authorization", f"Bearer {key}".encode())]


def _echo_key(parts: ResponseParts) -> ResponseParts:
    submitted = (parts.request_header(b"authorization") or b"").partition(b" ")[2]
    if parts.status != 401 or not submitted:
        return parts
    return replace(parts, body=parts.body.replace(b"provided", b"provided (" + submitted + b")"))


FAULTS = (
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
        response=json_rewrite(lambda b: {"detail": b["error"]["message"]}, errors_only=True),
    ),
    Fault(
        "flat-errors",
        'errors put message/type at the top level, without the "error" object',
        "several early OpenAI-compatible servers",
        response=json_rewrite(lambda b: dict(b["error"]), errors_only=True),
    ),
    Fault(
        "accept-any-key",
        "every key is accepted, including none",
        "local servers that ignore Authorization entirely",
        request=_accept_any_key,
    ),
    Fault(
        "echo-key",
        "401 messages repeat the submitted key in full",
        "gateways that log and echo the rejected credential",
        response=_echo_key,
    ),
)
