"""A target that already holds data gets the verdicts of an empty one, for about its requests.

A vendor's server keeps what earlier runs, other tenants and its own users created; the
suites' lists and walks must be bounded by the run's own objects, or a correct server that
holds 5,000 files fails `pagination.files` (a `limit=1` walk over all of them hits the page
cap) and every run costs more than the last.
"""

from __future__ import annotations

import time
from pathlib import Path

from oaiconform.mock import MockConfig, MockServer
from oaiconform.mock.store import StoredObject
from oaiconform.spec import Spec
from tests.conftest import TEST_KEY, run_against

HELD_FILES = 5_000
HELD_BATCHES = 500
# The core profile's features that create, list and walk files and batches.
FEATURES = ("files", "batches", "pagination.files", "pagination.batches")


def seed_store(server: MockServer, files: int, batches: int) -> None:
    """Older objects of the same key, straight into the mock's store (uploading 5,000 files
    over HTTP would cost the self-test more than the run it measures)."""
    store = server.state.store
    now = int(time.time())
    for n in range(files):
        created = now - 86_400 + n // 10  # an hour of uploads, ten a second, before the run
        purpose = ("batch", "assistants", "fine-tune")[n % 3]
        file_id = f"file-held{n:08d}"
        body = {
            "id": file_id,
            "object": "file",
            "bytes": 2,
            "created_at": created,
            "filename": f"customer-{n}.jsonl",
            "purpose": purpose,
            "status": "processed",
        }
        store.add(TEST_KEY, "file", StoredObject(file_id, created, body, data=b"{}"))
    for n in range(batches):
        created = now - 86_400 + n * 10
        batch_id = f"batch_held{n:08d}"
        body = {
            "id": batch_id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "input_file_id": "file-held00000000",
            "completion_window": "24h",
            "status": "completed",
            "created_at": created,
            "expires_at": created + 86_400,
            "completed_at": created + 5,
            "request_counts": {"total": 1, "completed": 1, "failed": 0},
            "metadata": {"oaiconform_run": f"oaiconform-{n:08x}"},  # an older run's
        }
        store.add(TEST_KEY, "batch", StoredObject(batch_id, created, body))


def test_a_target_holding_data_gets_the_verdicts_of_an_empty_one(
    spec: Spec, spec_path: str, tmp_path: Path
) -> None:
    config = MockConfig(api_keys=(TEST_KEY,), seed=4321)
    with MockServer(config, spec) as empty:
        clean = run_against(empty, spec_path, tmp_path / "empty", FEATURES, seed=4321)
    with MockServer(config, spec) as held:
        seed_store(held, HELD_FILES, HELD_BATCHES)
        seeded = run_against(held, spec_path, tmp_path / "held", FEATURES, seed=4321)
        left_files = len(held.state.store.list(TEST_KEY, "file"))
    statuses = {f: r.status for f, r in clean.features.items()}
    assert statuses == {f: r.status for f, r in seeded.features.items()}
    assert {statuses[f] for f in FEATURES} == {"passed"}, clean.verdict
    requests_empty, requests_held = clean.summary["requests"], seeded.summary["requests"]
    print(f"requests: empty {requests_empty}, holding data {requests_held}")
    assert requests_held <= 1.2 * requests_empty, (requests_empty, requests_held)
    assert left_files == HELD_FILES  # the run removed its own files, and nobody else's
