"""Stored objects belong to one key; concurrent clients lose nothing and walk consistent pages."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from oaiconform.mock import MockConfig, MockServer
from oaiconform.spec import Spec

KEY = "sk-oaiconform-tenant-a-0123456789abcdef"
OTHER_KEY = "sk-oaiconform-tenant-b-0123456789abcdef"
THREADS = 8
FILES_PER_THREAD = 12


def http(server: MockServer, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


@pytest.fixture
def server(spec: Spec) -> Iterator[MockServer]:
    config = MockConfig(
        api_keys=(KEY, OTHER_KEY), max_objects_per_key=500, max_bytes_per_key=64 * 1024
    )
    with MockServer(config, spec) as running:
        yield running


def upload(client: httpx.Client, name: str, data: bytes = b"x") -> str:
    answer = client.post("/files", files={"file": (name, data)}, data={"purpose": "user_data"})
    assert answer.status_code == 200, answer.text
    file_id: str = answer.json()["id"]
    return file_id


def walk(client: httpx.Client, limit: int) -> list[dict[str, object]]:
    """Every page of GET /files via `after`; each page is ordered newest first."""
    seen: list[dict[str, object]] = []
    after: str | None = None
    for _ in range(1000):
        params: dict[str, str | int] = {"limit": limit}
        if after:
            params["after"] = after
        page = client.get("/files", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        # Ties keep creation order, which concurrent clients cannot know: only the times.
        times = [f["created_at"] for f in body["data"]]
        assert times == sorted(times, reverse=True)
        seen += body["data"]
        if not body["has_more"]:
            return seen
        after = body["last_id"]
    raise AssertionError("the walk did not end")


def test_a_second_key_sees_nothing(server: MockServer) -> None:
    with http(server, KEY) as mine, http(server, OTHER_KEY) as theirs:
        file_id = upload(mine, "mine.txt", b"private")
        response = mine.post("/responses", json={"model": "gpt-4o-mini", "input": "hi"}).json()
        chat = mine.post(
            "/chat/completions",
            json={
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "hi"}],
                "store": True,
            },
        ).json()
        for path in ("/files", "/batches", "/chat/completions"):
            assert theirs.get(path).json()["data"] == []
        for path in (
            f"/files/{file_id}",
            f"/files/{file_id}/content",
            f"/responses/{response['id']}",
            f"/responses/{response['id']}/input_items",
            f"/chat/completions/{chat['id']}",
            f"/chat/completions/{chat['id']}/messages",
        ):
            answer = theirs.get(path)
            assert answer.status_code == 404, path
            assert set(answer.json()["error"]) == {"message", "type", "param", "code"}
        assert theirs.delete(f"/files/{file_id}").status_code == 404
        assert theirs.get("/files", params={"after": file_id}).status_code == 400
        assert mine.get(f"/files/{file_id}/content").content == b"private"


def test_limits_answer_envelopes_never_5xx(spec: Spec) -> None:
    config = MockConfig(api_keys=(KEY,), max_objects_per_key=3, max_bytes_per_key=2048)
    with MockServer(config, spec) as small, http(small, KEY) as client:
        for n in range(3):
            upload(client, f"{n}.txt")
        full = client.post("/files", files={"file": ("x", b"x")}, data={"purpose": "user_data"})
        assert full.status_code == 400 and "error" in full.json()
        for file_id in [f["id"] for f in client.get("/files").json()["data"]]:
            client.delete(f"/files/{file_id}")
        heavy = client.post(
            "/files", files={"file": ("big", b"x" * 3000)}, data={"purpose": "user_data"}
        )
        assert heavy.status_code == 413 and "error" in heavy.json()
        bad = client.post(
            "/files",
            content=b"--x\r\nbroken",
            headers={"content-type": "multipart/form-data; boundary=x"},
        )
        assert bad.status_code == 400


def test_a_part_without_content_type_is_accepted(server: MockServer) -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nuser_data\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="n.txt"\r\n\r\n'
        b"no type\r\n--b--\r\n"
    )
    with http(server, KEY) as client:
        answer = client.post(
            "/files", content=body, headers={"content-type": "multipart/form-data; boundary=b"}
        )
        assert answer.status_code == 200, answer.text
        assert client.get(f"/files/{answer.json()['id']}/content").content == b"no type"


def test_concurrent_uploads_lists_and_deletes_lose_nothing(server: MockServer) -> None:
    start = threading.Barrier(THREADS)

    def worker(number: int) -> tuple[set[str], set[str]]:
        with http(server, KEY) as client:
            start.wait()
            mine = {upload(client, f"t{number}-{n}.txt") for n in range(FILES_PER_THREAD)}
            seen = [f["id"] for f in walk(client, limit=5)]
            assert len(seen) == len(set(seen)), "a walk visited an object twice"
            assert mine <= set(seen), "a walk missed files that existed throughout it"
            doomed = set(sorted(mine)[: FILES_PER_THREAD // 2])
            for file_id in doomed:
                assert client.delete(f"/files/{file_id}").status_code == 200
            after = {str(f["id"]) for f in walk(client, limit=7)}
            assert not doomed & after and (mine - doomed) <= after
            return mine - doomed, doomed

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    kept = set().union(*(k for k, _ in results))
    with http(server, KEY) as client, http(server, OTHER_KEY) as other:
        final = walk(client, limit=9)
        assert {f["id"] for f in final} == kept
        assert len(kept) == THREADS * (FILES_PER_THREAD - FILES_PER_THREAD // 2)
        assert other.get("/files").json()["data"] == []


def test_shared_paths_route_by_method(server: MockServer) -> None:
    """GET and POST /chat/completions live in two modules; other methods are 405 envelopes."""
    with http(server, KEY) as client:
        assert client.get("/chat/completions").status_code == 200
        chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        assert client.post("/chat/completions", json=chat).status_code == 200
        for method, path in (
            ("PUT", "/chat/completions"),
            ("PATCH", "/files"),
            ("GET", "/responses"),
            ("DELETE", "/batches/batch_x"),
        ):
            answer = client.request(method, path)
            assert answer.status_code == 405, (method, path)
            assert answer.json()["error"]["type"] == "invalid_request_error"
