"""Rebuild the corpus from the cassettes of the source repositories (SOURCES.md says which).

    python -m tests.corpus.real_api.build --pydantic-ai DIR --llm DIR --ruby-openai DIR

Each DIR is a git checkout (or bare clone) at the commit SOURCES.md names. Only interactions
with api.openai.com are read; prose is neutralized (letter by letter, so lengths and the joins
of streamed deltas hold), JSON carried in strings keeps its keys, secrets and most headers are
dropped, and cassettes that are no recording of the API (SOURCES.md lists why) are left out.
"""

from __future__ import annotations

import argparse
import ast
import collections
import gzip
import itertools
import json
import re
import subprocess
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from tests.corpus.real_api import CORPUS_DIR

HOST = "api.openai.com"
_LETTERS = "loremipsudtan"
_BLOB = re.compile(r"^[A-Za-z0-9+/=\s]{200,}$")
_HEADERS_KEPT = re.compile(
    r"^(content-type|date|openai-processing-ms|openai-version|openai-model|x-request-id|"
    r"x-ratelimit-.*|retry-after|retry-after-ms)$",
    re.IGNORECASE,
)
# Members whose strings are prose wherever they appear; any other string with whitespace is too.
PROSE_KEYS = frozenset(
    {
        "content", "text", "delta", "instructions", "description", "refusal", "prompt", "input",
        "arguments", "output", "query", "queries", "title", "reasoning_content", "transcript",
        "logs", "caption", "reasoning", "error_message", "stdout", "stderr", "patch", "diff",
        "commands", "command", "pattern_text", "instruction", "name_description", "result_text",
        "snippet", "quote", "input_text",
    }
)  # fmt: skip
# Members whose strings are facts of the API (ids, enums, names), whatever they hold.
FACT_KEYS = frozenset(
    {
        "id", "object", "type", "model", "role", "status", "finish_reason", "name", "call_id",
        "item_id", "enum", "const", "format", "pattern", "required", "url", "service_tier",
        "system_fingerprint", "encrypted_content", "obfuscation", "previous_response_id",
        "conversation", "detail", "file_id", "filename", "vector_store_id", "tool_choice",
        "truncation", "effort", "verbosity", "prompt_cache_key", "prompt_cache_retention",
        "safety_identifier", "user", "phase", "embedding", "logprob", "token", "bytes",
        "container_id", "server_label", "mime_type", "media_type", "signature", "$ref",
        "$schema", "purpose", "include", "reason", "param", "error_code",
    }
)  # fmt: skip
_HAND_MADE = re.compile(r'"id": ?"(resp_1234|resp_5678|resp_test_[a-z_]*)"')
_SUPERSEDED_STREAMS = {
    ("pydantic-ai", "test_openai_responses_stream"),
    ("ruby-openai", "responses_stream"),
    ("ruby-openai", "responses_stream_without_proc"),
}

Path_ = tuple[str | int, ...]
Override = Callable[[Path_], str | None]


def char_map(text: str) -> str:
    """Each letter to one of _LETTERS (case kept): position-free, so joins of pieces hold."""
    out = []
    for char in text:
        if "a" <= char <= "z" or "A" <= char <= "Z":
            letter = _LETTERS[ord(char) % len(_LETTERS)]
            out.append(letter.upper() if char.isupper() else letter)
        elif char.isalpha():
            out.append(("é" if char.islower() else "É") if ord(char) < 0x800 else "語")
        else:
            out.append(char)  # digits, punctuation, whitespace, emoji: shape, not prose
    return "".join(out)


def _map_escaped(raw: str) -> str:
    """char_map on the characters of a JSON string's source, its escapes left as they are."""
    out, position = [], 0
    while position < len(raw):
        if raw[position] == "\\":
            width = 6 if raw[position + 1 : position + 2] == "u" else 2
            out.append(raw[position : position + width])
            position += width
            continue
        out.append(char_map(raw[position]))
        position += 1
    return "".join(out)


