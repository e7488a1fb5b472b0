"""Checks of the standard response headers: request ids, rate limits, Retry-After.

Clients log x-request-id to match a support ticket with a request, and back off using the
x-ratelimit-* and Retry-After headers; the SDKs parse the latter, so a malformed value breaks
their retry logic silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.utils import parsedate_to_datetime

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check
from oaiconform.checks.http import status_code_is
from oaiconform.exchange import Exchange

_RATE_LIMIT = re.compile(r"^x-ratelimit-(limit|remaining|reset)-(.+)$")
# Go's time.Duration format, as the API sends it: "6m0s", "1s", "30ms", "1h2m3.5s".
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$")
_INTEGER = re.compile(r"^\d+$")
_SECONDS = re.compile(r"^\d+(?:\.\d+)?$")


@check(
    title="Every response carries a non-empty x-request-id header",
    impact=Impact.ADVISORY,
    reason=(
        "the API sends it and support asks for it; the description does not require it "
        "and no client fails"
    ),
)
def request_id_present(exchange: Exchange) -> list[Failure]:
    """Every response, success or error, carries a non-empty x-request-id."""
    if (exchange.header("x-request-id") or "").strip():
        return []
    return [
        Failure(
            "request_id",
            f"{exchange.describe()}: the response has no x-request-id header",
            where="header:x-request-id",
        )
    ]


@check(
    title="Each request gets its own x-request-id",
    impact=Impact.ADVISORY,
    reason="a repeated id cannot match a request to a support ticket; no client fails",
)
def request_ids_unique(exchanges: Sequence[Exchange]) -> list[Failure]:
    """Distinct requests get distinct ids; a repeated id cannot identify a request."""
    seen: dict[str, Exchange] = {}
    failures = []
    for exchange in exchanges:
        request_id = (exchange.header("x-request-id") or "").strip()
        if not request_id:
            continue
        if request_id in seen:
            failures.append(
                Failure(
                    "request_id",
                    f"{exchange.describe()}: x-request-id {request_id!r} was already sent for "
                    f"{seen[request_id].describe()}; each request needs its own id",
                    where="header:x-request-id",
                )
            )
        else:
            seen[request_id] = exchange
    return failures


def is_duration(value: str) -> bool:
    return bool(_DURATION.match(value))


@check(
    title="x-ratelimit-* headers are integers (remaining at most limit) and durations such as 6m0s",
    impact=Impact.ADVISORY,
    reason="the API's observed headers; the SDKs do not read them",
)
def rate_limit_headers(exchange: Exchange) -> list[Failure]:
    """x-ratelimit-limit-*/-remaining-* are non-negative integers (remaining <= limit), and
    x-ratelimit-reset-* are durations such as "6m0s", "1s", "30ms". Absent headers pass."""
    where = exchange.describe()
    failures = []
    values: dict[tuple[str, str], int] = {}
    for name, raw in exchange.headers:
        match = _RATE_LIMIT.match(name.lower())
        if match is None:
            continue
        kind, resource = match.groups()
        value = raw.strip()
        if kind == "reset":
            if not is_duration(value):
                failures.append(
                    Failure(
                        "rate_limit_headers",
                        f"{where}: {name.lower()} is {value!r}, expected a duration such as "
                        '"6m0s", "1s" or "30ms"',
                        where=f"header:{name.lower()}",
                        found=value,
                    )
                )
        elif _INTEGER.match(value):
            values[(kind, resource)] = int(value)
        else:
            failures.append(
                Failure(
                    "rate_limit_headers",
                    f"{where}: {name.lower()} is {value!r}, expected a non-negative integer",
                    where=f"header:{name.lower()}",
                    found=value,
                )
            )
    for (kind, resource), remaining in values.items():
        limit = values.get(("limit", resource))
        if kind == "remaining" and limit is not None and remaining > limit:
            failures.append(
                Failure(
                    "rate_limit_headers",
                    f"{where}: x-ratelimit-remaining-{resource} {remaining} exceeds "
                    f"x-ratelimit-limit-{resource} {limit}",
                    where=f"header:x-ratelimit-remaining-{resource}",
                    expected=f"<= {limit}",
                    found=str(remaining),
                )
            )
    return failures


def _retry_after_parses(value: str) -> bool:
    if _SECONDS.match(value):
        return True
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError, IndexError):
        return False


@check(
    title="A 429 says when to retry, with a Retry-After or retry-after-ms that parses",
    impact=Impact.ADVISORY,
    reason=(
        "the SDKs fall back to their own backoff without it; the description does not document it"
    ),
)
def retry_after(exchange: Exchange) -> list[Failure]:
    """A 429 says when to retry: Retry-After (seconds or an HTTP date) or retry-after-ms.

    Each one present must parse; the SDKs fall back to a guess otherwise.
    """
    where = exchange.describe()
    if exchange.status != 429:
        return status_code_is(exchange, 429)  # the status is a rule of its own
    seconds = exchange.header("retry-after")
    millis = exchange.header("retry-after-ms")
    if seconds is None and millis is None:
        return [
            Failure(
                "retry_after",
                f"{where}: the 429 has neither Retry-After nor retry-after-ms, so a client "
                "cannot tell when to retry",
                where="header:retry-after",
            )
        ]
    failures = []
    if seconds is not None and not _retry_after_parses(seconds.strip()):
        failures.append(
            Failure(
                "retry_after",
                f"{where}: Retry-After is {seconds!r}, expected seconds or an HTTP date",
                where="header:retry-after",
                found=seconds,
            )
        )
    if millis is not None and not _SECONDS.match(millis.strip()):
        failures.append(
            Failure(
                "retry_after",
                f"{where}: retry-after-ms is {millis!r}, expected a number of milliseconds",
                where="header:retry-after-ms",
                found=millis,
            )
        )
    return failures


def rate_limit_header_names(exchange: Exchange) -> list[str]:
    """The x-ratelimit-* headers of a response (a predicate's input, not a check): a target
    that sends none on any response has not implemented them, whatever their format."""
    return sorted(name for name, _ in exchange.headers if _RATE_LIMIT.match(name.lower()))
