"""One exchange judged with every check that applies to it, without a test around it.

A suite test knows what it asked for; traffic seen by the validating proxy (or replayed from a
recording) does not. `judge` picks the checks from what the exchange itself says: the route
and method (the operation of the description), the status, the content type, and the request
body (stream, n, tools, tool_choice, response_format, encoding_format, ...). Only checks that
depend on nothing but this request and its answer apply; checks that compare two exchanges or
need a request built to provoke something (max_tokens honoured, the same input embedded twice)
stay with the suites.

Pure: no I/O, no clock (freshness is judged against `Exchange.answered_at()`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from oaiconform.checks import (
    batches,
    chat,
    completions,
    embeddings,
    errors,
    files,
    headers,
    http,
    models,
    moderations,
    pagination,
    responses,
    schema,
    stream_assembly,
    stream_completions,
    stream_responses,
    stream_usage,
    streaming,
    tools,
)
from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import CheckResult, failures_of, registered
from oaiconform.exchange import Exchange, StreamExchange
from oaiconform.spec import ListOperation, Spec, list_operations
from oaiconform.spec._model import Operation

_API_PREFIX = "/v1"
# What a delete answers as `object`, by operation: the request names the object, the answer
# must confirm it (never read from the answer itself).
_DELETED_OBJECT = {
    "deleteFile": "file",
    "deleteVectorStore": "vector_store.deleted",
    "deleteConversation": "conversation.deleted",
    "deleteModel": "model",
}
_CHAT_CREATE = "createChatCompletion"
_COMPLETIONS_CREATE = "createCompletion"
_RESPONSE_OPERATIONS = frozenset({"createResponse", "getResponse", "cancelResponse"})
_MULTIPART_NAME = re.compile(rb'name="([^"]*)"(?:; filename="([^"]*)")?')


@dataclass
class Judgement:
    """The failures of one exchange and the ids of the checks that judged it (in order)."""

    failures: list[Failure] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)

    def run(self, check: Callable[..., CheckResult], *args: Any, **kwargs: Any) -> None:
        info = registered(check)
        self.applied.append(info.id if info else check.__name__)
        self.failures.extend(failures_of(check(*args, **kwargs)))


@dataclass(frozen=True)
class Answer:
    """A 2xx JSON answer and what an area check reads of it: the request's JSON, the body."""

    spec: Spec
    head: Exchange
    sent: dict[str, Any]
    body: dict[str, Any]


def judge_exchange(spec: Spec, exchange: Exchange | StreamExchange) -> list[Failure]:
    """Every failure any applicable check finds in one request and its answer."""
    return judge(spec, exchange).failures


def judge(spec: Spec, exchange: Exchange | StreamExchange) -> Judgement:
    """The failures of one exchange, with which checks ran (a vacuous pass shows as none)."""
    stream = exchange if isinstance(exchange, StreamExchange) else None
    head = exchange.head if isinstance(exchange, StreamExchange) else exchange
    judgement = Judgement()
    judgement.run(headers.request_id_present, head)
    judgement.run(headers.rate_limit_headers, head)
    if head.status == 429:
        judgement.run(headers.retry_after, head)
    operation = operation_of(spec, head.request.method, head.request.url)
    if head.status >= 400:
        _judge_error(spec, judgement, operation, head)
    elif not 200 <= head.status < 300:
        return judgement  # a 1xx or 3xx: the Target reports those before any check
    elif stream_requested(head):
        # Asked for a stream: an answer that is none fails here (a head alone has no events).
        judgement.run(streaming.event_stream_served, stream or StreamExchange(head))
        if stream is not None and stream.is_event_stream:
            _judge_stream(spec, judgement, operation, stream)
        elif head.media_type != "text/event-stream":
            _judge_success(spec, judgement, operation, head)
    else:
        judgement.run(streaming.json_not_event_stream, head)
        if head.media_type != "text/event-stream":
            _judge_success(spec, judgement, operation, head)
    return judgement


def stream_requested(head: Exchange) -> bool:
    """The request asked for an event stream: `stream: true`, or `?stream=true` on a GET."""
    query = parse_qs(urlsplit(head.request.url).query)
    return request_json(head).get("stream") is True or query.get("stream") == ["true"]


