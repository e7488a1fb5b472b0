"""The property glue on its own: clamping, groups, shaping, conversion, checks, retries."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck
from schemathesis.generation import GenerationMode

from oaiconform.checks.routes import guess_route_missing
from oaiconform.exchange import Exchange, RecordedRequest
from oaiconform.property._types import AnyCase
from oaiconform.property.checks import (
    event_stream_conformance,
    explains_refusal,
    run_response_checks,
)
from oaiconform.property.clamp import MAX_TOKENS_CAP, clamp_costs, make_affordable
from oaiconform.property.convert import to_schemathesis_response
from oaiconform.property.groups import expensive_group, may_run
from oaiconform.property.retry import retry_after_seconds, send_with_backoff
from oaiconform.property.session import property_schema
from oaiconform.property.wire import Discard, WireRequest, safe_identifier, shape, to_wire
from oaiconform.spec import Spec

BASE = "http://127.0.0.1:9/v1"


def cases(spec: Spec, operation_id: str, mode: GenerationMode, count: int = 5) -> list[AnyCase]:
    """Generated cases of one operation, deterministically."""
    drawn: list[AnyCase] = []

    @hypothesis.seed(7)
    @hypothesis.settings(
        max_examples=count,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=(hypothesis.Phase.generate,),
    )
    @hypothesis.given(case=property_schema(spec).strategy(operation_id, mode))
    def collect(case: AnyCase) -> None:
        drawn.append(case)

    collect()
    return drawn


def exchange(
    status: int,
    body: bytes,
    content_type: str = "application/json",
    *,
    method: str = "GET",
    url: str = f"{BASE}/models",
    **headers: str,
) -> Exchange:
    extra = ((name.replace("_", "-"), value) for name, value in headers.items())
    all_headers = (("content-type", content_type), *extra)
    return Exchange(RecordedRequest(method, url), status, all_headers, body)


# clamping


def test_clamp_caps_token_limits_and_counts_at_any_depth() -> None:
    body = {"max_tokens": 4096, "n": 8, "nested": [{"max_output_tokens": 10**9, "best_of": 3}]}
    assert clamp_costs(body) == {
        "max_tokens": MAX_TOKENS_CAP,
        "n": 1,
        "nested": [{"max_output_tokens": MAX_TOKENS_CAP, "best_of": 1}],
    }


def test_clamp_keeps_small_values_booleans_and_negatives() -> None:
    body = {"max_tokens": 5, "n": True, "max_completion_tokens": -3}
    assert clamp_costs(body) == body


def test_affordable_bodies_do_not_stream() -> None:
    assert make_affordable({"stream": True, "max_tokens": 99}) == {
        "stream": False,
        "max_tokens": MAX_TOKENS_CAP,
    }


# expensive groups


@pytest.mark.parametrize(
    ("path", "group"),
    [
        ("/images/generations", "images"),
        ("/audio/speech", "audio"),
        ("/videos/{video_id}", "video"),
        ("/fine_tuning/jobs", "fine-tuning"),
        ("/organization/projects", "admin/organization"),
        ("/realtime/calls", "realtime"),
        ("/evals", "evals"),
        ("/containers/{container_id}/files", "containers"),
        ("/vector_stores", "vector stores"),
        ("/chat/completions", None),
        ("/responses?beta=true", None),
    ],
)
def test_expensive_groups_are_recognised_by_path(path: str, group: str | None) -> None:
    assert expensive_group(path) == group


def test_expensive_operations_run_only_when_allowed() -> None:
    live = {"profile": "core", "embedded_mock": False}
    reason = may_run("/images/generations", allow_expensive=False, **live)  # type: ignore[arg-type]
    assert reason is not None and "--allow-expensive" in reason
    assert may_run("/images/generations", allow_expensive=True, **live) is None  # type: ignore[arg-type]
    assert (
        may_run("/images/edits", allow_expensive=False, profile="full", embedded_mock=False) is None
    )
    assert (
        may_run("/images/edits", allow_expensive=False, profile="core", embedded_mock=True) is None
    )
    assert may_run("/models", allow_expensive=False, **live) is None  # type: ignore[arg-type]


# shaping and encoding


def test_safe_identifiers_keep_plain_ids_and_replace_route_changing_ones() -> None:
    assert safe_identifier("file_id", "file-abc_1.2") == "file-abc_1.2"
    replaced = safe_identifier("file_id", "a/b?c")
    assert replaced.startswith("file_id_") and "/" not in replaced
    assert replaced == safe_identifier("file_id", "a/b?c")  # deterministic


def test_positive_chat_bodies_are_affordable_use_the_model_and_carry_no_credentials(
    spec: Spec,
) -> None:
    for case in cases(spec, "createChatCompletion", GenerationMode.POSITIVE):
        shape(case, "my-model")
        wire = to_wire(case, BASE)
        assert wire.method == "POST"
        assert wire.path == "/chat/completions"
        assert "authorization" not in {k.lower() for k in wire.headers}
        body = json.loads(wire.body or b"{}")
        assert body["model"] == "my-model"
        assert body.get("stream") is not True
        for field in ("max_tokens", "max_completion_tokens", "n"):
            assert body.get(field) is None or body[field] <= MAX_TOKENS_CAP
        assert case.meta is not None and case.meta.generation.mode.is_positive


def test_positive_inference_bodies_are_pinned_unless_they_draw_the_value(spec: Spec) -> None:
    """#22: the property suite pins temperature 0 and the run's seed as the suites do; a
    drawn value is kept (it is what the example is about); negative bodies stay as drawn."""
    from oaiconform.pinning import request_seed
    from oaiconform.property import options_from
    from oaiconform.settings import Settings

    pins = options_from(Settings(seed=5)).pins
    assert pins["createChatCompletion"] == {"temperature": 0, "seed": request_seed(5)}
    assert pins["createResponse"] == {"temperature": 0}  # Responses has no seed
    assert options_from(Settings(pin_sampling=False)).pins["createCompletion"] == {}
    seen_drawn = seen_pinned = 0
    for case in cases(spec, "createChatCompletion", GenerationMode.POSITIVE, count=12):
        drawn = dict(case.body) if isinstance(case.body, dict) else {}
        shape(case, "my-model", pins=pins["createChatCompletion"])
        body = json.loads(to_wire(case, BASE).body or b"{}")
        for key, value in pins["createChatCompletion"].items():
            if key in drawn:
                assert body[key] == drawn[key]
                seen_drawn += 1
            else:
                assert body[key] == value
                seen_pinned += 1
    assert seen_pinned
    for case in cases(spec, "createChatCompletion", GenerationMode.NEGATIVE, count=5):
        drawn_seed = case.body.get("seed", "absent") if isinstance(case.body, dict) else None
        try:
            shape(case, "my-model", pins=pins["createChatCompletion"])
        except Discard:
            continue
        body = case.body if isinstance(case.body, dict) else {}
        assert body.get("seed", "absent") == drawn_seed or not isinstance(case.body, dict)


def test_multipart_uploads_are_encoded_with_their_boundary(spec: Spec) -> None:
    for case in cases(spec, "createFile", GenerationMode.POSITIVE, count=3):
        shape(case)
        wire = to_wire(case, BASE)
        assert wire.headers["Content-Type"].startswith("multipart/form-data; boundary=")
        assert b'name="file"' in (wire.body or b"")
        assert case.meta is not None and case.meta.generation.mode.is_positive


def test_negative_multipart_cases_are_discarded(spec: Spec) -> None:
    for case in cases(spec, "createFile", GenerationMode.NEGATIVE, count=3):
        with pytest.raises(Discard):
            shape(case)


def test_negative_json_cases_that_are_kept_still_negate_the_body(spec: Spec) -> None:
    kept = 0
    for case in cases(spec, "createEmbedding", GenerationMode.NEGATIVE, count=10):
        try:
            shape(case)
        except Discard:
            continue
        kept += 1
        assert case.meta is not None and case.meta.generation.mode.is_negative
    assert kept > 0


# conversion and checks


def test_exchange_converts_to_the_schemathesis_response() -> None:
    converted = to_schemathesis_response(
        exchange(201, b'{"a": 1}', "application/json; charset=utf-8", x_request_id="req_1"),
        WireRequest("GET", "/models", {}, None, _prepared()).prepared,
    )
    assert converted.status_code == 201
    assert converted.content == b'{"a": 1}'
    assert converted.headers["x-request-id"] == ["req_1"]
    assert converted.encoding == "utf-8"
    assert converted.json() == {"a": 1}


def _prepared() -> Any:
    import requests

    return requests.Request("GET", f"{BASE}/models").prepare()


def _list_models_case(spec: Spec) -> AnyCase:
    case = cases(spec, "listModels", GenerationMode.POSITIVE, count=1)[0]
    shape(case)
    return case


def _judge(spec: Spec, answer: Exchange) -> str:
    case = _list_models_case(spec)
    wire = to_wire(case, BASE)
    response = to_schemathesis_response(answer, wire.prepared)
    failures = run_response_checks(case, response, answer, spec=spec, operation_id="listModels")
    return " | ".join(str(f) for f in failures)


MODELS = json.dumps(
    {"object": "list", "data": [{"id": "m", "object": "model", "created": 1, "owned_by": "me"}]}
).encode()


def test_a_conforming_answer_passes_every_check(spec: Spec) -> None:
    assert _judge(spec, exchange(200, MODELS)) == ""


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (exchange(200, MODELS, "text/plain"), "[content_type_conformance]"),
        (exchange(418, b"{}"), "[status_code_conformance]"),
        (exchange(500, b'{"error": {"message": "x"}}'), "[not_a_server_error]"),
        (exchange(200, b'{"object": "list"}'), "[response_schema_conformance]"),
    ],
)
def test_each_defect_is_named_after_its_schemathesis_check(
    spec: Spec, answer: Exchange, named: str
) -> None:
    assert named in _judge(spec, answer)


def test_a_refusal_naming_its_param_explains_a_rule_the_schema_cannot_say() -> None:
    named = {"error": {"message": "m", "type": "t", "param": "tool_choice", "code": None}}
    unnamed = {"error": {"message": "m", "type": "t", "param": None, "code": None}}
    assert explains_refusal(exchange(400, json.dumps(named).encode()))
    assert not explains_refusal(exchange(400, json.dumps(unnamed).encode()))
    assert not explains_refusal(exchange(422, json.dumps(named).encode()))


def _chunk(**overrides: Any) -> str:
    chunk = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
    }
    chunk.update(overrides)
    return "data: " + json.dumps(chunk) + "\n\n"


def _stream(*events: str) -> Exchange:
    body = "".join(events).encode()
    return exchange(200, body, "text/event-stream", method="POST", url=f"{BASE}/chat/completions")


def test_event_streams_are_validated_event_by_event(spec: Spec) -> None:
    good = _stream(_chunk(), "data: [DONE]\n\n")
    assert event_stream_conformance(spec, "createChatCompletion", good) == []
    bad = event_stream_conformance(spec, "createChatCompletion", _stream(_chunk(created="x")))
    assert [f.rule for f in bad] == ["response_schema_conformance"]
    assert "event 0" in bad[0].message
    garbage = event_stream_conformance(spec, "createChatCompletion", _stream("data: {oops\n\n"))
    assert "is not JSON" in garbage[0].message


def test_json_answers_are_not_event_streams(spec: Spec) -> None:
    assert event_stream_conformance(spec, "listModels", exchange(200, MODELS)) == []


# route misses and retries


def test_without_a_learned_miss_route_misses_of_id_paths_need_to_look_like_one() -> None:
    """The guess from the body alone, when no probe of an unknown route could be sent."""
    unknown_object = {"error": {"message": "No such File object: f", "param": "id", "code": None}}
    invalid_url = {"error": {"message": "Invalid URL (GET /v1/x)", "param": None, "code": None}}

    def with_ids(answer: Exchange) -> bool:
        return guess_route_missing(answer, path_has_ids=True)

    assert not with_ids(exchange(404, json.dumps(unknown_object).encode()))
    assert with_ids(exchange(404, json.dumps(invalid_url).encode()))
    assert with_ids(exchange(405, b""))
    assert guess_route_missing(
        exchange(404, json.dumps(unknown_object).encode()), path_has_ids=False
    )


def test_retry_after_is_honoured_within_the_cap() -> None:
    assert retry_after_seconds(exchange(429, b"", retry_after="2"), cap_s=5) == 2
    assert retry_after_seconds(exchange(429, b"", retry_after="600"), cap_s=5) == 5
    assert retry_after_seconds(exchange(429, b""), cap_s=5) == 1


class _ScriptedTarget:
    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.sent = 0

    def request(self, method: str, path: str, **_: Any) -> Exchange:
        status = self.statuses[min(self.sent, len(self.statuses) - 1)]
        self.sent += 1
        return exchange(status, b"{}", retry_after="3")


def _send(statuses: list[int], sleeps: list[float]) -> tuple[Exchange, int, int]:
    target = _ScriptedTarget(statuses)
    wire = WireRequest("GET", "/models", {}, None, _prepared())
    sleep: Callable[[float], None] = sleeps.append
    answer, retries = send_with_backoff(
        target,  # type: ignore[arg-type]
        wire,
        max_retries=2,
        max_backoff_s=1.5,
        sleep=sleep,
    )
    return answer, retries, target.sent


def test_a_429_is_waited_out_and_counted() -> None:
    sleeps: list[float] = []
    answer, retries, sent = _send([429, 200], sleeps)
    assert (answer.status, retries, sent, sleeps) == (200, 1, 2, [1.5])


def test_a_persistent_429_gives_up_after_the_bounded_retries() -> None:
    sleeps: list[float] = []
    answer, retries, sent = _send([429], sleeps)
    assert (answer.status, retries, sent) == (429, 2, 3)
    assert sleeps == [1.5, 1.5]


def test_a_negative_case_that_only_breaks_a_format_is_not_judged() -> None:
    from types import SimpleNamespace

    from schemathesis.core.parameters import ParameterLocation

    from oaiconform.property.wire import _only_annotations_broken

    def case_breaking(*keywords: tuple[str, ...]) -> Any:
        mutations = tuple(
            SimpleNamespace(parameter_location=ParameterLocation.BODY, keywords=k) for k in keywords
        )
        phase = SimpleNamespace(data=SimpleNamespace(mutations=mutations))
        return SimpleNamespace(meta=SimpleNamespace(phase=phase))

    # `"image_url": ""` against `format: uri`: an annotation in JSON Schema 2020-12.
    assert _only_annotations_broken(case_breaking(("format",)))
    assert not _only_annotations_broken(case_breaking(("format",), ("type",)))
    assert not _only_annotations_broken(case_breaking(("minLength",)))
    assert not _only_annotations_broken(case_breaking())
    assert not _only_annotations_broken(case_breaking(()))  # e.g. a required property removed


def test_an_error_without_param_and_code_is_one_problem_not_two(spec: Spec) -> None:
    """The envelope check names the absent `param` and `code`; the schema's required-nullable
    rule would name them again under another check id (aimock's errors)."""
    case = _list_models_case(spec)
    wire = to_wire(case, BASE)
    answer = exchange(401, b'{"error": {"message": "no key", "type": "invalid_request_error"}}')
    response = to_schemathesis_response(answer, wire.prepared)
    failures = run_response_checks(case, response, answer, spec=spec, operation_id="listModels")
    at_param = [f.check_id for f in failures if f.location == "error.param"]
    assert at_param == ["errors.error_nullable_fields"], failures


def test_a_file_download_may_come_as_any_media_type(spec: Spec) -> None:
    """GET /files/{id}/content documents bytes: `application/jsonl` (aimock, for a .jsonl file)
    is as good; a JSON operation answered as text/plain still fails (see above)."""
    case = cases(spec, "downloadFile", GenerationMode.POSITIVE, count=1)[0]
    shape(case)
    wire = to_wire(case, BASE)
    answer = exchange(200, b'{"custom_id": "a"}\n', "application/jsonl")
    response = to_schemathesis_response(answer, wire.prepared)
    failures = run_response_checks(case, response, answer, spec=spec, operation_id="downloadFile")
    assert [f for f in failures if f.check_id == "property.content_type_conformance"] == []


def test_a_deletion_whose_body_the_sdk_discards_may_come_empty(spec: Spec) -> None:
    """DELETE /responses/{id}: the description documents no body, the API sends JSON (overlay
    013), Prism sends nothing; openai-python's responses.delete() returns None either way."""
    case = cases(spec, "deleteResponse", GenerationMode.POSITIVE, count=1)[0]
    shape(case)
    wire = to_wire(case, BASE)
    answer = Exchange(RecordedRequest("DELETE", f"{BASE}/responses/resp_1"), 200, (), b"")
    response = to_schemathesis_response(answer, wire.prepared)
    failures = run_response_checks(case, response, answer, spec=spec, operation_id="deleteResponse")
    assert [f for f in failures if f.check_id == "property.content_type_conformance"] == []
