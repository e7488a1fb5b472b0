"""The mock's cursor pagination: the OpenAI list contract, walked as clients walk it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oaiconform.mock.errors import APIError
from oaiconform.mock.pagination import (
    BATCHES,
    FILES,
    INPUT_ITEMS,
    ListContract,
    PageRequest,
    paginate,
    parse_page_request,
)

CONTRACT = ListContract(default_limit=20, max_limit=100, default_order="asc", has_before=True)

Entry = tuple[tuple[Any, ...], dict[str, Any]]
NOWHERE: dict[str, tuple[Any, ...]] = {}  # no cursor is known


def entries_of(created: list[int]) -> list[Entry]:
    """Objects with possibly equal timestamps; ids are unique."""
    out = []
    for index, stamp in enumerate(created):
        obj_id = f"obj-{index:04d}"
        out.append(((stamp, obj_id), {"id": obj_id, "created_at": stamp}))
    return out


def walk(entries: list[Entry], limit: int, order: str) -> list[str]:
    positions = {obj["id"]: key for key, obj in entries}
    seen: list[str] = []
    after = None
    for _ in range(len(entries) + 2):
        page = paginate(
            entries,
            PageRequest(limit=limit, order="asc" if order == "asc" else "desc", after=after),
            positions.get,
        )
        seen += [obj["id"] for obj in page["data"]]
        if not page["has_more"]:
            return seen
        after = page["last_id"]
    raise AssertionError("the walk did not end")


@given(
    created=st.lists(st.integers(min_value=0, max_value=5), max_size=40),
    limit=st.integers(min_value=1, max_value=7),
    order=st.sampled_from(["asc", "desc"]),
)
def test_walking_with_after_visits_each_item_exactly_once_in_order(
    created: list[int], limit: int, order: str
) -> None:
    entries = entries_of(created)
    expected = [obj["id"] for _, obj in sorted(entries, key=lambda e: e[0])]
    if order == "desc":
        expected.reverse()
    assert walk(entries, limit, order) == expected


@given(
    created=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=30),
    limit=st.integers(min_value=1, max_value=5),
    data=st.data(),
)
def test_before_returns_the_items_just_before_the_cursor(
    created: list[int], limit: int, data: st.DataObject
) -> None:
    entries = entries_of(created)
    ordered = [obj["id"] for _, obj in sorted(entries, key=lambda e: e[0])]
    cursor_index = data.draw(st.integers(min_value=0, max_value=len(ordered) - 1))
    positions = {obj["id"]: key for key, obj in entries}
    page = paginate(
        entries,
        PageRequest(limit=limit, order="asc", before=ordered[cursor_index]),
        positions.get,
    )
    expected = ordered[max(0, cursor_index - limit) : cursor_index]
    assert [o["id"] for o in page["data"]] == expected
    assert page["has_more"] == (cursor_index - limit > 0)


def test_a_deleted_cursor_still_marks_its_place() -> None:
    entries = entries_of([1, 2, 3, 4])
    positions = {obj["id"]: key for key, obj in entries}
    remaining = [e for e in entries if e[1]["id"] != "obj-0001"]
    page = paginate(remaining, PageRequest(limit=10, order="asc", after="obj-0001"), positions.get)
    assert [o["id"] for o in page["data"]] == ["obj-0002", "obj-0003"]


def test_page_fields_and_empty_page() -> None:
    entries = entries_of([5, 6, 7])
    page = paginate(entries, PageRequest(limit=2, order="desc"), NOWHERE.get)
    assert page == {
        "object": "list",
        "data": [{"id": "obj-0002", "created_at": 7}, {"id": "obj-0001", "created_at": 6}],
        "first_id": "obj-0002",
        "last_id": "obj-0001",
        "has_more": True,
    }
    empty = paginate([], PageRequest(limit=2, order="asc"), NOWHERE.get)
    assert (empty["data"], empty["first_id"], empty["last_id"]) == ([], None, None)
    valid = paginate([], PageRequest(limit=2, order="asc", empty_cursor=""), NOWHERE.get)
    assert (valid["first_id"], valid["last_id"], valid["has_more"]) == ("", "", False)


def test_unknown_cursor_is_a_400_naming_after() -> None:
    with pytest.raises(APIError) as caught:
        paginate(entries_of([1]), PageRequest(limit=1, order="asc", after="nope"), NOWHERE.get)
    assert (caught.value.status, caught.value.param) == (400, "after")


def test_defaults_follow_the_operation_contract() -> None:
    assert parse_page_request({}, FILES) == PageRequest(10_000, "desc", empty_cursor="")
    assert parse_page_request({}, BATCHES) == PageRequest(20, "desc", empty_cursor="")
    assert parse_page_request({}, INPUT_ITEMS) == PageRequest(20, "desc", empty_cursor="")
    # `order` and `before` are ignored where the operation has no such parameter.
    assert parse_page_request({"order": "asc", "before": "x"}, BATCHES).order == "desc"
    assert parse_page_request({"limit": "5", "order": "asc", "after": "a"}, CONTRACT) == (
        PageRequest(limit=5, order="asc", after="a", empty_cursor="")
    )


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "-3"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "2.5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"order": "up"}, "order"),
        ({"after": "a", "before": "b"}, "before"),
    ],
)
def test_out_of_contract_parameters_are_a_400_naming_them(
    query: dict[str, str], param: str
) -> None:
    with pytest.raises(APIError) as caught:
        parse_page_request(query, CONTRACT)
    assert (caught.value.status, caught.value.param) == (400, param)


def test_files_accept_the_documented_maximum() -> None:
    assert parse_page_request({"limit": "10000"}, FILES).limit == 10_000
    with pytest.raises(APIError):
        parse_page_request({"limit": "10001"}, FILES)
