"""Finding, from the description, what creates and removes the objects of path parameters."""

from __future__ import annotations

import json

from oaiconform.property.creators import (
    example_body,
    fill,
    object_steps,
    path_parameters,
    step_for_collection,
)
from oaiconform.property.recipes import RECIPES, RecipeInputs
from oaiconform.spec import Spec


def _ids(spec: Spec, operation_id: str) -> list[tuple[str, str | None, str | None, str | None]]:
    return [
        (
            step.parameter,
            step.creator.operation_id if step.creator else None,
            step.deleter.operation_id if step.deleter else None,
            step.canceller.operation_id if step.canceller else None,
        )
        for step in object_steps(spec, operation_id)
    ]


def test_an_item_path_is_created_by_the_post_on_its_collection(spec: Spec) -> None:
    assert _ids(spec, "retrieveFile") == [("file_id", "createFile", "deleteFile", None)]
    assert _ids(spec, "downloadFile") == [("file_id", "createFile", "deleteFile", None)]
    assert _ids(spec, "getChatCompletion") == [
        ("completion_id", "createChatCompletion", "deleteChatCompletion", None)
    ]
    # Nothing deletes a batch: it is cancelled instead.
    assert _ids(spec, "retrieveBatch") == [("batch_id", "createBatch", None, "cancelBatch")]


def test_nested_objects_need_their_parents_first(spec: Spec) -> None:
    assert _ids(spec, "getVectorStoreFile") == [
        ("vector_store_id", "createVectorStore", "deleteVectorStore", None),
        ("file_id", "createVectorStoreFile", "deleteVectorStoreFile", None),
    ]
    steps = object_steps(spec, "getVectorStoreFile")
    assert steps[0].parents == ()
    assert steps[1].parents == ("vector_store_id",)
    assert steps[1].collection == "/vector_stores/{vector_store_id}/files"
    assert steps[1].item == "/vector_stores/{vector_store_id}/files/{file_id}"
    # An operation on a parent collection needs only the parent.
    assert [s.parameter for s in object_steps(spec, "createVectorStoreFile")] == ["vector_store_id"]


def test_a_beta_variant_uses_the_plain_creator_and_deleter(spec: Spec) -> None:
    assert _ids(spec, "beta_getResponse") == [
        ("response_id", "createResponse", "deleteResponse", "cancelResponse")
    ]
    assert _ids(spec, "listInputItems") == _ids(spec, "getResponse")


def test_parameters_without_a_creator_are_named(spec: Spec) -> None:
    assert _ids(spec, "retrieveModel") == [("model", None, "deleteModel", None)]
    assert _ids(spec, "getEvalRunOutputItem") == [
        ("eval_id", "createEval", "deleteEval", None),
        ("run_id", "createEvalRun", "deleteEvalRun", None),
        ("output_item_id", None, None, None),
    ]
    assert object_steps(spec, "listFiles") == ()


def test_routes_are_read_and_filled() -> None:
    route = "/vector_stores/{vector_store_id}/files/{file_id}"
    assert path_parameters(route) == ("vector_store_id", "file_id")
    assert path_parameters("/responses/{response_id}?beta=true") == ("response_id",)
    assert fill(route, {"vector_store_id": "vs_1", "file_id": "file-2"}) == (
        "/vector_stores/vs_1/files/file-2"
    )


def test_a_dependency_is_found_through_its_collection(spec: Spec) -> None:
    step = step_for_collection(spec, "/files")
    assert step is not None and step.creator is not None and step.deleter is not None
    assert (step.creator.operation_id, step.deleter.operation_id) == ("createFile", "deleteFile")
    assert step_for_collection(spec, "/no_such_collection") is None


def test_the_description_example_body_is_read_from_its_curl(spec: Spec) -> None:
    assistant = example_body(spec.operation("createAssistant"))
    assert assistant is not None and assistant["model"] == "gpt-4o"
    # A quote inside the body (not valid shell) does not cut it short.
    evaluation = example_body(spec.operation("createEval"))
    assert evaluation is not None and evaluation["name"] == "Sentiment"
    # A multipart upload has no JSON example.
    assert example_body(spec.operation("createFile")) is None


def test_recipes_are_minimal_and_deterministic() -> None:
    inputs = RecipeInputs({"createChatCompletion": "m-1"}, "abc123", {"/files": "file-9"})
    batch, content_type = RECIPES["/batches"].build(inputs)
    assert content_type == "application/json"
    assert json.loads(batch) == {
        "input_file_id": "file-9",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    assert RECIPES["/batches"].needs == ("/files",)
    upload, upload_type = RECIPES["/files"].build(inputs)
    assert upload_type == "multipart/form-data; boundary=oaiconformabc123"
    assert b'name="purpose"\r\n\r\nbatch' in upload and b'"model": "m-1"' in upload
    assert RECIPES["/files"].build(inputs) == (upload, upload_type)
    chat = json.loads(RECIPES["/chat/completions"].build(inputs)[0])
    assert chat["store"] is True and chat["model"] == "m-1"
    response = json.loads(RECIPES["/responses"].build(inputs)[0])
    assert response["store"] is True and "background" not in response
    cancellable = RecipeInputs({}, "abc123", {}, to_cancel=True)
    assert json.loads(RECIPES["/responses"].build(cancellable)[0])["background"] is True
