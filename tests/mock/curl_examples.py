"""The description's request examples (`x-oaiMeta.examples[*].request.curl`) as requests.

Each example is a shell command: `curl URL -H ... -d '<json>'`, or `-F` multipart fields, or
a query string and path ids only. `parse_curl` reads the subset of curl those commands use and
refuses anything else with a reason (`CurlParseError`), so an example it cannot read is named,
never skipped. Shell variables stay unexpanded except the ones `SHELL_VARIABLES` names;
placeholders such as `VAR_chat_model_id` become models the mock serves (`PLACEHOLDERS`).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from oaiconform.spec import Spec

API_PREFIX = "https://api.openai.com/v1"
PLACEHOLDERS = {
    "VAR_chat_model_id": "gpt-4o-mini",
    "VAR_completion_model_id": "gpt-3.5-turbo-instruct",
}
# The shell variables examples use in their URL; the key variables are dropped with the header.
SHELL_VARIABLES = {"$CALL_ID": "rtc_abc123", "$HOME": "/home/user"}
# Bytes for a file an example uploads (`-F file=@x.png`), by the file's extension.
_FILE_BYTES = {
    ".png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 16,
    ".jsonl": b'{"prompt": "Hi", "completion": "Hello"}\n',
    ".txt": b"an example file\n",
    ".sdp": b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
}
# curl options that change only what curl does with the answer: ignored, with their argument.
_OUTPUT_OPTIONS = {"-o", "--output", "-D", "--dump-header"}
_FLAGS = {"-s", "--silent", "-N", "--no-buffer", "-i", "--include"}
_WITH_ARGUMENT = {
    *("-X", "--request", "-H", "--header", "-d", "--data", "--data-raw", "-F", "--form"),
    *_OUTPUT_OPTIONS,
}
# Bash process substitutions (`-D >(grep ... >&2)`): where curl writes, never what it sends.
_PROCESS_SUBSTITUTION = re.compile(r"[<>]\([^()]*\)")


class CurlParseError(ValueError):
    """An example this reader cannot turn into a request; the message says why."""


@dataclass(frozen=True)
class FormPart:
    name: str
    value: bytes
    filename: str | None = None
    content_type: str | None = None


@dataclass
class CurlRequest:
    method: str
    path: str  # under /v1, without the query string
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    form: list[FormPart] = field(default_factory=list)
    empty_body: bool = False  # `-d ''`: a body of no bytes, with the example's content type

    def substituted(self, old: str, new: str) -> CurlRequest:
        """The same request with every occurrence of the string `old` replaced by `new`."""

        def swap(value: Any) -> Any:
            if isinstance(value, str):
                return value.replace(old, new)
            if isinstance(value, list):
                return [swap(item) for item in value]
            if isinstance(value, dict):
                return {key: swap(item) for key, item in value.items()}
            return value

        return CurlRequest(
            self.method,
            self.path.replace(old, new),
            [(name, value.replace(old, new)) for name, value in self.query],
            dict(self.headers),
            swap(self.json_body),
            [replace(p, value=p.value.replace(old.encode(), new.encode())) for p in self.form],
            self.empty_body,
        )


@dataclass(frozen=True)
class RequestExample:
    """One example of one operation: `label` names it in a test's output."""

    operation_id: str
    method: str
    template: str  # the operation's path, as the description spells it
    index: int
    curl: str

    @property
    def label(self) -> str:
        return f"{self.operation_id}[{self.index}]"


