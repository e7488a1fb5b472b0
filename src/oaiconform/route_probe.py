"""Learning how the target answers a route it does not have, once per run, by asking.

`decide(exchange)` tells a missing route from a missing object for any 404 the suites or the
property runner meet: it compares the answer with the target's own answer, by the same
method, to a route that cannot exist (`PROBE`, at the top level of the API). Only when that
teaches nothing (no 404/405: a web UI's catch-all page) is a route under the request's
resource family asked; it is not asked first because it can land on a real route: model ids
may contain slashes, so `GET /models/a/b` is "no such model", not "no such route". Each probe
is sent once and cached; its evidence goes in report.json (`target.route_miss`). A probe that
cannot be sent (the budget is spent, the target fails) leaves the decision to the body
alone, as `checks.routes.guess_route_missing` guesses it.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

from oaiconform.checks.routes import MissShape, RouteDecision, decide_route, miss_shape
from oaiconform.exchange import Exchange
from oaiconform.target import BudgetExhaustedError, Target, TargetError

PROBE = "oaiconform-no-such-route"
# Under a family, two unknown segments: no documented path has a parameter right after the
# family and then an unknown literal (but a server may route ids with slashes, see above).
_FAMILY_PROBE = "{family}/oaiconform-probe/" + PROBE


class RouteMisses:
    """The target's answers to unknown routes, probed lazily per method (and family)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._shapes: dict[tuple[str, str], MissShape | None] = {}
        self._evidence: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _relative_segments(self, url: str) -> list[str]:
        base = urlsplit(self.target.base_url).path.rstrip("/")
        path = urlsplit(url).path
        if base and path.startswith(base):
            path = path[len(base) :]
        return [s for s in path.split("/") if s]

    def _probe(self, method: str, family: str) -> MissShape | None:
        key = (method, family)
        with self._lock:
            if key in self._shapes:
                return self._shapes[key]
        path = _FAMILY_PROBE.format(family=family) if family else PROBE
        try:
            answer = self.target.request(method, path, json={} if method == "POST" else None)
        except (BudgetExhaustedError, TargetError) as exc:
            shape = None
            evidence: dict[str, Any] = {"request": f"{method} {path}", "error": str(exc)}
        else:
            # A probe is not part of the test that needed it (its repro, its SDK replay).
            self.target.exchanges[:] = [e for e in self.target.exchanges if e is not answer]
            # Only a 404/405 teaches what a miss looks like; a 200 catch-all page or a 401
            # says nothing about 404s.
            shape = miss_shape(answer) if answer.status in (404, 405) else None
            evidence = {
                "request": f"{method} {path}",
                "status": answer.status,
                "shape": shape.describe() if shape else None,
            }
        with self._lock:
            self._shapes[key] = shape
            self._evidence[key] = evidence
        return shape

    def decide(self, exchange: Exchange, *, path_has_ids: bool = False) -> RouteDecision:
        """Whether this 404/405 means the route is missing, with the evidence. `path_has_ids`
        says how to guess when no probe taught anything (see checks.routes)."""
        if exchange.status not in (404, 405):
            return decide_route(exchange, None)
        method = exchange.request.method.upper()
        learned = self._probe(method, "")
        if learned is None:
            # The top level taught nothing (a web UI's catch-all page, say): ask the family.
            segments = self._relative_segments(exchange.request.url)
            if segments and segments[0] != PROBE:
                learned = self._probe(method, segments[0])
        return decide_route(exchange, learned, path_has_ids=path_has_ids)

    def evidence(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._evidence[key] for key in sorted(self._evidence)]


_by_target: dict[int, RouteMisses] = {}
_registry_lock = threading.Lock()


def route_misses(target: Target) -> RouteMisses:
    """The run's RouteMisses of this target (one per Target object)."""
    with _registry_lock:
        misses = _by_target.get(id(target))
        if misses is None or misses.target is not target:
            misses = _by_target[id(target)] = RouteMisses(target)
        return misses


_active: list[Target] = []


def activate(target: Target) -> None:
    """Make `target` the one `require_route` judges against (the run's target)."""
    _active[:] = [target]


def active_route_misses() -> RouteMisses | None:
    return route_misses(_active[0]) if _active else None
