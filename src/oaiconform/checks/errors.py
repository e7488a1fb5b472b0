"""Checks of the error envelope and of authentication."""

from __future__ import annotations

from oaiconform.checks._failure import Failure
from oaiconform.exchange import Exchange

# Shown in full, a key lets anyone who reads a log use it. The API masks all but a few chars.
_ECHO_MIN_LEN = 12


def error_envelope(exchange: Exchange) -> list[Failure]:
    """application/json and {"error": {message: str, type: str, param: str|null, code: str|null}}.

    Applications branch on this shape (the SDKs build their exception classes from it), so every
    other shape is named in the failure to make the fix obvious.
    """
    where = exchange.describe()
    if exchange.media_type != "application/json":
        found = exchange.header("content-type") or "no Content-Type"
        return [
            Failure(
                "error_envelope",
                f"{where}: error served as {found} with "
                f"{exchange.body_excerpt()}, expected application/json "
                'with the {"error": {...}} envelope',
            )
        ]
    if not exchange.is_json:
        return [
            Failure("error_envelope", f"{where}: error body is not JSON: {exchange.body_excerpt()}")
        ]
    body = exchange.json()
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        if isinstance(body, dict) and "detail" in body:
            found = 'a FastAPI-style {"detail": ...} body'
        elif isinstance(body, dict) and "message" in body:
            found = 'a flat envelope (message at the top level, no "error" object)'
        elif isinstance(body, dict) and isinstance(body.get("error"), str):
            found = '"error" as a string instead of an object'
        else:
            found = exchange.body_excerpt()
        return [
            Failure(
                "error_envelope",
                f'{where}: expected {{"error": {{message, type, param, code}}}}, found {found}',
            )
        ]
    error = body["error"]
    failures = []
    for name, nullable in (("message", False), ("type", False), ("param", True), ("code", True)):
        if name not in error:
            failures.append(Failure("error_envelope", f"{where}: error.{name} is missing"))
        elif not (isinstance(error[name], str) or (nullable and error[name] is None)):
            kind = "a string or null" if nullable else "a string"
            failures.append(
                Failure(
                    "error_envelope",
                    f"{where}: error.{name} must be {kind}, got {error[name]!r:.60}",
                )
            )
    return failures


def error_code_is(exchange: Exchange, code: str) -> list[Failure]:
    """The envelope's `error.code` is the one the API uses for this condition."""
    body = exchange.json() if exchange.is_json else None
    error = body.get("error") if isinstance(body, dict) else None
    found = error.get("code") if isinstance(error, dict) else None
    if found == code:
        return []
    return [
        Failure("error_code", f"{exchange.describe()}: expected error.code {code!r}, got {found!r}")
    ]


def unauthorized(exchange: Exchange) -> list[Failure]:
    """A request without valid credentials is refused with 401 and the envelope."""
    if exchange.status == 401:
        return error_envelope(exchange)
    if 200 <= exchange.status < 300:
        return [
            Failure(
                "auth_required",
                f"{exchange.describe()}: the request was served without "
                "valid credentials; expected 401",
            )
        ]
    return [
        Failure(
            "auth_required",
            f"{exchange.describe()}: expected 401 for missing or invalid "
            f"credentials, got {exchange.status}",
        )
    ]


def key_not_echoed(exchange: Exchange, submitted_key: str) -> list[Failure]:
    """The response does not contain the submitted key in full."""
    if len(submitted_key) < _ECHO_MIN_LEN:
        return []
    if submitted_key.encode() in exchange.body or any(
        submitted_key in value for _, value in exchange.headers
    ):
        return [
            Failure(
                "key_echoed",
                f"{exchange.describe()}: the response echoes the submitted "
                "API key in full; mask all but its last characters",
            )
        ]
    return []