def request_examples(spec: Spec) -> Iterator[RequestExample]:
    """Every curl request example of the description, in document order."""
    for path, item in (spec.document.get("paths") or {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            examples = (operation.get("x-oaiMeta") or {}).get("examples")
            if examples is None:
                continue
            for index, example in enumerate(examples if isinstance(examples, list) else [examples]):
                request = example.get("request") if isinstance(example, dict) else None
                curl = request.get("curl") if isinstance(request, dict) else None
                if isinstance(curl, str):
                    yield RequestExample(
                        operation["operationId"], method.upper(), path, index, curl
                    )


def _words(curl: str) -> list[str]:
    text = _PROCESS_SUBSTITUTION.sub("", curl.replace("\\\n", " "))
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise CurlParseError(f"not a shell command ({exc})") from None


def _form_part(spec: str) -> FormPart:
    """A `-F name=value`, `name=@file;type=...` or `name=<file` field, as curl reads it."""
    name, equals, value = spec.partition("=")
    if not equals:
        raise CurlParseError(f"-F {spec!r} has no '='")
    content_type = None
    if value[:1] in ("@", "<") and ";type=" in value:
        value, _, content_type = value.partition(";type=")
    elif value.startswith("{") and value.endswith("};type=application/json"):
        value, content_type = value.removesuffix(";type=application/json"), "application/json"
    if value.startswith("@"):
        filename = value[1:].rsplit("/", 1)[-1]
        return FormPart(name, _file_bytes(filename), filename, content_type)
    if value.startswith("<"):  # the file's content as a plain field
        return FormPart(name, _file_bytes(value[1:]), None, content_type)
    return FormPart(name, value.encode(), None, content_type)


def _file_bytes(filename: str) -> bytes:
    suffix = "." + filename.rsplit(".", 1)[-1] if "." in filename else ""
    return _FILE_BYTES.get(suffix, b"RIFF\x24\x00\x00\x00WAVEfmt ")  # audio: a WAV header


def _url(word: str, request: CurlRequest) -> None:
    for variable, value in SHELL_VARIABLES.items():
        word = word.replace(variable, value)
    if not word.startswith(API_PREFIX + "/"):
        raise CurlParseError(f"the URL {word!r} is not under {API_PREFIX}")
    parts = urlsplit(word)
    request.path = parts.path.removeprefix("/v1")
    request.query = parse_qsl(parts.query, keep_blank_values=True)


def parse_curl(curl: str) -> CurlRequest:
    """The request a documented curl command sends (auth left out: the caller adds its own)."""
    words = _words(curl)
    if not words or words[0] != "curl":
        raise CurlParseError("not a curl command")
    request = CurlRequest(method="", path="")
    data: str | None = None
    position = 1
    while position < len(words):
        word = words[position]
        argument = words[position + 1] if position + 1 < len(words) else None
        position += 1
        if word in _FLAGS:
            continue
        if word == ">":  # the shell's redirection of what curl writes (`> file.jsonl`)
            position += 1
            continue
        if word.startswith("-") and word not in _WITH_ARGUMENT:
            raise CurlParseError(f"unknown curl option {word}")
        if word.startswith("-") and argument is None:
            raise CurlParseError(f"{word} without its argument")
        if word in ("-X", "--request"):
            request.method = str(argument).upper()
        elif word in ("-H", "--header"):
            name, _, value = str(argument).partition(":")
            if name.strip().lower() != "authorization":
                request.headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-raw"):
            data = str(argument)
        elif word in ("-F", "--form"):
            request.form.append(_form_part(str(argument)))
        elif word in _OUTPUT_OPTIONS:
            pass
        elif request.path:
            raise CurlParseError(f"a second URL {word!r}")
        else:
            _url(word, request)
            continue
        position += 1  # the option's argument
    if not request.path:
        raise CurlParseError("no URL")
    if data is not None and request.form:
        raise CurlParseError("both -d and -F")
    if data is not None and not data.strip():
        request.empty_body = True
    elif data is not None:
        try:
            request.json_body = json.loads(data)
        except ValueError as exc:
            raise CurlParseError(f"the -d body is not JSON ({exc})") from None
    if request.form:
        # curl sets the multipart boundary itself; a bare `Content-Type: multipart/form-data`
        # header is completed by curl, so the client sending it must do the same.
        request.headers = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
    request.method = request.method or ("POST" if data is not None or request.form else "GET")
    return request
