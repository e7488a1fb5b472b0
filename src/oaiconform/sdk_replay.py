"""Replay a test's recorded answers through the official `openai` SDK: does the defect break a
real client?

For each recorded request that is an operation the SDK has a method for, the SDK makes the
call a client would make (the recorded JSON body as keyword arguments) against an in-process
transport that answers with the recorded status, headers and body bytes; nothing goes over the
network. What the SDK handed over is compared with what the server sent (the data an
application reads: message content, tool calls, finish reasons, streamed deltas, vectors, the
ids of a listing). `openai` is an optional extra: without it `replay_exchanges` returns [].

Our own errors are not the SDK's: the transport keeps its own exceptions and re-raises them
after the SDK call, and the comparisons run outside the `try` around the SDK. Reading the
attributes an application reads (`chunk.choices[0].delta.content`) is part of the SDK call.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import math
import re
import struct
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from oaiconform.exchange import Exchange, StreamExchange
from oaiconform.sse import SSEParser

if TYPE_CHECKING:
    import httpx2
    import openai

API_KEY = "sk-replay-not-a-key"
MAX_PAGES = 50
MAX_EVENTS = 10_000
DETAIL_CHARS = 300
LOOP_DETAIL = "auto-pagination asked for the same page twice: it would never end"
# Headers that describe the bytes on the wire, not the decoded body the Target recorded.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_SDK_OWN_PARAMS = frozenset({"extra_headers", "extra_query", "extra_body", "timeout"})


@dataclass(frozen=True)
class SdkReplay:
    call: str  # what a client did, e.g. "client.chat.completions.create(stream=True) iterated"
    outcome: str  # "raised" | "differs" | "fine"
    detail: str  # raised: "<ExceptionType>: <message>"; differs: SDK vs server; fine: ""
    sdk_version: str
    request: str  # "POST /v1/chat/completions"


def sdk_version() -> str | None:
    """The installed SDK's version, None when the `sdk` extra is not installed."""
    try:
        import openai
    except ImportError:
        return None
    return str(openai.__version__)


# --- which recorded requests are replayable -------------------------------------------------

# (method, path pattern, kind); the base is what precedes the operation's path (".../v1").
# Order matters: ".../chat/completions" before ".../completions".
_OPERATIONS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"^(?P<base>.*)/chat/completions$"), "chat"),
    ("POST", re.compile(r"^(?P<base>.*)/completions$"), "completions"),
    ("POST", re.compile(r"^(?P<base>.*)/embeddings$"), "embeddings"),
    ("GET", re.compile(r"^(?P<base>.*)/models$"), "models.list"),
    ("GET", re.compile(r"^(?P<base>.*?)/models/(?P<id>[^/]+)$"), "models.retrieve"),
    ("GET", re.compile(r"^(?P<base>.*)/files$"), "files.list"),
    ("GET", re.compile(r"^(?P<base>.*)/files/(?P<id>[^/]+)$"), "files.retrieve"),
    ("GET", re.compile(r"^(?P<base>.*)/batches$"), "batches.list"),
    ("GET", re.compile(r"^(?P<base>.*)/batches/(?P<id>[^/]+)$"), "batches.retrieve"),
    ("POST", re.compile(r"^(?P<base>.*)/batches$"), "batches.create"),
    ("POST", re.compile(r"^(?P<base>.*)/responses$"), "responses"),
)


@dataclass(frozen=True)
class _Operation:
    kind: str
    base_url: str
    ident: str | None
    params: dict[str, Any]  # the JSON body (POST) or the query (GET)
    streamed: bool


