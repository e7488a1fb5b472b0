"""Checks that what one API key creates stays invisible to another key."""

from __future__ import annotations

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check
from oaiconform.checks.errors import error_envelope
from oaiconform.exchange import Exchange


@check(
    title="Another API key cannot read or delete an object: 404 with the error envelope",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="a tenant reaching another tenant's objects breaks isolation",
)
def hidden_from_other_tenant(exchange: Exchange, what: str) -> list[Failure]:
    """Another key's retrieve or delete of the object gets 404 (or 403) with the envelope."""
    if 200 <= exchange.status < 300:
        return [
            Failure(
                "tenant_isolation",
                f"{exchange.describe()}: a second API key could "
                f"{'delete' if exchange.request.method == 'DELETE' else 'read'} "
                f"{what} created with the first key",
                where="status",
                expected="404",
                found=str(exchange.status),
            )
        ]
    if exchange.status not in (403, 404):
        return [
            Failure(
                "tenant_isolation",
                f"{exchange.describe()}: expected 404 for another "
                f"key's {what}, got {exchange.status}",
                where="status",
                expected="404",
                found=str(exchange.status),
            )
        ]
    return error_envelope(exchange)


@check(
    title="Another API key's listing does not show the object",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="a tenant seeing another tenant's objects breaks isolation",
)
def absent_from_listing(exchange: Exchange, object_id: str, what: str) -> list[Failure]:
    """Another key's listing does not contain the object."""
    body = exchange.json() if exchange.is_json else None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return [
            Failure(
                "tenant_isolation",
                f"{exchange.describe()}: expected a list, got {exchange.body_excerpt()}",
                where="data",
            )
        ]
    if any(isinstance(item, dict) and item.get("id") == object_id for item in data):
        return [
            Failure(
                "tenant_isolation",
                f"{exchange.describe()}: a second API key sees "
                f"{what} {object_id} created with the first key",
                where="data[].id",
            )
        ]
    return []
