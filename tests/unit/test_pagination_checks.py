"""The pagination checks on hand-built pages: each passes a conforming one, names each defect."""

from __future__ import annotations

import json
from typing import Any

from oaiconform.checks import Failure
from oaiconform.checks.pagination import (
    CursorFields,
    Walk,
    created_at_ordered,
    filtered_by,
    has_more_exact,
    limit_rejected,
    page_shape,
    reversed_sequence,
    same_sequence,
    unknown_cursor,
    visits_each_once,
    walk_ended,
)
from oaiconform.exchange import Exchange, RecordedRequest

ENVELOPE = {
    "error": {"message": "bad", "type": "invalid_request_error", "param": "limit", "code": None}
}
REQUIRED = CursorFields(required=frozenset({"first_id", "last_id"}))


def exchange(status: int, body: Any, *, url: str = "http://127.0.0.1/v1/files") -> Exchange:
    return Exchange(
        RecordedRequest("GET", url),
        status,
        (("content-type", "application/json"),),
        json.dumps(body).encode(),
    )


def items(*ids: str, created_at: int = 1) -> list[dict[str, Any]]:
    return [{"id": i, "created_at": created_at} for i in ids]


def page(*ids: str, has_more: bool = False, **fields: Any) -> Exchange:
    data = items(*ids)
    body = {
        "object": "list",
        "data": data,
        "first_id": ids[0] if ids else None,
        "last_id": ids[-1] if ids else None,
        "has_more": has_more,
        **fields,
    }
    return exchange(200, body)


def text(failures: list[Failure]) -> str:
    return " | ".join(f.message for f in failures)


def test_a_conforming_page_passes() -> None:
    assert page_shape(page("a", "b", has_more=True), limit=2, cursors=REQUIRED) == []


def test_a_page_names_each_defect() -> None:
    bad = exchange(
        200,
        {"object": "lists", "data": items("a", "b", "c"), "first_id": "a", "last_id": "b"},
    )
    found = text(page_shape(bad, limit=2, cursors=REQUIRED))
    assert "`object` must be \"list\", got 'lists'" in found
    assert "the page has 3 items, more than limit=2" in found
    assert "`has_more` must be a boolean, got 'nothing'" in found
    assert "last_id is 'b', but the page's last item is 'c'" in found
    assert text(page_shape(exchange(200, [1]), limit=None)).endswith("is not a JSON object")
    no_data = exchange(200, {"object": "list", "data": {"a": 1}, "has_more": False})
    assert "`data` must be an array" in text(page_shape(no_data, limit=None))


def test_missing_edge_ids_fail_only_where_the_schema_requires_them() -> None:
    body = {"object": "list", "data": items("a"), "has_more": False}
    assert "`first_id` is missing" in text(
        page_shape(exchange(200, body), limit=5, cursors=REQUIRED)
    )
    assert page_shape(exchange(200, body), limit=5, cursors=CursorFields()) == []
    assert page_shape(exchange(200, body), limit=5, cursors=CursorFields(frozenset())) == []


def test_an_empty_page_may_name_no_object_but_never_an_id() -> None:
    for cursor in (None, ""):
        assert page_shape(page(first_id=cursor, last_id=cursor), limit=5, cursors=REQUIRED) == []
    absent = exchange(200, {"object": "list", "data": [], "has_more": False})
    assert page_shape(absent, limit=5, cursors=REQUIRED) == []
    leaky = page(first_id="file-x", last_id="file-y")
    assert "an empty page has first_id='file-x'" in text(page_shape(leaky, limit=5))


def test_a_walk_that_never_ends_is_named() -> None:
    stuck = Walk(tuple(page("a", has_more=True) for _ in range(3)), limit=1, page_cap=3)
    assert "walk did not end after 3 pages: has_more stayed true" in text(walk_ended(stuck))
    assert "(limit=1, 3 items listed, 1 distinct)" in text(walk_ended(stuck))
    ended = Walk((page("a", has_more=True), page("b")), limit=1, page_cap=3)
    assert walk_ended(ended) == []
    assert walk_ended(Walk(stuck.pages, limit=1, page_cap=3, stopped_early=True)) == []


