"""The loaded description: operations indexed by id, and cached compiled validators.

Validation goes through jsonschema-rs (the Rust validator schemathesis also uses) with one
registry holding the whole document, so a validator for any JSON pointer compiles in well
under a millisecond and is compiled once per run.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema_rs
import yaml

from oaiconform._resources import spec_data_dir
from oaiconform.spec._errors import SpecError
from oaiconform.spec._overlay import AppliedOverlay, apply_overlay, load_overlay
from oaiconform.spec._prepare import translate_nullable
from oaiconform.spec._source import SpecSource

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_REGISTRY_URI = "urn:oaiconform:spec"
_MAX_VIOLATIONS = 5


def builtin_overlay_paths() -> list[Path]:
    return sorted((spec_data_dir() / "overlays").glob("*.yaml"))


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # as in the description, e.g. /models/{model} or /responses?beta=true
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def route(self) -> str:
        """The path to request. Six upstream paths carry a query (`/responses?beta=true`)."""
        return self.path.partition("?")[0]

    @property
    def fixed_query(self) -> dict[str, str]:
        query = self.path.partition("?")[2]
        return dict(p.partition("=")[::2] for p in query.split("&") if p)

    @property
    def pointer(self) -> str:
        escaped = self.path.replace("~", "~0").replace("/", "~1")
        return f"/paths/{escaped}/{self.method.lower()}"


@dataclass(frozen=True)
class SchemaViolation:
    path: str  # where in the instance, e.g. $.choices[0].index
    message: str
    kind: str = ""  # the jsonschema-rs error kind: "Required", "Type", "Enum", ...
    property: str = ""  # for a "Required" violation: the missing property's name
    parts: tuple[str | int, ...] = ()  # `path` as keys and indices

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


_BRANCHING = frozenset({"OneOfNotValid", "AnyOf"})
_TAG_MISMATCH = frozenset({"Constant", "Enum"})


def _meant_branch(error: Any) -> list[Any]:
    """The errors of the branch a oneOf/anyOf instance meant, else the error itself.

    The meant branch is the one whose `type` tag the instance carries (no const/enum error
    at `type` right under the instance), with the fewest errors; when every branch refuses
    the tag, the instance's type is unknown and the error stays as it is.
    """
    kind = error.kind
    context = getattr(kind, "context", None) if type(kind).__name__ in _BRANCHING else None
    if not context:
        return [error]
    depth = len(error.instance_path)

    def tag_refused(branch: list[Any]) -> bool:
        return any(
            type(e.kind).__name__ in _TAG_MISMATCH and list(e.instance_path)[depth:] == ["type"]
            for e in branch
        )

    candidates = [branch for branch in context if branch and not tag_refused(branch)]
    if not candidates:
        return [error]
    return [e for inner in min(candidates, key=len) for e in _meant_branch(inner)]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _instance_path(parts: list[str | int]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _parse(content: bytes, location: str) -> Any:
    try:
        return json.loads(content)
    except UnicodeDecodeError:
        raise SpecError(f"{location}: not a text file, expected OpenAPI JSON or YAML") from None
    except json.JSONDecodeError:
        pass
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(content, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else "parse error"
        raise SpecError(f"{location}: neither JSON nor YAML ({first_line})") from None


class Spec:
    """One parsed, prepared, indexed description. Loaded once per process and source."""

    _cache: dict[str, Spec] = {}
    _cache_lock = threading.Lock()

    def __init__(
        self,
        source: SpecSource,
        document: dict[str, Any],
        overlays: list[AppliedOverlay] | None = None,
    ) -> None:
        self.source = source
        self.document = document
        self.overlays = overlays or []
        info = document.get("info") if isinstance(document.get("info"), dict) else {}
        self.version = str((info or {}).get("version", "unknown"))
        self.nullable_rewritten = translate_nullable(document)
        self.operations: dict[str, Operation] = {}
        self._by_route: dict[tuple[str, str], Operation] = {}
        for path, item in document["paths"].items():
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                raw = item.get(method)
                if not isinstance(raw, dict):
                    continue
                op_id = str(raw.get("operationId") or f"{method}:{path}")
                operation = Operation(op_id, method.upper(), path, raw)
                self.operations[op_id] = operation
                self._by_route[(method.upper(), path)] = operation
        self._registry: Any = None
        self._validators: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, source: SpecSource, vendor_overlays: tuple[Path, ...] = ()) -> Spec:
        """Parse, correct with the built-in then the vendor's overlays, translate, index."""
        overlays = [load_overlay(p, source="builtin") for p in builtin_overlay_paths()]
        overlays += [load_overlay(p, source=str(p)) for p in vendor_overlays]
        key = source.sha256 + "".join(f"|{o.name}:{o.digest}" for o in overlays)
        with cls._cache_lock:
            cached = cls._cache.get(key)
            if cached is not None:
                return cached
            document = _parse(source.content, source.location)
            if not isinstance(document, dict) or "openapi" not in document:
                raise SpecError(
                    f"{source.location}: not an OpenAPI description (no top-level `openapi` key)"
                )
            version = str(document["openapi"])
            if not version.startswith("3."):
                raise SpecError(f"{source.location}: OpenAPI {version} found, 3.x required")
            if not isinstance(document.get("paths"), dict):
                raise SpecError(f"{source.location}: the description has no `paths` object")
            applied = [apply_overlay(document, overlay) for overlay in overlays]
            spec = cls(source, document, applied)
            cls._cache[key] = spec
            return spec

    def operation(self, operation_id: str) -> Operation:
        try:
            return self.operations[operation_id]
        except KeyError:
            raise SpecError(f"operation {operation_id!r} is not in the description") from None

    def operation_for(self, method: str, path: str) -> Operation | None:
        return self._by_route.get((method.upper(), path))

    def response_schema_pointer(
        self, operation_id: str, status: int, media_type: str = "application/json"
    ) -> str | None:
        """The JSON pointer of the schema documented for this status, or None if undocumented."""
        operation = self.operation(operation_id)
        responses = operation.raw.get("responses") or {}
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                pointer = f"{operation.pointer}/responses/{_escape(key)}"
                response = self.deref(responses[key])
                if "$ref" in responses[key]:
                    pointer = responses[key]["$ref"][1:]
                content = response.get("content") or {}
                if media_type not in content or "schema" not in content[media_type]:
                    return None
                return f"{pointer}/content/{_escape(media_type)}/schema"
        return None

    def request_schema_pointer(
        self, operation_id: str, media_type: str = "application/json"
    ) -> str | None:
        operation = self.operation(operation_id)
        content = (operation.raw.get("requestBody") or {}).get("content") or {}
        if "schema" not in content.get(media_type, {}):
            return None
        return f"{operation.pointer}/requestBody/content/{_escape(media_type)}/schema"

    def deref(self, node: Any) -> Any:
        """The node a local `$ref` (chain) points to; any other node as it is."""
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.document
            for token in node["$ref"].lstrip("#/").split("/"):
                target = target[token.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def validate(
        self, pointer: str, instance: Any, *, limit: int = _MAX_VIOLATIONS
    ) -> list[SchemaViolation]:
        """Violations of the schema at `pointer` (e.g. /components/schemas/Model), at most
        `limit` (5: what a report shows of one answer).

        A oneOf/anyOf that no branch matches is reported by the branch the instance meant
        (see `_meant_branch`): `output[0].content[0].logprobs: null is not of type "array"`,
        not "not valid under any of the schemas listed in the 'oneOf' keyword".
        """
        validator = self._validator(pointer)
        violations = []
        for error in (e for top in validator.iter_errors(instance) for e in _meant_branch(top)):
            kind = type(error.kind).__name__
            missing = getattr(error.kind, "property", "") if kind == "Required" else ""
            violations.append(
                SchemaViolation(
                    _instance_path(list(error.instance_path)),
                    error.message,
                    kind,
                    missing if isinstance(missing, str) else str(missing),
                    tuple(error.instance_path),
                )
            )
            if len(violations) >= limit:
                break
        return violations

    def _validator(self, pointer: str) -> Any:
        with self._lock:
            validator = self._validators.get(pointer)
            if validator is None:
                fragment = quote(pointer, safe="/~")  # {model} is not allowed in a URI
                try:
                    # Offline: the checks that validate do no I/O, so a $ref to a URL in the
                    # description is an error of the description, never a fetch.
                    validator = jsonschema_rs.validator_for(
                        {"$ref": f"{_REGISTRY_URI}#{fragment}"},
                        registry=self._schema_registry(),
                        offline=True,
                    )
                except ValueError as exc:
                    reason = str(exc).strip().splitlines()[0]
                    raise SpecError(
                        f"the schema at {pointer} cannot be compiled: {reason}"
                    ) from None
                self._validators[pointer] = validator
            return validator

    def _schema_registry(self) -> Any:
        """The whole document as one resource, built once (under the caller's lock)."""
        if self._registry is None:
            resource = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
            resource.update(self.document)
            self._registry = jsonschema_rs.Registry([(_REGISTRY_URI, resource)])
        return self._registry
