"""Checks that a request parameter took effect (the `params.<endpoint>.<parameter>` features).

Each judges one answer against the parameter the suite sent, on properties a small model cannot
get wrong by itself being small: counts, limits, substrings, encodings, token totals. A target
may refuse a parameter it does not implement: `refused_naming` reads such an answer (a 4xx
whose error envelope names the parameter), which the suites report as not implemented, never
as a failure; a parameter accepted and then ignored is what these checks fail.
"""

from __future__ import annotations

import json
import math
from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check
from oaiconform.checks._schemas import offline_validator
from oaiconform.checks.embeddings import decode_vector
from oaiconform.exchange import Exchange

_IGNORED = "the parameter was accepted and silently ignored"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _choices(body: Any) -> list[dict[str, Any]]:
    return [c for c in _dict(body).get("choices") or [] if isinstance(c, dict)]


def choice_text(choice: dict[str, Any]) -> str:
    """A chat choice's content or a legacy completion choice's text ("" when neither)."""
    text = _dict(choice.get("message")).get("content")
    if text is None:
        text = choice.get("text")
    return text if isinstance(text, str) else ""


def refused_naming(exchange: Exchange, param: str) -> str | None:
    """Why the answer is an honest refusal of `param` (a 4xx with the error envelope naming it
    in `error.param`, or a dotted path inside it), or None when it is not one."""
    if not 400 <= exchange.status < 500 or exchange.status in (401, 403, 404, 429):
        return None
    error = _dict(_dict(exchange.json() if exchange.is_json else None).get("error"))
    named = error.get("param")
    if not isinstance(named, str) or not named:
        return None
    top = param.split(".")[0]
    if named == param or named.split(".")[0] == top or named.split("[")[0] == top:
        message = str(error.get("message") or "")[:160]
        return f"the target refuses {param} ({exchange.status}, param {named!r}: {message!r})"
    return None


@check(
    title="`n` gives that many choices, indexed 0..n-1",
    impact=Impact.WRONG_BEHAVIOUR,
    reason=_IGNORED,
)
def choice_count(body: Any, n: int) -> list[Failure]:
    """With `n` choices asked for, the answer has n of them."""
    indexes = sorted(int(c["index"]) for c in _choices(body) if isinstance(c.get("index"), int))
    if indexes == list(range(n)):
        return []
    return [
        Failure(
            "n",
            f"with n {n}, expected {n} choices indexed 0..{n - 1}, got indexes {indexes}",
            where="choices",
            expected=str(n),
            found=str(len(_choices(body))),
        )
    ]


@check(
    title="No choice's text contains a stop sequence of the request",
    impact=Impact.WRONG_BEHAVIOUR,
    reason=_IGNORED,
)
def no_stop_sequence(body: Any, stops: list[str]) -> list[Failure]:
    """The text ends before any stop sequence: none of them occurs in it."""
    failures = []
    for choice in _choices(body):
        text = choice_text(choice)
        found = [s for s in stops if s and s in text]
        if found:
            failures.append(
                Failure(
                    "stop",
                    f"with stop {stops!r}, choices[{choice.get('index')}] still contains "
                    f"{found[0]!r}: {text!r:.160}",
                    where=f"choices[{choice.get('index')}]",
                    expected=f"no {found[0]!r}",
                    found=repr(text[:80]),
                )
            )
    return failures


@check(
    title="A token limit cuts a longer answer: completion tokens within it, finish_reason length",
    impact=Impact.WRONG_BEHAVIOUR,
    reason=_IGNORED,
)
def within_token_limit(body: Any, limit: int, param: str) -> list[Failure]:
    """`param` (max_tokens, max_completion_tokens) of `limit`, on an answer known to be longer:
    usage.completion_tokens <= limit, and every choice ends with finish_reason "length"."""
    failures = []
    used = _dict(_dict(body).get("usage")).get("completion_tokens")
    if isinstance(used, int) and used > limit * max(len(_choices(body)), 1):
        failures.append(
            Failure(
                param,
                f"with {param} {limit}, usage.completion_tokens is {used}",
                where="usage.completion_tokens",
                expected=f"<= {limit}",
                found=str(used),
            )
        )
    for choice in _choices(body):
        if choice.get("finish_reason") != "length":
            failures.append(
                Failure(
                    param,
                    f"with {param} {limit} and a longer answer, expected finish_reason "
                    f'"length", got {choice.get("finish_reason")!r} '
                    f"({len(choice_text(choice))} characters)",
                    where=f"choices[{choice.get('index')}].finish_reason",
                    expected="length",
                    found=repr(choice.get("finish_reason")),
                )
            )
    return failures