def test_has_more_is_true_exactly_when_items_follow() -> None:
    good = Walk((page("a", "b", has_more=True), page("c")), limit=2, page_cap=50)
    assert has_more_exact(good, {"a", "b", "c"}) == []
    too_eager = Walk((page("a", "b", has_more=True), page()), limit=2, page_cap=50)
    assert "page 1 said has_more true, but the next page" in text(has_more_exact(too_eager, {"a"}))
    too_shy = Walk((page("a", "b"),), limit=2, page_cap=50)
    found = text(has_more_exact(too_shy, {"a", "b", "c"}))
    assert "page 1 (2 items, limit=2) said has_more false, but 1 items this run created" in found
    dead_end = Walk((page(has_more=True),), limit=2, page_cap=50)
    assert "has_more true but has no items" in text(has_more_exact(dead_end, set()))


def test_a_walk_visits_each_known_item_exactly_once() -> None:
    assert visits_each_once(["x", "a", "b", "y"], {"a", "b"}, {"c"}) == []
    found = text(visits_each_once(["a", "a", "c"], {"a", "b"}, {"c"}))
    assert "the walk listed 1 items more than once (e.g. 'a' 2 times)" in found
    assert "the walk never listed 1 of the 2 items this run created (e.g. 'b')" in found
    assert "the walk listed 1 items this run deleted (e.g. 'c')" in found


def test_items_follow_the_requested_created_at_order() -> None:
    rising = [{"id": "a", "created_at": 1}, {"id": "b", "created_at": 2}]
    assert created_at_ordered(rising, "asc", field="created_at") == []
    found = text(created_at_ordered(rising, "desc", field="created_at"))
    assert "order=desc: 'b' (created_at 2) is listed after 'a' (created_at 1)" in found
    ties = [{"id": "b", "created_at": 1}, {"id": "a", "created_at": 1}]
    assert created_at_ordered(ties, "asc", field="created_at") == []


def test_listings_of_the_same_items_agree_on_their_order() -> None:
    assert same_sequence(["a", "b"], ["a", "b"], what="w") == []
    assert "w: the order is not stable" in text(same_sequence(["b", "a"], ["a", "b"], what="w"))
    assert reversed_sequence(["a", "b", "c"], ["c", "b", "a"]) == []
    found = text(reversed_sequence(["a", "b", "c"], ["c", "a", "b"]))
    assert "order=asc against reversed order=desc: the order is not stable" in found
    assert "list different items" in text(reversed_sequence(["a"], ["b"]))


def test_out_of_range_limits_need_400_with_the_envelope() -> None:
    assert limit_rejected(exchange(400, ENVELOPE), "0") == []
    accepted = text(limit_rejected(page("a"), "0"))
    assert "limit='0' is out of range, expected 400 with the error envelope" in accepted
    assert "got 200: the limit was accepted" in accepted
    assert "got 500" in text(limit_rejected(exchange(500, ENVELOPE), "-1"))
    assert "error.message is missing" in text(limit_rejected(exchange(400, {"error": {}}), "x"))


def test_an_unknown_cursor_is_an_error_or_an_empty_page() -> None:
    assert unknown_cursor(exchange(400, ENVELOPE), "file-x") == []
    assert unknown_cursor(page(), "file-x") == []
    ignored = text(unknown_cursor(page("a", has_more=True), "file-x"))
    assert "after='file-x' names no object, yet the answer is a page with 1 items" in ignored
    assert "the cursor was ignored" in ignored
    assert "got 500" in text(unknown_cursor(exchange(500, ENVELOPE), "file-x"))
    assert "found a FastAPI-style" in text(unknown_cursor(exchange(404, {"detail": "x"}), "f"))


def test_a_filter_lists_only_matching_items() -> None:
    listed = [{"id": "a", "purpose": "batch"}, {"id": "b", "purpose": "assistants"}]
    assert filtered_by(listed[:1], "purpose", "batch") == []
    found = text(filtered_by(listed, "purpose", "batch"))
    assert "purpose='batch' filter: 1 listed items have another purpose" in found
    assert "(e.g. 'b' with 'assistants')" in found
