"""The schemathesis view of the description: built once per loaded spec, strategies on demand.

It is built from `spec.document` (the prepared, overlaid description) and never from the raw
file, with schemathesis's default configuration (never a `schemathesis.toml` found in the
user's working directory). Strategies are built per operation when its test runs and dropped
afterwards, which keeps collection cheap and the whole `full` run small in memory.
"""

from __future__ import annotations

import copy
import gc
import threading
import weakref

from hypothesis.strategies import SearchStrategy
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.openapi import from_dict
from schemathesis.specs.openapi.schemas import OpenApiSchema

from oaiconform.property._types import AnyCase, AnyOperation
from oaiconform.spec import Spec


class GenerationUnavailable(Exception):
    """Schemathesis cannot generate requests for an operation (recursion, unsupported schema)."""


_CLEAR_CACHES_EVERY = 16
NEGATIVE_AUTH_PLACEHOLDER = "Bearer oaiconform-placeholder"  # replaced by the Target's own


def _clear_generation_caches() -> None:
    try:
        from schemathesis.specs.openapi._caches import clear_all
    except ImportError:  # a schemathesis without it: memory is then only bounded by the run
        return
    clear_all()


class PropertySchema:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._schema: OpenApiSchema | None = None
        self._lock = threading.Lock()
        self._done = 0

    @property
    def schema(self) -> OpenApiSchema:
        with self._lock:
            if self._schema is None:
                # A copy: schemathesis normalises the document it is given, and ours is shared.
                document = copy.deepcopy(self.spec.document)
                self._schema = from_dict(document, config=SchemathesisConfig())
                # Alive for the whole run, like the description: out of the collector's walks.
                gc.freeze()
            return self._schema

    def operation_done(self) -> None:
        """Every few operations, empty schemathesis's process-wide generation caches.

        They fill per operation and are never emptied by schemathesis outside its own runner;
        emptying them keeps a run over every operation of the description well under 500 MB.
        """
        self._done += 1
        if self._done % _CLEAR_CACHES_EVERY == 0:
            _clear_generation_caches()

    def operation(self, operation_id: str) -> AnyOperation:
        try:
            return self.schema.find_operation_by_id(operation_id)
        except Exception as exc:  # schemathesis raises several kinds for one cause
            raise GenerationUnavailable(
                f"schemathesis cannot load operation {operation_id}: {type(exc).__name__}: {exc}"
            ) from None

    def strategy(self, operation_id: str, mode: GenerationMode) -> SearchStrategy[AnyCase]:
        operation = self.operation(operation_id)
        # Negative cases are judged only when their body is negated (see wire.py). Giving the
        # credentials header explicitly takes it out of what schemathesis may negate, so fewer
        # cases are drawn (a body each, the costly part) only to be discarded.
        headers = {"Authorization": NEGATIVE_AUTH_PLACEHOLDER} if mode.is_negative else None
        try:
            return operation.as_strategy(generation_mode=mode, headers=headers)
        except Exception as exc:  # RecursionError included: a recursive schema
            raise GenerationUnavailable(
                f"schemathesis cannot build {mode.value} requests for {operation_id}: "
                f"{type(exc).__name__}: {exc}"
            ) from None


_SCHEMAS: weakref.WeakKeyDictionary[Spec, PropertySchema] = weakref.WeakKeyDictionary()
_SCHEMAS_LOCK = threading.Lock()


def property_schema(spec: Spec) -> PropertySchema:
    """The one PropertySchema of this loaded spec."""
    with _SCHEMAS_LOCK:
        schema = _SCHEMAS.get(spec)
        if schema is None:
            schema = _SCHEMAS[spec] = PropertySchema(spec)
        return schema
