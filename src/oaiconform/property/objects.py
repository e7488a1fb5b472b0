"""Real objects for path parameters: created before an operation's examples, removed after.

With generated identifiers, `GET /files/{file_id}` only ever meets "no such object", and the
success path and its response schema go unchecked. Before the examples, each path parameter's
object is created through the Target (parents first; see `creators.object_steps`) with, in
order, the hand-written request for the collections the suites know (`recipes`), the
description's own example (`x-oaiMeta` curl body), then schemathesis-generated positive bodies,
at most `MAX_ATTEMPTS` requests per object, until one is answered 2xx with an id. Those ids are
pinned into the positive cases (wire.shape); negative cases keep their generated values. After
the examples, everything created is removed (`cleanup`).

Bounded and safe on a live API: creation and cleanup have their own request caps, objects are
created only when the run's request budget has room to remove them again, a creator in an
expensive group is used only on the embedded mock or for an operation of that same group
(which `exercise_operation` already let run), and every request carries the Target's key, so
the objects belong to the tenant the operation runs as. Deterministic for a seed: recipe
names and boundaries and the generated bodies derive from it. When nothing can be created the
operation runs as before, with generated ids, and its metrics say so: `path_objects_pinned`,
`path_objects_generated` (with the reasons in `PreparedObjects.generated`), `object_requests`,
`objects_left`.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity
from schemathesis.generation import GenerationMode

from oaiconform.cleanup import active, run_metadata
from oaiconform.exchange import Exchange
from oaiconform.property._types import AnyCase
from oaiconform.property.clamp import make_affordable
from oaiconform.property.cleanup import MAX_CLEANUP_REQUESTS, Created, kind_of, remove_all
from oaiconform.property.creators import (
    ObjectStep,
    example_body,
    fill,
    object_steps,
    step_for_collection,
)
from oaiconform.property.groups import expensive_group
from oaiconform.property.recipes import RECIPES, TAGGED, Recipe, RecipeInputs
from oaiconform.property.sender import CappedSender
from oaiconform.property.session import GenerationUnavailable, PropertySchema
from oaiconform.property.wire import Discard, safe_identifier, shape, to_wire
from oaiconform.spec import Operation
from oaiconform.target import BudgetExhaustedError, Target, TargetError

if TYPE_CHECKING:
    from oaiconform.property.runner import PropertyOptions

MAX_ATTEMPTS = 3  # creation requests per object (recipe, example, generated bodies)
MAX_PREPARE_REQUESTS = 12  # per operation, dependencies and 429 retries included
# Objects are created only when the budget can also pay for removing them.
BUDGET_ROOM = MAX_PREPARE_REQUESTS + MAX_CLEANUP_REQUESTS


@dataclass
class PreparedObjects:
    target: Target | None = None
    ids: dict[str, str] = field(default_factory=dict)  # parameter -> pinned object id
    generated: dict[str, str] = field(default_factory=dict)  # parameter -> why not pinned
    created: list[Created] = field(default_factory=list)  # in creation order
    left: list[Created] = field(default_factory=list)  # not confirmed removed
    requests: int = 0  # sent to create and to remove
    cleaned: bool = False

    def metrics(self) -> dict[str, float]:
        """For the report's per-test metrics; nothing for an operation without path objects."""
        if not self.ids and not self.generated:
            return {}
        return {
            "path_objects_pinned": float(len(self.ids)),
            "path_objects_generated": float(len(self.generated)),
            "object_requests": float(self.requests),
            "objects_left": float(len(self.left)),
        }

    def clean_up(self) -> None:
        """Remove what was created (once); best effort, bounded, never raises."""
        if self.cleaned or self.target is None or not self.created:
            return
        self.cleaned = True
        self.left, sent = remove_all(self.target, self.created)
        self.requests += sent


def object_id(exchange: Exchange | None, parameter: str) -> str | None:
    """The created object's id: the field named like the parameter, else `id` (of the first
    item, for creators that answer a list); only a URL-safe identifier is usable in a path."""
    if exchange is None or not 200 <= exchange.status < 300 or not exchange.is_json:
        return None
    body = exchange.json()
    if isinstance(body, dict) and isinstance(body.get("data"), list) and "id" not in body:
        body = body["data"][0] if body["data"] else None
    if not isinstance(body, dict):
        return None
    for name in (parameter, "id"):
        value = body.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value)
            return text if safe_identifier(parameter, text) == text else None
    return None


def _route_of(operation: Operation, values: Mapping[str, str]) -> str:
    path = fill(operation.route, values)
    query = operation.fixed_query
    return f"{path}?{urlencode(query)}" if query else path


def _seed(run_seed: int, operation_id: str, what: str) -> int:
    return zlib.crc32(f"{run_seed}:{operation_id}:objects:{what}".encode())


