"""How closely the mock answers like the real API: recorded exchanges replayed and compared.

Kept beside the corpus, not in the package: it measures the mock against recorded data that
ships with the tests only, and `benchmarks/bench_fidelity.py` and the self-test
(`tests/mock/test_fidelity.py`) both import it. It reads answers as data and never imports the
checks, so it judges nothing about conformance: only whether two answers have the same shape.

An answer's structure is its status, its media type, the set of its JSON key paths with their
JSON types (`output[].content[].text:string`; array indices folded to `[]`, values aside), and
for an event stream the sequence of its event kinds (consecutive repeats folded: a stream of 3
or 30 text deltas is one `response.output_text.delta`) with the key paths of each kind. Text,
ids, numbers' values and the model's length of answer are aside.

The corpus spans 2025-03 to 2026-08, and the API added members to its answers meanwhile
(`billing`, `completed_at`, `tool_usage`, `obfuscation`...): an answer recorded before one was
added lacks it (or has it null), while the mock answers as today's API. Such a member
(`EVOLVED`, each with its first and last shape in the corpus) is compared only where the
recording has a value: the mock sending it to an older recording is no difference, the mock
lacking it where the recording has it is one (`EVOLVED_EXACT`: one whose key path another
kind of item shares, only as that path with its own type). A member the API has since dropped
(`RETIRED`)
is not required of the mock. `differences(..., by_era=False)` compares to the letter.

What the model chose to do is aside too: whether it called a function or answered in words,
refused, or (a reasoning model) showed a reasoning item. The replay asks the mock for the
real answer's choice with the mock's documented answer headers (`x-oaiconform-answer`,
`x-oaiconform-reasoning`: mock/answers.py), so that shapes are compared, not choices.

Each cassette is replayed in its recorded order. An id the real API created (a file, a
response, a batch...) is mapped to the one the mock created at the same place of its answer,
and later requests of the same cassette name the mock's. A request that names an object no
earlier exchange of its cassette created cannot be compared (it is counted apart, with the
reason), unless the real API answered it 404: then the missing object is the point.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from oaiconform.sse import DONE, SSEParser
from tests.corpus.real_api import Recorded, request_bytes

Verdict = str  # "identical", "different", "refused", "not_comparable"

# Ids of objects a request may depend on: in the path, or in these members of the body.
_ID_SHAPE = re.compile(
    r"^(resp|file|batch|vs|conv|thread|run|step|asst|msg|ftjob|chatcmpl|vsfb|cntr|cfile)[-_]"
    r"[A-Za-z0-9_-]{6,}$|^ft:"
)
_PREREQUISITE_KEYS = frozenset(
    {"previous_response_id", "file_id", "file_ids", "input_file_id", "vector_store_ids"}
)


@dataclass(frozen=True)
class Structure:
    """What two answers must share to be structurally identical."""

    status: int
    media_type: str
    paths: frozenset[str]  # "path:type"; for a stream "<event kind> path:type"
    events: tuple[str, ...] = ()  # an event stream's kinds, consecutive repeats folded

    def as_fact(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "media_type": self.media_type,
            "paths": sorted(self.paths),
            "events": list(self.events),
        }

    @classmethod
    def from_fact(cls, fact: dict[str, Any]) -> Structure:
        paths, events = frozenset(fact["paths"]), tuple(fact["events"])
        return cls(fact["status"], fact["media_type"], paths, events)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value with its type: `a.b[].c:string`."""
    found = {f"{prefix or '$'}:{json_type(value)}"}
    if isinstance(value, dict):
        for key, member in value.items():
            found |= key_paths(member, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for member in value:
            found |= key_paths(member, f"{prefix}[]")
    return found


def _fold(kinds: Iterable[str]) -> tuple[str, ...]:
    folded: list[str] = []
    for kind in kinds:
        if not folded or folded[-1] != kind:
            folded.append(kind)
    return tuple(folded)


def _chat_chunk_kind(chunk: dict[str, Any]) -> str:
    """A chat chunk by what it carries: the role, content, tool calls, a finish, usage."""
    choices = chunk.get("choices") or []
    if not choices:
        return "usage" if chunk.get("usage") else "empty"
    choice = choices[0] if isinstance(choices[0], dict) else {}
    delta = choice.get("delta") or {}
    if choice.get("finish_reason"):
        return "finish"
    if delta.get("role"):
        return "role"
    if delta.get("tool_calls"):
        return "tool_calls"
    if delta.get("refusal"):
        return "refusal"
    return "content"


def stream_structure(status: int, media_type: str, text: str) -> Structure:
    parser = SSEParser()
    events = parser.feed(text.encode()) + parser.close()
    kinds: list[str] = []
    paths: set[str] = set()
    for event in events:
        if event.data == DONE:
            kinds.append(DONE)
            continue
        try:
            data = json.loads(event.data)
        except ValueError:
            kinds.append("not-json")
            continue
        if isinstance(data, dict) and isinstance(data.get("type"), str):
            kind = data["type"]
        elif isinstance(data, dict) and data.get("object") == "chat.completion.chunk":
            kind = _chat_chunk_kind(data)
        else:
            kind = "data"
        kinds.append(kind)
        paths |= {f"{kind} {path}" for path in key_paths(data)}
    return Structure(status, media_type, frozenset(paths), _fold(kinds))


def structure_of(status: int, content_type: str, body: bytes | str) -> Structure:
    media_type = content_type.split(";")[0].strip().lower()
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if media_type == "text/event-stream":
        return stream_structure(status, media_type, text)
    try:
        value = json.loads(text) if text.strip() else None
    except ValueError:
        return Structure(status, media_type, frozenset({"$:not-json"}))
    return Structure(status, media_type, frozenset(key_paths(value)))


def recorded_structure(recorded: Recorded) -> Structure:
    raw = recorded.raw
    content_type = next((v for n, v in raw["headers"] if n == "content-type"), "")
    if "body_text" in raw:
        return structure_of(raw["status"], content_type, raw["body_text"])
    return Structure(raw["status"], content_type.split(";")[0].strip().lower(),
                     frozenset(key_paths(raw.get("body"))))  # fmt: skip


# Members the API added to its answers while the corpus was recorded (absent, or null, in the
# older recordings of the same operation; tests/corpus/real_api/, counted by bench_fidelity).
EVOLVED = frozenset(
    {
        # Responses (and the response of its stream events)
        "background",
        "billing",
        "completed_at",
        "frequency_penalty",
        "presence_penalty",
        "max_tool_calls",
        "moderation",
        "prompt_cache_key",
        "prompt_cache_retention",
        "safety_identifier",
        "service_tier",
        "text.verbosity",
        "tool_usage",
        "top_logprobs",
        "reasoning.context",
        "reasoning.mode",
        "reasoning.summary",  # named `generate_summary` before
        "usage.input_tokens_details.cache_write_tokens",
        "output[].content[].logprobs",
        "output[].phase",
        "output[].action.queries",
        "item.content[].logprobs",
        "item.phase",
        "part.logprobs",
        "logprobs",
        "tools[].output_schema",
        "tools[].tools[].output_schema",
        "output[].tools[].output_schema",  # a tool search's loaded functions
        "item.tools[].output_schema",
        "tools[].filters",  # web search
        "tools[].return_token_budget",  # web search
        "tools[].model",  # image generation
        # chat completion chunks and Responses stream events
        "obfuscation",
    }
)
# Members the API added whose key path another kind of item shares, with a type of its own:
# judged by era only as this exact path with only this type (an image generation call's
# `action` string, beside a web search call's `action` object; a reasoning item's empty
# `content`, beside a message's parts, whose own key paths stay compared).
EVOLVED_EXACT = frozenset(
    {"output[].action:string", "item.action:string", "output[].content:array", "item.content:array"}
)
# Members the API sent in older recordings and no longer sends.
RETIRED = frozenset({"reasoning.generate_summary"})


def _member(path: str) -> str:
    """A key path without its stream event kind and without a stream event's `response.`."""
    member = path.split(" ", 1)[1] if " " in path else path
    return member.removeprefix("response.") if " " in path else member


def _covered(path: str, members: frozenset[str]) -> bool:
    member = _member(path)
    return any(member == m or member.startswith((m + ".", m + "[")) for m in members)


def differences(real: Structure, mock: Structure, *, by_era: bool = True) -> list[str]:
    """How the mock's structure differs from the real one's, one label per difference;
    `by_era`: members the API added or dropped over the corpus's time are judged as today's
    API sends them (`EVOLVED`, `RETIRED`)."""
    if real.status != mock.status:
        return [f"status {real.status} -> {mock.status}"]
    found: list[str] = []
    if real.media_type != mock.media_type:
        found.append(f"content type {real.media_type} -> {mock.media_type}")
    if real.events != mock.events:
        found.append("event sequence differs")
    real_types = _types_by_path(real.paths)
    mock_types = _types_by_path(mock.paths)
    for path in sorted(real_types.keys() | mock_types.keys()):
        ours, theirs = mock_types.get(path), real_types.get(path)
        if ours == theirs:
            continue
        if by_era and _era_difference(path, theirs, ours):
            continue
        if ours is None:
            found.append(f"missing {path} ({'|'.join(sorted(theirs or ()))})")
        elif theirs is None:
            found.append(f"extra {path} ({'|'.join(sorted(ours))})")
        else:
            found.append(f"type of {path}: {'|'.join(sorted(theirs))} -> {'|'.join(sorted(ours))}")
    return found


def _era_difference(path: str, real: frozenset[str] | None, mock: frozenset[str] | None) -> bool:
    """Whether a difference is the API's own change over time, not the mock's."""
    if mock is None and _covered(path, RETIRED):
        return True
    if not (real is None or real == {"null"}) or mock is None:
        return False
    exact = len(mock) == 1 and f"{_member(path)}:{next(iter(mock))}" in EVOLVED_EXACT
    return exact or _covered(path, EVOLVED)


def _types_by_path(paths: frozenset[str]) -> dict[str, frozenset[str]]:
    types: dict[str, set[str]] = {}
    for entry in paths:
        path, _, kind = entry.rpartition(":")
        types.setdefault(path, set()).add(kind)
    return {path: frozenset(kinds) for path, kinds in types.items()}


def operation_label(method: str, path: str, streamed: bool = False) -> str:
    """`POST /v1/responses` with ids as `{id}` (and ` (stream)` for a streamed answer)."""
    route = path.split("?")[0]
    parts = ["{id}" if _ID_SHAPE.match(part) else part for part in route.split("/")]
    return f"{method} {'/'.join(parts)}" + (" (stream)" if streamed else "")


# ---- replay -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    key: str
    operation: str
    verdict: Verdict
    differences: list[str] = field(default_factory=list)
    reason: str = ""  # why not comparable, or the mock's refusal message
    mock: Structure | None = None


@dataclass
class _Cassette:
    ids: dict[str, str] = field(default_factory=dict)  # real id -> the mock's


def _pair_ids(real: Any, mock: Any, ids: dict[str, str], key: str = "") -> None:
    """Record real id -> mock id wherever both answers have an id at the same place."""
    if isinstance(real, dict) and isinstance(mock, dict):
        for name, value in real.items():
            if name in mock:
                _pair_ids(value, mock[name], ids, name)
    elif isinstance(real, list) and isinstance(mock, list):
        for real_item, mock_item in zip(real, mock, strict=False):
            _pair_ids(real_item, mock_item, ids, key)
    elif isinstance(real, str) and isinstance(mock, str) and real != mock and _names_id(key):
        ids.setdefault(real, mock)


def _names_id(key: str) -> bool:
    return key == "id" or key.endswith("_id")


def _final_object(recorded_text: str) -> Any:
    """A stream's last carried object: the response of its last event that has one, else its
    first chunk (a chat stream's id)."""
    parser = SSEParser()
    objects = []
    for event in parser.feed(recorded_text.encode()) + parser.close():
        try:
            objects.append(json.loads(event.data))
        except ValueError:
            continue
    for data in reversed(objects):
        if isinstance(data, dict) and isinstance(data.get("response"), dict):
            return data["response"]
    return objects[0] if objects else None


def _replace_ids(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_replace_ids(item, ids) for item in value]
    if isinstance(value, dict):
        return {name: _replace_ids(item, ids) for name, item in value.items()}
    return value


def _json_word_neutralized(raw: dict[str, Any]) -> bool:
    """A chat request for `json_object` output whose messages no longer say "json": the API
    requires the word, and the corpus's neutralizer replaced it with neutral letters."""
    request = raw.get("request") or {}
    asked = (request.get("response_format") or {}).get("type") == "json_object"
    return asked and "json" not in json.dumps(request.get("messages") or []).lower()


def _prerequisites(raw: dict[str, Any]) -> list[str]:
    """The object ids a request depends on: in its path (or query), or in the members that
    name one."""
    route, _, query = raw["path"].partition("?")
    found = [part for part in route.split("/") if _ID_SHAPE.match(part)]
    found += [value for _, value in parse_qsl(query) if _ID_SHAPE.match(value)]

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, member in value.items():
                walk(member, name)
        elif isinstance(value, list):
            for member in value:
                walk(member, key)
        elif isinstance(value, str) and (
            key in _PREREQUISITE_KEYS or (key == "conversation" and _ID_SHAPE.match(value))
        ):
            found.append(value)

    walk(raw.get("request"))
    return found


async def _replay_one(
    client: httpx.AsyncClient, recorded: Recorded, cassette: _Cassette, fact: Fact | None
) -> Outcome:
    raw = recorded.raw
    real = fact.structure if fact is not None else recorded_structure(recorded)
    label = operation_label(raw["method"], raw["path"], real.media_type == "text/event-stream")
    missing = [i for i in _prerequisites(raw) if i not in cassette.ids]
    if missing and raw["status"] != 404:
        reason = f"names {missing[0]}, which no earlier exchange of its cassette created"
        return Outcome(recorded.key, label, "not_comparable", reason=reason)
    if _json_word_neutralized(raw):
        reason = "asks for json_object output, and the neutralized prose lost the word 'json'"
        return Outcome(recorded.key, label, "not_comparable", reason=reason)
    path = raw["path"]
    for real_id, mock_id in cassette.ids.items():
        path = path.replace(real_id, mock_id)
    if "request" in raw:
        content: bytes = json.dumps(_replace_ids(raw["request"], cassette.ids)).encode()
    else:
        content = request_bytes(raw) if raw["method"] not in ("GET", "DELETE") else b""
    headers = dict(fact.steering) if fact is not None else steering(raw)
    if content:
        headers["content-type"] = raw.get("request_content_type") or "application/json"
    answer = await client.request(raw["method"], path, content=content, headers=headers)
    mock = structure_of(answer.status_code, answer.headers.get("content-type", ""), answer.content)
    _learn_ids(raw, answer, cassette)
    if 200 <= raw["status"] < 300 and answer.status_code >= 400:
        return Outcome(recorded.key, label, "refused", differences(real, mock),
                       reason=answer.text[:300], mock=mock)  # fmt: skip
    found = differences(real, mock)
    return Outcome(recorded.key, label, "different" if found else "identical", found, mock=mock)


def steering(raw: dict[str, Any]) -> dict[str, str]:
    """The mock's answer headers asking for what the real model chose (see the docstring)."""
    if not 200 <= raw["status"] < 300:
        return {}
    answer = _final_object(raw["body_text"]) if "body_text" in raw else raw.get("body")
    if not isinstance(answer, dict):
        return {}
    headers: dict[str, str] = {}
    text = json.dumps(answer)
    if "body_text" in raw and raw["path"].startswith("/v1/chat/"):
        text = raw["body_text"]  # the chunks: a call shows in their deltas
    called = '"tool_calls"' in text.replace('"tool_calls": null', "") or any(
        isinstance(item, dict) and item.get("type") == "function_call"
        for item in answer.get("output") or ()
    )
    if '"finish_reason": "tool_calls"' in text or '"finish_reason":"tool_calls"' in text:
        called = True
    parallel = '"index": 1' in text or '"index":1,"id"' in text  # a second call
    builtins = ("web_search_call", "file_search_call", "code_interpreter_call",
                "image_generation_call")  # fmt: skip
    used_builtin = any(
        isinstance(item, dict) and item.get("type") in builtins
        for item in answer.get("output") or ()
    )
    if used_builtin and not called:
        headers["x-oaiconform-answer"] = "builtin"
    elif called and not parallel:
        headers["x-oaiconform-answer"] = "tool_call"  # one call (the mock's own: all offered)
    elif not called and (raw.get("request") or {}).get("tools"):
        headers["x-oaiconform-answer"] = "text"
    if isinstance(answer.get("output"), list):
        reasoned = any(
            isinstance(item, dict) and item.get("type") == "reasoning" for item in answer["output"]
        )
        headers["x-oaiconform-reasoning"] = "on" if reasoned else "off"
    return headers


def _learn_ids(raw: dict[str, Any], answer: httpx.Response, cassette: _Cassette) -> None:
    if answer.status_code >= 400:
        return
    if "body_text" in raw:
        _pair_ids(_final_object(raw["body_text"]), _final_object(answer.text), cassette.ids)
        return
    try:
        mock_body = answer.json()
    except ValueError:
        return
    _pair_ids(raw.get("body"), mock_body, cassette.ids)


@dataclass(frozen=True)
class Fact:
    """What one recorded exchange is compared by: its answer's structure and the model's
    choices the replay asks the mock for (structures.json keeps them, not the text)."""

    structure: Structure
    steering: tuple[tuple[str, str], ...] = ()


def fact_of(recorded: Recorded) -> Fact:
    return Fact(recorded_structure(recorded), tuple(sorted(steering(recorded.raw).items())))


async def replay(
    corpus: list[Recorded],
    client: httpx.AsyncClient,
    *,
    facts: dict[str, Fact] | None = None,
    concurrency: int = 16,
) -> list[Outcome]:
    """Every exchange replayed against `client` (the mock): cassettes run side by side, each
    in its recorded order; compared with `facts` (by key) when given, else with the
    recorded answers themselves."""
    by_cassette: dict[str, list[Recorded]] = {}
    for recorded in corpus:
        by_cassette.setdefault(f"{recorded.source}:{recorded.raw['cassette']}", []).append(recorded)
    limit = asyncio.Semaphore(concurrency)
    outcomes: dict[str, Outcome] = {}

    async def run(exchanges: list[Recorded]) -> None:
        async with limit:
            cassette = _Cassette()
            for recorded in exchanges:
                fact = facts.get(recorded.key) if facts is not None else None
                outcomes[recorded.key] = await _replay_one(client, recorded, cassette, fact)

    await asyncio.gather(*(run(exchanges) for exchanges in by_cassette.values()))
    return [outcomes[recorded.key] for recorded in corpus]


@dataclass(frozen=True)
class Summary:
    total: int
    compared: int
    identical: int
    refused: list[Outcome]
    not_comparable: list[Outcome]
    ranked: list[tuple[str, int]]  # difference label -> how many exchanges it hits

    @property
    def identical_share(self) -> float:
        return self.identical / self.compared if self.compared else 0.0


def summarize(outcomes: list[Outcome]) -> Summary:
    compared = [o for o in outcomes if o.verdict != "not_comparable"]
    hits: Counter[str] = Counter()
    for outcome in compared:
        labels = {f"{outcome.operation}: {label}" for label in outcome.differences}
        if outcome.verdict == "refused":
            labels = {f"{outcome.operation}: refused"}
        hits.update(labels)
    return Summary(
        total=len(outcomes),
        compared=len(compared),
        identical=sum(o.verdict == "identical" for o in compared),
        refused=[o for o in compared if o.verdict == "refused"],
        not_comparable=[o for o in outcomes if o.verdict == "not_comparable"],
        ranked=hits.most_common(),
    )


__all__ = [
    "Fact",
    "Outcome",
    "Structure",
    "Summary",
    "differences",
    "fact_of",
    "key_paths",
    "operation_label",
    "recorded_structure",
    "replay",
    "steering",
    "structure_of",
    "summarize",
]