def scan_json(text: str, keep: frozenset[str]) -> str:
    """The string values of a JSON text (complete or cut) neutralized; keys, literals and the
    values in `keep` (enums of the request's schemas) stay."""
    out: list[str] = []
    containers: list[str] = []
    expect_key = False
    position = 0
    while position < len(text):
        char = text[position]
        if char == '"':
            end = position + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" and end + 1 < len(text) else 1
            raw = text[position + 1 : end]
            if containers and containers[-1] == "{" and expect_key:
                out.append('"' + raw)
            else:
                try:
                    decoded: str | None = json.loads('"' + raw + '"')
                except ValueError:
                    decoded = None
                out.append('"' + (raw if decoded in keep else _map_escaped(raw)))
            if end < len(text):
                out.append('"')
            position = end + 1
            continue
        if char == "{":
            containers.append("{")
            expect_key = True
        elif char == "[":
            containers.append("[")
            expect_key = False
        elif char in "}]":
            if containers:
                containers.pop()
            expect_key = False
        elif char == ",":
            expect_key = bool(containers) and containers[-1] == "{"
        elif char == ":":
            expect_key = False
        out.append(char)
        position += 1
    return "".join(out)


def _looks_json(text: str) -> bool:
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True


def neutral_text(text: str, keep: frozenset[str]) -> str:
    if text in keep:
        return text
    return scan_json(text, keep) if _looks_json(text) else char_map(text)


def _short_blob(text: str) -> str | None:
    if text.startswith("data:") and len(text) > 100:
        return text.split(",", 1)[0] + ",AAAA"
    return "AAAA" if _BLOB.match(text) else None


def constants(node: Any, found: set[str] | None = None) -> set[str]:
    """The string `enum`/`const` values of every schema in a request body."""
    found = set() if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum" and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
            elif key == "const" and isinstance(value, str):
                found.add(value)
            else:
                constants(value, found)
    elif isinstance(node, list):
        for value in node:
            constants(value, found)
    return found


def neutralize(
    node: Any,
    keep: frozenset[str],
    key: str = "",
    path: Path_ = (),
    override: Override | None = None,
) -> Any:
    """A JSON value with its prose neutralized (see the module doc)."""
    if override is not None:
        replaced = override(path)
        if replaced is not None:
            return replaced
    if isinstance(node, dict):
        if isinstance(node.get("token"), str):  # a logprob: its token and bytes are prose
            node = dict(node, token=char_map(node["token"]))
            if isinstance(node.get("bytes"), list):
                node["bytes"] = list(node["token"].encode("utf-8"))
        return {k: neutralize(v, keep, k, (*path, k), override) for k, v in node.items()}
    if isinstance(node, list):
        return [neutralize(v, keep, key, (*path, i), override) for i, v in enumerate(node)]
    if not isinstance(node, str) or "error" in path or "last_error" in path:
        return node  # the API's own error messages are facts of its contract
    blob = _short_blob(node) if key not in ("embedding", "encrypted_content") else None
    if blob is not None:
        return blob
    if key in FACT_KEYS:
        return node
    if key in PROSE_KEYS or (re.search(r"\s", node) and len(node) > 3):
        return neutral_text(node, keep)
    return node


def _pieces(event: Any) -> Iterator[tuple[Path_, tuple[Any, ...], str]]:
    """(path, channel, text) of each streamed piece of text in one event."""
    if not isinstance(event, dict):
        return
    if event.get("object") == "chat.completion.chunk":
        for number, choice in enumerate(event.get("choices") or []):
            delta = choice.get("delta") or {}
            for name in ("content", "refusal", "reasoning_content", "reasoning"):
                if isinstance(delta.get(name), str):
                    yield (
                        ("choices", number, "delta", name),
                        ("chat", choice.get("index"), name),
                        delta[name],
                    )
            for position, call in enumerate(delta.get("tool_calls") or []):
                arguments = (call.get("function") or {}).get("arguments")
                if isinstance(arguments, str):
                    at = ("choices", number, "delta", "tool_calls", position, "function")
                    tool = ("chat", choice.get("index"), "tool", call.get("index"))
                    yield (*at, "arguments"), tool, arguments
    kind = event.get("type")
    if isinstance(kind, str) and kind.endswith(".delta") and isinstance(event.get("delta"), str):
        names = ("item_id", "output_index", "content_index", "summary_index")
        yield ("delta",), (kind, *(event.get(n) for n in names)), event["delta"]


