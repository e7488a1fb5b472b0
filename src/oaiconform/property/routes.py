"""Route misses for generated requests: "no such endpoint" versus "no such object".

A generated identifier rarely names an existing object, so on a path with ids most 404s are
about the object. The decision is route_probe's: the 404 is compared with the target's own
answer to a route that cannot exist; only when no probe could be sent does the body alone
decide (a 404 envelope on a path with ids is then a miss only if it reads "Invalid URL").
"""

from __future__ import annotations

from collections.abc import Callable

from oaiconform.checks.routes import RouteDecision
from oaiconform.exchange import Exchange
from oaiconform.route_probe import route_misses
from oaiconform.target import Target


def route_decision_for(target: Target, path_has_ids: bool) -> Callable[[Exchange], RouteDecision]:
    misses = route_misses(target)
    return lambda exchange: misses.decide(exchange, path_has_ids=path_has_ids)


def route_missing_for(target: Target, path_has_ids: bool) -> Callable[[Exchange], bool]:
    decide = route_decision_for(target, path_has_ids)
    return lambda exchange: decide(exchange).route_missing
