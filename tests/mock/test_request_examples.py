"""The mock accepts every request example of the description.

Application developers test against the mock, so what the description shows a client sending
must get through: each `x-oaiMeta.examples[*].request.curl` is parsed (curl_examples.py), sent
to a mock and answered 2xx, or with the 404/400 that names a reference of the example the mock
does not hold (`file-abc123`). Where the mock keeps such objects, one is created first and its
id substituted (`_CREATORS`), so the example is answered 2xx.

An example that is wrong as written (invalid JSON, a path or method the description does not
document, a member its own schema requires left out) is listed in `DESCRIPTION_DEFECTS` with
the reason, printed, and held to still be wrong: an entry the description has fixed fails the
test until it is removed. Anything else that is not answered as above fails the test, an
example this reader cannot parse included.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from oaiconform.mock import MockConfig, MockServer
from oaiconform.mock.config import DEFAULT_MODELS
from oaiconform.spec import Spec
from tests.conftest import TEST_KEY
from tests.mock.curl_examples import (
    CurlParseError,
    CurlRequest,
    parse_curl,
    request_examples,
)
from tests.mock.test_generic import batch_input_file

# label -> why the example cannot be answered 2xx by any server that serves the description.
DESCRIPTION_DEFECTS = {
    "createEvalRun[0]": "the -d body is not JSON (a closing brace is missing)",
    "createFineTuningJob[5]": "the -d body is not JSON (a comma is missing after `name`)",
    "accept-realtime-call[0]": "the -d body is not JSON (a trailing comma)",
    "searchVectorStore[0]": 'the -d body is not JSON (`"filters": {...}` is an ellipsis)',
    "createVectorStoreFileBatch[0]": "not a shell command (a quote is not closed)",
    "cancelEvalRun[0]": "POST .../runs/{run_id}/cancel is not a documented path "
    "(the description documents cancel as POST .../runs/{run_id})",
    "cancelVectorStoreFileBatch[0]": "the path says files_batches, the description file_batches",
    "listFilesInVectorStoreBatch[0]": "the path says files_batches, the description file_batches",
    "deleteFineTuningCheckpointPermission[0]": "no -X DELETE: curl sends GET, not documented "
    "for that path",
    "cancelUpload[0]": "no -X POST: curl sends GET, not documented for that path",
    "CreateChatSessionMethod[0]": "omits `user`, which the request schema requires (and the "
    "official SDK's `chatkit.sessions.create` too)",
}
# A message that says the named object does not exist (files, batches, responses, models, ...).
_NOT_FOUND = re.compile(r"not found|no such|does not exist", re.IGNORECASE)


# -- the mock and the objects an example refers to -------------------------------------------


def _models_named(examples: list[CurlRequest]) -> tuple[str, ...]:
    """The models the examples ask for (`gpt-5.4`, `sora-2`, ...): the mock serves them, as the
    API does; the examples' placeholders already became models it serves by default."""
    named = dict.fromkeys(DEFAULT_MODELS)
    for request in examples:
        body = request.json_body
        if isinstance(body, dict) and isinstance(body.get("model"), str):
            named[body["model"]] = None
        named.update((p.value.decode(), None) for p in request.form if p.name == "model")
    return tuple(named)


