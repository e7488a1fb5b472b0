"""Tenant isolation: what one key creates, another key can neither see, list nor delete.

Runs when a second key is configured (`--second-api-key-env NAME`); the embedded mock makes up
its own second key. Everything created carries the run's id and is deleted at the end.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from oaiconform.checks import expect
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.tenancy import absent_from_listing, hidden_from_other_tenant
from oaiconform.cleanup import ObjectLedger, delete_object
from oaiconform.plugin import require_route
from oaiconform.settings import Secret
from oaiconform.target import Target


def _as(key: Secret) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.reveal()}"}


@pytest.fixture
def first_tenants_file(target: Target, run_objects: ObjectLedger) -> Iterator[str]:
    """A small file uploaded with the first key, deleted afterwards whatever happens."""
    boundary = f"oaiconform{secrets.token_hex(8)}"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{run_objects.run_id}-tenancy.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n'
        f'{{"tenant": "first"}}\n\r\n--{boundary}--\r\n'
    ).encode()
    created = require_route(
        target.post(
            "files",
            content=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    )
    expect(status_code_is(created, 200), json_object_body(created))
    file_id = str(created.json()["id"])
    run_objects.created("file", file_id)
    try:
        yield file_id
    finally:
        delete_object(target, "file", f"files/{file_id}", file_id)


@pytest.mark.feature("tenancy.isolation")
@pytest.mark.requires("second_key")
def test_tenancy_another_key_cannot_read_list_or_delete_a_file(
    target: Target, second_api_key: Secret, first_tenants_file: str
) -> None:
    """A file uploaded with one key is 404 to another key, absent from its list, and stays."""
    other = _as(second_api_key)
    read = target.get(f"files/{first_tenants_file}", headers=other, auth=False)
    listing = target.get("files", headers=other, auth=False)
    deleted = target.request("DELETE", f"files/{first_tenants_file}", headers=other, auth=False)
    expect(
        hidden_from_other_tenant(read, "a file"),
        absent_from_listing(listing, first_tenants_file, "the file"),
        hidden_from_other_tenant(deleted, "a file"),
    )
    still_there = target.get(f"files/{first_tenants_file}")
    expect(status_code_is(still_there, 200))
