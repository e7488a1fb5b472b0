"""Removing the objects created for an operation's path parameters: newest first, bounded.

A DELETE answered 2xx, or 404 (the operation under test deleted it already), removes an
object. Objects the description cannot delete (a batch) are cancelled instead and reported as
left; a batch's output files are looked up and deleted with it. Every object is counted in the
run's ledger (oaiconform.cleanup): created, removed, or left with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from oaiconform.cleanup import CANNOT_DELETE, ObjectLedger, active
from oaiconform.property.sender import CappedSender
from oaiconform.property.wire import safe_identifier
from oaiconform.target import BudgetExhaustedError, Target, TargetError

MAX_CLEANUP_REQUESTS = 12  # per operation
_GONE = (200, 202, 204, 404)
_OUTPUT_FILES = ("output_file_id", "error_file_id")


@dataclass(frozen=True)
class Created:
    """One object made for an operation, and the requests that remove it."""

    parameter: str | None  # the path parameter it fills; None for a dependency (batch input)
    object_id: str
    cleanup: tuple[tuple[str, str], ...]  # (method, path), in order
    files_at: str | None = None  # GET this after cleanup; delete the output files it names
    kind: str = ""  # its kind in the run's ledger (see `kind_of`)


_KINDS = {
    "/files": "file",
    "/batches": "batch",
    "/responses": "response",
    "/chat/completions": "chat.completion",
}


def kind_of(collection: str) -> str:
    """The ledger's name for objects of a collection: the suites' names, else the route."""
    return _KINDS.get(collection, collection)


def _remove(sender: CappedSender, created: Created, ledger: ObjectLedger) -> bool:
    """Whether the object is gone; what stays is recorded in the ledger with why."""
    gone = False
    answers: list[str] = []
    for method, path in created.cleanup:
        exchange = sender.send(method, path)
        answers.append(f"{method} {path}: {exchange.status if exchange else 'not sent (cap)'}")
        if exchange is not None and method == "DELETE" and exchange.status in _GONE:
            gone = True
    if created.files_at is not None:
        exchange = sender.send("GET", created.files_at)
        body = exchange.json() if exchange is not None and exchange.is_json else None
        for name in _OUTPUT_FILES:
            file_id = body.get(name) if isinstance(body, dict) else None
            if isinstance(file_id, str) and safe_identifier("file_id", file_id) == file_id:
                ledger.created("file", file_id)  # the server made it for the run's batch
                deleted = sender.send("DELETE", f"/files/{file_id}")
                if deleted is not None and deleted.status in _GONE:
                    ledger.removed("file", file_id)
    kind = created.kind or "object"
    if gone:
        ledger.removed(kind, created.object_id)
    elif created.cleanup and all(method != "DELETE" for method, _ in created.cleanup):
        ledger.left(kind, created.object_id, CANNOT_DELETE)
    else:
        ledger.left(kind, created.object_id, "; ".join(answers) or "the API cannot remove it")
    return gone


def remove_all(target: Target, created: list[Created]) -> tuple[list[Created], int]:
    """What is left (not confirmed removed), and the requests sent; never raises.

    The Target's log keeps the cleanup's exchanges, then the last one before them again: a
    failure's repro is the example that failed, not a DELETE sent after it.
    """
    log = target.exchanges
    last = log[-1] if log else None
    before = len(log)
    # Examples of a creating operation add objects: room for each one's requests.
    cap = max(MAX_CLEANUP_REQUESTS, 3 * len(created))
    sender = CappedSender(target, cap, max_retries=1, max_backoff_s=1.0)
    ledger = active()
    pending = list(reversed(created))
    left: list[Created] = []
    try:
        while pending:
            if not _remove(sender, pending[0], ledger):
                left.append(pending[0])
            pending.pop(0)
    except (BudgetExhaustedError, TargetError) as exc:
        left += pending  # nothing more can be sent: the rest stays
        for rest in pending:
            ledger.left(rest.kind or "object", rest.object_id, f"cleanup stopped: {exc}")
    if last is not None and len(log) > before:
        log.append(last)
    return left, sender.used