def _operation(exchange: Exchange) -> _Operation | None:
    if not (200 <= exchange.status < 300 or exchange.status >= 400):
        return None  # no answer (status 0) or a redirect: nothing a client would read
    parts = urlsplit(exchange.request.url)
    path = parts.path.rstrip("/")
    for method, pattern, kind in _OPERATIONS:
        match = pattern.match(path)
        if exchange.request.method.upper() != method or match is None:
            continue
        base_url = f"{parts.scheme}://{parts.netloc}{match['base']}"
        ident = unquote(match["id"]) if "id" in pattern.groupindex else None
        if method == "GET":
            return _Operation(kind, base_url, ident, dict(parse_qsl(parts.query)), False)
        try:
            body = json.loads(exchange.request.body) if exchange.request.body else {}
        except (ValueError, UnicodeDecodeError):
            return None  # a request no SDK call would produce
        if not isinstance(body, dict) or body.get("stream") not in (True, False, None):
            # No SDK call sends a non-boolean `stream` (a generated invalid body): the SDK
            # would pick streaming by its truthiness and the replay would misread the result.
            return None
        return _Operation(kind, base_url, ident, body, body.get("stream") is True)
    return None


# --- the transport that answers from the recording ------------------------------------------


def _request_key(method: str, url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return method.upper(), unquote(parts.path).rstrip("/"), query


def _http_module() -> Any:
    """The HTTP library the installed SDK builds its client on: httpx2 (openai 3.x), httpx
    (1.x). Its MockTransport and Response are what the SDK's client accepts."""
    import openai

    for cls in openai.DefaultHttpxClient.__mro__:
        root = cls.__module__.split(".")[0]
        if root in ("httpx2", "httpx"):
            return importlib.import_module(root)
    raise RuntimeError(f"openai {openai.__version__}: DefaultHttpxClient is not an httpx client")


class _Stop(Exception):
    """Raised inside the transport to end a replay: the SDK wraps it (APIConnectionError)."""


class _Recording:
    """Answers the SDK's requests with a test's recorded answers, never the network.

    The first request of a call gets the exchange being replayed; later ones (the next page)
    the recorded answer with the same method, path and query. `stop` says why it refused one:
    "loop" (the same request twice: auto-pagination would never end) or "ends" (the recording
    holds no answer). An error of ours here is kept in `own_error` and re-raised by the caller.
    """

    def __init__(self, primary: Exchange, pool: Sequence[Exchange]) -> None:
        self.primary = primary
        self.pool = pool
        self.reset()

    def reset(self) -> None:
        self.asked: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
        self.served: list[Exchange] = []
        self.stop: str | None = None
        self.own_error: BaseException | None = None

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return self._answer(request)
        except _Stop:
            raise
        except Exception as exc:  # a bug of ours: not the SDK's doing
            self.own_error = exc
            raise _Stop from exc

    def _answer(self, request: httpx2.Request) -> httpx2.Response:
        key = _request_key(request.method, str(request.url))
        if key in self.asked:
            self.stop = "loop"
            raise _Stop
        self.asked.add(key)
        if not self.served:
            if key[:2] != _request_key(self.primary.request.method, self.primary.request.url)[:2]:
                raise RuntimeError(f"the SDK's first request {key[0]} {key[1]} is not the recorded")
            answer: Exchange | None = self.primary
        else:
            answer = next(
                (
                    e
                    for e in self.pool
                    if e.status and _request_key(e.request.method, e.request.url) == key
                ),
                None,
            )
        if answer is None:
            self.stop = "ends"
            raise _Stop
        self.served.append(answer)
        headers = [(k, v) for k, v in answer.headers if k.lower() not in _WIRE_HEADERS]
        response: httpx2.Response = _http_module().Response(
            answer.status, headers=headers, content=answer.body
        )
        return response


# --- what the server sent and what the SDK handed over, in one shape ------------------------


@dataclass
class _Choice:
    content: str | None = None
    finish_reason: str | None = None
    tool_calls: dict[int, list[str]] = field(default_factory=dict)  # index -> [id, name, args]

    def summary(self) -> tuple[Any, ...]:
        calls = tuple((i, *call) for i, call in sorted(self.tool_calls.items()))
        return self.content, self.finish_reason, calls


def _get(obj: Any, name: str) -> Any:
    """A field of a JSON object (dict) or of an SDK model, None when absent."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _message_choices(choices: Any, text_field: str | None = None) -> dict[int, _Choice]:
    out: dict[int, _Choice] = {}
    for position, choice in enumerate(choices if isinstance(choices, list) else []):
        index = _get(choice, "index")
        index = index if isinstance(index, int) else position
        message = _get(choice, "message")
        content = _get(choice, text_field) if text_field else _get(message, "content")
        got = _Choice(content, _get(choice, "finish_reason"))
        calls = _get(message, "tool_calls") if text_field is None else None
        for i, call in enumerate(calls if isinstance(calls, list) else []):
            function = _get(call, "function")
            got.tool_calls[i] = [
                str(_get(call, "id")),
                str(_get(function, "name")),
                str(_get(function, "arguments")),
            ]
        out[index] = got
    return out


def _add_delta(out: dict[int, _Choice], chunk: Any, text_field: str | None = None) -> None:
    """Accumulate one streamed chunk (a dict or an SDK model), as a client assembles deltas."""
    choices = _get(chunk, "choices")
    for position, choice in enumerate(choices if isinstance(choices, list) else []):
        index = _get(choice, "index")
        got = out.setdefault(index if isinstance(index, int) else position, _Choice())
        delta = _get(choice, "delta")
        piece = _get(choice, text_field) if text_field else _get(delta, "content")
        if isinstance(piece, str):
            got.content = (got.content or "") + piece
        if _get(choice, "finish_reason") is not None:
            got.finish_reason = _get(choice, "finish_reason")
        calls = _get(delta, "tool_calls") if text_field is None else None
        for order, call in enumerate(calls if isinstance(calls, list) else []):
            at = _get(call, "index")
            entry = got.tool_calls.setdefault(at if isinstance(at, int) else order, ["", "", ""])
            function = _get(call, "function")
            if _get(call, "id"):
                entry[0] = entry[0] or str(_get(call, "id"))
            if _get(function, "name"):
                entry[1] = entry[1] or str(_get(function, "name"))
            if isinstance(_get(function, "arguments"), str):
                entry[2] += _get(function, "arguments")


def _sse_payloads(body: bytes) -> list[Any]:
    """The JSON payloads of every event the recorded stream carried, [DONE] and beyond.

    `head.body` is the whole stream as received (decoded, up to the byte cap), so the events are
    parsed again from it: the same bytes the SDK reads. Events that are not JSON are skipped
    here; the SDK meets them itself.
    """
    parser = SSEParser(max_event_bytes=max(len(body), 1))
    events = [*parser.feed(body), *parser.close()]
    payloads: list[Any] = []
    for event in events:
        try:
            payloads.append(json.loads(event.data))
        except ValueError:
            continue
    return payloads


def _streamed_choices(exchange: Exchange, text_field: str | None = None) -> dict[int, _Choice]:
    """What a streamed answer carried: the deltas assembled, or, when the server answered
    the stream request with a whole JSON body instead of an event stream, that body's choices
    (a client asked for a stream gets nothing of it)."""
    sent: dict[int, _Choice] = {}
    if exchange.media_type != "text/event-stream" and exchange.is_json:
        body = exchange.json()
        if str(_get(body, "object")).endswith(".chunk"):  # one chunk as the whole body
            _add_delta(sent, body, text_field)
            return sent
        return _message_choices(_get(body, "choices"), text_field)
    for payload in _sse_payloads(exchange.body):
        _add_delta(sent, payload, text_field)
    return sent


def _server_json(exchange: Exchange) -> Any:
    return exchange.json() if exchange.is_json else None


def _compare_choices(sdk: dict[int, _Choice], server: dict[int, _Choice], what: str) -> str:
    for index in sorted(set(sdk) | set(server)):
        got = repr(sdk[index].summary()) if index in sdk else "no such choice"
        sent = repr(server[index].summary()) if index in server else "no such choice"
        if got != sent:
            return _cap(f"choice {index} {what}: the SDK handed over {got}, the server sent {sent}")
    return ""


def _floats(embedding: Any) -> list[float] | str:
    """A vector as the server sent it, or why it is not one (base64: little-endian float32)."""
    if isinstance(embedding, list):
        return [float(v) for v in embedding]
    if isinstance(embedding, str):
        try:
            raw = base64.b64decode(embedding, validate=True)
        except ValueError as exc:
            return f"not base64 ({exc})"
        if len(raw) % 4:
            return f"{len(raw)} bytes of base64, not a whole number of float32"
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return f"neither a list nor base64: {type(embedding).__name__}"


def _same_vector(sdk: Sequence[float], server: Sequence[float]) -> bool:
    return len(sdk) == len(server) and all(
        math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) for a, b in zip(sdk, server, strict=True)
    )


def _cap(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."


def _exception_line(exc: BaseException) -> str:
    message = str(exc)
    if not message.strip():  # e.g. a bare `assert` inside the SDK: say where it was raised
        frames = traceback.extract_tb(exc.__traceback__)
        if frames:
            where = frames[-1]
            tail = "/".join(where.filename.replace("\\", "/").split("/")[-3:])
            message = f"(no message) at {tail}:{where.lineno}"
    return _cap(f"{type(exc).__name__}: {message}")


# --- one replay --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    name: str
    run: Callable[[openai.OpenAI], Any]  # the SDK call; returns what an application read
    # "" when what the SDK handed over matches what the server sent (the answers the transport
    # served, in order), else what differs
    compare: Callable[[Any, list[Exchange]], str]


class _Replayer:
    def __init__(self, exchanges: Sequence[Exchange], version: str) -> None:
        self.exchanges = exchanges
        self.version = version
        self.consumed: set[int] = set()  # ids of exchanges a list replay already served

    def replay(self, exchange: Exchange) -> list[SdkReplay]:
        if id(exchange) in self.consumed:
            return []  # a later page of a listing already replayed through auto-pagination
        operation = _operation(exchange)
        if operation is None:
            return []
        calls = _calls(operation, exchange)
        if not calls:
            return []
        import openai

        recording = _Recording(exchange, self.exchanges)
        transport = _http_module().MockTransport(recording)
        http_client = openai.DefaultHttpxClient(transport=transport)
        client = openai.OpenAI(
            base_url=operation.base_url,
            api_key=API_KEY,
            max_retries=0,
            http_client=http_client,
        )
        described = f"{exchange.request.method} {urlsplit(exchange.request.url).path}"
        results: list[SdkReplay] = []
        try:
            for call in calls:
                recording.reset()
                outcome = self._one(client, recording, call)
                if outcome is not None:
                    results.append(SdkReplay(call.name, *outcome, self.version, described))
                # Every recorded answer to a request the SDK made is replayed now (a listing's
                # later pages, or the same page asked again), not again on its own.
                asked = recording.asked
                self.consumed.update(
                    id(e)
                    for e in self.exchanges
                    if _request_key(e.request.method, e.request.url) in asked
                    and e.request.method.upper() == "GET"
                )
        finally:
            client.close()
        return results

    def _one(
        self, client: openai.OpenAI, recording: _Recording, call: _Call
    ) -> tuple[str, str] | None:
        import openai

        try:
            got = call.run(client)
        except Exception as exc:
            if recording.own_error is not None:
                raise recording.own_error from None
            if recording.stop == "loop":
                return "differs", LOOP_DETAIL
            if recording.stop == "ends":
                return "fine", ""  # the recording ends here: the next page was never fetched
            if not recording.served:
                # The SDK refused the call before sending it (its own argument checks, e.g. a
                # helper that needs strict tools): nothing about the recorded answer.
                return None
            last = recording.served[-1]
            if last.status >= 400:
                return _judge_error(last, exc, openai.APIStatusError)
            if type(exc).__name__ in _BY_DESIGN:
                # The parsing helpers raise on an answer cut by max_tokens or a content
                # filter, whoever sent it: the SDK's design, not evidence against the server.
                return "fine", ""
            return "raised", _exception_line(exc)
        if recording.own_error is not None:
            raise recording.own_error
        final = recording.served[-1] if recording.served else None
        if final is not None and final.status >= 400:
            return "differs", _cap(
                f"the server answered {final.status} and the SDK returned {type(got).__name__} "
                "without raising"
            )
        detail = call.compare(got, recording.served)
        return ("differs", detail) if detail else ("fine", "")


_BY_DESIGN = frozenset({"LengthFinishReasonError", "ContentFilterFinishReasonError"})


def _judge_error(
    answer: Exchange, exc: Exception, status_error: type[Exception]
) -> tuple[str, str]:
    """An error answer: the SDK's APIStatusError for it is what a client expects, as long as
    the server's message survived."""
    if not isinstance(exc, status_error):
        return "raised", _exception_line(exc)
    status = getattr(exc, "status_code", None)
    if status != answer.status:
        return "differs", _cap(
            f"the SDK raised {type(exc).__name__} for status {status}, the server sent "
            f"{answer.status}"
        )
    body = _server_json(answer)
    error = body.get("error") if isinstance(body, dict) else None
    sent = error.get("message") if isinstance(error, dict) else None
    if sent is None and isinstance(body, dict):
        sent = body.get("message") or body.get("detail")
    if sent is None and not answer.is_json:
        sent = answer.body.decode("utf-8", errors="replace").strip() or None
    message = str(getattr(exc, "message", ""))
    if isinstance(sent, str) and sent and sent not in message:
        return "differs", _cap(
            f"{type(exc).__name__}.message is {message!r}; the server's message {sent!r} is "
            "not in it"
        )
    return "fine", ""


# --- the calls per operation --------------------------------------------------------------


def _kwargs(
    method: Callable[..., Any], params: dict[str, Any], drop: Iterable[str] = ()
) -> dict[str, Any]:
    """The recorded params as keyword arguments of an SDK method; the rest via extra_body."""
    names = set(inspect.signature(method).parameters) - _SDK_OWN_PARAMS
    skip = set(drop)
    known = {k: v for k, v in params.items() if k in names and k not in skip}
    extra = {k: v for k, v in params.items() if k not in names and k not in skip}
    if extra:
        known["extra_body"] = extra
    return known


def _query_kwargs(method: Callable[..., Any], query: dict[str, str]) -> dict[str, Any]:
    names = set(inspect.signature(method).parameters) - _SDK_OWN_PARAMS
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in query.items():
        typed: Any = int(value) if key == "limit" and value.isdigit() else value
        (known if key in names else extra)[key] = typed
    if extra:
        known["extra_query"] = extra
    return known


def _chat_calls(op: _Operation, exchange: Exchange) -> list[_Call]:
    body = _server_json(exchange)
    if not op.streamed:
        server = _message_choices(_get(body, "choices"))

        def create(client: openai.OpenAI) -> dict[int, _Choice]:
            params = _kwargs(client.chat.completions.create, op.params)
            completion = client.chat.completions.create(**params)
            return _message_choices(completion.choices)

        return [
            _Call(
                "client.chat.completions.create()",
                create,
                lambda got, _served: _compare_choices(
                    got, server, "(content, finish_reason, tool calls)"
                ),
            )
        ]
    sent = _streamed_choices(exchange)

    def iterate(client: openai.OpenAI) -> dict[int, _Choice]:
        params = _kwargs(client.chat.completions.create, op.params)
        got: dict[int, _Choice] = {}
        for n, chunk in enumerate(client.chat.completions.create(**params)):
            if n >= MAX_EVENTS:
                break
            _add_delta(got, chunk)
        return got

    owner = _chat_stream_owner()

    def helper(client: openai.OpenAI) -> dict[int, _Choice]:
        chat: Any = client.chat if owner == "chat" else client.beta.chat
        resource = chat.completions
        params = _kwargs(resource.stream, op.params, drop=("stream",))
        with resource.stream(**params) as stream:
            for n, _event in enumerate(stream):
                if n >= MAX_EVENTS:
                    break
            final = stream.get_final_completion()
        return _message_choices(final.choices)

    what = "assembled from the stream"
    calls = [
        _Call(
            "client.chat.completions.create(stream=True) iterated",
            iterate,
            lambda got, _served: _compare_choices(got, sent, what),
        )
    ]
    if owner is not None:
        calls.append(
            _Call(
                f"client.{owner}.completions.stream(...).get_final_completion()",
                helper,
                lambda got, _served: _compare_choices(got, sent, what),
            )
        )
    return calls


def _chat_stream_owner() -> str | None:
    """Where the SDK has the chat stream helper: `client.chat` (recent), `client.beta.chat`
    (1.x), or nowhere."""
    import openai

    if hasattr(openai.resources.chat.Completions, "stream"):
        return "chat"
    beta = getattr(getattr(openai.resources, "beta", None), "chat", None)
    if hasattr(getattr(beta, "Completions", None), "stream"):
        return "beta.chat"
    return None


def _completions_calls(op: _Operation, exchange: Exchange) -> list[_Call]:
    if not op.streamed:
        server = _message_choices(_get(_server_json(exchange), "choices"), "text")

        def create(client: openai.OpenAI) -> dict[int, _Choice]:
            params = _kwargs(client.completions.create, op.params)
            completion = client.completions.create(**params)
            return _message_choices(completion.choices, "text")

        return [
            _Call(
                "client.completions.create()",
                create,
                lambda got, _served: _compare_choices(got, server, "(text, finish_reason)"),
            )
        ]
    sent = _streamed_choices(exchange, "text")

    def iterate(client: openai.OpenAI) -> dict[int, _Choice]:
        params = _kwargs(client.completions.create, op.params)
        got: dict[int, _Choice] = {}
        for n, chunk in enumerate(client.completions.create(**params)):
            if n >= MAX_EVENTS:
                break
            _add_delta(got, chunk, "text")
        return got

    return [
        _Call(
            "client.completions.create(stream=True) iterated",
            iterate,
            lambda got, _served: _compare_choices(got, sent, "assembled from the stream"),
        )
    ]


def _embeddings_calls(op: _Operation, exchange: Exchange) -> list[_Call]:
    data = _get(_server_json(exchange), "data")
    server = [_floats(_get(item, "embedding")) for item in (data if isinstance(data, list) else [])]
    # A client that wants base64 usually leaves encoding_format to the SDK, which asks for
    # base64 and decodes it: so a recorded base64 request is replayed without it.
    asked = op.params.get("encoding_format")
    drop = ("encoding_format",) if asked == "base64" else ()
    name = (
        "client.embeddings.create() (no encoding_format: the SDK asks for base64 and decodes it)"
        if asked in (None, "base64")
        else f"client.embeddings.create(encoding_format={asked!r})"
    )

    def create(client: openai.OpenAI) -> list[Any]:
        params = _kwargs(client.embeddings.create, op.params, drop=drop)
        response = client.embeddings.create(**params)
        return [item.embedding for item in response.data]

    def compare(got: list[Any], _served: list[Exchange]) -> str:
        if len(got) != len(server):
            return f"the SDK handed over {len(got)} embeddings, the server sent {len(server)}"
        for i, (mine, sent) in enumerate(zip(got, server, strict=True)):
            if isinstance(sent, str):
                return _cap(
                    f"embedding {i}: the server's vector is {sent}; "
                    f"the SDK handed over {_shape(mine)}"
                )
            if not isinstance(mine, list) or not _same_vector(mine, sent):
                return _cap(
                    f"embedding {i}: the SDK handed over {_shape(mine)}, the server sent "
                    f"{len(sent)} floats"
                )
        return ""

    return [_Call(name, create, compare)]


def _shape(value: Any) -> str:
    if isinstance(value, list):
        return f"{len(value)} floats" + (f" starting {value[:2]}" if value else "")
    return f"a {type(value).__name__} ({str(value)[:40]!r})"


def _list_call(
    op: _Operation, exchange: Exchange, name: str, method: Callable[[openai.OpenAI], Any]
) -> list[_Call]:
    """A listing: auto-pagination over every page, the ids iterated vs the recorded pages'."""

    def iterate(client: openai.OpenAI) -> tuple[list[str], bool, int]:
        resource_list = method(client)
        first = resource_list(**_query_kwargs(resource_list, op.params))
        ids: list[str] = []
        pages = 0
        for page in first.iter_pages():
            pages += 1
            ids.extend(str(item.id) for item in page._get_page_items())
            if pages >= MAX_PAGES:
                return ids, page.has_next_page(), pages
        return ids, False, pages

    def compare(got: tuple[list[str], bool, int], served: list[Exchange]) -> str:
        ids, more, pages = got
        if more:
            return f"auto-pagination still had a next page after {pages} pages"
        sent = [str(_get(item, "id")) for page in served for item in _items(page)]
        if ids != sent:
            return _cap(
                f"the SDK iterated {len(ids)} ids {ids[:5]}, the {len(served)} recorded pages "
                f"held {len(sent)} ids {sent[:5]}"
            )
        return ""

    return [_Call(name, iterate, compare)]


def _items(page: Exchange) -> list[Any]:
    data = _get(_server_json(page), "data")
    return data if isinstance(data, list) else []


def _retrieve_call(
    op: _Operation, exchange: Exchange, name: str, method: Callable[[openai.OpenAI], Any]
) -> list[_Call]:
    sent = _get(_server_json(exchange), "id")

    def retrieve(client: openai.OpenAI) -> Any:
        return method(client)(op.ident).id

    def compare(got: Any, _served: list[Exchange]) -> str:
        return "" if got == sent else f"the SDK handed over id {got!r}, the server sent {sent!r}"

    return [_Call(name, retrieve, compare)]


def _output_text(response: Any) -> str:
    """The concatenated output_text parts of a Responses API response (a dict)."""
    texts: list[str] = []
    output = _get(response, "output")
    for item in output if isinstance(output, list) else []:
        content = _get(item, "content") if _get(item, "type") == "message" else None
        for part in content if isinstance(content, list) else []:
            if _get(part, "type") == "output_text" and isinstance(_get(part, "text"), str):
                texts.append(_get(part, "text"))
    return "".join(texts)


def _responses_calls(op: _Operation, exchange: Exchange) -> list[_Call]:
    if not op.streamed:
        sent = _output_text(_server_json(exchange))

        def create(client: openai.OpenAI) -> str:
            params = _kwargs(client.responses.create, op.params)
            return str(client.responses.create(**params).output_text)

        return [
            _Call(
                "client.responses.create().output_text",
                create,
                lambda got, _served: _texts_differ(got, sent, "output_text"),
            )
        ]
    if exchange.media_type != "text/event-stream" and exchange.is_json:
        # A whole response instead of the stream asked for: its text is what the server sent.
        body = exchange.json()
        if isinstance(body, dict) and "type" in body:  # one event as the whole body
            payloads = [body]
        else:
            payloads = [{"type": "response.completed", "response": body}]
            payloads.append({"type": "response.output_text.delta", "delta": _output_text(body)})
    else:
        payloads = [p for p in _sse_payloads(exchange.body) if isinstance(p, dict)]
    deltas = "".join(
        str(p.get("delta", "")) for p in payloads if p.get("type") == "response.output_text.delta"
    )
    completed = next(
        (p.get("response") for p in payloads if p.get("type") == "response.completed"), None
    )
    final_text = _output_text(completed) if completed is not None else deltas

    def iterate(client: openai.OpenAI) -> str:
        params = _kwargs(client.responses.create, op.params)
        text: list[str] = []
        for n, event in enumerate(client.responses.create(**params)):
            if n >= MAX_EVENTS:
                break
            if event.type == "response.output_text.delta":
                text.append(event.delta)
        return "".join(text)

    def helper(client: openai.OpenAI) -> str:
        params = _kwargs(client.responses.stream, op.params, drop=("stream",))
        with client.responses.stream(**params) as stream:
            for n, _event in enumerate(stream):
                if n >= MAX_EVENTS:
                    break
            return stream.get_final_response().output_text

    return [
        _Call(
            "client.responses.create(stream=True) iterated",
            iterate,
            lambda got, _served: _texts_differ(got, deltas, "output_text deltas"),
        ),
        _Call(
            "client.responses.stream(...).get_final_response().output_text",
            helper,
            lambda got, _served: _texts_differ(got, final_text, "output_text"),
        ),
    ]


def _texts_differ(got: str, sent: str, what: str) -> str:
    if got == sent:
        return ""
    return _cap(f"{what}: the SDK handed over {got!r}, the server sent {sent!r}")


def _batches_create(op: _Operation, exchange: Exchange) -> list[_Call]:
    sent = _get(_server_json(exchange), "id")

    def create(client: openai.OpenAI) -> Any:
        return client.batches.create(**_kwargs(client.batches.create, op.params)).id

    def compare(got: Any, _served: list[Exchange]) -> str:
        return "" if got == sent else f"the SDK handed over id {got!r}, the server sent {sent!r}"

    return [_Call("client.batches.create()", create, compare)]


def _calls(op: _Operation, exchange: Exchange) -> list[_Call]:
    import openai

    if op.kind == "chat":
        return _chat_calls(op, exchange)
    if op.kind == "completions":
        return _completions_calls(op, exchange)
    if op.kind == "embeddings":
        return _embeddings_calls(op, exchange)
    if op.kind == "responses" and hasattr(openai.OpenAI, "responses"):  # openai >= 1.66
        return _responses_calls(op, exchange)
    if op.kind == "responses":
        return []
    if op.kind == "batches.create":
        return _batches_create(op, exchange)
    if op.kind == "models.list":
        return _list_call(op, exchange, "client.models.list() iterated", lambda c: c.models.list)
    if op.kind == "files.list":
        return _list_call(
            op, exchange, "client.files.list() auto-paginated", lambda c: c.files.list
        )
    if op.kind == "batches.list":
        return _list_call(
            op, exchange, "client.batches.list() auto-paginated", lambda c: c.batches.list
        )
    retrieve = {
        "models.retrieve": ("client.models.retrieve()", lambda c: c.models.retrieve),
        "files.retrieve": ("client.files.retrieve()", lambda c: c.files.retrieve),
        "batches.retrieve": ("client.batches.retrieve()", lambda c: c.batches.retrieve),
    }
    name, method = retrieve[op.kind]
    return _retrieve_call(op, exchange, name, method)


def replay_exchanges(
    exchanges: Sequence[Exchange], streams: Sequence[StreamExchange]
) -> list[SdkReplay]:
    """Replay what one test recorded (`target.exchanges`, `target.streams`) through the SDK.

    A stream's head is in both lists (Target.stream appends it to `exchanges` too) and holds
    the whole stream as received (its raw bytes, content-decoded): it is replayed once, from
    those bytes. Requests the SDK has no call for, and answers without a status, are skipped;
    so are answers the Target did not read to their end (the byte cap, or a stream it stopped
    reading: stalled, too slow, reset): their bytes are not all the server sent, and the SDK
    would judge a cut we made. [] when the `openai` package is not installed.
    """
    version = sdk_version()
    if version is None:
        return []
    logged = {id(e) for e in exchanges}
    recorded = [*exchanges, *(s.head for s in streams if id(s.head) not in logged)]
    cut = {id(s.head) for s in streams if s.interrupted is not None}
    replayer = _Replayer(recorded, version)
    results: list[SdkReplay] = []
    for exchange in recorded:
        if exchange.truncated or id(exchange) in cut:
            continue
        results.extend(replayer.replay(exchange))
    return results
