"""The run's ledger: what was created, removed and left, also across parallel workers."""

from __future__ import annotations

from oaiconform.cleanup import NOT_REMOVED, ObjectLedger, make_run_id, run_metadata


def test_the_run_id_is_stable_for_a_run_and_differs_between_runs() -> None:
    assert make_run_id(7, "2026-01-01T00:00:00+00:00") == make_run_id(
        7, "2026-01-01T00:00:00+00:00"
    )
    assert make_run_id(7, "2026-01-01T00:00:00+00:00") != make_run_id(
        7, "2026-01-01T00:00:01+00:00"
    )
    run_id = make_run_id(7, "x")
    assert run_id.startswith("oaiconform-") and len(run_id) == len("oaiconform-") + 8
    assert run_metadata(run_id) == {"oaiconform_run": run_id}


def test_the_summary_counts_created_removed_and_left_with_reasons() -> None:
    ledger = ObjectLedger("oaiconform-00000001")
    for file_id in ("file-1", "file-2", "file-3"):
        ledger.created("file", file_id)
    ledger.created("batch", "batch_1")
    ledger.left("file", "file-1", "DELETE answered 500")
    ledger.removed("file", "file-1")  # a later removal wins over an earlier failure
    ledger.removed("file", "file-2")
    ledger.left("batch", "batch_1", "completed: the API cannot delete a batch")
    summary = ledger.summary()
    assert (summary["created"], summary["removed"], summary["left"]) == (4, 2, 2)
    reasons = {(o["kind"], o["id"]): o["reason"] for o in summary["left_reasons"]}
    assert reasons == {
        ("file", "file-3"): NOT_REMOVED,
        ("batch", "batch_1"): "completed: the API cannot delete a batch",
    }


def test_a_workers_ledger_is_absorbed_by_the_controllers() -> None:
    controller, worker = ObjectLedger("oaiconform-0000000a"), ObjectLedger("oaiconform-0000000a")
    controller.created("file", "file-c")
    controller.removed("file", "file-c")
    worker.created("file", "file-w")
    worker.created("batch", "batch_w")
    worker.removed("file", "file-w")
    worker.left("batch", "batch_w", "cancelled")
    controller.absorb(worker.handoff())
    summary = controller.summary()
    assert (summary["created"], summary["removed"], summary["left"]) == (3, 2, 1)
    assert summary["left_reasons"] == [{"kind": "batch", "id": "batch_w", "reason": "cancelled"}]