def _spelled(entries: list[Any]) -> str:
    """The text a list of logprob entries spells: their bytes when all have them (a token may
    be part of a character), else their token strings."""
    pieces = [_dict(e) for e in entries]
    if pieces and all(isinstance(e.get("bytes"), list) for e in pieces):
        raw = bytes(b for e in pieces for b in e["bytes"] if isinstance(b, int) and 0 <= b < 256)
        return raw.decode("utf-8", errors="replace")
    return "".join(str(e.get("token", "")) for e in pieces)


@check(
    title="Chat logprobs are present, one entry per token spelling the content, top_logprobs "
    "as many as asked",
    impact=Impact.WRONG_BEHAVIOUR,
    reason=_IGNORED,
)
def chat_logprobs(body: Any, top: int | None) -> list[Failure]:
    """logprobs true: each choice's logprobs.content spells its content; with `top`
    (top_logprobs) every entry lists that many alternatives."""
    failures = []
    for choice in _choices(body):
        at = f"choices[{choice.get('index')}].logprobs"
        content = _dict(choice.get("logprobs")).get("content")
        if not isinstance(content, list) or not content:
            failures.append(
                Failure(
                    "logprobs",
                    f"with logprobs true, {at}.content is {content!r:.80}, expected one "
                    "entry per token",
                    where=f"{at}.content",
                )
            )
            continue
        text = choice_text(choice)
        if _spelled(content) != text:
            failures.append(
                Failure(
                    "logprobs",
                    f"the tokens of {at}.content spell {_spelled(content)!r:.120}, but the "
                    f"content is {text!r:.120}",
                    where=f"{at}.content",
                )
            )
        if top is None:
            continue
        counts = sorted({len(_dict(e).get("top_logprobs") or []) for e in content})
        if counts != [top]:
            failures.append(
                Failure(
                    "top_logprobs",
                    f"with top_logprobs {top}, the entries of {at}.content list {counts} "
                    "alternatives",
                    where=f"{at}.content[].top_logprobs",
                    expected=str(top),
                    found=str(counts),
                )
            )
    return failures


@check(
    title="echo puts the prompt before the completion",
    impact=Impact.WRONG_BEHAVIOUR,
    reason=_IGNORED,
)
def echoed_prompt(body: Any, prompt: str) -> list[Failure]:
    """echo true: every choice's text begins with the prompt."""
    return [
        Failure(
            "echo",
            f"with echo true, choices[{c.get('index')}].text does not begin with the prompt "
            f"{prompt!r:.60}: {choice_text(c)!r:.120}",
            where=f"choices[{c.get('index')}].text",
        )
        for c in _choices(body)
        if not choice_text(c).startswith(prompt)
    ]


def _vectors(body: Any) -> list[list[float] | None]:
    return [decode_vector(_dict(d).get("embedding")) for d in _dict(body).get("data") or []]


@check(
    title="dimensions shortens each embedding to that many values",
    impact=Impact.WRONG_BEHAVIOUR,
    reason=_IGNORED,
)
def embedding_dimensions(body: Any, dimensions: int) -> list[Failure]:
    """Every vector has `dimensions` values."""
    vectors = _vectors(body)
    if not vectors or None in vectors:
        return [
            Failure(
                "dimensions",
                f"with dimensions {dimensions}, data[{vectors.index(None) if vectors else 0}]"
                ".embedding is not a vector of numbers (nor base64 of one), so its size cannot "
                "be judged",
                where="data[].embedding",
            )
        ]
    lengths = sorted({len(v) for v in vectors if v is not None})
    if lengths == [dimensions]:
        return []
    return [
        Failure(
            "dimensions",
            f"with dimensions {dimensions}, the vectors have {lengths} values",
            where="data[].embedding",
            expected=str(dimensions),
            found=str(lengths),
        )
    ]


@check(
    title="encoding_format base64 is the float vector as little-endian float32",
    impact=Impact.WRONG_BEHAVIOUR,
    reason=_IGNORED,
)
def base64_is_the_float_vector(floats: Any, encoded: Any) -> list[Failure]:
    """The same input asked as float and as base64: the base64 string decodes (little-endian
    float32) to the float vector (within float32 rounding)."""
    raw = [_dict(d).get("embedding") for d in _dict(encoded).get("data") or []]
    if not raw or not all(isinstance(e, str) for e in raw):
        kinds = sorted({type(e).__name__ for e in raw})
        return [
            Failure(
                "encoding_format",
                f"with encoding_format base64, expected each embedding as a base64 string, "
                f"got {kinds or 'no embedding'}",
                where="data[].embedding",
                expected="str",
                found=str(kinds),
            )
        ]
    failures = []
    for k, (plain, decoded) in enumerate(zip(_vectors(floats), _vectors(encoded), strict=False)):
        same = (
            plain is not None
            and decoded is not None
            and len(plain) == len(decoded)
            and all(
                math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
                for a, b in zip(plain, decoded, strict=True)
            )
        )
        if not same:
            failures.append(
                Failure(
                    "encoding_format",
                    f"data[{k}]: the base64 embedding does not decode (float32 little-endian) "
                    "to the float vector of the same input",
                    where=f"data[{k}].embedding",
                )
            )
    return failures


