"""Sending one encoded request, honouring 429 with a bounded, counted backoff."""

from __future__ import annotations

import time
from collections.abc import Callable

from oaiconform.exchange import Exchange
from oaiconform.property.wire import WireRequest
from oaiconform.target import Target

DEFAULT_WAIT_S = 1.0


def retry_after_seconds(exchange: Exchange, *, cap_s: float) -> float:
    """The wait a 429 asks for (Retry-After seconds, else 1 s), never more than the cap."""
    raw = (exchange.header("retry-after") or "").strip()
    try:
        wait = float(raw)
    except ValueError:
        wait = DEFAULT_WAIT_S
    return max(0.0, min(wait, cap_s))


def send_with_backoff(
    target: Target,
    wire: WireRequest,
    *,
    max_retries: int,
    max_backoff_s: float,
    auth: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Exchange, int]:
    """The answer, and how many 429s were waited out; the last 429 is returned if it persists."""
    retries = 0
    while True:
        exchange = target.request(
            wire.method, wire.path, content=wire.body, headers=wire.headers, auth=auth
        )
        if exchange.status != 429 or retries >= max_retries:
            return exchange, retries
        sleep(retry_after_seconds(exchange, cap_s=max_backoff_s))
        retries += 1
