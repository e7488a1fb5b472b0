"""Path parameters name real objects: created first, pinned into positive cases, removed after.

Against the embedded mock: the retrieve operations reach their success path (and its response
schema), what was created is gone afterwards, a fault that breaks a real object's schema fails
the operation that only ever met 404s before, and an operation without a usable creator runs as
before with metrics that say so.
"""

from __future__ import annotations

import pytest

from oaiconform.checks import ConformanceError
from oaiconform.mock import MockServer
from oaiconform.property import (
    OperationRun,
    PropertyOptions,
    PropertySkip,
    RouteMissing,
    exercise_operation,
    property_schema,
)
from oaiconform.property.objects import BUDGET_ROOM
from oaiconform.settings import build_settings
from oaiconform.spec import Spec
from oaiconform.target import Target
from tests.conftest import StartMock, target_for

MODEL = "gpt-4o-mini"


def operation_run(target: Target, spec: Spec, operation_id: str, seed: int = 5) -> OperationRun:
    return OperationRun(
        target,
        property_schema(spec),
        operation_id,
        PropertyOptions(
            seed=seed,
            positive_examples=3,
            negative_examples=2,
            models={"createChatCompletion": MODEL, "createResponse": MODEL},
        ),
    )


def run(target: Target, spec: Spec, operation_id: str, seed: int = 5) -> OperationRun:
    done = operation_run(target, spec, operation_id, seed)
    done.run()
    return done


def answers_at(target: Target, method: str, path: str) -> list[int]:
    """Statuses of the requests sent with credentials to exactly this path (query ignored);
    the probe resent without them (ignored_auth) is not an example."""
    suffix = "/v1" + path
    return [
        e.status
        for e in target.exchanges
        if e.request.method == method
        and e.request.url.split("?")[0].endswith(suffix)
        and e.request.header("authorization") is not None
    ]


@pytest.mark.parametrize(
    ("operation_id", "parameter", "item"),
    [
        ("retrieveFile", "file_id", "/files/{}"),
        ("downloadFile", "file_id", "/files/{}/content"),
        ("retrieveBatch", "batch_id", "/batches/{}"),
        ("getChatCompletion", "completion_id", "/chat/completions/{}"),
        ("getChatCompletionMessages", "completion_id", "/chat/completions/{}/messages"),
        ("getResponse", "response_id", "/responses/{}"),
        ("listInputItems", "response_id", "/responses/{}/input_items"),
        ("cancelResponse", "response_id", "/responses/{}/cancel"),
    ],
)
def test_positive_requests_reach_a_real_object(
    correct_mock: MockServer, spec: Spec, operation_id: str, parameter: str, item: str
) -> None:
    target = target_for(correct_mock)
    done = run(target, spec, operation_id)
    object_id = done.objects.ids[parameter]
    method = spec.operation(operation_id).method
    statuses = answers_at(target, method, item.format(object_id))
    # Generated query values may still be refused (an unknown `after` cursor, with its param).
    assert any(200 <= s < 300 for s in statuses), statuses
    assert done.accepted is not None and object_id in done.accepted.path
    assert done.objects.metrics()["path_objects_pinned"] == 1.0
    assert done.objects.metrics()["path_objects_generated"] == 0.0


def test_nested_objects_are_created_parent_first(correct_mock: MockServer, spec: Spec) -> None:
    target = target_for(correct_mock)
    done = run(target, spec, "getVectorStoreFile")
    ids = done.objects.ids
    assert set(ids) == {"vector_store_id", "file_id"}
    path = f"/vector_stores/{ids['vector_store_id']}/files/{ids['file_id']}"
    assert answers_at(target, "GET", path) and done.accepted is not None
    # Removed newest first: the file of the vector store, then the vector store.
    deletes = [e.request.url for e in target.exchanges if e.request.method == "DELETE"]
    assert [url.split("/v1")[1] for url in deletes] == [
        path,
        f"/vector_stores/{ids['vector_store_id']}",
    ]


def test_what_was_created_is_deleted_afterwards(correct_mock: MockServer, spec: Spec) -> None:
    target = target_for(correct_mock)
    file_id = run(target, spec, "retrieveFile").objects.ids["file_id"]
    completion_id = run(target, spec, "getChatCompletion").objects.ids["completion_id"]
    assert target.get(f"files/{file_id}").status == 404
    assert target.get(f"chat/completions/{completion_id}").status == 404
    batch_run = run(target, spec, "retrieveBatch")
    batch = target.get(f"batches/{batch_run.objects.ids['batch_id']}").json()
    # A batch cannot be deleted (it is cancelled, or already done) and is reported as left;
    # its input file and the output file it wrote are deleted.
    assert batch_run.objects.metrics()["objects_left"] == 1.0
    for name in ("input_file_id", "output_file_id"):
        assert isinstance(batch[name], str)
        assert target.get(f"files/{batch[name]}").status == 404, name


