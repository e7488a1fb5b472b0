"""Overlays: the JSONPath subset, update and remove, clear errors, and the built-in corrections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oaiconform.spec import Spec, SpecError, load_spec
from oaiconform.spec._overlay import Overlay, OverlayAction, apply_overlay, load_overlay, select
from oaiconform.spec._source import SpecSource

DOC: dict[str, Any] = {
    "paths": {
        "/a": {"get": {"responses": {"200": {}}}, "parameters": []},
        "/b/{id}": {"post": {"responses": {"201": {}}}, "delete": {"responses": {}}},
    },
    "components": {
        "schemas": {
            "X": {"required": ["a", "a"], "example": 1, "properties": {"k": {"example": 2}}}
        }
    },
}


def paths(document: Any, path: str) -> list[Any]:
    return [key for _, key in select(document, path)]


def test_select_supports_names_quotes_wildcards_indexes_and_descent() -> None:
    assert paths(DOC, "$.paths['/a'].get") == ["get"]
    assert paths(DOC, '$.paths["/b/{id}"].*') == ["post", "delete"]
    assert len(select(DOC, "$.paths.*.*.responses")) == 3  # `parameters` (a list) has none
    assert paths(DOC, "$.components.schemas.X.required[1]") == [1]
    assert sorted(paths(DOC, "$..example")) == ["example", "example"]
    assert select(DOC, "$.nothing.here") == []


@pytest.mark.parametrize("bad", ["paths.a", "$.paths[?(@.x)]", "$.a b"])
def test_unsupported_targets_are_named(bad: str) -> None:
    with pytest.raises(SpecError, match="overlay target"):
        select(DOC, bad)


def _overlay(*actions: OverlayAction) -> Overlay:
    return Overlay("t", "t", "", actions, "builtin", "0")


def test_update_merges_objects_and_appends_to_arrays_remove_deletes() -> None:
    document: dict[str, Any] = {"a": {"b": 1, "c": {"d": 1}}, "l": [1], "r": {"x": 1, "y": 2}}
    applied = apply_overlay(
        document,
        _overlay(
            OverlayAction("$.a", "", update={"c": {"e": 2}, "f": 3}),
            OverlayAction("$.l", "", update=2),
            OverlayAction("$.r.x", "", remove=True),
        ),
    )
    assert document == {"a": {"b": 1, "c": {"d": 1, "e": 2}, "f": 3}, "l": [1, 2], "r": {"y": 2}}
    assert applied.nodes_changed == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("openapi: 3.1.0", "not an OpenAPI Overlay 1.x document"),
        ("overlay: 1.0.0\nactions: []", "has no actions"),
        ("overlay: 1.0.0\nactions: [{target: $.a}]", "needs a target and update or remove"),
        ("overlay: 1.0.0\nactions: [{target: 'a.b', remove: true}]", "must start with \\$"),
        ("overlay: [unclosed", "not valid JSON/YAML"),
    ],
)
def test_bad_overlay_files_are_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "vendor.yaml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message):
        load_overlay(path, source=str(path))


def _op_responses(spec: Spec, op_id: str) -> dict[str, Any]:
    responses: dict[str, Any] = spec.operation(op_id).raw["responses"]
    return responses


def test_every_operation_documents_the_error_statuses_with_the_envelope(spec: Spec) -> None:
    for operation in spec.operations.values():
        assert {"400", "401", "403", "404", "409", "429", "500", "503"} <= set(
            operation.raw["responses"]
        ), operation.operation_id
    envelope = {"error": {"message": "m", "type": "t", "param": None, "code": None}}
    pointer = spec.response_schema_pointer("listModels", 401)
    assert pointer is not None
    assert spec.validate(pointer, envelope) == []
    # Upstream documented DELETE /evals/{eval_id} 404 with the bare Error: now the envelope.
    pointer = spec.response_schema_pointer("deleteEval", 404)
    assert pointer is not None
    assert spec.validate(pointer, envelope) == []


def test_the_other_builtin_corrections_are_applied(spec: Spec) -> None:
    names = [o.name for o in spec.overlays]
    assert names == sorted(names)
    assert len(names) == 13
    assert all(o.nodes_changed > 0 for o in spec.overlays)
    schemas = spec.document["components"]["schemas"]
    assert schemas["ContainerResource"]["required"] == sorted(
        set(schemas["ContainerResource"]["required"]),
        key=schemas["ContainerResource"]["required"].index,
    )
    assert "null" in schemas["ModelResponseProperties"]["properties"]["user"]["type"]
    mappings = [
        n
        for n in _walk(spec.document)
        if isinstance(n.get("discriminator"), dict) and "mapping" in n["discriminator"]
    ]
    assert len(mappings) == 100


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_a_vendor_overlay_is_applied_after_the_builtin_ones_and_named(
    spec: Spec, tmp_path: Path
) -> None:
    vendor = tmp_path / "acme.yaml"
    vendor.write_text(
        "overlay: 1.0.0\ninfo: {title: Acme extension}\nactions:\n"
        "  - target: $.components.schemas.Model.properties\n"
        "    update: {acme_region: {type: string}}\n"
    )
    source = SpecSource("flag", "x", spec.source.content, spec.source.sha256, True)
    extended = load_spec(source, (vendor,))
    assert extended is not spec
    assert extended.overlays[-1].source == str(vendor)
    assert extended.overlays[-1].title == "Acme extension"
    assert "acme_region" in extended.document["components"]["schemas"]["Model"]["properties"]
    assert "acme_region" not in spec.document["components"]["schemas"]["Model"]["properties"]


def test_every_builtin_action_still_matches_the_pinned_description(spec: Spec) -> None:
    """When the pin moves, an action that no longer matches anything must be noticed."""
    import json

    from oaiconform.spec._model import builtin_overlay_paths

    document = json.loads(spec.source.content)
    for path in builtin_overlay_paths():
        overlay = load_overlay(path, source="builtin")
        for action in overlay.actions:
            assert select(document, action.target), f"{path.name}: {action.target} matches nothing"
        apply_overlay(document, overlay)


def test_fine_tuning_schemas_compile_after_the_exclusive_minimum_overlay(spec: Spec) -> None:
    pointer = spec.response_schema_pointer("retrieveFineTuningJob", 200)
    assert pointer is not None
    assert spec.validate(pointer, {}) != []  # compiles, and an empty object is not a job


_IN_PROGRESS = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1741290958,
    "status": "in_progress",
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "max_output_tokens": None,
    "model": "gpt-4.1",
    "output": [],
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": {"effort": None, "summary": None},
    "store": True,
    "temperature": 1.0,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [],
    "top_p": 1.0,
    "truncation": "disabled",
    "usage": None,
    "user": None,
    "metadata": {},
}


@pytest.mark.parametrize(
    ("operation", "event"),
    [
        (
            "createResponse",
            {"type": "response.created", "sequence_number": 0, "response": _IN_PROGRESS},
        ),
        (
            "createResponse",
            {"type": "response.in_progress", "sequence_number": 1, "response": _IN_PROGRESS},
        ),
        (
            "createResponse",
            {
                "type": "response.function_call_arguments.done",
                "sequence_number": 3,
                "item_id": "fc_1",
                "output_index": 0,
                "arguments": '{"city": "Paris"}',
            },
        ),
        (
            "createChatCompletion",
            {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "created": 1741290958,
                "model": "gpt-4o-mini",
                "system_fingerprint": None,
                "choices": [
                    {"index": 0, "delta": {"content": "x"}, "logprobs": None, "finish_reason": None}
                ],
            },
        ),
    ],
    ids=[
        "usage-null-created",
        "usage-null-in-progress",
        "arguments-done-no-name",
        "fingerprint-null",
    ],
)
def test_what_the_real_api_streams_is_valid_after_the_overlays(
    spec: Spec, operation: str, event: dict[str, Any]
) -> None:
    """011: events the API sends (and the description's examples show) validate; a usage that
    is neither the object nor null still does not."""
    pointer = spec.response_schema_pointer(operation, 200, "text/event-stream")
    assert pointer is not None
    assert spec.validate(pointer, event) == []
    if "response" in event:
        wrong = {**event, "response": {**event["response"], "usage": "lots"}}
        assert spec.validate(pointer, wrong) != []


def test_overlay_013_allows_a_connector_mcp_tool_without_server_url(spec: Spec) -> None:
    """013: a connector MCP tool echoed with `"server_url": null` validates; a number does not."""
    pointer = "/components/schemas/MCPTool"
    tool: dict[str, Any] = {"type": "mcp", "server_label": "c", "connector_id": "connector_gmail"}
    tool["server_url"] = None
    assert spec.validate(pointer, tool) == []
    assert spec.validate(pointer, {**tool, "server_url": 7}) != []


def test_overlay_013_documents_the_body_of_a_response_deletion(spec: Spec) -> None:
    pointer = spec.response_schema_pointer("deleteResponse", 200)
    assert pointer is not None
    deleted = {"id": "resp_1", "object": "response.deleted", "deleted": True}
    assert spec.validate(pointer, deleted) == []
    assert spec.validate(pointer, {**deleted, "object": "response"}) == []  # the description's
    assert spec.validate(pointer, {**deleted, "deleted": "yes"}) != []
