"""One operation's property test: generate, send through the Target, check, shrink.

Hypothesis drives schemathesis's strategies for `positive` then `negative` requests, with a
seed derived from the run seed (so `--seed N` replays), no example database (nothing is written
to the user's working directory), no deadline, and failures shrunk. The Target's budget,
timeouts and byte caps bound everything; on top of that an operation sends at most
`max_requests` requests (shrinking included) and stops starting new ones after `time_limit_s`.
Answers are memoised per encoded request, so the final replay of a shrunk failure costs nothing
and reproduces exactly what was reported.

With --concurrency above 1 each search is drawn first: hypothesis runs once with every example
noted, not sent (its generation does not depend on outcomes before a first failure, so these
are the serial run's examples); their requests are sent at once (`Target.send_all`), and the
answers are judged in the order drawn, as the serial search would judge them. Only when one
fails does the search run again, serially and from the start, answered from what was sent, so
that hypothesis shrinks exactly as it does serially. Examples never judged (after a failure)
were sent all the same: objects they created are removed with the others.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis.errors import Flaky, HypothesisException
from schemathesis.generation import GenerationMode

from oaiconform.checks import ConformanceError, Failure, expect, is_soft
from oaiconform.concurrency import Outcome
from oaiconform.exchange import Exchange
from oaiconform.property._types import AnyCase
from oaiconform.property.checks import (
    IGNORED_AUTH,
    event_stream_conformance,
    run_response_checks,
)
from oaiconform.property.convert import to_schemathesis_response
from oaiconform.property.objects import (
    PreparedObjects,
    creation_tag,
    prepare_objects,
    track_example,
)
from oaiconform.property.retry import send_with_backoff
from oaiconform.property.routes import route_decision_for
from oaiconform.property.session import GenerationUnavailable, PropertySchema
from oaiconform.property.wire import Discard, WireRequest, shape, to_wire
from oaiconform.target import BudgetExhaustedError, Target, TargetError, broke_ahead


class PropertySkip(Exception):
    """The operation could not be exercised, for a reason that is not the target's fault."""


class RouteMissing(Exception):
    """The target has no such endpoint."""


@dataclass(frozen=True)
class PropertyOptions:
    positive_examples: int = 5
    negative_examples: int = 3
    seed: int = 0
    max_requests: int = 40  # per operation, shrinking included
    time_limit_s: float = 120.0  # per operation; no new request starts after it
    max_retries_on_429: int = 2
    max_backoff_s: float = 5.0
    models: Mapping[str, str] = field(default_factory=dict)  # operation id -> model to send
    # operation id -> the sampling pins (pinning.py) a positive body gets where it has none
    pins: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def example_seed(run_seed: int, operation_id: str, mode: GenerationMode) -> int:
    return zlib.crc32(f"{run_seed}:{operation_id}:{mode.value}".encode())


_MAX_SOFT = 20
Key = tuple[Any, ...]  # an encoded request: mode, method, path, body, headers


@dataclass
class _Answer:
    exchange: Exchange
    failures: list[Failure]