class _Stop(Exception):
    """Ends a hypothesis search early: an object was created, or nothing more may be sent."""


class _Preparer:
    def __init__(
        self,
        target: Target,
        schema: PropertySchema,
        operation_id: str,
        options: PropertyOptions,
        prepared: PreparedObjects,
    ) -> None:
        self.target = target
        self.schema = schema
        self.operation_id = operation_id
        self.options = options
        self.prepared = prepared
        operation = schema.spec.operation(operation_id)
        self.group = expensive_group(operation.path)
        self.route = operation.route
        self.sender = CappedSender(
            target,
            MAX_PREPARE_REQUESTS,
            max_retries=options.max_retries_on_429,
            max_backoff_s=options.max_backoff_s,
        )
        self.token = f"{_seed(options.seed, operation_id, 'token'):08x}"

    def why_not(self, step: ObjectStep) -> str | None:
        """None when the step's object may be created now; otherwise why not."""
        missing = [p for p in step.parents if p not in self.prepared.ids]
        if missing:
            return f"its parent {{{missing[0]}}} could not be created"
        if step.creator is None:
            return f"the description has no POST {step.collection} to create it"
        group = expensive_group(step.creator.path)
        if group is not None and group != self.group and not self.target.embedded_mock:
            return f"creating it ({step.creator.operation_id}) is in the expensive {group} group"
        return None

    def create(self, step: ObjectStep, creator: Operation) -> str | None:
        """The new object's id (recorded for cleanup), or None after bounded attempts."""
        parents = {p: self.prepared.ids[p] for p in step.parents}
        attempts = MAX_ATTEMPTS
        self.sender.route_missing = False
        found: str | None = None
        recipe = RECIPES.get(step.collection)
        if recipe is not None:
            attempts -= 1
            to_cancel = self.route == step.item + "/cancel"
            found = self._from_recipe(recipe, creator, parents, step.parameter, to_cancel)
        if found is None and self.sender.route_missing:
            return None  # no such endpoint: other bodies will not change that
        example = example_body(creator)
        if found is None and example is not None and attempts > 0:
            attempts -= 1
            found = self._from_example(example, creator, parents, step.parameter)
        if found is None and not self.sender.route_missing:
            found = self._generated(creator, parents, step.parameter, attempts)
        if found is not None:
            self._record(step, found, parents)
        return found

    def _record(
        self, step: ObjectStep, found: str, parents: Mapping[str, str], *, dependency: bool = False
    ) -> None:
        values = {**parents, step.parameter: found}
        cleanup: tuple[tuple[str, str], ...] = ()
        if step.deleter is not None:
            cleanup = (("DELETE", _route_of(step.deleter, values)),)
        elif step.canceller is not None:
            cleanup = (("POST", _route_of(step.canceller, values)),)
        recipe = RECIPES.get(step.collection)
        files_at = fill(step.item, values) if recipe is not None and recipe.leaves_files else None
        parameter = None if dependency else step.parameter
        kind = kind_of(step.collection)
        active().created(kind, found)
        self.prepared.created.append(Created(parameter, found, cleanup, files_at, kind))

    def _from_recipe(
        self,
        recipe: Recipe,
        creator: Operation,
        parents: Mapping[str, str],
        parameter: str,
        to_cancel: bool = False,
    ) -> str | None:
        needed: dict[str, str] = {}
        for collection in recipe.needs:  # e.g. a batch's input file, created first
            step = step_for_collection(self.schema.spec, collection)
            if step is None or step.creator is None:
                return None
            found = self._from_recipe(RECIPES[collection], step.creator, {}, step.parameter)
            if found is None:
                return None
            self._record(step, found, {}, dependency=True)
            needed[collection] = found
        inputs = RecipeInputs(self.options.models, self.token, needed, to_cancel, active().run_id)
        content, content_type = recipe.build(inputs)
        exchange = self.sender.send(
            "POST",
            _route_of(creator, parents),
            content=content,
            headers={"Content-Type": content_type},
        )
        return object_id(exchange, parameter)

    def _from_example(
        self,
        example: dict[str, object],
        creator: Operation,
        parents: Mapping[str, str],
        parameter: str,
    ) -> str | None:
        body = make_affordable(example)
        model = self.options.models.get(creator.operation_id)
        if model is not None and isinstance(body.get("model"), str):
            body = {**body, "model": model}
        exchange = self.sender.send(
            "POST",
            _route_of(creator, parents),
            content=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        return object_id(exchange, parameter)

    def _generated(
        self, creator: Operation, parents: dict[str, str], parameter: str, attempts: int
    ) -> str | None:
        """Schemathesis-generated positive bodies, until one creates the object."""
        if attempts <= 0:
            return None
        try:
            strategy = self.schema.strategy(creator.operation_id, GenerationMode.POSITIVE)
        except GenerationUnavailable:
            return None
        found: list[str] = []
        raised: list[BaseException] = []
        tried = 0
        model = self.options.models.get(creator.operation_id)

        @hypothesis.seed(_seed(self.options.seed, self.operation_id, creator.operation_id))
        @hypothesis.settings(
            max_examples=attempts * 4,  # room for cases that cannot be sent
            database=None,
            deadline=None,
            phases=(Phase.generate,),
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            print_blob=False,
        )
        @hypothesis.given(case=strategy)
        def attempt(case: AnyCase) -> None:
            nonlocal tried
            if found or raised or tried >= attempts:
                raise _Stop  # ends the search (and its replay) without generating more
            try:
                shape(
                    case,
                    model,
                    pinned=parents,
                    tag=creation_tag(creator),
                    operation_id=creator.operation_id,
                )
                wire = to_wire(case, self.target.base_url)
            except Discard:
                return
            tried += 1
            try:
                exchange = self.sender.send(
                    wire.method, wire.path, content=wire.body, headers=wire.headers
                )
            except (BudgetExhaustedError, TargetError) as exc:
                raised.append(exc)  # raised after the search: hypothesis would replay it
                raise _Stop from None
            created = object_id(exchange, parameter)
            if created is not None:
                found.append(created)
            if created is not None or self.sender.route_missing:
                raise _Stop

        # Generation itself may fail (schemathesis, hypothesis): then no object, as if refused.
        with contextlib.suppress(Exception):
            attempt()
        if raised:
            raise raised[0]
        return found[0] if found else None


def creation_tag(operation: Operation) -> dict[str, str] | None:
    """The run's metadata for the generated bodies of an operation that creates a tagged
    object (POST /batches, /responses, /chat/completions); None for any other operation."""
    if operation.method != "POST" or operation.route not in TAGGED:
        return None
    return run_metadata(active().run_id)


# Creations that store nothing unless the request asks for it (`store: true`).
_STORED_WHEN_ASKED = frozenset({"/chat/completions"})


def track_example(
    prepared: PreparedObjects,
    schema: PropertySchema,
    route: str,
    body: bytes | None,
    answer: Exchange,
) -> None:
    """An example of a creating operation (POST on a collection the description can remove
    objects of) that was answered 2xx made an object: it is removed with the prepared ones."""
    if answer.request.method != "POST" or not 200 <= answer.status < 300:
        return
    step = step_for_collection(schema.spec, route)
    if step is None or step.parents or (step.deleter is None and step.canceller is None):
        return
    sent = _json_or_none(body)
    if sent.get("store") is False or (
        route in _STORED_WHEN_ASKED and sent.get("store") is not True
    ):
        return
    found = object_id(answer, step.parameter)
    if found is None:
        return
    values = {step.parameter: found}
    if step.deleter is not None:
        cleanup: tuple[tuple[str, str], ...] = (("DELETE", _route_of(step.deleter, values)),)
    else:
        assert step.canceller is not None
        cleanup = (("POST", _route_of(step.canceller, values)),)
    recipe = RECIPES.get(step.collection)
    files_at = fill(step.item, values) if recipe is not None and recipe.leaves_files else None
    kind = kind_of(step.collection)
    active().created(kind, found)
    prepared.created.append(Created(None, found, cleanup, files_at, kind))


def _json_or_none(body: bytes | None) -> dict[str, object]:
    try:
        value = json.loads(body) if body else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def prepare_objects(
    target: Target, schema: PropertySchema, operation_id: str, options: PropertyOptions
) -> PreparedObjects:
    """Create the objects the operation's path parameters name; never raises.

    A budget or transport error stops the preparation (the operation's own first request
    meets it again and reports it); what was created by then is still removed by `clean_up`.
    """
    prepared = PreparedObjects(target)
    steps = object_steps(schema.spec, operation_id)
    if not steps:
        return prepared
    budget = target.budget
    if budget.limit is not None and budget.limit - budget.used < BUDGET_ROOM:
        for step in steps:
            prepared.generated[step.parameter] = "the request budget has no room for objects"
        return prepared
    preparer = _Preparer(target, schema, operation_id, options, prepared)
    try:
        for step in steps:
            reason = preparer.why_not(step)
            if reason is None and step.creator is not None:
                found = preparer.create(step, step.creator)
                if found is not None:
                    prepared.ids[step.parameter] = found
                    continue
                reason = f"{step.creator.operation_id} created nothing in {MAX_ATTEMPTS} attempts"
            prepared.generated[step.parameter] = reason or "no creator"
    except (BudgetExhaustedError, TargetError) as exc:
        for step in steps:
            if step.parameter not in prepared.ids:
                prepared.generated.setdefault(step.parameter, f"creation stopped: {exc}")
    finally:
        prepared.requests += preparer.sender.used
    return prepared
