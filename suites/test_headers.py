"""Standard response headers: x-request-id, x-ratelimit-*, and Retry-After on a 429."""

from __future__ import annotations

import pytest

from oaiconform.checks import expect
from oaiconform.checks.headers import (
    rate_limit_header_names,
    rate_limit_headers,
    request_id_present,
    request_ids_unique,
    retry_after,
)
from oaiconform.pinning import pinned
from oaiconform.plugin import not_implemented
from oaiconform.settings import Settings
from oaiconform.target import Target

# The embedded mock answers this header with the 429 the API sends at a rate limit.
SIMULATE_RATE_LIMIT = {"x-oaiconform-simulate": "rate_limit"}


@pytest.mark.feature("headers.request_id")
def test_request_id_is_present_and_unique_on_successes_and_errors(target: Target) -> None:
    """Every response has an x-request-id, and no two requests share one."""
    exchanges = [
        target.get("models"),
        target.get("models"),
        target.get("models/oaiconform-no-such-model"),
        target.post("chat/completions", content=b"{", headers={"Content-Type": "application/json"}),
    ]
    expect(*(request_id_present(e) for e in exchanges), request_ids_unique(exchanges))


@pytest.mark.feature("headers.rate_limit")
def test_rate_limit_headers_are_well_formed(target: Target, settings: Settings) -> None:
    """x-ratelimit-limit/remaining-* are integers, reset-* durations ("6m0s"), and a target
    that sends none of them at all has not implemented the feature (absence never passes)."""
    chat = pinned(
        settings,
        {"model": settings.model, "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]},
    )
    exchanges = [target.get("models"), target.post("chat/completions", json=chat)]
    expect(*(rate_limit_headers(e) for e in exchanges))
    if not any(rate_limit_header_names(e) for e in exchanges):
        not_implemented(
            f"no x-ratelimit-* header on {' or '.join(e.describe() for e in exchanges)}"
        )


@pytest.mark.feature("headers.rate_limit")
@pytest.mark.requires("rate_limit_on_demand")
def test_rate_limit_a_429_says_when_to_retry(target: Target) -> None:
    """A 429 carries a parseable Retry-After (seconds or HTTP date) or retry-after-ms.

    Only the embedded mock can be made to answer 429 on demand (x-oaiconform-simulate);
    provoking a real rate limit would cost a real API's quota.
    """
    exchange = target.get("models", headers=SIMULATE_RATE_LIMIT)
    expect(retry_after(exchange), rate_limit_headers(exchange))
