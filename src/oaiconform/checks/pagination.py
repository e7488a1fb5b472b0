"""Checks of cursor pagination: one page's shape, and what a walk over the pages visited.

A walk (after = last_id until has_more is false) is what every SDK's auto-pagination does, so
each page is judged against the next one and the walk against the items the run itself created;
items the run did not create are ignored, so the checks hold on a shared real account.

Decisions (see the suite's module docstring for the evidence):
- An empty page names no object: first_id/last_id are null, "" or absent. The pinned
  description types them as strings (required for files), but the live API sends null; what a
  client must never get is an id on an empty page, which it would follow.
- An unknown `after` cursor is either a 4xx with the error envelope (the mock and the API's
  400) or an empty last page; silently serving the first page again is the failure, because a
  client's walk then never ends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check, register
from oaiconform.checks.errors import error_envelope
from oaiconform.checks.schema import object_value
from oaiconform.exchange import Exchange

# Rules the suites judge themselves.
SDK_WALK = register(
    "pagination.sdk_walk",
    title="The official SDK's auto-pagination walks the list without an error and ends",
    impact=Impact.BREAKS_CLIENTS,
    reason="the SDK itself raises, or its page loop never ends",
).id
INPUT_ORDER = register(
    "pagination.input_items_order",
    title="order=asc lists a response's input items in the order they were sent",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the order parameter or the documented order was ignored",
).id

_EMPTY_CURSORS = (None, "")


@dataclass(frozen=True)
class CursorFields:
    """Which edge ids the operation's list schema has, and which of them it requires."""

    present: frozenset[str] = frozenset({"first_id", "last_id"})
    required: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Walk:
    """The pages of one walk, in the order fetched, and why it stopped."""

    pages: tuple[Exchange, ...]
    limit: int | None
    page_cap: int
    stopped_early: bool = False  # the suite stopped once it had seen what it needed

    def items(self) -> list[dict[str, Any]]:
        return [
            item
            for page in self.pages
            if page.status == 200 and page.is_json and isinstance(page.json(), dict)
            for item in (page.json().get("data") or [])
            if isinstance(item, dict)
        ]

    def ids(self) -> list[str]:
        return [str(item.get("id")) for item in self.items()]


def _ids(data: list[Any]) -> list[Any]:
    return [item.get("id") if isinstance(item, dict) else None for item in data]


@check(
    title=(
        "A page: `data` of at most `limit` items with ids, a boolean has_more, cursors "
        "naming its edges"
    ),
    impact=Impact.BREAKS_CLIENTS,
    reason=(
        "the SDKs' auto-pagination follows has_more and the last id: a wrong cursor or a "
        "missing array breaks the walk"
    ),
)
def page_shape(
    exchange: Exchange, *, limit: int | None, cursors: CursorFields = CursorFields()
) -> list[Failure]:
    """One 200 page: object "list", a `data` array of objects with ids, at most `limit` items,
    a boolean has_more, and first_id/last_id naming the page's edges (no id on an empty page)."""
    where = exchange.describe()
    if not exchange.is_json or not isinstance(exchange.json(), dict):
        return [Failure("page_shape", f"{where}: the page is not a JSON object", where="body")]
    body = exchange.json()
    failures = object_value(body, "list")
    data = body.get("data")
    if not isinstance(data, list):
        failures.append(
            Failure(
                "page_shape", f"{where}: `data` must be an array, got {data!r:.60}", where="data"
            )
        )
        return failures
    ids = _ids(data)
    if any(not isinstance(i, str) or not i for i in ids):
        failures.append(
            Failure(
                "page_shape", f"{where}: every item of `data` needs a string id", where="data[].id"
            )
        )
    if limit is not None and len(data) > limit:
        failures.append(
            Failure(
                "page_size",
                f"{where}: the page has {len(data)} items, more than limit={limit}",
                where="data",
                expected=f"<= {limit}",
                found=str(len(data)),
            )
        )
    if not isinstance(body.get("has_more"), bool):
        found = body.get("has_more", "nothing")
        failures.append(
            Failure(
                "page_shape",
                f"{where}: `has_more` must be a boolean, got {found!r:.40}",
                where="has_more",
                expected="boolean",
                found=repr(found)[:40],
            )
        )
    for name, index in (("first_id", 0), ("last_id", -1)):
        if name not in cursors.present:
            continue
        if name not in body:
            if data and name in cursors.required:
                failures.append(Failure("page_cursor", f"{where}: `{name}` is missing", where=name))
            continue
        value = body[name]
        if not data:
            if value not in _EMPTY_CURSORS:
                failures.append(
                    Failure(
                        "page_cursor",
                        f"{where}: an empty page has {name}={value!r:.60}; it must name no "
                        "object (null), or a client follows an id that is not on the page",
                        where=name,
                        expected="null",
                        found=repr(value)[:60],
                    )
                )
        elif value != ids[index]:
            edge = "first" if index == 0 else "last"
            failures.append(
                Failure(
                    "page_cursor",
                    f"{where}: {name} is {value!r:.60}, but the page's {edge} item is "
                    f"{ids[index]!r:.60}",
                    where=name,
                    expected=repr(ids[index])[:60],
                    found=repr(value)[:60],
                )
            )
    return failures


