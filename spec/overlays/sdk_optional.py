"""Lists the response fields the official SDK types as optional but the description requires.

    python spec/overlays/sdk_optional.py [--spec PATH] [--markdown]

openai-python's models are generated from the same description, then corrected by hand where
the API answered otherwise: a field the description lists as `required` that the SDK declares
`Optional[...] = None` (not required in the pydantic model) is a place where the API is known
to omit it, or where the SDK is merely lenient. Each model class is matched to the component
schema of the same name (a few differ: `_ALIASES`), then its fields are followed into nested
models alongside the schema's properties (`$ref`, `allOf`, `items`, a one-model `Optional`),
so `ChatCompletion.choices[].logprobs` is found too. The description is read as the tool loads
it (overlays applied), so a field an overlay already relaxed is no longer listed.

Run by hand when the pin or the SDK moves; the decision per field is in SDK-OPTIONAL.md.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pkgutil
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openai
import openai.types
from pydantic import BaseModel

from oaiconform.spec import Spec, load_spec, resolve_spec_source

# SDK class -> component schema, where the SDK names the class otherwise.
_ALIASES = {
    "FileObject": "OpenAIFile",
    "ChatCompletion": "CreateChatCompletionResponse",
    "ChatCompletionChunk": "CreateChatCompletionStreamResponse",
    "ChatCompletionMessage": "ChatCompletionResponseMessage",
    "Completion": "CreateCompletionResponse",
    "VectorStore": "VectorStoreObject",
    "VectorStoreFile": "VectorStoreFileObject",
    "VectorStoreFileBatch": "VectorStoreFileBatchObject",
    "Assistant": "AssistantObject",
    "Thread": "ThreadObject",
    "Message": "MessageObject",
    "Run": "RunObject",
    "RunStep": "RunStepObject",
    "Upload": "Upload",
    "ModerationCreateResponse": "CreateModerationResponse",
    "FineTuningJob": "FineTuningJob",
    "Transcription": "CreateTranscriptionResponseJson",
    "TranscriptionVerbose": "CreateTranscriptionResponseVerboseJson",
    "ImagesResponse": "ImagesResponse",
}


@dataclass(frozen=True, order=True)
class OptionalField:
    schema_path: str  # Batch.errors, CreateChatCompletionResponse.choices[].logprobs
    sdk: str  # openai/types/batch.py: Batch.errors
    annotation: str
    nullable: bool  # the description lets it be null: absent, it is `required_nullable_absent`


def sdk_models() -> Iterator[type[BaseModel]]:
    """Every pydantic model of `openai.types`, each once."""
    seen: set[type[Any]] = set()
    for info in pkgutil.walk_packages(openai.types.__path__, "openai.types."):
        try:
            module = importlib.import_module(info.name)
        except Exception:  # noqa: S112 - a module the SDK cannot import is not ours
            continue
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, BaseModel)
                and value.__module__ == module.__name__
                and value not in seen
            ):
                seen.add(value)
                yield value


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds: `X`, `Optional[X]`, `List[X]`, a union of models."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return origin is list


class SchemaView:
    """A schema's properties and required names, through `$ref`, `allOf`, null-unions."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def resolve(self, node: Any) -> dict[str, Any]:
        node = self.spec.deref(node)
        if not isinstance(node, dict):
            return {}
        branches = [
            self.spec.deref(b)
            for b in node.get("anyOf") or node.get("oneOf") or []
            if self.spec.deref(b).get("type") != "null"
        ]
        if len(branches) == 1 and "properties" not in node:
            return self.resolve(branches[0])
        return node

    def properties(self, node: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        props = dict(node.get("properties") or {})
        required = set(node.get("required") or [])
        for part in node.get("allOf") or []:
            inner_props, inner_required = self.properties(self.resolve(part))
            props.update(inner_props)
            required |= inner_required
        return props, required

    def accepts_null(self, node: Any) -> bool:
        node = self.spec.deref(node)
        if not isinstance(node, dict):
            return False
        kind = node.get("type")
        if kind == "null" or (isinstance(kind, list) and "null" in kind):
            return True
        return any(self.accepts_null(b) for b in node.get("anyOf") or node.get("oneOf") or [])

    def item(self, node: dict[str, Any]) -> dict[str, Any]:
        return self.resolve(node.get("items") or {}) if node.get("type") == "array" else node


def compare(
    view: SchemaView,
    model: type[BaseModel],
    schema: dict[str, Any],
    path: str,
    seen: set[tuple[type[BaseModel], int]],
) -> Iterator[OptionalField]:
    props, required = view.properties(schema)
    source = inspect.getsourcefile(model) or "?"
    short = "openai/" + source.split("/openai/", 1)[-1]
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in required and not field.is_required():
            yield OptionalField(
                f"{path}.{key}",
                f"{short}: {model.__qualname__}.{name}",
                _annotation(field.annotation),
                view.accepts_null(props.get(key, {})),
            )
        if key not in props:
            continue
        child = view.resolve(props[key])
        if _is_list(field.annotation):
            child, suffix = view.item(child), "[]"
        else:
            suffix = ""
        nested = _models_in(field.annotation)
        # A model met again under the same schema (a Response inside each of its stream
        # events) is listed once, where it was met first.
        structured = child.get("properties") or child.get("allOf")
        if len(nested) == 1 and structured and (nested[0], id(child)) not in seen:
            seen.add((nested[0], id(child)))
            yield from compare(view, nested[0], child, f"{path}.{key}{suffix}", seen)


def _defines(model: type[BaseModel], schema_name: str) -> bool:
    """Whether `model` is the SDK's own class for the schema its name says: a top-level class
    of the module named after it; in the Realtime/Live packages, only for a `Realtime*` schema
    (they reuse names such as `Response`, `Error`, `ResponseCreatedEvent` for other objects)."""
    module = model.__module__.split(".")
    if "." in model.__qualname__:
        return False
    if {"realtime", "live"} & set(module) and not schema_name.startswith("Realtime"):
        return False
    return module[-1] == re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


def _annotation(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "")
    return text.replace("openai.types.", "").replace("NoneType", "None")[:90]


def optional_fields(spec: Spec) -> tuple[int, int, list[OptionalField]]:
    """(SDK models, models matched to a schema, the fields) for the loaded description."""
    schemas = spec.document["components"]["schemas"]
    view = SchemaView(spec)
    pairs: list[tuple[type[BaseModel], str, dict[str, Any]]] = []
    models = 0
    for model in sdk_models():
        models += 1
        name = _ALIASES.get(model.__name__, model.__name__)
        if name in schemas and _defines(model, name):
            pairs.append((model, name, view.resolve(schemas[name])))
    seen = {(model, id(schema)) for model, _, schema in pairs}
    found: set[OptionalField] = set()
    for model, name, schema in pairs:
        found |= set(compare(view, model, schema, name, seen))
    return models, len(pairs), sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", default=os.environ.get("OAICONFORM_SPEC"))
    parser.add_argument("--markdown", action="store_true", help="rows for SDK-OPTIONAL.md")
    args = parser.parse_args()
    spec = load_spec(resolve_spec_source(args.spec, env_value=None))
    models, matched, fields = optional_fields(spec)
    print(f"openai {openai.__version__}: {models} models, {matched} matched to a schema by name")
    print(f"{len(fields)} fields required in the description, optional in the SDK")
    for found in fields:
        null = "null allowed" if found.nullable else "null refused"
        if args.markdown:
            print(f"| `{found.schema_path}` | `{found.sdk}` | {null} | |")
        else:
            print(f"{found.schema_path:70} {null:12} {found.sdk}: {found.annotation}")


if __name__ == "__main__":
    main()
