"""The JSON Schema instance generator: valid, deterministic, and clear about what it cannot do."""

from __future__ import annotations

import random
from typing import Any

import jsonschema_rs
import pytest
from pydantic import BaseModel

from oaiconform.mock.instances import SchemaNotSatisfiableError, instance_for


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
    value = instance_for(schema, random.Random(0))
    assert set(value) == {"unit", "kind", "when", "mail", "code"}
    assert value["kind"] == "weather" and value["unit"] in ("celsius", "fahrenheit")


def test_a_recursive_schema_terminates_and_parses_with_pydantic() -> None:
    value = instance_for(Person.model_json_schema(), random.Random(3))
    person = Person.model_validate(value)
    assert isinstance(person.friends, list)


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"type": "nonsense"}, "the schema is not valid"),
        ({"type": "integer", "minimum": 5, "maximum": 4}, "no integer within the bounds"),
        ({"type": "string", "pattern": "^[Q]{40}$"}, "no string matching the pattern"),
        ({"$ref": "https://example.com/remote.json"}, "only local $ref is supported"),
        ({"not": {"type": "string"}}, "no instance could be generated"),
    ],
)
def test_an_unsatisfiable_schema_is_named(schema: Any, fragment: str) -> None:
    with pytest.raises(SchemaNotSatisfiableError) as raised:
        instance_for(schema, random.Random(0))
    assert fragment in str(raised.value)
