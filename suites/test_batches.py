"""Batches: a JSONL file of chat requests runs to `completed` with an answer per line.

The input file carries this run's id, the batch its metadata; the input and output files are
deleted and the batch, which the API cannot delete, is cancelled if still running and counted
as left in the run's ledger (cleanup.py), pass or fail.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest

from oaiconform.checks import Failure, expect
from oaiconform.checks.batches import (
    BATCH_LISTED,
    batch_object_fields,
    completed_batch_counts,
    output_answers_inputs,
)
from oaiconform.checks.files import multipart_body
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.schema import response_schema_conformance
from oaiconform.cleanup import ObjectLedger, delete_object, run_metadata, settle_batch
from oaiconform.pinning import pinned
from oaiconform.plugin import require_route
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from oaiconform.target import Target

ENDPOINT = "/v1/chat/completions"
REQUESTS = 2
# A real batch may take hours; a run waits this long, then reports it as not finished.
WAIT_S = 120.0
FINAL = ("completed", "failed", "expired", "cancelled")


def input_lines(settings: Settings, run_id: str) -> tuple[bytes, list[str]]:
    ids = [f"{run_id}-{n}" for n in range(REQUESTS)]
    lines = [
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": ENDPOINT,
            "body": pinned(
                settings,
                {
                    "model": settings.model,
                    "max_tokens": 8,
                    "messages": [{"role": "user", "content": f"Say {n}."}],
                },
            ),
        }
        for n, custom_id in enumerate(ids)
    ]
    return "".join(json.dumps(line) + "\n" for line in lines).encode(), ids


@pytest.fixture
def batch(
    target: Target, settings: Settings, run_objects: ObjectLedger
) -> Iterator[dict[str, Any]]:
    """Upload the input and create the batch; yields what the test needs, then cleans up."""
    run_id = run_objects.run_id
    data, custom_ids = input_lines(settings, run_id)
    form, content_type = multipart_body(
        {"purpose": "batch"}, f"{run_id}-batch.jsonl", data, secrets.token_hex(12)
    )
    upload = require_route(
        target.post("files", content=form, headers={"Content-Type": content_type})
    )
    expect(status_code_is(upload, 200), json_object_body(upload))
    file_id = upload.json()["id"]
    run_objects.created("file", file_id)
    state: dict[str, Any] = {"file_id": file_id, "custom_ids": custom_ids, "latest": {}}
    try:
        state["created"] = require_route(
            target.post(
                "batches",
                json={
                    "input_file_id": file_id,
                    "endpoint": ENDPOINT,
                    "completion_window": "24h",
                    "metadata": run_metadata(run_id),
                },
            )
        )
        yield state
    finally:  # best effort; the test's own outcome stands
        created = state.get("created")
        ok = created is not None and created.status == 200 and created.is_json
        body = created.json() if created is not None and ok else None
        batch_id = body.get("id") if isinstance(body, dict) else None
        if isinstance(batch_id, str):
            run_objects.created("batch", batch_id)
            settle_batch(target, batch_id)  # its status now: it may have finished meanwhile
        delete_object(target, "file", f"files/{file_id}", file_id)


def wait_for_final(target: Target, spec: Spec, batch_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    delay = 0.2
    while True:
        exchange = target.get(f"batches/{batch_id}")
        expect(status_code_is(exchange, 200), json_object_body(exchange))
        expect(response_schema_conformance(spec, "retrieveBatch", exchange))
        body: dict[str, Any] = exchange.json()
        if body.get("status") in FINAL:
            return body
        if time.monotonic() + delay > deadline:
            pytest.skip(f"batch {batch_id} still {body.get('status')!r} after {WAIT_S:g} s")
        time.sleep(delay)
        delay = min(delay * 2, 10.0)


@pytest.mark.feature("batches")
def test_batch_runs_to_completed_with_an_answer_per_line(
    target: Target, spec: Spec, batch: dict[str, Any]
) -> None:
    """POST /batches answers a batch; it reaches `completed` with counts for every line, and its
    output file answers each input line by custom_id with a 200."""
    created = batch["created"]
    expect(status_code_is(created, 200), json_object_body(created))
    expect(
        response_schema_conformance(spec, "createBatch", created),
        batch_object_fields(created.json(), endpoint=ENDPOINT, input_file_id=batch["file_id"]),
    )
    final = wait_for_final(target, spec, created.json()["id"])
    batch["latest"] = final
    expect(completed_batch_counts(final, len(batch["custom_ids"])))
    content = target.get(f"files/{final['output_file_id']}/content")
    expect(status_code_is(content, 200))
    expect(output_answers_inputs(content.body, batch["custom_ids"]))


@pytest.mark.feature("batches")
def test_batches_list_has_the_new_batch(target: Target, spec: Spec, batch: dict[str, Any]) -> None:
    """GET /batches answers a schema-valid list whose newest entries include the new batch."""
    created = batch["created"]
    expect(status_code_is(created, 200), json_object_body(created))
    listing = target.get("batches", params={"limit": 100})
    expect(status_code_is(listing, 200), json_object_body(listing))
    expect(response_schema_conformance(spec, "listBatches", listing))
    ids = [b.get("id") for b in listing.json().get("data") or [] if isinstance(b, dict)]
    batch_id = created.json()["id"]
    if batch_id not in ids:
        expect(
            [
                Failure(
                    "batch_listed",
                    f"batch {batch_id} is missing from GET /batches",
                    where="data[].id",
                    check_id=BATCH_LISTED,
                )
            ]
        )
