"""`oaiconform clean`: find and remove what crashed or interrupted runs left on a target.

A run removes what it created (cleanup.py); one killed mid-way cannot. Everything a run
creates is named `oaiconform-...` (files) or tagged `{"oaiconform_run": ...}` (metadata of
batches and stored chat completions), so a sweep finds it without touching anything else:
an object without the name or the tag is never sent a request that changes it.

First a dry listing (what would be removed, counts per kind); only `--yes` removes. Bounded:
at most `PAGE_CAP` pages of 100 per kind, and the request budget caps the whole sweep.
Responses cannot be swept: the API has no operation that lists them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from oaiconform.cleanup import RUN_PREFIX, RUN_TAG
from oaiconform.target import BudgetExhaustedError, Target, TargetError

PAGE_CAP = 20  # pages of 100 per kind: 2,000 objects looked at, the newest first
DEFAULT_MAX_REQUESTS = 1_000
_FINAL_BATCH = ("completed", "failed", "expired", "cancelled")
_GONE = (200, 202, 204, 404)


@dataclass
class Found:
    """What a sweep would remove, per kind, and what it had to leave unlooked at."""

    files: list[tuple[str, str]] = field(default_factory=list)  # (id, why it is ours)
    chat_completions: list[str] = field(default_factory=list)
    running_batches: list[str] = field(default_factory=list)  # to cancel
    finished_batches: list[str] = field(default_factory=list)  # no DELETE in the API
    notes: list[str] = field(default_factory=list)  # listings cut short, unlistable kinds

    def counts(self) -> dict[str, int]:
        return {
            "files to delete": len(self.files),
            "stored chat completions to delete": len(self.chat_completions),
            "running batches to cancel": len(self.running_batches),
            "finished batches (cannot be deleted)": len(self.finished_batches),
        }


def _pages(target: Target, path: str, found: Found) -> Iterator[dict[str, Any]]:
    """The items of a listing, newest first, at most PAGE_CAP pages of 100."""
    after: str | None = None
    for _ in range(PAGE_CAP):
        params: dict[str, Any] = {"limit": 100}
        if after is not None:
            params["after"] = after
        page = target.get(path, params=params)
        body = page.json() if page.status == 200 and page.is_json else None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(data, list):
            found.notes.append(f"GET {path} answered {page.status}: not swept")
            return
        yield from (item for item in data if isinstance(item, dict))
        if body.get("has_more") is not True or not data:
            return
        after = str(body.get("last_id") or data[-1].get("id"))
    found.notes.append(f"GET {path}: stopped after {PAGE_CAP} pages of 100; run `clean` again")


def _tagged(item: dict[str, Any]) -> bool:
    metadata = item.get("metadata")
    tag = metadata.get(RUN_TAG) if isinstance(metadata, dict) else None
    return isinstance(tag, str) and tag.startswith(RUN_PREFIX)


def find(target: Target) -> Found:
    """List files, batches and stored chat completions; keep only the suite's own."""
    found = Found()
    outputs: dict[str, str] = {}  # files a tagged batch wrote: ours, though not named so
    for batch in _pages(target, "batches", found):
        if not _tagged(batch):
            continue
        batch_id = str(batch.get("id"))
        if batch.get("status") in _FINAL_BATCH:
            found.finished_batches.append(batch_id)
        else:
            found.running_batches.append(batch_id)
        for key in ("output_file_id", "error_file_id"):
            if isinstance(batch.get(key), str):
                outputs[batch[key]] = f"written by batch {batch_id}"
    for item in _pages(target, "files", found):
        file_id = str(item.get("id"))
        name = item.get("filename")
        if isinstance(name, str) and name.startswith(RUN_PREFIX):
            found.files.append((file_id, name))
        elif file_id in outputs:
            found.files.append((file_id, outputs[file_id]))
    for completion in _pages(target, "chat/completions", found):
        if _tagged(completion):
            found.chat_completions.append(str(completion.get("id")))
    found.notes.append("responses: the API cannot list them; a run deletes its own as it goes")
    return found


def remove(target: Target, found: Found) -> dict[str, int]:
    """Delete the files and completions, cancel the running batches; counts of what worked."""
    done = {"deleted": 0, "cancelled": 0, "failed": 0}
    requests = [("DELETE", f"files/{file_id}", "deleted") for file_id, _ in found.files]
    requests += [("DELETE", f"chat/completions/{c}", "deleted") for c in found.chat_completions]
    requests += [("POST", f"batches/{b}/cancel", "cancelled") for b in found.running_batches]
    for method, path, outcome in requests:
        exchange = target.request(method, path)
        ok = exchange.status in _GONE if method == "DELETE" else exchange.status == 200
        done[outcome if ok else "failed"] += 1
    return done


def clean(target: Target, *, yes: bool, out: TextIO) -> int:
    """The `clean` command: list, and with `yes` remove. Exit 0; 1 when the target refused
    a removal; 3 when it cannot be reached (as `run`)."""
    try:
        target.probe()
        found = find(target)
    except (TargetError, BudgetExhaustedError) as exc:
        print(f"oaiconform clean: {exc}", file=out)
        return 3
    print(f"oaiconform clean: {target.display_url}", file=out)
    for what, count in found.counts().items():
        print(f"  {count:>5}  {what}", file=out)
    for file_id, why in found.files[:20]:
        print(f"         file {file_id} ({why})", file=out)
    for note in found.notes:
        print(f"  note: {note}", file=out)
    if not yes:
        print("dry run: nothing was changed; pass --yes to remove these objects", file=out)
        return 0
    try:
        done = remove(target, found)
    except (TargetError, BudgetExhaustedError) as exc:
        print(f"oaiconform clean: stopped: {exc}; run it again", file=out)
        return 3
    print(
        f"removed: {done['deleted']} deleted, {done['cancelled']} cancelled, "
        f"{done['failed']} refused by the target",
        file=out,
    )
    return 1 if done["failed"] else 0