@check(
    title="The same seed and request give the same answer (best effort, as the API documents)",
    impact=Impact.ADVISORY,
    reason="seed is documented as best-effort determinism; differing answers are a warning",
)
def seed_reproduces(first: Any, second: Any, seed: int) -> list[Failure]:
    """Two answers to one request with `seed`: the same text per choice."""
    a = [choice_text(c) for c in _choices(first)]
    b = [choice_text(c) for c in _choices(second)]
    if a == b:
        return []
    return [
        Failure(
            "seed",
            f"with seed {seed}, the same request was answered {a!r:.100} and then {b!r:.100}",
            where="choices[].message.content",
        )
    ]


@check(
    title="store decides whether a response can be retrieved (default true; false: 404)",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="a response the client asked to keep is gone, or one it asked not to keep is kept",
)
def stored_as_asked(store: bool | None, retrieve_status: int) -> list[Failure]:
    """GET /responses/{id} after a create with `store` (None: left to the default, true)."""
    kept = store is not False
    expected = 200 if kept else 404
    if retrieve_status == expected:
        return []
    asked = "store left out (default true)" if store is None else f"store {str(store).lower()}"
    return [
        Failure(
            "store",
            f"with {asked}, GET /responses/{{id}} answered {retrieve_status}, expected {expected}",
            where="status",
            expected=str(expected),
            found=str(retrieve_status),
        )
    ]


@check(
    title="instructions count as input: input_tokens grow by them",
    impact=Impact.WRONG_BEHAVIOUR,
    reason=_IGNORED,
)
def instructions_counted(without: Any, with_instructions: Any, words: int) -> list[Failure]:
    """The same input with and without `words` words of instructions: input_tokens grow by at
    least half as many tokens as there are words (any tokenizer spends one per word or so)."""
    before = _dict(_dict(without).get("usage")).get("input_tokens")
    after = _dict(_dict(with_instructions).get("usage")).get("input_tokens")
    if not isinstance(before, int) or not isinstance(after, int) or after - before >= words // 2:
        return []
    return [
        Failure(
            "instructions",
            f"with {words} words of instructions, usage.input_tokens is {after}, without them "
            f"{before}: the instructions were not part of the input",
            where="usage.input_tokens",
            expected=f">= {before + words // 2}",
            found=str(after),
        )
    ]


def _output_text(body: Any) -> str:
    return "".join(
        str(part.get("text", ""))
        for item in _dict(body).get("output") or []
        for part in _dict(item).get("content") or []
        if isinstance(part, dict) and part.get("type") == "output_text"
    )


@check(
    title="text.format json_schema: the output text is JSON valid for the schema",
    impact=Impact.WRONG_BEHAVIOUR,
    reason=_IGNORED,
)
def response_text_matches_schema(body: Any, schema: dict[str, Any]) -> list[Failure]:
    """The response's output text parses as JSON and validates against `schema`."""
    text = _output_text(body)
    try:
        value = json.loads(text)
    except ValueError:
        return [
            Failure(
                "text.format",
                f"with text.format json_schema, the output text is not JSON: {text!r:.120}",
                where="output[].content[].text",
            )
        ]
    validator, unusable = offline_validator(schema, what="the text.format schema")
    if validator is None:
        return unusable
    errors = [str(e.message) for e in validator.iter_errors(value)][:3]
    return [
        Failure(
            "text.format",
            f"with text.format json_schema, the output does not match the schema: {message}",
            where="output[].content[].text",
        )
        for message in errors
    ]


@check(
    title="parallel_tool_calls false: a response makes at most one function call",
    impact=Impact.WRONG_BEHAVIOUR,
    reason=_IGNORED,
)
def one_function_call(body: Any) -> list[Failure]:
    """At most one function_call item in the response's output."""
    calls = [i for i in _dict(body).get("output") or [] if _dict(i).get("type") == "function_call"]
    if len(calls) <= 1:
        return []
    return [
        Failure(
            "parallel_tool_calls",
            f"parallel_tool_calls is false, but the output has {len(calls)} function calls",
            where="output",
            expected="<= 1",
            found=str(len(calls)),
        )
    ]
