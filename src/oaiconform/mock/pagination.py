"""The OpenAI cursor-pagination contract, shared by every list endpoint of the mock.

`limit`, `after`, `before` and `order` are read from the query with the default and bounds the
spec documents for the operation (its `ListContract`). Items are ordered by a sort key, for
stored objects `(created_at, creation sequence)`: objects created in the same second keep the
order they were created in, ascending and descending alike. A cursor is an object id; the
cursor of an object deleted during a walk still marks its place (the store remembers it), so
concurrent deletes never break a walk. An unknown cursor is a 400 naming the parameter. The
answer is `{"object": "list", "data", "first_id", "last_id", "has_more"}`. For an empty page
the live API sends null ids, but the pinned description types them as required strings; a
contract's `empty_cursor` says what the mock sends ("" keeps it valid against the description;
None is what the API does).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from oaiconform.mock.errors import APIError

Order = Literal["asc", "desc"]
SortKey = tuple[Any, ...]
_INTEGER = re.compile(r"^[+-]?\d{1,12}$")


@dataclass(frozen=True)
class ListContract:
    """One list operation's parameters as the spec documents them."""

    default_limit: int
    max_limit: int
    default_order: Order  # the order when the request names none
    has_order: bool = True  # the operation takes an `order` parameter
    has_before: bool = False  # the operation takes a `before` cursor
    min_limit: int = 1
    empty_cursor: str | None = ""  # first_id/last_id of an empty page (see the module doc)


# Defaults and bounds from the parameters' schemas and descriptions in the spec.
FILES = ListContract(default_limit=10_000, max_limit=10_000, default_order="desc")
BATCHES = ListContract(default_limit=20, max_limit=100, default_order="desc", has_order=False)
CHAT_COMPLETIONS = ListContract(default_limit=20, max_limit=100, default_order="asc")
CHAT_MESSAGES = ListContract(default_limit=20, max_limit=100, default_order="asc")
INPUT_ITEMS = ListContract(default_limit=20, max_limit=100, default_order="desc")


@dataclass(frozen=True)
class PageRequest:
    limit: int
    order: Order
    after: str | None = None
    before: str | None = None
    empty_cursor: str | None = None


def parse_page_request(query: Mapping[str, str], contract: ListContract) -> PageRequest:
    """The page asked for, or the 400 envelope naming the parameter that is out of contract."""
    raw_limit = query.get("limit")
    limit = contract.default_limit
    if raw_limit is not None:
        if not _INTEGER.match(raw_limit.strip()):
            raise APIError(
                400,
                f"Invalid 'limit': expected an integer, got {raw_limit[:40]!r}.",
                param="limit",
                code="invalid_type",
            )
        limit = int(raw_limit)
        if not contract.min_limit <= limit <= contract.max_limit:
            raise APIError(
                400,
                f"Invalid 'limit': {limit} is out of range; it must be between "
                f"{contract.min_limit} and {contract.max_limit}.",
                param="limit",
                code="integer_out_of_range",
            )
    order: Order = contract.default_order
    raw_order = query.get("order") if contract.has_order else None
    if raw_order is not None:
        if raw_order not in ("asc", "desc"):
            raise APIError(
                400,
                f"Invalid 'order': expected 'asc' or 'desc', got {raw_order[:40]!r}.",
                param="order",
            )
        order = "asc" if raw_order == "asc" else "desc"
    after = query.get("after") or None
    before = (query.get("before") or None) if contract.has_before else None
    if after and before:
        raise APIError(400, "Use either 'after' or 'before', not both.", param="before")
    return PageRequest(limit, order, after, before, contract.empty_cursor)


def _cursor(position: Callable[[str], SortKey | None], value: str, param: str) -> SortKey:
    key = position(value)
    if key is None:
        raise APIError(
            400, f"Invalid '{param}': no object with id {value[:80]!r} to page from.", param=param
        )
    return key


def paginate(
    entries: Sequence[tuple[SortKey, dict[str, Any]]],
    page: PageRequest,
    position: Callable[[str], SortKey | None],
) -> dict[str, Any]:
    """One page of `entries` ((sort key, object with an "id"), any order) as a list object.

    `position` maps a cursor id to its sort key (None when unknown); it is consulted for ids
    that are no longer in `entries`, e.g. an object deleted while a client walks the list.
    """
    descending = page.order == "desc"
    ordered = sorted(entries, key=lambda entry: entry[0], reverse=descending)

    def beyond(key: SortKey, cursor: SortKey) -> bool:  # `key` comes after `cursor` in the walk
        return key < cursor if descending else key > cursor

    if page.after is not None:
        cursor = _cursor(position, page.after, "after")
        ordered = [e for e in ordered if beyond(e[0], cursor)]
    if page.before is not None:
        cursor = _cursor(position, page.before, "before")
        earlier = [e for e in ordered if beyond(cursor, e[0])]
        chosen = earlier[-page.limit :]
        has_more = len(earlier) > len(chosen)
    else:
        chosen = ordered[: page.limit]
        has_more = len(ordered) > len(chosen)
    data = [obj for _, obj in chosen]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else page.empty_cursor,
        "last_id": data[-1]["id"] if data else page.empty_cursor,
        "has_more": has_more,
    }
