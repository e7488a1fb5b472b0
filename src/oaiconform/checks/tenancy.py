"""Checks that what one API key creates stays invisible to another key."""

from __future__ import annotations

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import check
from oaiconform.checks.errors import error_envelope
from oaiconform.exchange import Exchange


@check
def hidden_from_other_tenant(exchange: Exchange, what: str) -> list[Failure]:
    """Another key's retrieve or delete of the object gets 404 (or 403) with the envelope."""
    if 200 <= exchange.status < 300:
        return [
            Failure(
                "tenant_isolation",
                f"{exchange.describe()}: a second API key could "
                f"{'delete' if exchange.request.method == 'DELETE' else 'read'} "
                f"{what} created with the first key",
            )
        ]
    if exchange.status not in (403, 404):
        return [
            Failure(
                "tenant_isolation",
                f"{exchange.describe()}: expected 404 for another "
                f"key's {what}, got {exchange.status}",
            )
        ]
    return error_envelope(exchange)


@check
def absent_from_listing(exchange: Exchange, object_id: str, what: str) -> list[Failure]:
    """Another key's listing does not contain the object."""
    body = exchange.json() if exchange.is_json else None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return [
            Failure(
                "tenant_isolation",
                f"{exchange.describe()}: expected a list, got {exchange.body_excerpt()}",
            )
        ]
    if any(isinstance(item, dict) and item.get("id") == object_id for item in data):
        return [
            Failure(
                "tenant_isolation",
                f"{exchange.describe()}: a second API key sees "
                f"{what} {object_id} created with the first key",
            )
        ]
    return []
