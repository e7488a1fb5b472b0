"""Checks of status codes and bodies that every operation shares."""

from __future__ import annotations

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check, register
from oaiconform.exchange import Exchange

# A request the target did not answer within the limits (a timeout, a reset, a redirect, a
# body over the byte cap): Target raises TargetError, and the plugin files it under this id.
TARGET_ERROR = register(
    "http.target_error",
    title="The target answers each request, within the time and size limits",
    impact=Impact.BREAKS_CLIENTS,
    reason="a client gets an exception (timeout, connection error) instead of an answer",
).id


@check(
    title="The answer has the status the request calls for",
    impact=Impact.BREAKS_CLIENTS,
    reason="the SDKs raise on an unexpected error status and treat each status as its own outcome",
)
def status_code_is(exchange: Exchange, *expected: int) -> list[Failure]:
    if exchange.status in expected:
        return []
    wanted = " or ".join(str(s) for s in expected)
    return [
        Failure(
            "status_code",
            f"{exchange.describe()}: expected status {wanted}, got {exchange.status} "
            f"with {exchange.body_excerpt()}",
            where="status",
            expected=wanted,
            found=str(exchange.status),
        )
    ]


@check(
    title="The body is a JSON object served as application/json",
    impact=Impact.BREAKS_CLIENTS,
    reason="the SDKs cannot parse a body that is not JSON where JSON is due",
)
def json_object_body(exchange: Exchange) -> list[Failure]:
    """The body is a JSON object served as application/json."""
    failures = []
    if exchange.media_type != "application/json":
        found = exchange.header("content-type") or "no Content-Type"
        failures.append(
            Failure(
                "content_type",
                f"{exchange.describe()}: expected application/json, got {found}",
                where="header:content-type",
                expected="application/json",
                found=found,
            )
        )
    if exchange.truncated:
        failures.append(
            Failure(
                "body_size",
                f"{exchange.describe()}: body exceeded the byte cap and was cut",
                where="body",
            )
        )
    elif not exchange.is_json:
        failures.append(
            Failure(
                "json_body",
                f"{exchange.describe()}: body is not JSON ({exchange.json_error}): "
                f"{exchange.body_excerpt()}",
                where="body",
            )
        )
    elif not isinstance(exchange.json(), dict):
        kind = type(exchange.json()).__name__
        failures.append(
            Failure(
                "json_body",
                f"{exchange.describe()}: expected a JSON object, got a JSON {kind}",
                where="body",
                expected="object",
                found=kind,
            )
        )
    return failures


# A body a suite needed as JSON that is not (BodyNotJSONError) is this check's failure.
JSON_OBJECT_BODY = "http.json_object_body"
