"""The hardened JSON reading refuses hostile bodies, never a legal answer: every JSON example the
description holds (a structured example, or JSON text in a string) parses as it is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from oaiconform.exchange import parse_json
from oaiconform.spec import Spec


def _examples(node: Any) -> Iterator[bytes]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("example", "examples") and not isinstance(value, str):
                yield json.dumps(value).encode()
            elif isinstance(value, str) and value.strip()[:1] in ("{", "["):
                try:
                    json.loads(value)
                except ValueError:
                    continue  # prose that starts with a brace, not JSON
                yield value.encode()
            yield from _examples(value)
    elif isinstance(node, list):
        for value in node:
            yield from _examples(value)


def test_every_json_example_of_the_description_is_json_to_us(spec: Spec) -> None:
    examples = list(_examples(spec.document))
    assert len(examples) > 500
    refused = [(error, body[:80]) for body in examples for _, error in [parse_json(body)] if error]
    assert refused == []


def test_hostile_json_is_refused_with_a_reason() -> None:
    for body, reason in (
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b'{"a": NaN}', "NaN"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ):
        _, error = parse_json(body)
        assert error is not None and reason in error, (body[:20], error)