@check(
    title="Following has_more and the last id reaches a last page",
    impact=Impact.BREAKS_CLIENTS,
    reason="an SDK's auto-pagination loop never ends",
)
def walk_ended(walk: Walk) -> list[Failure]:
    """The walk reached a page with has_more false within the page cap."""
    if walk.stopped_early or not walk.pages:
        return []
    last = walk.pages[-1]
    body = last.json() if last.is_json else None
    if isinstance(body, dict) and body.get("has_more") is True and len(walk.pages) >= walk.page_cap:
        return [
            Failure(
                "walk_ended",
                f"walk did not end after {walk.page_cap} pages: has_more stayed true "
                f"(limit={walk.limit}, {len(walk.ids())} items listed, "
                f"{len(set(walk.ids()))} distinct)",
                where="has_more",
                expected="false",
                found="true",
            )
        ]
    return []


@check(
    title="has_more is true exactly when more items follow",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="a walk stops early and loses items, or asks for a page that is empty",
)
def has_more_exact(walk: Walk, expected: Collection[str]) -> list[Failure]:
    """has_more is true exactly when more items follow: never followed by an empty page, and
    never false while items this run created have not been listed yet."""
    failures = []
    pages = [p for p in walk.pages if p.status == 200 and p.is_json and isinstance(p.json(), dict)]
    for number, (page, following) in enumerate(pairwise(pages), start=1):
        if page.json().get("has_more") is True and not following.json().get("data"):
            failures.append(
                Failure(
                    "has_more",
                    f"page {number} said has_more true, but the next page "
                    f"({following.request.url}) is empty",
                    where="has_more",
                    expected="false",
                    found="true",
                )
            )
    if walk.stopped_early or not pages:
        return failures
    final = pages[-1].json()
    if final.get("has_more") is True and not final.get("data") and len(pages) < walk.page_cap:
        failures.append(
            Failure(
                "has_more",
                f"page {len(pages)} said has_more true but has no items to continue after",
                where="has_more",
                expected="false",
                found="true",
            )
        )
    if final.get("has_more") is not False:
        return failures
    missing = [i for i in expected if i not in set(walk.ids())]
    if missing:
        last = pages[-1].json().get("data") or []
        failures.append(
            Failure(
                "has_more",
                f"page {len(pages)} ({len(last)} items, limit={walk.limit}) said has_more false, "
                f"but {len(missing)} items this run created were never listed "
                f"(e.g. {missing[0]!r})",
                where="has_more",
                expected="true",
                found="false",
            )
        )
    return failures


@check(
    title="A walk over the pages lists each existing item once and no deleted one",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="items are repeated, lost or resurrected across pages",
)
def visits_each_once(
    ids: Sequence[str], expected: Collection[str], gone: Collection[str] = (), *, what: str = "walk"
) -> list[Failure]:
    """Of the items this run knows (`expected` exist, `gone` were deleted), the walk lists each
    existing one exactly once and none of the deleted ones; other items are ignored."""
    known = set(expected) | set(gone)
    counts = Counter(i for i in ids if i in known)
    failures = []
    duplicates = sorted(i for i, n in counts.items() if n > 1)
    if duplicates:
        failures.append(
            Failure(
                "walk_duplicates",
                f"the {what} listed {len(duplicates)} items more than once "
                f"(e.g. {duplicates[0]!r} {counts[duplicates[0]]} times)",
                where="data[].id",
            )
        )
    missing = sorted(i for i in expected if i not in counts)
    if missing:
        failures.append(
            Failure(
                "walk_omissions",
                f"the {what} never listed {len(missing)} of the {len(set(expected))} items this "
                f"run created (e.g. {missing[0]!r})",
                where="data[].id",
            )
        )
    resurrected = sorted(i for i in gone if i in counts)
    if resurrected:
        failures.append(
            Failure(
                "walk_deleted_listed",
                f"the {what} listed {len(resurrected)} items this run deleted "
                f"(e.g. {resurrected[0]!r})",
                where="data[].id",
            )
        )
    return failures


