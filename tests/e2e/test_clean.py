"""`oaiconform clean`: lists what runs left, removes it only with --yes, never anything else."""

from __future__ import annotations

import time
from pathlib import Path

from oaiconform.mock import MockConfig, MockServer
from oaiconform.mock.store import StoredObject
from oaiconform.spec import Spec
from tests.conftest import TEST_KEY
from tests.e2e.test_cli import assert_no_traceback, oaiconform

ENV = {"SWEEP_KEY": TEST_KEY}


def _file(server: MockServer, file_id: str, filename: str, purpose: str = "batch") -> None:
    created = int(time.time()) - 60
    body = {
        "id": file_id,
        "object": "file",
        "bytes": 2,
        "created_at": created,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
    }
    server.state.store.add(TEST_KEY, "file", StoredObject(file_id, created, body, data=b"{}"))


def _batch(server: MockServer, batch_id: str, status: str, metadata: dict[str, str]) -> None:
    created = int(time.time()) - 60
    body = {
        "id": batch_id,
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-ours-1",
        "completion_window": "24h",
        "status": status,
        "created_at": created,
        "expires_at": created + 86_400,
        "request_counts": {"total": 1, "completed": 0, "failed": 0},
        "metadata": metadata,
    }
    if status == "completed":
        body["output_file_id"] = "file-output-1"
    server.state.store.add(TEST_KEY, "batch", StoredObject(batch_id, created, body))


def _completion(server: MockServer, completion_id: str, metadata: dict[str, str]) -> None:
    created = int(time.time()) - 60
    body = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": "gpt-4o-mini",
        "choices": [],
        "metadata": metadata,
    }
    server.state.store.add(
        TEST_KEY,
        "chat.completion",
        StoredObject(completion_id, created, body, extra={"messages": []}),
    )


def seed(server: MockServer) -> None:
    """Some objects of crashed runs (named or tagged), some of the account's own users."""
    ours = {"oaiconform_run": "oaiconform-0badc0de"}
    _file(server, "file-ours-1", "oaiconform-0badc0de-1.jsonl")
    _file(server, "file-ours-2", "oaiconform-0badc0de-tenancy.jsonl", "assistants")
    _file(server, "file-output-1", "batch_output.jsonl", "batch_output")  # a tagged batch's
    _file(server, "file-theirs-1", "customer-data.jsonl")
    _file(server, "file-theirs-2", "oaiconform.jsonl")  # close, but not the prefix
    _batch(server, "batch_ours_running", "in_progress", ours)
    _batch(server, "batch_ours_done", "completed", ours)
    _batch(server, "batch_theirs", "in_progress", {"team": "search"})
    _completion(server, "chatcmpl-ours", ours)
    _completion(server, "chatcmpl-theirs", {"oaiconform_run": "not-ours"})


def _ids(server: MockServer, kind: str) -> set[str]:
    return {o.id for o in server.state.store.list(TEST_KEY, kind)}


def _status(server: MockServer, batch_id: str) -> str:
    found = server.state.store.get(TEST_KEY, "batch", batch_id)
    assert found is not None
    return str(found.body["status"])


def test_clean_lists_first_then_removes_only_the_suites_objects(spec: Spec, tmp_path: Path) -> None:
    with MockServer(MockConfig(api_keys=(TEST_KEY,)), spec) as server:
        seed(server)
        args = ("clean", "--target", server.base_url, "--api-key-env", "SWEEP_KEY")
        listed = oaiconform(*args, env=ENV, cwd=tmp_path)
        assert_no_traceback(listed)
        assert listed.returncode == 0, listed.stdout + listed.stderr
        assert "3  files to delete" in listed.stdout
        assert "1  stored chat completions to delete" in listed.stdout
        assert "1  running batches to cancel" in listed.stdout
        assert "1  finished batches (cannot be deleted)" in listed.stdout
        assert "dry run: nothing was changed" in listed.stdout
        assert len(_ids(server, "file")) == 5  # the listing changed nothing
        assert _status(server, "batch_ours_running") == "in_progress"

        swept = oaiconform(*args, "--yes", env=ENV, cwd=tmp_path)
        assert_no_traceback(swept)
        assert swept.returncode == 0, swept.stdout + swept.stderr
        assert "removed: 4 deleted, 1 cancelled, 0 refused" in swept.stdout
        assert _ids(server, "file") == {"file-theirs-1", "file-theirs-2"}
        assert _ids(server, "chat.completion") == {"chatcmpl-theirs"}
        assert _status(server, "batch_ours_running") == "cancelling"
        assert _status(server, "batch_theirs") == "in_progress"


def test_clean_needs_the_key_and_a_target(tmp_path: Path) -> None:
    missing = oaiconform(
        "clean", "--target", "http://127.0.0.1:9/v1", "--api-key-env", "NO_SUCH_VAR_X"
    )
    assert missing.returncode == 2 and "NO_SUCH_VAR_X is not set" in missing.stderr
    unreachable = oaiconform(
        "clean", "--target", "http://127.0.0.1:9/v1", "--api-key-env", "SWEEP_KEY", env=ENV
    )
    assert_no_traceback(unreachable)
    assert unreachable.returncode == 3 and "unreachable" in unreachable.stdout