def test_negative_cases_keep_generated_ids(correct_mock: MockServer, spec: Spec) -> None:
    target = target_for(correct_mock)
    done = run(target, spec, "updateChatCompletion")
    object_id = done.objects.ids["completion_id"]
    at_object = answers_at(target, "POST", f"/chat/completions/{object_id}")
    refused_elsewhere = [
        e
        for e in target.exchanges
        if e.request.method == "POST" and e.status == 400 and object_id not in e.request.url
    ]
    assert at_object and all(s == 200 for s in at_object)
    assert refused_elsewhere, "the negative cases should have been sent with generated ids"


def test_a_broken_object_schema_fails_the_retrieve_that_only_met_404s_before(
    start_mock: StartMock, spec: Spec
) -> None:
    server = start_mock("schema-drift")  # drops `created_at` from every success answer
    target = target_for(server)
    with pytest.raises(ConformanceError) as raised:
        run(target, spec, "retrieveFile")
    message = str(raised.value)
    assert "[response_schema_conformance] GET" in message
    assert "/v1/files/file-" in message and '"created_at" is a required property' in message
    # The repro is the failing example, not a cleanup request sent after it.
    last = target.exchanges[-1]
    assert (last.request.method, last.status) == ("GET", 200)
    # Without room in the budget for objects, only generated ids are sent: 404s, and a pass.
    small = target_for(server, budget=BUDGET_ROOM - 1)
    done = run(small, spec, "retrieveFile")
    assert done.objects.ids == {}
    assert done.objects.generated == {"file_id": "the request budget has no room for objects"}
    assert done.objects.metrics()["path_objects_generated"] == 1.0
    assert {e.status for e in small.exchanges} == {404}


def test_a_parameter_nothing_creates_keeps_generated_ids(
    correct_mock: MockServer, spec: Spec
) -> None:
    target = target_for(correct_mock)
    done = run(target, spec, "retrieveModel")
    assert done.objects.ids == {}
    assert "no POST /models" in done.objects.generated["model"]
    assert done.objects.metrics() == {
        "path_objects_pinned": 0.0,
        "path_objects_generated": 1.0,
        "object_requests": 0.0,
        "objects_left": 0.0,
    }


def test_the_same_seed_sends_the_same_creation_requests(
    correct_mock: MockServer, spec: Spec
) -> None:
    def creations(seed: int) -> list[tuple[str, bytes]]:
        target = target_for(correct_mock)
        run(target, spec, "retrieveBatch", seed=seed)
        return [
            (e.request.url.split("/v1")[1], e.request.body)
            for e in target.exchanges
            if e.request.method == "POST" and e.request.url.endswith(("/files", "/batches"))
        ]

    first = creations(7)
    assert len(first) == 2
    second = creations(7)
    assert first[0] == second[0]  # the upload, byte for byte
    assert first[1][0] == second[1][0]  # the batch names its own input file's new id
    assert creations(8)[0] != first[0]


def test_the_report_metrics_say_what_was_pinned(correct_mock: MockServer, spec: Spec) -> None:
    recorded: dict[str, float] = {}
    settings = build_settings({"seed": "3"}, {})
    target = target_for(correct_mock)
    exercise_operation(target, spec, settings, "retrieveFile", record=recorded.__setitem__)
    assert recorded["path_objects_pinned"] == 1.0
    assert recorded["objects_left"] == 0.0
    assert recorded["object_requests"] >= 2.0  # the upload and its deletion


def test_nothing_is_created_for_an_expensive_group_a_live_run_leaves_out(
    correct_mock: MockServer, spec: Spec
) -> None:
    target = target_for(correct_mock, mock=False)  # as if it were a live API
    settings = build_settings({}, {})
    with pytest.raises(PropertySkip, match="vector stores operations are expensive"):
        exercise_operation(target, spec, settings, "getVectorStoreFile")
    assert target.budget.used == 0


def test_a_missing_creator_endpoint_is_tried_once(correct_mock: MockServer, spec: Spec) -> None:
    target = target_for(correct_mock)
    target.base_url += "/not-an-api"  # every route of the description is missing here
    done = operation_run(target, spec, "getChatCompletion")
    with pytest.raises(RouteMissing):
        done.run()
    assert done.objects.requests == 1  # the recipe's POST; no example or generated bodies
    assert "createChatCompletion created nothing" in done.objects.generated["completion_id"]
