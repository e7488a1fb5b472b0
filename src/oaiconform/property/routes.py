"""Route misses for generated requests: "no such endpoint" versus "no such object".

A generated identifier rarely names an existing object, and some servers answer an unknown
object with a 404 whose `code` is null (as OpenAI does for files), which `route_missing` alone
would read as a missing endpoint. For operations with path parameters a 404 is therefore a
route miss only when it looks like one: not an error envelope, or an "Invalid URL" message.
"""

from __future__ import annotations

from collections.abc import Callable

from oaiconform.checks.routes import route_missing
from oaiconform.exchange import Exchange


def _looks_like_unknown_route(exchange: Exchange) -> bool:
    if exchange.status == 405:
        return True
    body = exchange.json() if exchange.is_json else None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return True
    return str(error.get("message", "")).startswith("Invalid URL")


def route_missing_for(path_has_ids: bool) -> Callable[[Exchange], bool]:
    if not path_has_ids:
        return route_missing
    return lambda exchange: route_missing(exchange) and _looks_like_unknown_route(exchange)