def operation_of(spec: Spec, method: str, url: str) -> Operation | None:
    """The operation of the description a concrete request addresses, or None.

    The template with the most literal segments wins (`/responses/compact` over
    `/responses/{response_id}`); a template with a fixed query (`?beta=true`) only when the
    request carries that query.
    """
    parts = urlsplit(url)
    path = parts.path.removeprefix(_API_PREFIX) or "/"
    segments = path.strip("/").split("/")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    best: tuple[int, Operation] | None = None
    for template, fixed, operation in _routes(spec).get((method.upper(), len(segments)), ()):
        if any(query.get(k) != v for k, v in fixed):
            continue
        literal = _literal_match(template, segments)
        if literal is not None and (best is None or literal > best[0]):
            best = (literal, operation)
    return best[1] if best else None


_Route = tuple[list[str], tuple[tuple[str, str], ...], Operation]


@functools.cache
def _routes(spec: Spec) -> dict[tuple[str, int], list[_Route]]:
    # By method and segment count, once per spec: the proxy asks this for every exchange.
    routes: dict[tuple[str, int], list[_Route]] = {}
    for operation in spec.operations.values():
        template = operation.route.strip("/").split("/")
        fixed = tuple(operation.fixed_query.items())
        routes.setdefault((operation.method, len(template)), []).append(
            (template, fixed, operation)
        )
    return routes


def _literal_match(template: list[str], segments: list[str]) -> int | None:
    """How many literal segments of the template match, or None when it does not match."""
    if len(template) != len(segments):
        return None
    literal = 0
    for expected, found in zip(template, segments, strict=True):
        if expected.startswith("{") and expected.endswith("}"):
            continue
        if expected != found:
            return None
        literal += 1
    return literal


def request_json(exchange: Exchange) -> dict[str, Any]:
    """The JSON object that was sent, or {} (a multipart upload, an empty body)."""
    return streaming.request_body(exchange)


def _judge_error(
    spec: Spec, judgement: Judgement, operation: Operation | None, head: Exchange
) -> None:
    judgement.run(errors.error_envelope, head)
    judgement.run(errors.error_nullable_fields, head)
    # Error answers only: a success may carry the key because the request's own text did
    # (a model repeating its prompt); an error message that quotes it is the server's doing.
    key = submitted_key(head)
    if key is not None:
        judgement.run(errors.key_not_echoed, head, key)
    if operation is not None and spec.response_schema_pointer(operation.operation_id, head.status):
        judgement.run(schema.response_schema_conformance, spec, operation.operation_id, head)