def neutral_stream(text: str, keep: frozenset[str]) -> str:
    """An event stream with its prose neutralized: each channel's pieces are joined, the whole
    neutralized (JSON keeps its keys), and cut back at the same places; framing stays."""
    blocks = [[_data_line(line) for line in block.split("\n")] for block in text.split("\n\n")]
    joined: dict[tuple[Any, ...], str] = collections.defaultdict(str)
    for block in blocks:
        for _, event in block:
            for _, channel, piece in _pieces(event):
                joined[channel] += piece
    whole = {channel: neutral_text(text, keep) for channel, text in joined.items()}
    offsets: dict[tuple[Any, ...], int] = collections.defaultdict(int)
    out = []
    for block in blocks:
        lines = []
        for line, event in block:
            if event is None:
                lines.append(line)
                continue
            replaced: dict[Path_, str] = {}
            for at, channel, piece in _pieces(event):
                start = offsets[channel]
                replaced[at] = whole[channel][start : start + len(piece)]
                offsets[channel] = start + len(piece)
            new = neutralize(event, keep, override=replaced.get)
            prefix = "data: " if line.startswith("data: ") else "data:"
            lines.append(prefix + json.dumps(new, separators=(",", ":"), ensure_ascii=False))
        out.append("\n".join(lines))
    return "\n\n".join(out)


def _data_line(line: str) -> tuple[str, Any]:
    """(line, its JSON data) or (line, None)."""
    if not line.startswith("data:"):
        return line, None
    try:
        return line, json.loads(line[6:] if line.startswith("data: ") else line[5:])
    except ValueError:
        return line, None


def neutral_multipart(text: str) -> str:
    """The uploaded file's bytes neutralized (same length); the form fields stay."""
    parts = text.split("\r\n\r\n")
    kept = [parts[0]]
    for header, part in itertools.pairwise(parts):
        if "filename=" in header:
            part = re.sub(
                r"^(.*?)(\r\n--)",
                lambda m: char_map(m.group(1)) + m.group(2),
                part,
                count=1,
                flags=re.S,
            )
        kept.append(part)
    return "\r\n\r\n".join(kept)


def _headers(headers: dict[str, Any] | None) -> list[list[str]]:
    kept = []
    for name, values in (headers or {}).items():
        if _HEADERS_KEPT.match(name):
            kept += [
                [name.lower(), str(v)] for v in (values if isinstance(values, list) else [values])
            ]
    return kept


def _response_text(response: dict[str, Any]) -> str | None:
    body = response.get("body")
    if body is None:
        return None
    text = body.get("string") if isinstance(body, dict) else body
    if isinstance(text, str) and text.startswith(("b'", 'b"')):  # bytes written as their repr
        text = ast.literal_eval(text)
    if isinstance(text, bytes):  # llm's cassettes keep the gzip-encoded bytes
        text = (gzip.decompress(text) if text[:2] == b"\x1f\x8b" else text).decode("utf-8")
    return text if isinstance(text, str) else None


def convert(cassette: str, index: int, request: dict[str, Any], response: dict[str, Any]) -> Any:
    """One interaction as a corpus exchange, or None (not HTTP JSON traffic to keep)."""
    url = urlparse(request["uri"])
    if url.path.startswith("/v1/realtime"):
        return None  # SDP offers and ephemeral client secrets
    stem = cassette.rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml")
    exchange: dict[str, Any] = {
        "name": f"{stem}#{index}",
        "cassette": cassette,
        "method": request["method"],
        "path": url.path + (f"?{url.query}" if url.query else ""),
    }
    request_headers = {k.lower(): v for k, v in (request.get("headers") or {}).items()}
    content_type = next(iter(request_headers.get("content-type") or []), "")
    sent: Any = request.get("parsed_body")
    if sent is None and request.get("body"):
        try:
            sent = json.loads(request["body"])
        except ValueError:
            if "multipart" not in content_type:
                return None
            exchange["request_text"] = neutral_multipart(request["body"])
    keep = frozenset(constants(sent)) if sent is not None else frozenset()
    if sent is not None:
        exchange["request"] = neutralize(sent, keep)
    if content_type:
        exchange["request_content_type"] = content_type
    exchange["status"] = response["status"]["code"]
    exchange["headers"] = _headers(response.get("headers"))
    answered = next((v for k, v in exchange["headers"] if k == "content-type"), "")
    if "parsed_body" in response:
        exchange["body"] = neutralize(response["parsed_body"], keep)
    else:
        text = _response_text(response)
        if text is None:
            exchange["body_text"] = ""
        elif "event-stream" in answered or text.startswith(("data:", "event:")):
            exchange["body_text"] = neutral_stream(text, keep)
            if not answered:
                exchange["headers"].append(["content-type", "text/event-stream"])
        else:
            try:
                exchange["body"] = neutralize(json.loads(text), keep)
            except ValueError:
                exchange["body_text"] = text
    if not answered and "body" in exchange:
        exchange["headers"].append(["content-type", "application/json"])
    return exchange


