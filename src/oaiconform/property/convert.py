"""Our `Exchange` as the transport `Response` schemathesis's checks read."""

from __future__ import annotations

import requests
from schemathesis.core.transport import Response

from oaiconform.exchange import Exchange


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return None


def to_schemathesis_response(exchange: Exchange, prepared: requests.PreparedRequest) -> Response:
    """The response as schemathesis sees it; the request is the one the case was encoded as.

    The prepared request carries no credentials (the Target adds them on the wire), so nothing
    schemathesis renders from it can leak a key.
    """
    headers: dict[str, list[str]] = {}
    for name, value in exchange.headers:
        headers.setdefault(name.lower(), []).append(value)
    return Response(
        status_code=exchange.status,
        headers=headers,
        content=exchange.body,
        request=prepared,
        elapsed=exchange.elapsed_s,
        verify=True,
        encoding=_charset(exchange.header("content-type")),
    )
