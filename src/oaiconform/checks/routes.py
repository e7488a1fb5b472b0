"""Telling "the target has no such endpoint" apart from a failure of an endpoint it has."""

from __future__ import annotations

from oaiconform.exchange import Exchange

_RESOURCE_CODES = frozenset({"model_not_found", "not_found"})


def route_missing(exchange: Exchange) -> bool:
    """A 404/405 on a valid request, not about a named resource (e.g. an unknown model)."""
    if exchange.status not in (404, 405):
        return False
    if exchange.status == 404 and exchange.is_json:
        body = exchange.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("code") in _RESOURCE_CODES:
            return False
    return True
