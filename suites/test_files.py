"""Files: upload, retrieve, download, list and delete (`/files`).

Every file is named with this run's id (cleanup.py) and deleted at the end of its test, pass or
fail; the run's ledger counts it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from oaiconform.checks import expect
from oaiconform.checks.files import (
    deletion_confirmed,
    file_content_is,
    file_listed,
    file_object_fields,
    listed_ids,
    multipart_body,
)
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.schema import response_schema_conformance
from oaiconform.cleanup import ObjectLedger, delete_object
from oaiconform.plugin import require_route
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from oaiconform.target import Target

PURPOSE = "batch"  # accepted everywhere for a JSONL file, and nothing is run from it here


def jsonl(settings: Settings, run_id: str) -> bytes:
    line = {
        "custom_id": f"{run_id}-probe",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": settings.model,
            "max_tokens": 1,
            "messages": [{"role": "user", "content": "hi"}],
        },
    }
    return (json.dumps(line) + "\n").encode()


@pytest.fixture
def upload(
    target: Target, settings: Settings, run_objects: ObjectLedger
) -> Iterator[dict[str, Any]]:
    """Upload one small file; yield its object, bytes, name and exchange; delete it after."""
    data = jsonl(settings, run_objects.run_id)
    filename = f"{run_objects.run_id}-{secrets.token_hex(3)}.jsonl"
    body, content_type = multipart_body({"purpose": PURPOSE}, filename, data, secrets.token_hex(12))
    exchange = require_route(
        target.post("files", content=body, headers={"Content-Type": content_type})
    )
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    created = exchange.json()
    file_id = created.get("id")
    if isinstance(file_id, str):
        run_objects.created("file", file_id)
    yield {"object": created, "data": data, "filename": filename, "exchange": exchange}
    if isinstance(file_id, str):  # best effort; the test's own outcome stands
        delete_object(target, "file", f"files/{file_id}", file_id)


@pytest.mark.feature("files")
def test_upload_answers_a_file_object_describing_the_upload(
    target: Target, spec: Spec, upload: dict[str, Any]
) -> None:
    """POST /files answers a schema-valid file object with the name, purpose and exact size;
    GET /files/{id} answers the same object."""
    expected = {"filename": upload["filename"], "purpose": PURPOSE, "size": len(upload["data"])}
    expect(
        response_schema_conformance(spec, "createFile", upload["exchange"]),
        file_object_fields(upload["object"], **expected),
    )
    file_id = upload["object"]["id"]
    exchange = target.get(f"files/{file_id}")
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    expect(
        response_schema_conformance(spec, "retrieveFile", exchange),
        file_object_fields(exchange.json(), file_id=file_id, **expected),
    )


@pytest.mark.feature("files")
def test_content_is_the_uploaded_bytes(target: Target, upload: dict[str, Any]) -> None:
    """GET /files/{id}/content answers exactly the bytes that were uploaded."""
    exchange = target.get(f"files/{upload['object']['id']}/content")
    expect(status_code_is(exchange, 200), file_content_is(exchange, upload["data"]))


@pytest.mark.feature("files")
def test_a_deleted_file_is_gone_from_retrieve_and_list(
    target: Target, spec: Spec, upload: dict[str, Any]
) -> None:
    """The file is listed (purpose filter); DELETE confirms; then retrieve is 404 and the list
    no longer has it."""
    file_id = upload["object"]["id"]
    listing = target.get("files", params={"purpose": PURPOSE, "order": "desc", "limit": 100})
    expect(status_code_is(listing, 200), json_object_body(listing))
    expect(
        response_schema_conformance(spec, "listFiles", listing),
        file_listed(listed_ids(listing.json()), file_id, expected=True, when="after the upload"),
    )
    deleted = target.request("DELETE", f"files/{file_id}")
    expect(status_code_is(deleted, 200), json_object_body(deleted))
    expect(
        response_schema_conformance(spec, "deleteFile", deleted),
        deletion_confirmed(deleted.json(), file_id, "file"),
    )
    expect(status_code_is(target.get(f"files/{file_id}"), 404))
    after = target.get("files", params={"purpose": PURPOSE, "order": "desc", "limit": 100})
    expect(status_code_is(after, 200), json_object_body(after))
    expect(file_listed(listed_ids(after.json()), file_id, expected=False, when="after DELETE"))