def left_out(source: str, exchange: dict[str, Any]) -> str | None:
    """Why a cassette is no recording of the API as it answers (SOURCES.md), or None."""
    stem = exchange["name"].split("#")[0]
    if source == "llm" and stem.startswith("test_tools_streaming_variant_"):
        return "llm's parser variants, not what api.openai.com streams"
    if source == "ruby-openai" and stem.startswith("conversations_"):
        return "recorded before the Conversations API was public; not its shapes"
    if source == "ruby-openai" and stem.startswith("moderations_"):
        return "the retired text-moderation-007 model"
    if (source, stem) in _SUPERSEDED_STREAMS:
        return "a stream recorded before sequence_number: a superseded wire format"
    text = json.dumps(exchange.get("body")) + exchange.get("body_text", "")
    if _HAND_MADE.search(text) or '"status": "complete"' in text:
        return "a hand-written answer"
    return None


def _git(repository: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repository), *args], capture_output=True, text=True, check=False
    ).stdout


def interactions(source: str, repository: Path) -> Iterator[tuple[str, int, Any, Any]]:
    """(cassette, index, request, response) of each api.openai.com interaction, in the
    Python VCR shape (Ruby cassettes are read into it; only those recorded in 2025 or later,
    never the admin API)."""
    ruby = source == "ruby-openai"
    where = "spec/fixtures/cassettes" if ruby else "tests"
    for cassette in _git(repository, "ls-tree", "-r", "--name-only", "HEAD", where).split():
        if not cassette.endswith((".yaml", ".yml")):
            continue
        text = _git(repository, "show", f"HEAD:{cassette}")
        if HOST not in text:
            continue
        try:
            document = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            continue
        key = "http_interactions" if ruby else "interactions"
        for index, interaction in enumerate(document.get(key) or []):
            request, response = interaction.get("request", {}), interaction.get("response", {})
            url = urlparse(request.get("uri", ""))
            if url.hostname != HOST:
                continue
            if ruby:
                try:
                    year = parsedate_to_datetime(interaction.get("recorded_at", "")).year
                except (TypeError, ValueError):
                    continue
                if year < 2025 or url.path.startswith("/v1/organization"):
                    continue
                request, response = _from_ruby(request, response)
            yield cassette, index, request, response


def _from_ruby(request: dict[str, Any], response: dict[str, Any]) -> tuple[Any, Any]:
    lower = {k.lower(): v for k, v in (request.get("headers") or {}).items()}
    return (
        {
            "method": request["method"].upper(),
            "uri": request["uri"],
            "headers": lower,
            "body": (request.get("body") or {}).get("string", ""),
        },
        {
            "status": response["status"],
            "headers": {k.lower(): v for k, v in (response.get("headers") or {}).items()},
            "body": {"string": (response.get("body") or {}).get("string", "")},
        },
    )


def build(sources: dict[str, Path], out: Path) -> dict[str, int]:
    """Write one corpus file per source; the number of exchanges each holds."""
    counts = {}
    for source, repository in sources.items():
        converted = [
            exchange
            for exchange in (convert(*i) for i in interactions(source, repository))
            if exchange is not None
        ]
        dropped = {x["name"].split("#")[0] for x in converted if left_out(source, x)}
        kept = [x for x in converted if x["name"].split("#")[0] not in dropped]
        text = json.dumps(kept, indent=1, ensure_ascii=False)
        (out / f"{source}.json").write_text(text, encoding="utf-8")
        counts[source] = len(kept)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for source in ("pydantic-ai", "llm", "ruby-openai"):
        parser.add_argument(f"--{source}", type=Path, required=True, help="its git checkout")
    parser.add_argument("--out", type=Path, default=CORPUS_DIR)
    arguments = parser.parse_args()
    sources = {
        s: getattr(arguments, s.replace("-", "_")) for s in ("pydantic-ai", "llm", "ruby-openai")
    }
    print(build(sources, arguments.out))


if __name__ == "__main__":
    main()
