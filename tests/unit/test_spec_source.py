"""Resolving and loading the description: order, cache, checked download, clear errors."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from oaiconform.spec import (
    Pin,
    Spec,
    SpecError,
    SpecUnavailableError,
    load_spec,
    resolve_spec_source,
)
from oaiconform.spec._source import SpecSource

MINIMAL = b'{"openapi": "3.1.0", "info": {"version": "9"}, "paths": {}}'


def _pin(url: str, content: bytes) -> Pin:
    return Pin(
        url=url,
        sha256=hashlib.sha256(content).hexdigest(),
        commit="c",
        info_version="9",
        filename="openapi.json",
    )


@pytest.fixture
def serve() -> Iterator[dict[str, bytes]]:
    """A loopback HTTP server answering path -> bytes (404 otherwise); yields its routing table."""
    routes: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    routes["__base__"] = f"http://127.0.0.1:{server.server_address[1]}".encode()
    yield routes
    server.shutdown()
    server.server_close()


def test_the_flag_wins_over_the_environment(tmp_path: Path) -> None:
    flag, env = tmp_path / "flag.json", tmp_path / "env.json"
    flag.write_bytes(MINIMAL)
    env.write_bytes(b"{}")
    source = resolve_spec_source(str(flag), env_value=str(env), cache_dir=tmp_path)
    assert (source.origin, source.location) == ("flag", str(flag))
    assert resolve_spec_source(None, env_value=str(flag), cache_dir=tmp_path).origin == "env"


def test_download_is_checked_cached_atomically_and_reused(
    tmp_path: Path, serve: dict[str, bytes]
) -> None:
    serve["/openapi.json"] = MINIMAL
    pin = _pin(serve["__base__"].decode() + "/openapi.json", MINIMAL)
    first = resolve_spec_source(None, env_value=None, cache_dir=tmp_path, pin=pin)
    assert (first.origin, first.pinned, first.content) == ("download", True, MINIMAL)
    assert [p.name for p in tmp_path.iterdir()] == [f"openapi-{pin.sha256[:16]}.json"]
    del serve["/openapi.json"]  # the second resolution must not need the network
    second = resolve_spec_source(None, env_value=None, cache_dir=tmp_path, pin=pin)
    assert (second.origin, second.content) == ("cache", MINIMAL)


def test_a_corrupt_cache_is_fetched_again(tmp_path: Path, serve: dict[str, bytes]) -> None:
    serve["/openapi.json"] = MINIMAL
    pin = _pin(serve["__base__"].decode() + "/openapi.json", MINIMAL)
    (tmp_path / f"openapi-{pin.sha256[:16]}.json").write_bytes(b"tampered")
    assert (
        resolve_spec_source(None, env_value=None, cache_dir=tmp_path, pin=pin).origin == "download"
    )


def test_a_checksum_mismatch_is_an_error_and_is_not_cached(
    tmp_path: Path, serve: dict[str, bytes]
) -> None:
    serve["/openapi.json"] = MINIMAL + b" "
    pin = _pin(serve["__base__"].decode() + "/openapi.json", MINIMAL)
    with pytest.raises(SpecError, match="checksum mismatch"):
        resolve_spec_source(None, env_value=None, cache_dir=tmp_path, pin=pin)
    assert list(tmp_path.iterdir()) == []


def test_offline_without_cache_says_how_to_provide_the_file(tmp_path: Path) -> None:
    pin = _pin("http://127.0.0.1:9/openapi.json", MINIMAL)  # nothing listens on port 9
    with pytest.raises(SpecUnavailableError) as info:
        resolve_spec_source(None, env_value=None, cache_dir=tmp_path, pin=pin)
    message = str(info.value)
    for hint in ("--spec PATH", "OAICONFORM_SPEC", str(tmp_path), pin.sha256, pin.url):
        assert hint in message
    assert "\n" not in message


def _load(tmp_path: Path, content: bytes) -> Spec:
    path = tmp_path / "spec.json"
    path.write_bytes(content)
    return load_spec(resolve_spec_source(str(path), env_value=None, cache_dir=tmp_path))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"hello: [unclosed", "neither JSON nor YAML"),
        (b"just a line of text", "not an OpenAPI description"),
        (b'{"swagger": "2.0"}', "not an OpenAPI description"),
        (b'{"openapi": "2.0", "paths": {}}', "OpenAPI 2.0 found, 3.x required"),
        (b'{"openapi": "3.1.0"}', "has no `paths` object"),
        (b"\xff\xfe\x00binary", "not a text file"),
    ],
)
def test_files_that_are_not_openapi_3_are_refused(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    with pytest.raises(SpecError, match=expected.replace("(", r"\(").replace("`", "`")):
        _load(tmp_path, content)


def test_missing_file_and_directory_are_named(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        resolve_spec_source(str(tmp_path / "nope.json"), env_value=None)
    with pytest.raises(SpecError, match="is a directory"):
        resolve_spec_source(str(tmp_path), env_value=None)


def test_yaml_descriptions_load_too(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        b"openapi: 3.0.3\ninfo: {version: '1'}\npaths:\n  /x:\n    get:\n"
        b"      operationId: getX\n      responses: {'200': {description: ok}}\n",
    )
    assert list(spec.operations) == ["getX"]


def test_the_pinned_description_is_indexed_and_normalised(spec: Spec) -> None:
    assert len(spec.operations) == 288
    # 111 in the pinned description; overlay 012 replaces two (RunObject.tool_choice and
    # truncation_strategy: null allowed on the run itself, where an allOf cancelled it).
    assert spec.nullable_rewritten == 109
    assert spec.operation("retrieveModel").path == "/models/{model}"
    pointer = spec.response_schema_pointer("retrieveModel", 200)
    assert pointer is not None
    model = {"id": "m", "object": "model", "created": 1, "owned_by": "o"}
    assert spec.validate(pointer, model) == []  # a path template in the pointer works


def test_nullable_becomes_a_null_type(tmp_path: Path) -> None:
    doc = (
        b'{"openapi": "3.1.0", "paths": {}, "components": {"schemas": {'
        b'"A": {"type": "string", "nullable": true, "enum": ["x"]},'
        b'"B": {"$ref": "#/components/schemas/A", "nullable": true}}}}'
    )
    spec = _load(tmp_path, doc)
    assert spec.validate("/components/schemas/A", None) == []
    assert spec.validate("/components/schemas/B", None) == []
    assert spec.validate("/components/schemas/A", "y") != []


def test_a_source_is_parsed_once_per_checksum(spec: Spec) -> None:
    again = SpecSource("flag", "elsewhere", spec.source.content, spec.source.sha256, True)
    assert load_spec(again) is spec
