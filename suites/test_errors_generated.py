"""Generated invalid bodies (hypothesis): every one gets a 4xx with the envelope.

Each example is a valid request with one mutation: a required field dropped, a field of the
wrong type, a number out of range, or an unknown enum value, each invalid for the API itself.
The target must refuse it as the client's fault: never a 5xx, a success or a hang. Examples
are few (20 on loopback targets, 5 elsewhere), seeded with the run's seed, and never stored
(`database=None`: no .hypothesis/ in the user's directory). A failure is shrunk to the smallest
mutation that still fails and reported with its curl repro.
"""

from __future__ import annotations

import copy
import string
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from oaiconform.checks import ConformanceError
from oaiconform.checks.errors import client_error
from oaiconform.generation import PHASES
from oaiconform.plugin import not_applicable, route_decision
from oaiconform.settings import Settings
from oaiconform.target import BudgetExhaustedError, Target, TargetError

LOOPBACK_EXAMPLES = 20
REMOTE_EXAMPLES = 5
CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_DROP = object()


@dataclass(frozen=True)
class Mutation:
    """One change to a valid body: `path` (keys and indexes) set to `value`, or dropped."""

    path: tuple[str | int, ...]
    value: Any

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(body)
        node: Any = out
        for step in self.path[:-1]:
            node = node[step]
        if self.value is _DROP:
            del node[self.path[-1]]
        else:
            node[self.path[-1]] = self.value
        return out

    def __str__(self) -> str:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)
        return f"{where[1:]} dropped" if self.value is _DROP else f"{where[1:]} = {self.value!r}"


_WORDS = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8)
_NOT_NUMBER = st.one_of(_WORDS, st.booleans(), st.lists(st.integers(0, 9), max_size=2))
_NOT_INTEGER = st.one_of(_NOT_NUMBER, st.integers(-100, 100).map(lambda i: i + 0.5))
_NOT_STRING = st.one_of(st.integers(), st.booleans(), st.lists(_WORDS, max_size=2))
_NOT_OBJECT = st.one_of(_WORDS, st.integers(), st.booleans())


def _above(limit: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=limit, max_value=1e6, exclude_min=True, allow_nan=False)


def _below(limit: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=-1e6, max_value=limit, exclude_max=True, allow_nan=False)


def _mutations(*fields: tuple[tuple[str | int, ...], st.SearchStrategy[Any]]) -> Any:
    return st.one_of(*(st.builds(Mutation, st.just(path), values) for path, values in fields))


def _dropped(*names: str) -> list[tuple[tuple[str | int, ...], st.SearchStrategy[Any]]]:
    return [((name,), st.just(_DROP)) for name in names]


CHAT_MUTATIONS = _mutations(
    *_dropped("model", "messages"),
    (("model",), st.one_of(st.none(), _NOT_STRING)),
    (("messages",), st.one_of(_WORDS, st.integers(), st.booleans(), st.just([]))),
    (("messages", 0), _NOT_OBJECT),
    (("messages", 0, "role"), _WORDS.filter(lambda role: role not in CHAT_ROLES)),
    (("temperature",), st.one_of(_NOT_NUMBER, _above(2), _below(0))),
    (("top_p",), st.one_of(_NOT_NUMBER, _above(1), _below(0))),
    (("presence_penalty",), st.one_of(_above(2), _below(-2))),
    (("frequency_penalty",), st.one_of(_above(2), _below(-2))),
    (("n",), st.one_of(_NOT_INTEGER, st.integers(max_value=0), st.integers(min_value=129))),
    (("max_tokens",), st.one_of(_NOT_INTEGER, st.integers(max_value=0))),
    (("top_logprobs",), st.one_of(st.integers(max_value=-1), st.integers(min_value=21))),
    (("stream",), st.one_of(_WORDS, st.lists(st.booleans(), min_size=1, max_size=2))),
    (("seed",), _NOT_INTEGER),
)

EMBEDDINGS_MUTATIONS = _mutations(
    *_dropped("model", "input"),
    (("model",), st.one_of(st.none(), _NOT_STRING)),
    (("input",), st.one_of(st.none(), st.integers(), st.booleans(), st.just([]))),
    (("dimensions",), st.one_of(_NOT_INTEGER, st.integers(max_value=0))),
    (("encoding_format",), _WORDS.filter(lambda f: f not in ("float", "base64"))),
)


def _examples(target: Target) -> int:
    host = urlsplit(target.base_url).hostname or ""
    loopback = host.startswith("127.") or host in ("localhost", "::1")
    return LOOPBACK_EXAMPLES if loopback else REMOTE_EXAMPLES


@contextmanager
def _scratch_hypothesis_home() -> Iterator[None]:
    """Hypothesis caches what it learns of the source in its home directory (./.hypothesis by
    default) even without a database; a run leaves nothing in the user's directory."""
    with tempfile.TemporaryDirectory(prefix="oaiconform-hypothesis-") as home:
        set_hypothesis_home_dir(home)
        try:
            yield
        finally:
            set_hypothesis_home_dir(None)


def _each_is_refused(
    target: Target, run_seed: int, path: str, base: dict[str, Any], mutations: Any
) -> None:
    probe = target.post(path, json={})
    decision = route_decision(probe)
    if decision.route_missing:
        not_applicable(f"{probe.describe()}: the target has no such endpoint ({decision.reason})")
    stopped: list[Exception] = []  # a hang or the spent budget ends the run, unshrunk

    @hypothesis_settings(
        max_examples=_examples(target),
        database=None,
        deadline=None,
        report_multiple_bugs=False,
        phases=PHASES,
        suppress_health_check=list(HealthCheck),
    )
    @seed(run_seed)
    @given(mutations)
    @target.speculative
    def refused(mutation: Mutation) -> None:
        if stopped:
            return
        try:
            exchange = target.post(path, json=mutation.apply(base))
        except (TargetError, BudgetExhaustedError) as exc:
            stopped.append(exc)
            return
        failures = client_error(exchange)
        if failures:
            raise ConformanceError(
                replace(f, message=f"{f.message} (generated: {mutation})") for f in failures
            )

    with _scratch_hypothesis_home():
        target.speculatively(refused)
    if stopped:
        raise stopped[0]


@pytest.mark.feature("errors.validation")
def test_validation_generated_invalid_chat_bodies_get_4xx(
    target: Target, settings: Settings
) -> None:
    """Invalid chat completion requests (one mutation each) get a 4xx with the envelope."""
    base = {
        "model": settings.model,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "hi"}],
    }
    _each_is_refused(target, settings.seed, "chat/completions", base, CHAT_MUTATIONS)


@pytest.mark.feature("errors.validation")
def test_validation_generated_invalid_embeddings_bodies_get_4xx(
    target: Target, settings: Settings
) -> None:
    """Invalid embeddings requests (one mutation each) get a 4xx with the envelope."""
    base = {"model": settings.embedding_model, "input": "hi"}
    _each_is_refused(target, settings.seed, "embeddings", base, EMBEDDINGS_MUTATIONS)
