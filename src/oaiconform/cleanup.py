"""What a run created on the target, and whether it was removed again: the run's ledger.

A vendor runs the suite in a loop against a server that keeps state; whatever a run leaves
there makes the next run slower and, once enough piles up, can change its verdicts. So every
object a run creates carries the run's id (`oaiconform-<8 hex>` in a file name, metadata
`{"oaiconform_run": <run id>}` where the API has metadata), is registered here, and is removed
at the end (deleted, else cancelled). The report's `cleanup` section counts what was created,
removed and left, with a reason for each object left.

One ledger per process: the run's context activates it, suites and the property machinery
record into it; a parallel worker sends its ledger back to the controller like its request
counts (`handoff` / `absorb`). The run id is derived from the seed and the start time, so it is
stable for the run, the same in every worker, and different for two runs with one seed.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import asdict, dataclass
from typing import Any

from oaiconform.target import BudgetExhaustedError, Target, TargetError

RUN_PREFIX = "oaiconform-"  # every run id, file name and custom_id the suite makes starts so
RUN_TAG = "oaiconform_run"  # the metadata key naming the run that created an object
NOT_REMOVED = "not removed: the run ended before its cleanup, or the removal failed"
CANNOT_DELETE = "the API cannot delete it (cancelled if it was still running)"
_GONE = (200, 202, 204, 404)  # a 404: the test under way had deleted it already


def make_run_id(seed: int, started_at: str) -> str:
    """`oaiconform-<8 hex>` from the seed and the start time (ISO 8601, seconds)."""
    return f"{RUN_PREFIX}{zlib.crc32(f'{seed}:{started_at}'.encode()):08x}"


def run_metadata(run_id: str) -> dict[str, str]:
    """The metadata that tags an object (batch, response, stored completion) with the run."""
    return {RUN_TAG: run_id}


@dataclass(frozen=True)
class LeftObject:
    kind: str  # file | batch | response | chat.completion | another collection's route
    id: str
    reason: str


class ObjectLedger:
    """Objects created and removed during one run (this process's share of it); thread-safe."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._created: dict[tuple[str, str], None] = {}  # insertion-ordered set
        self._removed: set[tuple[str, str]] = set()
        self._reasons: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def created(self, kind: str, object_id: str) -> None:
        with self._lock:
            self._created[(kind, object_id)] = None

    def removed(self, kind: str, object_id: str) -> None:
        with self._lock:
            self._removed.add((kind, object_id))
            self._reasons.pop((kind, object_id), None)

    def left(self, kind: str, object_id: str, reason: str) -> None:
        """The object stays on the target, for this reason (unless removed later)."""
        with self._lock:
            if (kind, object_id) not in self._removed:
                self._reasons[(kind, object_id)] = reason

    def is_open(self, kind: str, object_id: str) -> bool:
        """Created by this run and not yet removed."""
        with self._lock:
            key = (kind, object_id)
            return key in self._created and key not in self._removed

    def handoff(self) -> dict[str, Any]:
        """Plain data for a parallel worker's controller (xdist `workeroutput`)."""
        with self._lock:
            return {
                "created": [list(k) for k in self._created],
                "removed": [list(k) for k in self._removed],
                "reasons": [[*k, r] for k, r in self._reasons.items()],
            }

    def absorb(self, data: dict[str, Any]) -> None:
        """Add a worker's ledger to this one."""
        with self._lock:
            for kind, object_id in data.get("created") or ():
                self._created[(kind, object_id)] = None
            self._removed.update((kind, object_id) for kind, object_id in data.get("removed") or ())
            for kind, object_id, reason in data.get("reasons") or ():
                self._reasons[(kind, object_id)] = reason

    def left_objects(self) -> list[LeftObject]:
        with self._lock:
            return [
                LeftObject(kind, object_id, self._reasons.get((kind, object_id), NOT_REMOVED))
                for kind, object_id in self._created
                if (kind, object_id) not in self._removed
            ]

    def summary(self) -> dict[str, Any]:
        """The report's `cleanup` section: {run_id, created, removed, left, left_reasons}."""
        left = self.left_objects()
        with self._lock:
            created = len(self._created)
            removed = sum(1 for key in self._created if key in self._removed)
        return {
            "run_id": self.run_id,
            "created": created,
            "removed": removed,
            "left": len(left),
            "left_reasons": [asdict(o) for o in left],
        }


_active: ObjectLedger | None = None


def activate(ledger: ObjectLedger) -> None:
    """Make `ledger` the one this process records into (the run's context does this)."""
    global _active
    _active = ledger


def active() -> ObjectLedger:
    """The run's ledger; outside a run (a unit test calling a suite helper) a throwaway one."""
    global _active
    if _active is None:
        _active = ObjectLedger(make_run_id(0, "no-run"))
    return _active


def delete_object(target: Target, kind: str, path: str, object_id: str) -> bool:
    """DELETE `path` and record the outcome; best effort, never raises (the test's outcome
    stands). True when the object is gone (2xx, or 404: deleted by the test already)."""
    ledger = active()
    try:
        exchange = target.request("DELETE", path)
    except (TargetError, BudgetExhaustedError) as exc:
        ledger.left(kind, object_id, f"DELETE {path} could not be sent: {exc}")
        return False
    if exchange.status in _GONE:
        ledger.removed(kind, object_id)
        return True
    ledger.left(kind, object_id, f"DELETE {path} answered {exchange.status}")
    return False


_FINAL_BATCH = ("completed", "failed", "expired", "cancelled")
_OUTPUT_FILES = ("output_file_id", "error_file_id")


def settle_batch(target: Target, batch_id: str) -> None:
    """A batch cannot be deleted: cancel it while it runs, delete the files it wrote, and
    record it as left with its status. Best effort, never raises."""
    ledger = active()
    status = "unknown"
    try:
        exchange = target.get(f"batches/{batch_id}")
        body = exchange.json() if exchange.status == 200 and exchange.is_json else None
        body = body if isinstance(body, dict) else {}
        status = str(body.get("status", status))
        if status not in _FINAL_BATCH:
            cancelled = target.post(f"batches/{batch_id}/cancel")
            if cancelled.status == 200 and cancelled.is_json and isinstance(cancelled.json(), dict):
                status = f"cancelled by the run ({cancelled.json().get('status')})"
        for name in _OUTPUT_FILES:
            file_id = body.get(name)
            if isinstance(file_id, str) and file_id:
                ledger.created("file", file_id)  # the server made it for the run's batch
                delete_object(target, "file", f"files/{file_id}", file_id)
    except (TargetError, BudgetExhaustedError) as exc:
        ledger.left("batch", batch_id, f"could not be settled: {exc}")
        return
    ledger.left("batch", batch_id, f"{status}: the API cannot delete a batch")
