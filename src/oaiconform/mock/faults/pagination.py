"""Faults of cursor pagination, on every list the mock serves (files, batches, stored chat
completions and their messages, response input items).

Each is a deviation OpenAI-compatible servers and proxies have shipped, so that the
pagination.* checks can be shown to fail on it. They rewrite the list request's query string or
the buffered list page; the handlers stay correct.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import Scope

from oaiconform.mock.faults._core import Fault, ResponseParts, ResponseRewrite

_LIST_PATH = re.compile(
    r"^/v1/(files|batches|chat/completions|chat/completions/[^/]+/messages"
    r"|responses/[^/]+/input_items)/?$"
)


def _drop_query_param(name: str) -> Any:
    """A request rewrite that removes `name` from a list request's query string."""

    def rewrite(scope: Scope, keys: tuple[str, ...]) -> None:
        if scope["method"] != "GET" or not _LIST_PATH.match(scope["path"]):
            return
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if k != name]
        scope["query_string"] = urlencode(kept).encode("latin-1")

    return rewrite


def _page_rewrite(change: Any, *, with_request: bool = False) -> ResponseRewrite:
    """A response rewrite of successful list pages ({"data": [...], "has_more": ...});
    `with_request`: `change` takes the ResponseParts too (the request's path and query)."""

    def rewrite(parts: ResponseParts) -> ResponseParts:
        if parts.method != "GET" or parts.status != 200 or not _LIST_PATH.match(parts.path):
            return parts
        try:
            body = json.loads(parts.body)
        except ValueError:
            return parts
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            return parts
        if "has_more" not in body:
            return parts
        changed = change(body, parts) if with_request else change(body)
        return replace(parts, body=json.dumps(changed).encode())

    return rewrite


def _has_more_false(page: dict[str, Any]) -> dict[str, Any]:
    return {**page, "has_more": False}


def _short_page(page: dict[str, Any]) -> dict[str, Any]:
    """A page with more after it loses its last item; has_more and last_id stay as they were."""
    if page["has_more"] is True and page["data"]:
        return {**page, "data": page["data"][:-1]}
    return page


def _last_id_is_first_id(page: dict[str, Any]) -> dict[str, Any]:
    if len(page["data"]) >= 2 and "last_id" in page:
        return {**page, "last_id": page["data"][0].get("id")}
    return page


def _ties_in_storage_order(page: dict[str, Any]) -> dict[str, Any]:
    """Items of equal created_at come in id order whatever the requested direction; the edge
    ids follow the reordered page, as a server that builds them from its rows would."""
    data = page["data"]
    if not data or not all(isinstance(item.get("created_at"), int) for item in data):
        return page
    groups: list[list[dict[str, Any]]] = []
    for item in data:
        if groups and groups[-1][0]["created_at"] == item["created_at"]:
            groups[-1].append(item)
        else:
            groups.append([item])
    reordered = [item for group in groups for item in sorted(group, key=lambda i: str(i["id"]))]
    page = {**page, "data": reordered}
    if "first_id" in page:
        page["first_id"] = reordered[0]["id"]
    if "last_id" in page:
        page["last_id"] = reordered[-1]["id"]
    return page


def _page_created_at_in_ms(page: dict[str, Any], parts: ResponseParts) -> dict[str, Any]:
    """created_at in milliseconds that run against the creation order within each second: the
    mock lists the items of one second in creation order (asc) or its reverse (desc), so each
    item gets 999 minus its rank in creation order, and a page with two items of one second
    always contradicts its reported times in either direction (a real server's do whenever its
    clock and its tie-break disagree)."""
    asked = dict(parse_qsl(parts.query.decode("latin-1"))).get("order")
    # Without `order`: the list's default (mock/pagination.py), asc for chat completions only.
    descending = asked == "desc" or (asked is None and "/chat/completions" not in parts.path)
    groups: dict[int, list[int]] = {}
    for index, item in enumerate(page["data"]):
        if isinstance(item, dict) and isinstance(item.get("created_at"), int):
            groups.setdefault(item["created_at"], []).append(index)
    data = list(page["data"])
    for created, indices in groups.items():
        in_creation_order = indices[::-1] if descending else indices
        for rank, index in enumerate(in_creation_order):
            data[index] = {**data[index], "created_at": created * 1000 + 999 - rank}
    return {**page, "data": data}


FAULTS = (
    Fault(
        "has-more-wrong",
        "list pages always say has_more false, also when more items follow",
        "proxies that hard-code has_more: false in the list envelope they rebuild",
        response=_page_rewrite(_has_more_false),
    ),
    Fault(
        "after-ignored",
        "the `after` cursor is dropped: every page is the first page",
        "servers that accept the pagination parameters but implement only `limit`",
        request=_drop_query_param("after"),
    ),
    Fault(
        "short-pages",
        "a page with more after it lacks its last item; has_more and last_id still count it",
        "an off-by-one in the peek-ahead row that decides has_more (data[:limit-1])",
        response=_page_rewrite(_short_page),
    ),
    Fault(
        "wrong-last-id",
        "last_id names the page's first item instead of its last",
        "servers that take the edge id from the wrong end of a reversed query",
        response=_page_rewrite(_last_id_is_first_id),
    ),
    Fault(
        "unstable-order",
        "items with equal created_at come in id order whatever the direction: the order of "
        "ties differs between requests (asc is not the reverse of desc)",
        "servers that sort by created_at only, leaving ties to the storage order",
        response=_page_rewrite(_ties_in_storage_order),
    ),
    Fault(
        "limit-ignored",
        "`limit` is dropped: every page has the default size, and bad limits are accepted",
        "servers that list everything regardless of the pagination parameters",
        request=_drop_query_param("limit"),
    ),
    Fault(
        "list-order-ignored",
        "`order` is dropped: order=asc lists newest first, as order=desc does",
        "servers whose list query hard-codes ORDER BY created_at DESC",
        request=_drop_query_param("order"),
    ),
    Fault(
        "purpose-filter-ignored",
        "the `purpose` filter of GET /files is dropped: every file is listed",
        "file stores that accept the list filters but implement only pagination",
        request=_drop_query_param("purpose"),
    ),
    Fault(
        "list-created-at-ms",
        "list items report created_at in milliseconds, but lists still sort by the second and "
        "then by creation: items of one second are out of order by their reported times",
        "servers that page by a seconds-resolution index but serialize a millisecond timestamp",
        response=_page_rewrite(_page_created_at_in_ms, with_request=True),
    ),
)
