"""Requests of the object machinery (creation, cleanup): through the Target, within a cap.

They are not examples of the operation under test, so they are neither judged nor counted in
its `max_requests`; their own caps bound them, and the Target's budget still applies.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from oaiconform.exchange import Exchange
from oaiconform.property.retry import retry_after_seconds
from oaiconform.property.routes import route_missing_for
from oaiconform.target import Target


class CappedSender:
    """At most `cap` requests, each 429 waited out a bounded number of times."""

    def __init__(self, target: Target, cap: int, *, max_retries: int, max_backoff_s: float):
        self.target = target
        self.cap = cap
        self.max_retries = max_retries
        self.max_backoff_s = max_backoff_s
        self.used = 0
        self.route_missing = False  # the last answer: the target has no such endpoint
        # A 404 about an object in the path is not a miss.
        self._route_missing = route_missing_for(target, path_has_ids=True)

    def send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Exchange | None:
        """The answer, or None once the cap is spent; budget and transport errors propagate."""
        retries = 0
        while self.used < self.cap:
            self.used += 1
            exchange = self.target.request(method, path, content=content, headers=headers)
            if exchange.status != 429 or retries >= self.max_retries:
                self.target.budget.note_rate_limited(retries)
                self.route_missing = self._route_missing(exchange)
                return exchange
            time.sleep(retry_after_seconds(exchange, cap_s=self.max_backoff_s))
            retries += 1
        return None
