"""The JSON Schema instance generator, in both its uses.

A client's schema with a seeded rng (tool-call arguments, structured outputs): valid, varied,
the same for the same seed, and clear about what it cannot do. A schema of the description by
pointer without an rng (the generic handler's bodies): minimal, valid by construction, total on
the spec.
"""

from __future__ import annotations

import json
import random
from typing import Any

import jsonschema_rs
import pytest
from pydantic import BaseModel

from oaiconform.mock.instances import (
    InstanceGenerator,
    SchemaNotSatisfiableError,
    instance_for,
    merge_instances,
    string_for_pattern,
)
from oaiconform.spec import Spec
from tests.mock.minimal_requests import Validator, generator_for


class Address(BaseModel):
    street: str
    postcode: str | None


class Person(BaseModel):
    name: str
    age: int
    tags: list[str]
    address: Address
    friends: list[Person]


SCHEMAS: dict[str, Any] = {
    "scalars": {
        "type": "object",
        "properties": {
            "s": {"type": "string", "minLength": 12, "maxLength": 20},
            "i": {"type": "integer", "minimum": 3, "maximum": 5},
            "n": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "m": {"type": "integer", "multipleOf": 7, "minimum": 10, "maximum": 30},
            "b": {"type": "boolean"},
            "z": {"type": "null"},
        },
        "required": ["s", "i", "n", "m", "b", "z"],
        "additionalProperties": False,
    },
    "enum-const-format": {
        "type": "object",
        "properties": {
            "unit": {"enum": ["celsius", "fahrenheit"]},
            "kind": {"const": "weather"},
            "when": {"type": "string", "format": "date-time"},
            "mail": {"type": "string", "format": "email"},
            "code": {"type": "string", "pattern": "^[0-9]+$"},
        },
        "required": ["unit", "kind", "when", "mail", "code"],
    },
    "nested-arrays": {
        "type": "object",
        "properties": {
            "rows": {
                "type": "array",
                "minItems": 2,
                "maxItems": 4,
                "uniqueItems": True,
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "labels": {"type": "array"}},
                    "required": ["id"],
                },
            },
            "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
        },
        "required": ["rows", "pair"],
    },
    "combinators": {
        "type": "object",
        "properties": {
            "either": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "one": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            "both": {
                "allOf": [
                    {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                    {"properties": {"b": {"type": "integer"}}, "required": ["b"]},
                ]
            },
            "types": {"type": ["integer", "null"]},
        },
        "required": ["either", "one", "both", "types"],
    },
    "pydantic-recursive": Person.model_json_schema(),
    "empty-parameters": {"type": "object", "properties": {}},
    "no-type": {"properties": {"x": {}}, "required": ["x"]},
    "escaped-names-and-counts": {
        "type": "object",
        "properties": {
            # the first branch looks right but is refused at its own pointer ("^" matches all)
            "a b/c~d": {
                "anyOf": [{"type": "string", "not": {"pattern": "^"}}, {"type": "integer"}]
            },
            "bag": {"type": "object", "minProperties": 2, "additionalProperties": {"const": 1}},
            "code": {"type": "string", "pattern": "^(abc|xyz)$"},
        },
        "required": ["a b/c~d", "bag", "code"],
    },
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_instance_validates_against_its_schema(name: str, seed: int) -> None:
    schema = SCHEMAS[name]
    value = instance_for(schema, random.Random(seed))
    assert jsonschema_rs.validator_for(schema).is_valid(value), value


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_same_seed_gives_the_same_instance(name: str) -> None:
    schema = SCHEMAS[name]
    assert instance_for(schema, random.Random(7)) == instance_for(schema, random.Random(7))


def test_required_and_optional_properties_are_filled() -> None:
    schema = SCHEMAS["enum-const-format"]
    optional = {**schema, "required": ["unit", "kind"]}
    for value in (instance_for(schema, random.Random(0)), instance_for(optional, random.Random(0))):
        assert set(value) == {"unit", "kind", "when", "mail", "code"}
        assert value["kind"] == "weather" and value["unit"] in ("celsius", "fahrenheit")


def test_values_vary_with_the_seed() -> None:
    values = [instance_for(SCHEMAS["scalars"], random.Random(seed)) for seed in range(20)]
    for name in ("s", "i", "n", "m", "b"):
        assert len({json.dumps(v[name]) for v in values}) > 1, name


def test_choices_are_judged_at_their_own_pointer_and_counts_and_patterns_met() -> None:
    value = instance_for(SCHEMAS["escaped-names-and-counts"], random.Random(0))
    assert isinstance(value["a b/c~d"], int)
    assert value["bag"] == {"key_0": 1, "key_1": 1}
    assert value["code"] == "abc"


def test_a_recursive_schema_terminates_and_parses_with_pydantic() -> None:
    value = instance_for(Person.model_json_schema(), random.Random(3))
    person = Person.model_validate(value)
    assert isinstance(person.friends, list)


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"type": "nonsense"}, "the schema is not valid"),
        ({"type": "integer", "minimum": 5, "maximum": 4}, "no integer within the bounds"),
        ({"type": "string", "pattern": "^(ab|cd)[Q]{40}$"}, "no string matching the pattern"),
        ({"type": "string", "pattern": "^[Q"}, "the schema is not valid"),
        ({"$ref": "https://example.com/remote.json"}, "only local $ref is supported"),
        ({"not": {"type": "string"}}, "no instance could be generated"),
    ],
)
def test_an_unsatisfiable_schema_is_named(schema: Any, fragment: str) -> None:
    with pytest.raises(SchemaNotSatisfiableError) as raised:
        instance_for(schema, random.Random(0))
    assert fragment in str(raised.value)


# -- a schema of the description, by pointer, without an rng --------------------------------


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
    with pytest.raises(SchemaNotSatisfiableError, match="no anyOf branch validates"):
        generate({"S": {"anyOf": [False, {"type": "integer", "minimum": 2, "maximum": 1}]}})
    with pytest.raises(SchemaNotSatisfiableError, match="not allowed"):
        generate({"S": {"type": "object", "required": ["a"], "additionalProperties": False}})


def test_merge_instances_is_deep_and_later_parts_win() -> None:
    merged = merge_instances({"a": {"x": 1}, "b": 1}, {"a": {"y": 2}, "b": 2})
    assert merged == {"a": {"x": 1, "y": 2}, "b": 2}
