"""The response-instance generator: valid by construction, deterministic, and total on the spec."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from oaiconform.mock.schema_instances import (
    InstanceGenerator,
    UnsatisfiableSchemaError,
    merge_instances,
    string_for_pattern,
)
from oaiconform.spec import Spec
from tests.mock.minimal_requests import Validator, generator_for


def generator(schemas: dict[str, Any]) -> InstanceGenerator:
    """A generator over a hand-built document, validated by jsonschema-rs as the spec's is."""
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": schemas}
    registry = jsonschema_rs.Registry([("urn:test", document)])

    def is_valid(pointer: str, value: Any) -> bool:
        # iter_errors, as Spec.validate: jsonschema-rs's is_valid is False for any instance of
        # a schema whose `required` repeats a name, while iter_errors reports nothing
        validator = jsonschema_rs.validator_for({"$ref": f"urn:test#{pointer}"}, registry=registry)
        return not any(True for _ in validator.iter_errors(value))

    return InstanceGenerator(document, is_valid)


def generate(schemas: dict[str, Any], name: str = "S") -> Any:
    return generator(schemas).generate(f"/$defs/{name}")


def test_every_schema_of_the_description_has_a_valid_instance(spec: Spec) -> None:
    validate = Validator(spec)
    build = generator_for(validate)
    pointers = set()
    for operation in spec.operations.values():
        for status, response in (operation.raw.get("responses") or {}).items():
            for media_type in (response.get("content") or {}) if status.startswith("2") else ():
                pointer = spec.response_schema_pointer(
                    operation.operation_id, int(status), media_type
                )
                pointers.add(pointer)
        for media_type in (operation.raw.get("requestBody") or {}).get("content") or {}:
            pointers.add(spec.request_schema_pointer(operation.operation_id, media_type))
    checked = [p for p in pointers if p is not None]
    assert len(checked) > 400
    invalid = {p: validate(p, build.generate(p)) for p in checked}
    assert {p: v for p, v in invalid.items() if v} == {}


def test_generation_is_deterministic(spec: Spec) -> None:
    build = generator_for(Validator(spec))
    pointer = "/components/schemas/CreateChatCompletionResponse"
    assert build.generate(pointer) == build.generate(pointer)


def test_refs_required_properties_and_formats() -> None:
    schemas = {
        "S": {
            "type": "object",
            "required": ["id", "id", "when", "child"],  # upstream repeats required entries
            "properties": {
                "id": {"type": "string", "example": "vs_abc123"},
                "when": {"type": "string", "format": "date-time"},
                "child": {"$ref": "#/$defs/Child"},
                "optional": {"type": "string"},
            },
        },
        "Child": {"type": "integer", "format": "unixtime"},
    }
    assert generate(schemas) == {
        "id": "vs_abc123",
        "when": "2024-01-01T00:00:00Z",
        "child": 1_700_000_000,
    }


def test_all_of_merges_and_uses_properties_a_sibling_defines() -> None:
    schemas = {
        "Base": {"type": "object", "properties": {"model": {"type": "string"}}},
        "S": {
            "allOf": [
                {"$ref": "#/$defs/Base"},
                {"type": "object", "required": ["model", "kind"], "properties": {"kind": {}}},
            ]
        },
    }
    value = generate(schemas)
    assert value["model"] == "string"
    assert "kind" in value


def test_any_of_branches_naming_only_required_properties_of_the_parent() -> None:
    schemas = {
        "S": {
            "type": "object",
            "properties": {"url": {"type": "string", "format": "uri"}, "file_id": {}},
            "anyOf": [{"required": ["url"]}, {"required": ["file_id"]}],
            "additionalProperties": False,
        }
    }
    assert generate(schemas) == {"url": "https://example.com"}


def test_one_of_picks_a_branch_that_matches_exactly_one() -> None:
    schemas = {"S": {"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]}}
    # "string" has 6 characters: it matches only the first branch
    assert generate(schemas) == "string"
    overlapping = {"S": {"oneOf": [{"type": "integer"}, {"type": "number"}, {"type": "boolean"}]}}
    assert generate(overlapping) is False  # 0 and 0.0 match both numeric branches


def test_discriminator_mapping_sets_the_property() -> None:
    schemas = {
        "Cat": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}}},
        "S": {
            "oneOf": [{"$ref": "#/$defs/Cat"}],
            "discriminator": {"propertyName": "kind", "mapping": {"cat": "#/$defs/Cat"}},
            "properties": {"kind": {"const": "cat"}},
        },
    }
    assert generate(schemas) == {"kind": "cat"}


def test_enum_const_type_lists_and_nullable() -> None:
    assert generate({"S": {"enum": [None, "a"]}}) == "a"
    assert generate({"S": {"const": {"x": 1}}}) == {"x": 1}
    assert generate({"S": {"type": ["null", "integer"], "minimum": 3}}) == 3
    assert generate({"S": {"anyOf": [{"type": "null"}, {"type": "boolean"}]}}) is False


def test_bounds_of_arrays_strings_and_numbers() -> None:
    value = generate(
        {
            "S": {
                "type": "object",
                "required": ["few", "none", "long", "short", "above", "step"],
                "properties": {
                    "few": {"type": "array", "minItems": 2, "items": {"type": "boolean"}},
                    "none": {"type": "array", "maxItems": 0},
                    "long": {"type": "string", "minLength": 10},
                    "short": {"type": "string", "maxLength": 2},
                    "above": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                    "step": {"type": "integer", "minimum": 5, "multipleOf": 4},
                },
            }
        }
    )
    assert value == {
        "few": [False, False],
        "none": [],
        "long": "stringxxxx",
        "short": "st",
        "above": 0.5,
        "step": 8,
    }


def test_patterns() -> None:
    assert generate({"S": {"type": "string", "pattern": "^tunnel_[a-z0-9]{4}$"}}) == "tunnel_aaaa"
    assert string_for_pattern(r"^\d{3}-[^a]$") == "000-0"
    assert string_for_pattern("(a|b)") is None  # groups are beyond this generator


def test_recursive_schemas_end() -> None:
    schemas = {
        "S": {
            "type": "object",
            "required": ["children"],
            "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/S"}}},
        },
        "Filter": {
            "anyOf": [
                {
                    "type": "object",
                    "required": ["and"],
                    "properties": {"and": {"type": "array", "items": {"$ref": "#/$defs/Filter"}}},
                },
                {"type": "string"},
            ]
        },
    }
    tree = generate(schemas)
    depth = 0
    while tree["children"]:
        tree, depth = tree["children"][0], depth + 1
    assert 0 < depth < 10
    assert generate(schemas, "Filter") is not None


def test_unsatisfiable_schemas_raise() -> None:
    with pytest.raises(UnsatisfiableSchemaError, match="no anyOf branch validates"):
        generate({"S": {"anyOf": [False, {"type": "integer", "minimum": 2, "maximum": 1}]}})
    with pytest.raises(UnsatisfiableSchemaError, match="not allowed"):
        generate({"S": {"type": "object", "required": ["a"], "additionalProperties": False}})


def test_merge_instances_is_deep_and_later_parts_win() -> None:
    merged = merge_instances({"a": {"x": 1}, "b": 1}, {"a": {"y": 2}, "b": 2})
    assert merged == {"a": {"x": 1, "y": 2}, "b": 2}