def submitted_key(exchange: Exchange) -> str | None:
    """The API key the request carried (a Bearer token, or an `api-key` header), or None."""
    scheme, _, token = (exchange.request.header("authorization") or "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    for name in ("api-key", "x-api-key"):
        value = (exchange.request.header(name) or "").strip()
        if value:
            return value
    return None


def _judge_stream(
    spec: Spec, judgement: Judgement, operation: Operation | None, stream: StreamExchange
) -> None:
    if operation is not None and operation.operation_id == _CHAT_CREATE:
        body = request_json(stream.head)
        judgement.run(streaming.stream_framing, stream)
        judgement.run(streaming.chat_chunks, spec, stream)
        judgement.run(stream_usage.chat_stream_usage, stream)
        if body.get("tools"):
            judgement.run(stream_assembly.chat_tool_call_stream, stream)
    elif operation is not None and operation.operation_id == _COMPLETIONS_CREATE:
        judgement.run(streaming.stream_framing, stream)
        judgement.run(stream_completions.completion_chunks, spec, stream)
    elif operation is not None and operation.operation_id in _RESPONSE_OPERATIONS:
        judgement.run(streaming.stream_framing, stream, done_required=False)
        judgement.run(stream_responses.response_stream_events, spec, stream)
        judgement.run(stream_responses.response_stream_grammar, stream)
    else:
        judgement.run(streaming.stream_framing, stream, done_required=False)


def _judge_success(
    spec: Spec, judgement: Judgement, operation: Operation | None, head: Exchange
) -> None:
    sent = request_json(head)
    if operation is None:
        return  # a route the description does not document: nothing to judge it against
    pointer = spec.response_schema_pointer(operation.operation_id, head.status)
    if pointer is not None and _resolve(spec, pointer).get("type") == "string":
        # A file's bytes (downloadFile, video and skill content): the description writes
        # them as a JSON string, the API serves the file as it is (JSONL, MP4, ...).
        return
    if pointer is not None:
        judgement.run(http.json_object_body, head)
    judgement.run(schema.response_schema_conformance, spec, operation.operation_id, head)
    if not head.is_json or not isinstance(head.json(), dict):
        return  # the schema check reported the body; area checks read a JSON object
    body: dict[str, Any] = head.json()
    listing = _list_operation(spec, operation)
    if listing is not None:
        judgement.run(
            pagination.page_shape, head, limit=_limit(head), cursors=_cursor_fields(spec, listing)
        )
    area = _AREA_CHECKS.get(operation.operation_id)
    if area is not None:
        area(judgement, Answer(spec, head, sent, body))
    if operation.operation_id in _DELETED_OBJECT:
        object_id = urlsplit(head.request.url).path.rstrip("/").rpartition("/")[2]
        judgement.run(
            files.deletion_confirmed, body, object_id, _DELETED_OBJECT[operation.operation_id]
        )


def _chat(judgement: Judgement, answer: Answer) -> None:
    head, sent, body = answer.head, answer.sent, answer.body
    n = sent.get("n")
    judgement.run(
        chat.chat_completion_fields,
        body,
        requested_n=_count(n) or 1,
        now=head.answered_at(),
    )
    if body.get("usage") is not None:
        judgement.run(chat.usage_totals, body.get("usage"))
    declared = sent.get("tools")
    if isinstance(declared, list) and declared:
        judgement.run(tools.tool_calls_well_formed, body, declared)
        choice = sent.get("tool_choice")
        if choice == "none" or choice == "required" or isinstance(choice, dict):
            judgement.run(tools.tool_choice_honoured, body, choice)
        if sent.get("parallel_tool_calls") is False:
            judgement.run(tools.at_most_one_call, body)
    response_format = sent.get("response_format")
    if isinstance(response_format, dict):
        if response_format.get("type") == "json_object":
            judgement.run(chat.json_object_content, body)
        json_schema = response_format.get("json_schema")
        if response_format.get("type") == "json_schema" and isinstance(json_schema, dict):
            judgement.run(chat.json_schema_content, body, json_schema.get("schema") or {})


def _response(judgement: Judgement, answer: Answer) -> None:
    head, sent, body = answer.head, answer.sent, answer.body
    model = sent.get("model") if head.request.method == "POST" else None
    judgement.run(
        responses.response_object_fields, body, model=model if isinstance(model, str) else None
    )
    offered = [t for t in sent.get("tools") or [] if isinstance(t, dict)]
    functions = [t for t in offered if t.get("type") == "function"]
    called = any(
        isinstance(item, dict) and item.get("type") == "function_call"
        for item in body.get("output") or []
    )
    # function_call_matches judges calls of the one tool offered. With several the name is free,
    # and a conversation that carries calls or tools of its own (earlier function_call items,
    # additional_tools) may be answered with a call of those: the API does so.
    if called and len(offered) == 1 and len(functions) == 1 and _fresh_input(sent.get("input")):
        judgement.run(responses.function_call_matches, body, functions[0])
    limit = sent.get("max_output_tokens")
    details = body.get("incomplete_details")
    if (
        isinstance(limit, int)
        and isinstance(details, dict)
        and details.get("reason") == "max_output_tokens"
    ):
        judgement.run(responses.incomplete_at_max_output_tokens, body, limit)


def _count(given: Any) -> int | None:
    """A count the request gave (`n`), or None. JSON Schema's integer includes 88.0, and
    servers read it as 88, so an integral float counts (a boolean does not)."""
    if isinstance(given, bool) or not isinstance(given, int | float):
        return None
    if isinstance(given, float) and not given.is_integer():
        return None
    return int(given) if given > 0 else None


def _fresh_input(given: Any) -> bool:
    """The input is text or messages only: no earlier calls, outputs or tools of its own."""
    if not isinstance(given, list):
        return True
    return all(
        not isinstance(item, dict) or item.get("type") in (None, "message") for item in given
    )


def _list_operation(spec: Spec, operation: Operation) -> ListOperation | None:
    """The cursor-paginated list `operation` is, or None."""
    return _lists_by_operation(spec).get(operation.operation_id)


@functools.cache
def _lists_by_operation(spec: Spec) -> dict[str, ListOperation]:
    # Derived from the whole description: once per spec, not once per exchange.
    return {listing.operation.operation_id: listing for listing in list_operations(spec)}


def _limit(head: Exchange) -> int | None:
    given = parse_qs(urlsplit(head.request.url).query).get("limit", [""])[0]
    return int(given) if given.isdigit() else None


def _cursor_fields(spec: Spec, listing: ListOperation) -> pagination.CursorFields:
    """Which edge ids the list schema has, and which it requires (as the pagination suite)."""
    present = listing.response_fields & {"first_id", "last_id"}
    pointer = spec.response_schema_pointer(listing.operation.operation_id, 200) or ""
    required = frozenset(_resolve(spec, pointer).get("required") or ())
    return pagination.CursorFields(frozenset(present), required & present)


def _resolve(spec: Spec, pointer: str) -> dict[str, Any]:
    """The schema a JSON pointer into the description names, its `$ref` followed."""
    node: Any = spec.document
    for token in pointer.lstrip("/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    resolved = spec.deref(node)
    return resolved if isinstance(resolved, dict) else {}


def _model(judgement: Judgement, answer: Answer) -> None:
    body = answer.body
    judgement.run(models.model_object_fields, body)


def _models(judgement: Judgement, answer: Answer) -> None:
    body = answer.body
    judgement.run(models.model_list_fields, body)


def _batch(judgement: Judgement, answer: Answer) -> None:
    sent, body = answer.sent, answer.body
    endpoint, input_file_id = sent.get("endpoint"), sent.get("input_file_id")
    if isinstance(endpoint, str) and isinstance(input_file_id, str):
        judgement.run(
            batches.batch_object_fields, body, endpoint=endpoint, input_file_id=input_file_id
        )


def _moderation(judgement: Judgement, answer: Answer) -> None:
    sent, body = answer.sent, answer.body
    given = sent.get("input")
    # Text inputs get one result each; how multimodal parts map to results is not documented.
    if isinstance(given, str) or (
        isinstance(given, list) and given and all(isinstance(x, str) for x in given)
    ):
        judgement.run(
            moderations.moderation_results,
            body,
            inputs=1 if isinstance(given, str) else len(given),
            categories=moderations.moderation_categories(answer.spec),
        )


def _completion(judgement: Judgement, answer: Answer) -> None:
    sent, body = answer.sent, answer.body
    prompt, n = sent.get("prompt"), sent.get("n")
    prompts = (
        len(prompt)
        if isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt)
        else 1
    )
    judgement.run(
        completions.text_completion_fields,
        body,
        expected_choices=prompts * (_count(n) or 1),
    )
    top, choices = sent.get("logprobs"), body.get("choices")  # legacy logprobs: alternatives
    if isinstance(top, int) and not isinstance(top, bool) and top >= 0:
        for choice in choices if isinstance(choices, list) else ():
            judgement.run(completions.completion_logprobs, choice, top=top)


def _embedding(judgement: Judgement, answer: Answer) -> None:
    sent, body = answer.sent, answer.body
    given = sent.get("input")
    inputs = len(given) if isinstance(given, list) and not _is_token_ids(given) else 1
    dimensions = sent.get("dimensions")
    judgement.run(
        embeddings.embedding_list,
        body,
        inputs=inputs,
        dimensions=dimensions if isinstance(dimensions, int) else None,
        encoding="base64" if sent.get("encoding_format") == "base64" else "float",
    )
    judgement.run(embeddings.embedding_usage, body)


def _is_token_ids(given: list[Any]) -> bool:
    """One input given as token ids ([1, 2, 3]), not a batch of inputs."""
    return bool(given) and all(isinstance(x, int) and not isinstance(x, bool) for x in given)


def _file_upload(judgement: Judgement, answer: Answer) -> None:
    head, body = answer.head, answer.body
    upload = multipart_upload(head)
    if upload is not None:
        filename, purpose, size = upload
        judgement.run(files.file_object_fields, body, filename=filename, purpose=purpose, size=size)


def multipart_upload(exchange: Exchange) -> tuple[str, str, int] | None:
    """(filename, purpose, size in bytes) of a multipart/form-data upload, or None."""
    content_type = exchange.request.header("content-type") or ""
    boundary = content_type.partition("boundary=")[2].strip('"')
    if not boundary:
        return None
    fields: dict[str, bytes] = {}
    filename = None
    for part in exchange.request.body.split(b"--" + boundary.encode())[1:-1]:
        head, _, content = part.partition(b"\r\n\r\n")
        named = _MULTIPART_NAME.search(head)
        if named is None:
            continue
        fields[named.group(1).decode()] = content.removesuffix(b"\r\n")
        if named.group(2) is not None:
            filename = named.group(2).decode()
    if filename is None or "file" not in fields or "purpose" not in fields:
        return None
    return filename, fields["purpose"].decode(), len(fields["file"])


_AREA_CHECKS: dict[str, Callable[[Judgement, Answer], None]] = {
    _CHAT_CREATE: _chat,
    _COMPLETIONS_CREATE: _completion,
    "listModels": _models,
    "retrieveModel": _model,
    "createBatch": _batch,
    "createModeration": _moderation,
    "createResponse": _response,
    "getResponse": _response,
    "cancelResponse": _response,
    "createEmbedding": _embedding,
    "createFile": _file_upload,
}