@check(
    title="Items come sorted by created_at in the requested order",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the order parameter or the documented sort was ignored",
)
def created_at_ordered(items: Sequence[dict[str, Any]], order: str, *, field: str) -> list[Failure]:
    """Items come sorted by `field` (created_at) in the requested order."""
    descending = order == "desc"
    for earlier, later in pairwise(items):
        a, b = earlier.get(field), later.get(field)
        if not isinstance(a, int | float) or not isinstance(b, int | float):
            continue
        if (a < b) if descending else (a > b):
            return [
                Failure(
                    "list_order",
                    f"order={order}: {later.get('id')!r} ({field} {b}) is listed after "
                    f"{earlier.get('id')!r} ({field} {a})",
                    where=f"data[].{field}",
                )
            ]
    return []


@check(
    title="Two listings of the same items agree on their order",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="an unstable order makes cursors skip or repeat items",
)
def same_sequence(found: Sequence[str], reference: Sequence[str], *, what: str) -> list[Failure]:
    """Two listings of the same items agree on their order (a stable tie-break)."""
    if list(found) == list(reference):
        return []
    first = next(
        (n for n, (a, b) in enumerate(zip(found, reference, strict=False)) if a != b),
        min(len(found), len(reference)),
    )
    return [
        Failure(
            "list_order",
            f"{what}: the order is not stable; the sequences differ from position {first} "
            f"({list(found)[first : first + 3]} vs {list(reference)[first : first + 3]}); items "
            "with equal created_at must keep one tie-break order",
            where="data[].id",
        )
    ]


@check(
    title="order=asc lists the items of order=desc in reverse",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the order parameter was ignored",
)
def reversed_sequence(ascending: Sequence[str], descending: Sequence[str]) -> list[Failure]:
    """order=asc lists the same items as order=desc, in exactly the reverse order."""
    if list(ascending) == list(reversed(descending)):
        return []
    if set(ascending) != set(descending):
        return [
            Failure(
                "list_order",
                f"order=asc and order=desc list different items ({len(set(ascending))} vs "
                f"{len(set(descending))} of this run's items)",
                where="data[].id",
            )
        ]
    return same_sequence(
        list(ascending), list(reversed(descending)), what="order=asc against reversed order=desc"
    )


@check(
    title="A limit outside the documented range gets 400",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the limit bounds are not enforced, or refused with the wrong status",
)
def limit_rejected(exchange: Exchange, value: str) -> list[Failure]:
    """A limit outside the documented range (or not an integer) gets 400 with the envelope."""
    if exchange.status == 400:
        return error_envelope(exchange)
    if 200 <= exchange.status < 300:
        found = f"{exchange.status}: the limit was accepted"
    else:
        found = str(exchange.status)
    return [
        Failure(
            "limit_bounds",
            f"{exchange.describe()}: limit={value!r} is out of range, expected 400 with the "
            f"error envelope, got {found}",
            where="status",
            expected="400",
            found=str(exchange.status),
        )
    ]


@check(
    title="An `after` cursor naming no object gets a 4xx or an empty last page",
    impact=Impact.BREAKS_CLIENTS,
    reason="an ignored cursor serves the first page again, and an SDK's walk never ends",
)
def unknown_cursor(exchange: Exchange, cursor: str) -> list[Failure]:
    """An `after` id that names no object: a 4xx with the envelope, or an empty last page."""
    where = exchange.describe()
    if 400 <= exchange.status < 500:
        return error_envelope(exchange)
    if exchange.status == 200 and exchange.is_json and isinstance(exchange.json(), dict):
        body = exchange.json()
        data = body.get("data")
        if data == [] and body.get("has_more") is False:
            return []
        count = len(data) if isinstance(data, list) else "no"
        return [
            Failure(
                "unknown_cursor",
                f"{where}: after={cursor!r} names no object, yet the answer is a page with "
                f"{count} items (has_more {body.get('has_more')!r}); the cursor was ignored. "
                "Expected 400 with the error envelope (or an empty last page)",
                where="data",
                expected="[]",
                found=f"{count} items",
            )
        ]
    return [
        Failure(
            "unknown_cursor",
            f"{where}: after={cursor!r} names no object; expected 400 with the error envelope, "
            f"got {exchange.status} with {exchange.body_excerpt()}",
            where="status",
            expected="400",
            found=str(exchange.status),
        )
    ]


@check(
    title="A filtered listing holds only items that match the filter",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the filter parameter was ignored",
)
def filtered_by(items: Sequence[dict[str, Any]], field: str, value: str) -> list[Failure]:
    """A filtered listing (e.g. purpose=batch) has only items whose `field` is `value`."""
    wrong = [item for item in items if item.get(field) != value]
    if not wrong:
        return []
    return [
        Failure(
            "list_filter",
            f"{field}={value!r} filter: {len(wrong)} listed items have another {field} "
            f"(e.g. {wrong[0].get('id')!r} with {wrong[0].get(field)!r})",
            where=f"data[].{field}",
            expected=value,
        )
    ]