@dataclass
class OperationRun:
    target: Target
    schema: PropertySchema
    operation_id: str
    options: PropertyOptions
    sent: int = 0
    examples: int = 0  # generated cases judged (answered or replayed), rejected ones excluded
    rate_limited: int = 0  # 429 answers waited out
    generation_notes: int = 0  # modes that could not be generated, even on a second seed
    accepted: WireRequest | None = None  # a positive request the target answered with 2xx
    answers: dict[tuple[Any, ...], _Answer] = field(default_factory=dict)
    stop: BaseException | None = None  # budget, transport error or missing route: no more sends
    last_failure: ConformanceError | None = None
    # Failures clients cope with (spec-literal, advisory) do not stop the search: one per
    # check and location, raised (or deferred, see checks.expect) when the operation is done.
    soft: dict[tuple[str, str], Failure] = field(default_factory=dict)
    objects: PreparedObjects = field(default_factory=PreparedObjects)  # for path parameters
    _tag: dict[str, str] | None = None  # the run's metadata for bodies that create objects
    _noted: list[tuple[AnyCase, WireRequest, Key]] | None = None  # examples drawn, not sent
    _ahead: dict[Key, Outcome] = field(default_factory=dict)  # their answers, sent at once
    _counted: set[int] = field(default_factory=set)  # outcomes already counted in `sent`
    _probe_ahead: tuple[WireRequest, Outcome] | None = None  # see `_probe_candidate`
    _started: float = field(default_factory=time.monotonic)

    def run(self) -> None:
        """Raise ConformanceError, RouteMissing, PropertySkip, or a Target exception; else pass."""
        operation = self.schema.spec.operation(self.operation_id)
        self._route_check = route_decision_for(self.target, "{" in operation.path)
        self._tag = creation_tag(operation)
        body_types = ((operation.raw.get("requestBody") or {}).get("content")) or {}
        # Only JSON body negations are judged (see wire.py): without one, negative generation
        # would only produce cases that are discarded, at the cost of generating them.
        negatives = self.options.negative_examples if "application/json" in body_types else 0
        notes: list[str] = []
        self.objects = prepare_objects(self.target, self.schema, self.operation_id, self.options)
        probe: list[Exchange] = []
        try:
            self._explore_modes(negatives, notes)
            # Independent: the objects' removal and the probe without credentials (a correct
            # target refuses it whether its object is still there or not), sent together.
            send_probe, answered = self._auth_probe(probe)
            if self.objects.created and not answered:
                self.target.send_together([self.objects.clean_up, send_probe])
            else:
                self.objects.clean_up()
                send_probe()
        finally:
            self.objects.clean_up()  # once: after a failure, only this
            self.schema.operation_done()
        if self.stop is not None:  # no such route, the target or budget, or our own bug
            raise self.stop
        self._check_ignored_auth(probe)
        expect(list(self.soft.values()))
        if self.sent == 0 and not self.answers:
            reason = "; ".join(notes) or "no generated request could be sent"
            raise PropertySkip(f"{self.operation_id}: {reason}")

    def _explore_modes(self, negatives: int, notes: list[str]) -> None:
        for mode, count in (
            (GenerationMode.POSITIVE, self.options.positive_examples),
            (GenerationMode.NEGATIVE, negatives),
        ):
            if count <= 0 or self.stop is not None:
                continue
            judged = self.examples
            note = self._explore(mode, count)
            if note and self.stop is None and self.examples == judged:
                # Generation can break on one seed and not on another (seen: CPython 3.11's
                # ast.parse failing deep inside hypothesis's strategy repr): try once more.
                note = self._explore(mode, count, attempt=1) and note
            if note:
                notes.append(note)
                self.generation_notes += 1

    def _explore(self, mode: GenerationMode, count: int, attempt: int = 0) -> str | None:
        """Run one hypothesis search; a note when generation itself was impossible."""
        try:
            strategy = self.schema.strategy(self.operation_id, mode)
        except GenerationUnavailable as exc:
            return str(exc)

        @hypothesis.seed(example_seed(self.options.seed, self.operation_id, mode) + attempt)
        @hypothesis.settings(
            max_examples=count,
            database=None,
            deadline=None,
            derandomize=False,
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            verbosity=Verbosity.quiet,
            print_blob=False,
        )
        @hypothesis.given(case=strategy)
        def search(case: AnyCase) -> None:
            self._example(case)

        try:
            if self.target.concurrency > 1:
                self._search_ahead(search)
            else:
                search()
        except ConformanceError:
            raise
        except Flaky:
            if self.last_failure is not None:
                raise self.last_failure from None
            return f"hypothesis reported an unreproducible {mode.value} example"
        except (HypothesisException, RecursionError) as exc:
            return f"cannot generate {mode.value} requests ({type(exc).__name__}: {exc})"
        except Exception as exc:  # judging is guarded in _example: this came from generation
            first = str(exc).splitlines()[0] if str(exc) else ""
            return (
                f"schemathesis failed to generate {mode.value} requests "
                f"({type(exc).__name__}: {first})"
            )
        return None

    def _search_ahead(self, search: Callable[[], None]) -> None:
        """The search with its examples drawn first and sent at once (see the module doc)."""
        self._noted = []
        drawing_failed: Exception | None = None
        try:
            search()  # draws and notes; judges nothing
        except Exception as exc:  # generation broke: what was drawn before is judged first
            drawing_failed = exc
        finally:
            noted, self._noted = self._noted, None
        fresh: dict[Key, WireRequest] = {}
        for _, wire, key in noted:
            if key not in self.answers and len(fresh) < self.options.max_requests - self.sent:
                fresh.setdefault(key, wire)
        sends = [self._sender(wire) for wire in fresh.values()]
        probe = self._probe_candidate(noted)
        if probe is not None:
            sends.append(self._sender(probe, auth=False))
        outcomes = self.target.send_all(sends)
        for outcome in outcomes:  # the 429s waited out on the pool threads
            self.target.budget.note_rate_limited(outcome.value[1] if outcome.value else 0)
        if probe is not None:
            self._probe_ahead = (probe, outcomes.pop())
        self._ahead = dict(zip(fresh, outcomes, strict=True))
        snapshot = self._state()
        logged = (len(self.target.exchanges), len(self.target.streams))
        try:
            self._judge_drawn(noted)
        except ConformanceError:
            # A failure: hypothesis shrinks it, from the start as a serial run does.
            self._restore(snapshot)
            del self.target.exchanges[logged[0] :], self.target.streams[logged[1] :]
            search()
        finally:
            self._forget_ahead()
        if drawing_failed is not None:
            raise drawing_failed

    def _judge_drawn(self, noted: list[tuple[AnyCase, WireRequest, Key]]) -> None:
        """The drawn examples judged in order, as `_example` judges them during a search."""
        for case, wire, key in noted:
            if self.stop is not None:
                return
            try:
                self._judge_shaped(case, wire, key)
            except ConformanceError:
                raise
            except Exception as exc:
                self.stop = exc

    def _sender(self, wire: WireRequest, auth: bool = True) -> Callable[[], tuple[Exchange, int]]:
        return lambda: send_with_backoff(
            self.target,
            wire,
            max_retries=self.options.max_retries_on_429,
            max_backoff_s=self.options.max_backoff_s,
            auth=auth,
        )

    def _probe_candidate(self, noted: list[tuple[AnyCase, WireRequest, Key]]) -> WireRequest | None:
        """The first positive example drawn, whose probe without credentials may go out with
        the examples: the request a target accepts first is most often that one (else the
        probe is sent at the end, as serially, and this one was sent for nothing). Only where
        the probe cannot change what the examples meet: a GET, or an operation on no object
        (a target that ignores credentials could otherwise delete or cancel the examples'
        object under them)."""
        if self.accepted is not None or self.answers or self.target.api_key is None:
            return None
        operation = self.schema.spec.operation(self.operation_id)
        for case, wire, _ in noted:
            if case.meta is not None and case.meta.generation.mode.is_positive:
                safe = wire.method.upper() == "GET" or "{" not in operation.path
                return wire if safe else None
        return None

    def _state(self) -> tuple[Any, ...]:
        return (
            dict(self.answers),
            self.examples,
            self.sent,
            self.rate_limited,
            set(self._counted),
            dict(self.soft),
            self.accepted,
            self.stop,
            self.last_failure,
            dict(self._ahead),
        )

    def _restore(self, state: tuple[Any, ...]) -> None:
        answers, self.examples, self.sent, self.rate_limited, counted, *rest = state
        soft, self.accepted, self.stop, self.last_failure, ahead = rest
        self.answers, self.soft, self._ahead = dict(answers), dict(soft), dict(ahead)
        self._counted = set(counted)

    def _forget_ahead(self) -> None:
        """Answers sent ahead that no example asked for: what they created is removed too."""
        route = self.schema.spec.operation(self.operation_id).route
        for outcome in self._ahead.values():
            self._count(outcome)
            if outcome.value is not None:
                exchange = outcome.value[0]
                track_example(self.objects, self.schema, route, exchange.request.body, exchange)
        self._ahead = {}

    def _over_limits(self) -> bool:
        return (
            self.stop is not None
            or self.sent >= self.options.max_requests
            or time.monotonic() - self._started > self.options.time_limit_s
        )

    def _example(self, case: AnyCase) -> None:
        """Judge one generated case. An exception of our own code (shaping, sending, a check)
        stops the operation and is raised after the search as what it is, a bug of this tool:
        left inside hypothesis it would read as a generation failure, or a flaky target."""
        if self.stop is not None:
            return
        try:
            self._judge(case)
        except (ConformanceError, HypothesisException):  # a verdict, or hypothesis's control
            raise
        except Exception as exc:
            self.stop = exc

    def _judge(self, case: AnyCase) -> None:
        try:
            shape(
                case,
                self.options.models.get(self.operation_id),
                pinned=self.objects.ids,
                tag=self._tag,
                operation_id=self.operation_id,
                pins=self.options.pins.get(self.operation_id),
            )
            wire = to_wire(case, self.target.base_url)
        except Discard:
            hypothesis.reject()
        key = (
            case.meta.generation.mode if case.meta else None,
            wire.method,
            wire.path,
            wire.body,
            tuple(sorted(wire.headers.items())),
        )
        if self._noted is not None:  # drawing ahead: sent and judged after the search
            self._noted.append((case, wire, key))
            return
        self._judge_shaped(case, wire, key)

    def _judge_shaped(self, case: AnyCase, wire: WireRequest, key: Key) -> None:
        answer = self.answers.get(key)
        if answer is None:
            if self._over_limits():
                return
            answer = self._ask(case, wire, self._ahead.pop(key, None))
            if answer is None:
                return
            self.answers[key] = answer
        else:
            self.target.exchanges.append(answer.exchange)  # the repro is the example reported
        self.examples += 1
        hard = [f for f in answer.failures if not is_soft(f)]
        for failure in answer.failures:
            if is_soft(failure) and len(self.soft) < _MAX_SOFT:
                self.soft.setdefault((failure.check_id, failure.location), failure)
        if hard:
            self.last_failure = ConformanceError(hard)
            raise self.last_failure

    def _send(self, wire: WireRequest, *, auth: bool) -> Exchange:
        """One request, its 429s waited out (bounded); every attempt is counted."""
        exchange, retries = send_with_backoff(
            self.target,
            wire,
            max_retries=self.options.max_retries_on_429,
            max_backoff_s=self.options.max_backoff_s,
            auth=auth,
        )
        self.sent += 1 + retries
        self.rate_limited += retries
        self.target.budget.note_rate_limited(retries)
        return exchange

    def _count(self, outcome: Outcome) -> None:
        """Count a request sent ahead in `sent`, once (on the caller's thread)."""
        if id(outcome) in self._counted:
            return
        self._counted.add(id(outcome))
        retries = outcome.value[1] if outcome.value is not None else 0
        self.sent += 1 + retries
        self.rate_limited += retries

    def _ask(
        self, case: AnyCase, wire: WireRequest, ahead: Outcome | None = None
    ) -> _Answer | None:
        try:
            if ahead is None or broke_ahead(ahead):  # sent again alone (see broke_ahead)
                exchange = self._send(wire, auth=True)
            else:
                self._count(ahead)
                exchange = self.target.replay(ahead)[0]
        except (BudgetExhaustedError, TargetError) as exc:
            self.stop = exc
            return None
        if exchange.status == 429:
            return None  # still limited after bounded waiting: nothing to judge
        positive = case.meta is not None and case.meta.generation.mode.is_positive
        if positive and not self.answers:
            decision = self._route_check(exchange)
            if decision.route_missing:
                self.stop = RouteMissing(
                    f"{exchange.describe()}: the target has no such endpoint ({decision.reason})"
                )
                return None
        if positive and 200 <= exchange.status < 300 and self.accepted is None:
            self.accepted = wire
        route = self.schema.spec.operation(self.operation_id).route
        track_example(self.objects, self.schema, route, wire.body, exchange)
        response = to_schemathesis_response(exchange, wire.prepared)
        failures = run_response_checks(
            case, response, exchange, spec=self.schema.spec, operation_id=self.operation_id
        )
        failures += event_stream_conformance(self.schema.spec, self.operation_id, exchange)
        return _Answer(exchange, failures)

    def stats(self) -> dict[str, float]:
        """What the operation cost, for the report's per-test metrics."""
        return {
            "examples": float(self.examples),
            "requests": float(self.sent),
            "rate_limited_retries": float(self.rate_limited),
            "generation_notes": float(self.generation_notes),
        }

    def _auth_probe(self, answer: list[Exchange]) -> tuple[Callable[[], None], bool]:
        """Sends the accepted request without credentials into `answer` (when one is due);
        and whether it was answered already (sent with the examples, `_probe_candidate`)."""
        wire = self.accepted
        due = wire is not None and self.target.api_key is not None and not self._over_limits()
        ahead = self._probe_ahead
        answered = due and ahead is not None and wire is not None and _same(ahead[0], wire)

        def probe() -> None:
            if not due or wire is None:
                return
            try:
                if answered and ahead is not None and not broke_ahead(ahead[1]):
                    self._count(ahead[1])
                    answer.append(self.target.replay(ahead[1])[0])  # logged as if sent now
                else:
                    answer.append(self._send(wire, auth=False))
            except (BudgetExhaustedError, TargetError):
                return  # the operation itself was judged; this extra probe is best effort

        return probe, answered

    def _check_ignored_auth(self, answer: list[Exchange]) -> None:
        """A request the target accepted with credentials must be refused without them."""
        if not answer:
            return
        exchange = answer[0]
        if exchange.status == 429:
            return  # still limited after bounded waiting: nothing to judge
        if exchange.status not in (401, 403):
            _fail(
                Failure(
                    "ignored_auth",
                    f"{exchange.describe()}: the request the target accepted with credentials "
                    f"was answered without them; expected 401, got {exchange.status} with "
                    f"{exchange.body_excerpt(120)}",
                    where="status",
                    expected="401",
                    found=str(exchange.status),
                    check_id=IGNORED_AUTH,
                )
            )


def _same(one: WireRequest, other: WireRequest) -> bool:
    return (one.method, one.path, one.body, sorted(one.headers.items())) == (
        other.method,
        other.path,
        other.body,
        sorted(other.headers.items()),
    )


def _fail(*failures: Failure) -> NoReturn:
    raise ConformanceError(failures)
