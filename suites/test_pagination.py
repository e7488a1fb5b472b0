"""Cursor pagination (`pagination.<resource>`): walks over list operations against a model.

Each test creates its own items (files named `oaiconform-<run id>-...`, a bounded number per
test), walks the listing as the SDKs do (after = last_id until has_more is false) and judges the
walk against what it created; items it did not create are ignored (their pages are still judged
for shape), so a shared real account works. Everything created is deleted at the end, also after
a failure or Ctrl-C (fixture teardown), and counted in the run's ledger (cleanup.py).

A target that already holds data (thousands of files, other runs' batches) gets the same
verdicts, for about the same number of requests, as an empty one: every walk is bounded by the
run's own items. It stops at the natural end (has_more false) or, once each of the run's items
was listed, at the first item listed after them that is not the run's; an ascending walk
starts after the newest item older than the run's (found on one `limit=100` page in
descending order), never at the oldest item of the account.

Hypothesis chooses counts, limits and orders; it does not shrink (a failing example is reported
as found), so a faulty server never costs more requests than a correct one.

Requests stay few on a real target: fewer examples, walks in the default (newest first) order,
and batches (which cost money) only on the embedded mock or with the `full` profile.

Decisions, with their evidence:
- Empty page: the pinned description types first_id/last_id as strings (required for files,
  optional for batches), the live API sends null, the mock sends "" for files and omits them
  for batches. Accepted: null, "" or (where the schema does not require them) absent; an id on
  an empty page fails, since a client follows it (LiteLLM shipped exactly that, issue #36087).
- Unknown `after` cursor: the description documents no error for the list operations; the
  mock answers 400 naming `after` (param "after"). Accepted: a 4xx with the error envelope, or
  an empty page with has_more false. A page of items fails: the cursor was ignored, and a
  client's walk would never end.
- Limit bounds: the description states them in prose ("between 1 and 10,000"), not in the
  parameter schema; they are read from the prose when the schema has none.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyReplay, FlakyStrategyDefinition
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from oaiconform.checks import ConformanceError, Failure, expect
from oaiconform.checks.files import multipart_body
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.pagination import (
    INPUT_ORDER,
    SDK_WALK,
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
from oaiconform.cleanup import ObjectLedger, delete_object, run_metadata, settle_batch
from oaiconform.pinning import pinned
from oaiconform.plugin import require_route
from oaiconform.settings import Settings
from oaiconform.spec import ListOperation, Spec, list_operations
from oaiconform.target import Target

PAGE_CAP = 50  # a walk stops here, so has_more stuck at true cannot loop forever
MAX_ITEMS = 12  # items one example creates
_BOUNDS = re.compile(r"between\s+(\d[\d,]*)\s+and\s+(\d[\d,]*)")
_DEFAULT_ORDER = re.compile(r"[Dd]efaults? (?:is|to) `(asc|desc)`")
_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def examples(target: Target, local: int, remote: int = 1) -> hypothesis_settings:
    return hypothesis_settings(
        database=None,
        max_examples=local if target.is_loopback else remote,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=_HEALTH,
    )


class Contract:
    """What the description says of one list operation, prose included."""

    def __init__(self, spec: Spec, resource: str) -> None:
        found = [op for op in list_operations(spec) if op.resource == resource]
        if not found:
            pytest.fail(f"the description has no cursor-paginated list of {resource}", False)
        self.op: ListOperation = found[0]
        params = {
            p["name"]: p for p in (spec.deref(r) for r in self.op.operation.raw["parameters"])
        }
        limit_text = params["limit"].get("description") or ""
        prose = _BOUNDS.search(limit_text)
        low, high = (int(g.replace(",", "")) for g in prose.groups()) if prose else (None, None)
        self.min_limit = self.op.min_limit if self.op.min_limit is not None else low or 1
        self.max_limit = self.op.max_limit if self.op.max_limit is not None else high
        order_text = (params.get("order") or {}).get("description") or ""
        documented = _DEFAULT_ORDER.search(order_text)
        self.default_order = self.op.default_order or (documented.group(1) if documented else None)
        pointer = spec.response_schema_pointer(self.op.operation.operation_id, 200) or ""
        node: Any = spec.document
        for token in pointer.lstrip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        required = frozenset(spec.deref(node).get("required") or ())
        present = self.op.response_fields & {"first_id", "last_id"}
        self.cursors = CursorFields(frozenset(present), required & present)

    def bad_limits(self) -> list[str]:
        values = [str(self.min_limit - 1), "-1", "ten"]
        if self.max_limit is not None:
            values.insert(1, str(self.max_limit + 1))
        return list(dict.fromkeys(values))


def past_mine(ids: Sequence[str], mine: Collection[str]) -> bool:
    """Each of the run's items was listed, and then an item that is not the run's: the rest
    of the listing (other tenants', older runs' objects) cannot hold anything the run judges."""
    missing = set(mine)
    for item_id in ids:
        if item_id in missing:
            missing.discard(item_id)
        elif not missing:
            return True
    return False


def walk(
    target: Target,
    path: str,
    *,
    limit: int,
    order: str | None = None,
    params: dict[str, str] | None = None,
    until_seen: Collection[str] | None = None,
    after: str | None = None,
) -> Walk:
    """Follow after = last_id (else the last item's id, as the SDKs do) until has_more is false,
    at most PAGE_CAP pages, starting `after` an item when given; with `until_seen`, stop once
    those ids were all listed and an item that is not one of them followed (see `past_mine`)."""
    pages = []
    ids: list[str] = []
    for _ in range(PAGE_CAP):
        query: dict[str, Any] = {**(params or {}), "limit": limit}
        if order is not None:
            query["order"] = order
        if after is not None:
            query["after"] = after
        page = require_route(target.get(path, params=query))
        pages.append(page)
        body = page.json() if page.status == 200 and page.is_json else None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(data, list):
            break
        ids += [str(item.get("id")) for item in data if isinstance(item, dict)]
        if until_seen is not None and past_mine(ids, until_seen):
            return Walk(tuple(pages), limit, PAGE_CAP, stopped_early=True)
        if body.get("has_more") is not True or not data:
            break
        last_id = body.get("last_id")
        after = last_id if isinstance(last_id, str) and last_id else str(data[-1].get("id"))
    return Walk(tuple(pages), limit, PAGE_CAP)


def anchor(
    target: Target, path: str, mine: Collection[str], params: dict[str, str] | None = None
) -> str | None:
    """The newest item older than each of the run's (None when there is none): an ascending
    walk `after` it meets the run's items at once, however much older data the account holds.
    Found on `limit=100` pages in descending order, which list the run's (newest) items first."""
    probe = walk(target, path, limit=100, order="desc", params=params, until_seen=mine)
    missing = set(mine)
    for item_id in probe.ids():
        if item_id in missing:
            missing.discard(item_id)
        elif not missing:
            return item_id
    return None


def bounded_walk(
    target: Target,
    path: str,
    mine: Collection[str],
    *,
    limit: int,
    order: str | None,
    default_order: str | None,
    params: dict[str, str] | None = None,
) -> Walk:
    """A walk over the run's items only: an ascending one starts at `anchor`."""
    start = anchor(target, path, mine, params) if (order or default_order) == "asc" else None
    return walk(target, path, limit=limit, order=order, params=params, until_seen=mine, after=start)


def limits_refused(target: Target, path: str, values: list[str]) -> list[Failure]:
    """Each limit out of range asked for: independent probes, sent together."""
    outcomes = target.send_together(
        [functools.partial(target.get, path, params={"limit": value}) for value in values]
    )
    failures = []
    for value, outcome in zip(values, outcomes, strict=False):  # serially: up to an error
        if outcome.error is not None:
            raise outcome.error
        failures += limit_rejected(require_route(outcome.value), value)
    return failures


def _first_two_of_each(failures: list[Failure]) -> list[Failure]:
    kept: dict[str, list[Failure]] = {}
    for failure in failures:
        kept.setdefault(failure.rule, [])
        if len(kept[failure.rule]) < 2:
            kept[failure.rule].append(failure)
    return [f for group in kept.values() for f in group]


def judge(
    walk: Walk,
    contract: Contract,
    *,
    expected: set[str],
    gone: set[str] | frozenset[str] = frozenset(),
    order: str | None = None,
    field: str = "created_at",
) -> list[Failure]:
    """Every check of one walk: each page's shape, the end, has_more, once-each and order."""
    failures = [f for page in walk.pages for f in status_code_is(page, 200)]
    if failures:
        return failures[:1]
    for page in walk.pages:
        failures += page_shape(page, limit=walk.limit, cursors=contract.cursors)
    failures += walk_ended(walk) + has_more_exact(walk, expected)
    failures += visits_each_once(walk.ids(), expected, gone, what=f"walk (limit={walk.limit})")
    if order is not None:  # of the run's items only: other items may be listed in between
        known = set(expected) | set(gone)
        items = [item for item in walk.items() if str(item.get("id")) in known]
        failures += created_at_ordered(items, order, field=field)
    return _first_two_of_each(failures)


class Files:
    """The files one test created, at most `cap` of them; whatever is left is deleted at the end."""

    def __init__(self, target: Target, settings: Settings, ledger: ObjectLedger, cap: int) -> None:
        self.target, self.settings, self.ledger, self.cap = target, settings, ledger, cap
        self.run_id = ledger.run_id
        self.live: dict[str, dict[str, Any]] = {}
        self.created = 0

    def create(self, purpose: str = "batch") -> dict[str, Any]:
        body, headers = self._upload(purpose)
        exchange = require_route(self.target.post("files", content=body, headers=headers))
        expect(status_code_is(exchange, 200), json_object_body(exchange))
        created: dict[str, Any] = exchange.json()
        self.live[str(created.get("id"))] = created
        self.ledger.created("file", str(created.get("id")))
        return created

    def create_many(self, count: int, purpose: str = "batch") -> list[dict[str, Any]]:
        """`count` uploads, one after the other even with --concurrency: the order in which
        a server gives out ids and timestamps is what a walk's tie-break observes, and
        concurrent uploads change it (a tie-order defect then shows in other tests than in
        a serial run; measured with the mock's `unstable-order`)."""
        return [self.create(purpose) for _ in range(count)]

    def _upload(self, purpose: str) -> tuple[bytes, dict[str, str]]:
        """One upload's multipart body and headers, numbered in the order asked for."""
        if self.created >= self.cap:
            raise RuntimeError(f"the test would create more than {self.cap} files")
        self.created += 1
        line = {
            "custom_id": f"{self.run_id}-{self.created}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": pinned(
                self.settings,
                {
                    "model": self.settings.model,
                    "max_tokens": 1,
                    "messages": [{"role": "user", "content": "hi"}],
                },
            ),
        }
        data = (json.dumps(line) + "\n").encode()
        suffix = "jsonl" if purpose == "batch" else "txt"
        name = f"{self.run_id}-{self.created}.{suffix}"
        body, content_type = multipart_body({"purpose": purpose}, name, data, secrets.token_hex(12))
        return body, {"Content-Type": content_type}

    def delete(self, file_id: str) -> None:
        self.live.pop(file_id, None)
        deleted = self.target.request("DELETE", f"files/{file_id}")
        if deleted.status == 200:
            self.ledger.removed("file", file_id)
        expect(status_code_is(deleted, 200))

    def cleanup(self) -> None:
        """Every live file deleted, the deletes sent together (distinct objects)."""
        doomed, self.live = list(self.live), {}
        self.target.send_together(
            [functools.partial(delete_object, self.target, "file", f"files/{i}", i) for i in doomed]
        )


@pytest.fixture
def files(target: Target, settings: Settings, run_objects: ObjectLedger) -> Iterator[Files]:
    pool = Files(target, settings, run_objects, cap=60 if target.is_loopback else 12)
    try:
        yield pool
    finally:
        pool.cleanup()


@pytest.fixture
def files_contract(spec: Spec) -> Contract:
    return Contract(spec, "files")


@pytest.mark.feature("pagination.files")
def test_a_walk_over_files_lists_each_created_file_once_in_order(
    target: Target, files: Files, files_contract: Contract
) -> None:
    """However many files exist and whatever the limit and order, after = last_id visits each
    created file exactly once, pages hold at most `limit`, and has_more is false only at the end."""
    orders = [None, "desc", "asc"] if target.is_loopback else [None, "desc"]

    @examples(target, local=5)
    @example(count=5, limit=2, order="desc")  # always: a walk of several full pages
    @given(
        count=st.integers(0, MAX_ITEMS if target.is_loopback else 3),
        limit=st.integers(1, 5),
        order=st.sampled_from(orders),
    )
    def check(count: int, limit: int, order: str | None) -> None:
        mine = {created["id"] for created in files.create_many(count)}
        try:
            default = files_contract.default_order
            result = bounded_walk(
                target, "files", mine, limit=limit, order=order, default_order=default
            )
            effective = order or default
            expect(judge(result, files_contract, expected=mine, order=effective))
        finally:
            files.cleanup()

    check()


@pytest.mark.feature("pagination.files")
def test_file_order_is_stable_and_asc_reverses_desc(
    target: Target, files: Files, files_contract: Contract
) -> None:
    """Files created within the same second keep one tie-break order: a walk with limit 2 lists
    them as one page does, and order=asc (from the file just older than them) is the reverse."""
    mine = [created["id"] for created in files.create_many(6)]
    one_page = require_route(target.get("files", params={"order": "desc", "limit": 7}))
    expect(status_code_is(one_page, 200), page_shape(one_page, limit=7))
    listed = [str(item.get("id")) for item in one_page.json().get("data") or []]
    desc = [i for i in listed if i in mine]
    stepwise = walk(target, "files", limit=2, order="desc", until_seen=set(mine))
    expect(
        same_sequence([i for i in stepwise.ids() if i in mine], desc, what="a walk with limit 2")
    )
    older = [i for i in listed[len(desc) :] if i not in mine]
    params = {"order": "asc", "limit": 6, **({"after": older[0]} if older else {})}
    ascending = require_route(target.get("files", params=params))
    expect(status_code_is(ascending, 200), page_shape(ascending, limit=6))
    asc = [str(item.get("id")) for item in ascending.json().get("data") or []]
    expect(reversed_sequence([i for i in asc if i in mine], desc))


@pytest.mark.feature("pagination.files")
def test_file_limits_out_of_range_get_400(
    target: Target, files: Files, files_contract: Contract
) -> None:
    """limit 0, above the documented maximum, negative or not a number: 400 with the envelope."""
    files.create()
    expect(limits_refused(target, "files", files_contract.bad_limits()))


@pytest.mark.feature("pagination.files")
def test_an_unknown_file_cursor_is_refused(target: Target, files: Files) -> None:
    """after=<an id no file has> is an error (or an empty page), never the first page again."""
    files.create()
    cursor = f"file-{files.run_id}-unknown"
    exchange = require_route(target.get("files", params={"after": cursor, "limit": 2}))
    expect(unknown_cursor(exchange, cursor))


@pytest.mark.feature("pagination.files")
def test_the_purpose_filter_paginates_only_matching_files(
    target: Target, files: Files, files_contract: Contract
) -> None:
    """purpose=batch lists only batch files, and walks them like the unfiltered list."""
    batch = {created["id"] for created in files.create_many(3, "batch")}
    files.create_many(2, "assistants")
    result = walk(target, "files", limit=2, params={"purpose": "batch"}, until_seen=batch)
    expect(
        judge(result, files_contract, expected=batch, gone=frozenset()),
        filtered_by(result.items(), "purpose", "batch"),
    )


class FilesModel(RuleBasedStateMachine):
    """Creates, deletes and walks files in any interleaving; every walk agrees with the model."""

    def __init__(self, target: Target, files: Files, contract: Contract) -> None:
        super().__init__()
        self.target, self.files, self.contract = target, files, contract
        self.existing: set[str] = set()
        self.deleted: set[str] = set()
        self.failed: list[ConformanceError] = []  # every walk that failed, in any example

    @initialize(count=st.integers(2, 5))
    def start_with_files(self, count: int) -> None:
        self.existing |= {str(created["id"]) for created in self.files.create_many(count)}

    # The run-wide cap on uploads is checked inside the rule, not in its precondition: the
    # count grows across examples, and a precondition that reads it would make hypothesis draw
    # differently when it replays a failing example (FlakyStrategyDefinition, a tool error).
    @precondition(lambda self: len(self.existing) < 8)
    @rule()
    def create(self) -> None:
        if self.files.created < self.files.cap:
            self.existing.add(str(self.files.create()["id"]))

    @precondition(lambda self: bool(self.existing))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        file_id = data.draw(st.sampled_from(sorted(self.existing)), label="delete")
        self.files.delete(file_id)
        self.existing.discard(file_id)
        self.deleted.add(file_id)

    @rule(limit=st.integers(1, 3), order=st.sampled_from(["asc", "desc"]))
    def list_walk(self, limit: int, order: str) -> None:
        if not self.target.is_loopback:
            order = "desc"  # newest first: the run's files are on the first pages
        result = bounded_walk(
            self.target,
            "files",
            self.existing,
            limit=limit,
            order=order,
            default_order=self.contract.default_order,
        )
        try:
            expect(
                judge(result, self.contract, expected=self.existing, gone=self.deleted, order=order)
            )
        except ConformanceError as exc:
            self.failed.append(exc)
            raise

    def teardown(self) -> None:
        self.files.cleanup()


@pytest.mark.feature("pagination.files")
def test_interleaved_creates_deletes_and_walks_agree_with_a_model(
    target: Target, files: Files, files_contract: Contract
) -> None:
    """A state machine interleaves uploads, deletes and walks; each walk lists exactly the
    files the model says exist, and none of the deleted ones."""

    failed: list[ConformanceError] = []

    class Bound(FilesModel):
        def __init__(self) -> None:
            super().__init__(target, files, files_contract)
            self.failed = failed

    try:
        run_state_machine_as_test(
            Bound,
            settings=hypothesis_settings(
                examples(target, local=4),
                stateful_step_count=10 if target.is_loopback else 4,
            ),
        )
    except (FlakyStrategyDefinition, FlakyReplay) as exc:
        # A target whose answers differ between runs of the same steps (the ids it hands
        # out decide where a walk breaks) fails at another step when hypothesis replays the
        # failing example, and hypothesis calls that inconsistent generation. The target did
        # fail a walk: that failure is the verdict, not a tool error.
        if not failed:
            raise
        raise failed[0] from exc


@pytest.mark.feature("pagination.files")
@pytest.mark.requires("openai_sdk")
def test_sdk_auto_pagination_yields_the_walked_files(
    target: Target, files: Files, files_contract: Contract
) -> None:
    """The official SDK's `for f in client.files.list(limit=2)` yields the run's files in the
    order the walk lists them, and stops."""
    import openai

    mine = [created["id"] for created in files.create_many(5)]
    result = walk(target, "files", limit=2, until_seen=set(mine))
    expect(judge(result, files_contract, expected=set(mine)))
    api_key = target.api_key.reveal() if target.api_key is not None else "none"
    client = openai.OpenAI(base_url=target.base_url, api_key=api_key, max_retries=0)
    yielded: list[str] = []
    pages = 0
    try:
        for page in client.files.list(limit=2).iter_pages():
            target.budget.take()
            pages += 1
            yielded += [f.id for f in page.data]
            if pages >= PAGE_CAP or past_mine(yielded, mine):
                break
    except openai.APIError as exc:
        failed = f"the SDK's walk failed: {type(exc).__name__}: {exc}"
        expect([Failure("sdk_pagination", failed, where="body", check_id=SDK_WALK)])
    finally:
        client.close()
    if pages >= PAGE_CAP and not past_mine(yielded, mine):
        endless = f"the SDK's walk did not end after {PAGE_CAP} pages"
        expect([Failure("sdk_pagination", endless, where="has_more", check_id=SDK_WALK)])
    expect(
        same_sequence(
            [i for i in yielded if i in mine],
            [i for i in result.ids() if i in mine],
            what="the SDK's auto-pagination against the walk",
        )
    )


class Batches:
    """Batches over one small input file; at the end unfinished ones are cancelled and every
    file (input, outputs) deleted."""

    def __init__(self, target: Target, files: Files, cap: int) -> None:
        self.target, self.files, self.cap = target, files, cap
        self.ids: list[str] = []
        self.input_id: str | None = None

    def create(self) -> str:
        if len(self.ids) >= self.cap:
            raise RuntimeError(f"the test would create more than {self.cap} batches")
        if self.input_id is None:
            self.input_id = str(self.files.create("batch")["id"])
        request = {
            "input_file_id": self.input_id,
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
            "metadata": run_metadata(self.files.run_id),
        }
        exchange = require_route(self.target.post("batches", json=request))
        expect(status_code_is(exchange, 200), json_object_body(exchange))
        self.ids.append(str(exchange.json().get("id")))
        self.files.ledger.created("batch", self.ids[-1])
        return self.ids[-1]

    def cleanup(self) -> None:
        for batch_id in self.ids:
            settle_batch(self.target, batch_id)  # cancel if running, delete its output files
        self.files.cleanup()


@pytest.fixture
def batches(target: Target, files: Files) -> Iterator[Batches]:
    """Batches cost money on a real target: the tests using them need `paid_objects`."""
    pool = Batches(target, files, cap=24 if target.is_loopback else 6)
    try:
        yield pool
    finally:
        pool.cleanup()


@pytest.mark.feature("pagination.batches")
@pytest.mark.requires("paid_objects")
def test_a_walk_over_batches_lists_each_created_batch_once(
    target: Target, spec: Spec, batches: Batches
) -> None:
    """after = last_id visits every batch the run created exactly once, in the order one page
    lists them; pages hold at most `limit` and has_more is false only at the end."""
    contract = Contract(spec, "batches")

    @examples(target, local=3)
    @example(count=5, limit=2)  # always: a walk of several full pages
    @given(count=st.integers(0, 6 if target.is_loopback else 2), limit=st.integers(1, 4))
    def check(count: int, limit: int) -> None:
        for _ in range(count):
            batches.create()
        mine = set(batches.ids)
        result = walk(target, "batches", limit=limit, until_seen=mine)
        expect(judge(result, contract, expected=mine))
        one_page = walk(target, "batches", limit=100, until_seen=mine)
        expect(
            same_sequence(
                [i for i in result.ids() if i in mine],
                [i for i in one_page.ids() if i in mine],
                what=f"a walk with limit {limit} against one page",
            )
        )

    check()


@pytest.mark.feature("pagination.batches")
@pytest.mark.requires("paid_objects")
def test_batch_limits_out_of_range_get_400_and_unknown_cursors_are_refused(
    target: Target, spec: Spec, batches: Batches
) -> None:
    """limit out of the documented range gets 400; after=<no such batch> is refused."""
    batches.create()
    failures = limits_refused(target, "batches", Contract(spec, "batches").bad_limits())
    cursor = f"batch_{batches.files.run_id}-unknown"
    exchange = require_route(target.get("batches", params={"after": cursor, "limit": 2}))
    expect(failures, unknown_cursor(exchange, cursor))


@pytest.mark.feature("pagination.files")
def test_a_deleted_file_leaves_the_walk(
    target: Target, files: Files, files_contract: Contract
) -> None:
    """After one of three files is deleted, a walk lists the other two once and not it."""
    mine = [str(created["id"]) for created in files.create_many(3)]
    files.delete(mine[1])
    kept = {mine[0], mine[2]}
    result = walk(target, "files", limit=1, order="desc", until_seen=kept)
    expect(judge(result, files_contract, expected=kept, gone={mine[1]}, order="desc"))


@pytest.mark.feature("pagination.chat_completions")
@pytest.mark.requires("paid_objects")
def test_a_walk_over_stored_chat_completions_lists_each_once(
    target: Target, spec: Spec, settings: Settings, run_objects: ObjectLedger
) -> None:
    """Stored completions (store: true, tagged with the run) are walked with the metadata
    filter: each once, in `created` order (asc by default), asc the reverse of desc."""
    contract = Contract(spec, "chat_completions")
    tag = {"metadata[oaiconform_run]": run_objects.run_id}
    created: list[str] = []
    request = pinned(
        settings,
        {
            "model": settings.model,
            "store": True,
            "max_tokens": 1,
            "metadata": run_metadata(run_objects.run_id),
            "messages": [{"role": "user", "content": "Say hi."}],
        },
    )
    try:
        for _ in range(5):
            exchange = require_route(target.post("chat/completions", json=request))
            expect(status_code_is(exchange, 200), json_object_body(exchange))
            created.append(str(exchange.json().get("id")))
            run_objects.created("chat.completion", created[-1])
        mine = set(created)
        walks = {}
        for order in (None, "asc", "desc"):
            walks[order] = walk(target, "chat/completions", limit=2, order=order, params=tag)
            effective = order or contract.default_order
            expect(judge(walks[order], contract, expected=mine, order=effective, field="created"))
        expect(
            same_sequence(walks[None].ids(), walks[contract.default_order].ids(), what="default"),
            reversed_sequence(walks["asc"].ids(), walks["desc"].ids()),
        )
        cursor = f"chatcmpl-{run_objects.run_id}-unknown"
        exchange = require_route(target.get("chat/completions", params={"after": cursor}))
        expect(unknown_cursor(exchange, cursor))
    finally:
        for completion_id in created:  # best effort; the test's outcome stands
            path = f"chat/completions/{completion_id}"
            delete_object(target, "chat.completion", path, completion_id)


@pytest.mark.feature("pagination.responses_input_items")
@pytest.mark.requires("paid_objects")
def test_a_walk_over_response_input_items_lists_each_once_in_input_order(
    target: Target, spec: Spec, settings: Settings, run_objects: ObjectLedger
) -> None:
    """A response's input items are walked each once; asc lists them in input order, desc
    (documented default) in reverse, and limits out of range get 400."""
    contract = Contract(spec, "responses_input_items")
    texts = [f"item {k}" for k in range(7)]
    request = pinned(
        settings,
        {
            "model": settings.model,
            "max_output_tokens": 16,
            "metadata": run_metadata(run_objects.run_id),
            "input": [{"role": "user", "content": text} for text in texts],
        },
        seed=False,
    )
    exchange = require_route(target.post("responses", json=request))
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    response_id = str(exchange.json().get("id"))
    run_objects.created("response", response_id)
    path = f"responses/{response_id}/input_items"
    try:
        whole = require_route(target.get(path, params={"order": "asc", "limit": 100}))
        expect(status_code_is(whole, 200), page_shape(whole, limit=100, cursors=contract.cursors))
        listed = whole.json().get("data") or []
        found = [((item.get("content") or [{}])[0] or {}).get("text") for item in listed]
        if found != texts:
            wrong = f"order=asc lists the input as {found}, sent {texts}"
            expect([Failure("list_order", wrong, where="data[].content", check_id=INPUT_ORDER)])
        ids = [str(item.get("id")) for item in listed]
        walks = {order: walk(target, path, limit=3, order=order) for order in (None, "asc", "desc")}
        for result in walks.values():
            expect(judge(result, contract, expected=set(ids)))
        expect(
            same_sequence(walks["asc"].ids(), ids, what="a walk with limit 3 (asc)"),
            same_sequence(walks[None].ids(), walks[contract.default_order].ids(), what="default"),
            reversed_sequence(walks["asc"].ids(), walks["desc"].ids()),
        )
        expect(limits_refused(target, path, contract.bad_limits()))
    finally:
        delete_object(target, "response", f"responses/{response_id}", response_id)