def _expect_created(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text[:300]
    return str(response.json()["id"])


def _create_batch(client: httpx.Client) -> str:
    body = {
        "input_file_id": batch_input_file(client),
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    return _expect_created(client.post("/batches", json=body))


def _create_response(client: httpx.Client) -> str:
    # In the background: the cancel example may only cancel a response still under way.
    body = {"model": "gpt-4o-mini", "input": "Hi", "background": True}
    return _expect_created(client.post("/responses", json=body))


def _create_chat_completion(client: httpx.Client) -> str:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "store": True}
    return _expect_created(client.post("/chat/completions", json=body))


def _fine_tuned_model(client: httpx.Client) -> str:
    return next(m for m in DEFAULT_MODELS if m.startswith("ft:"))  # each key may delete it once


# How an id of the example's kind (by its prefix) is made on the mock.
_CREATORS: dict[str, Callable[[httpx.Client], str]] = {
    "file-": batch_input_file,
    "batch_": _create_batch,
    "resp_": _create_response,
    "chatcmpl-": _create_chat_completion,
    "chat_": _create_chat_completion,
    "ft:": _fine_tuned_model,
}


# -- sending and judging ---------------------------------------------------------------------


def _send(client: httpx.Client, request: CurlRequest) -> httpx.Response:
    files = [
        (part.name, (part.filename, part.value, part.content_type or "application/octet-stream"))
        if part.filename is not None or part.content_type
        else (part.name, (None, part.value))
        for part in request.form
    ]
    return client.request(
        request.method,
        request.path,
        params=tuple(request.query),
        headers=request.headers,
        json=request.json_body,
        files=files or None,
        content=b"" if request.empty_body else None,
    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _missing_reference(request: CurlRequest, response: httpx.Response) -> str | None:
    """The example's value a 404/400 says does not exist, or None if it says something else."""
    if response.status_code not in (400, 404):
        return None
    try:
        message = str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return None
    if not _NOT_FOUND.search(message):
        return None
    sent = [*request.path.split("/"), *(v for _, v in request.query), *_strings(request.json_body)]
    sent += [p.value.decode(errors="replace") for p in request.form if p.filename is None]
    named = [value for value in sent if len(value) >= 4 and value in message]
    return max(named, key=len) if named else None


@dataclass
class Outcome:
    status: int
    created: list[str] = field(default_factory=list)  # references made first, substituted
    missing: str | None = None  # the reference a 4xx said does not exist
    text: str = ""


def answer(client: httpx.Client, request: CurlRequest) -> Outcome:
    """The example's answer; a reference the mock does not hold is created first where it can
    be, and the example sent again with the new id (a few rounds: a batch needs a file)."""
    created: list[str] = []
    for _ in range(4):
        response = _send(client, request)
        missing = _missing_reference(request, response)
        creator = next((c for p, c in _CREATORS.items() if (missing or "").startswith(p)), None)
        if missing is None or creator is None or missing in created:
            return Outcome(response.status_code, created, missing, response.text[:300])
        new_id = creator(client)
        created.append(missing)
        request = request.substituted(missing, new_id)
    return Outcome(response.status_code, created, missing, response.text[:300])


@pytest.fixture(scope="module")
def parsed(spec: Spec) -> dict[str, CurlRequest | CurlParseError]:
    out: dict[str, CurlRequest | CurlParseError] = {}
    for example in request_examples(spec):
        try:
            out[example.label] = parse_curl(example.curl)
        except CurlParseError as exc:
            out[example.label] = exc
    return out


@pytest.fixture(scope="module")
def client(spec: Spec, parsed: dict[str, CurlRequest | CurlParseError]) -> Iterator[httpx.Client]:
    requests = [r for r in parsed.values() if isinstance(r, CurlRequest)]
    config = MockConfig(api_keys=(TEST_KEY,), models=_models_named(requests))
    headers = {"Authorization": f"Bearer {TEST_KEY}"}
    with (
        MockServer(config, spec) as server,
        httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client,
    ):
        yield client


def _without_curl(spec: Spec) -> list[str]:
    """Examples that show SDK snippets only: nothing a reader of curl can send."""
    labels = []
    for operation in spec.operations.values():
        examples = (operation.raw.get("x-oaiMeta") or {}).get("examples")
        for index, example in enumerate(examples if isinstance(examples, list) else [examples]):
            request = example.get("request") if isinstance(example, dict) else None
            if isinstance(request, dict) and not isinstance(request.get("curl"), str):
                labels.append(f"{operation.operation_id}[{index}]")
    return labels


def test_the_mock_accepts_every_request_example(
    spec: Spec,
    parsed: dict[str, CurlRequest | CurlParseError],
    client: httpx.Client,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answered, after_creating, not_found, defects, others = 0, 0, 0, [], []
    for label, request in parsed.items():
        if isinstance(request, CurlParseError):
            outcome: Outcome | None = None
            found = f"cannot be parsed: {request}"
        else:
            outcome = answer(client, request)
            found = f"{request.method} {request.path} -> {outcome.status}: {outcome.text}"
        accepted = outcome is not None and 200 <= outcome.status < 300
        if label in DESCRIPTION_DEFECTS:
            listed = f"{label}: {DESCRIPTION_DEFECTS[label]}"
            defects.append(listed)
            if accepted:
                others.append(f"{listed}, but it was answered 2xx: remove it from the list")
        elif accepted and outcome is not None:
            answered += 1
            after_creating += bool(outcome.created)
        elif outcome is not None and outcome.missing is not None and outcome.status < 500:
            not_found += 1
        else:
            others.append(f"{label}: {found}")
    sent = sum(isinstance(r, CurlRequest) for r in parsed.values())
    with capsys.disabled():
        print(
            f"\n{len(parsed)} curl examples: {sent} sent, {answered} answered 2xx "
            f"({after_creating} after creating the object they refer to), {not_found} a "
            f"'reference not found' 4xx; {len(defects)} wrong as written:"
        )
        for line in [
            *defects,
            *(f"{x}: no curl form (SDK snippets only)" for x in _without_curl(spec)),
        ]:
            print(f"  {line}")
    assert others == [], "\n".join(others)
    assert answered + not_found + len(defects) == len(parsed)


# -- what the examples needed of the generic handler, one at a time -------------------------

_SDP = b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


@pytest.mark.parametrize(
    ("session", "status"),
    [
        pytest.param(b'{"type": "realtime", "model": "gpt-realtime"}', 201, id="json-part"),
        pytest.param(b'{"type": "realtime",', 400, id="json-part-not-json"),
        pytest.param(b'{"type": 7}', 400, id="json-part-invalid"),
    ],
)
def test_a_multipart_field_declared_json_is_read_as_json(
    client: httpx.Client, session: bytes, status: int
) -> None:
    """create-realtime-call sends `-F 'session={...};type=application/json'`: an object, not
    a string, for a member whose schema is an object."""
    files = {
        "sdp": (None, _SDP, "application/sdp"),
        "session": (None, session, "application/json"),
    }
    response = client.post("/realtime/calls", files=files)
    assert response.status_code == status, response.text
    if status == 400:
        assert str(response.json()["error"]["param"]).startswith("session")


def test_an_optional_body_sent_empty_as_json_is_no_body(client: httpx.Client) -> None:
    """createThread's example sends `-d ''` with `Content-Type: application/json`."""
    headers = {"Content-Type": "application/json", "OpenAI-Beta": "assistants=v2"}
    response = client.post("/threads", content=b"", headers=headers)
    assert response.status_code == 200, response.text
