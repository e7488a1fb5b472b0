"""The check registry: what it holds, and the observer that sees which checks failed."""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from oaiconform.checks import (
    REGISTRY,
    ConformanceError,
    Failure,
    Impact,
    check,
    collect_deferred,
    expect,
    impact_of,
    is_soft,
    load_all_checks,
    normalize_where,
    observe_failing_checks,
    registered,
)
from oaiconform.checks._registry import failures_of
from oaiconform.checks.http import status_code_is
from oaiconform.checks.routes import route_missing
from oaiconform.checks.stream_assembly import assemble_chat
from oaiconform.checks.streaming import DataEvents
from oaiconform.exchange import Exchange, RecordedRequest
from oaiconform.spec import Spec
from tests.suites.proofs import functions_defined_in, public_check_modules, returns_failures


def _exchange(status: int) -> Exchange:
    request = RecordedRequest("GET", "http://127.0.0.1/v1/models")
    return Exchange(request, status, (("content-type", "application/json"),), b"{}")


def test_every_public_function_returning_failures_is_registered_and_nothing_else() -> None:
    load_all_checks()
    checks: set[str] = set()
    others: set[str] = set()
    for module in public_check_modules():
        short = module.__name__.rpartition(".")[2]
        for name, function in functions_defined_in(module).items():
            (checks if returns_failures(function) else others).add(f"{short}.{name}")
    assert sorted(checks - set(REGISTRY)) == [], "public checks without @check"
    functions = {check_id for check_id, info in REGISTRY.items() if info.function is not None}
    assert sorted(functions - checks) == [], "registered functions that are no checks"
    assert "routes.route_missing" in others  # a predicate: bool, not failures
    assert {"streaming.json_not_event_stream", "errors.route_not_found"} <= set(REGISTRY)


def test_the_registry_holds_the_function_callers_import() -> None:
    load_all_checks()
    info = REGISTRY["http.status_code_is"]
    assert info.id == "http.status_code_is"
    assert info.function is status_code_is
    assert status_code_is.__name__ == "status_code_is"
    assert "exchange" in inspect.signature(status_code_is).parameters
    assert inspect.unwrap(route_missing) is route_missing


def test_the_observer_records_exactly_the_checks_that_returned_failures() -> None:
    with observe_failing_checks() as failing:
        assert status_code_is(_exchange(200), 200) == []
        assert failing == set()
        assert status_code_is(_exchange(500), 200) != []
        route_missing(_exchange(404))  # no check: never recorded
    assert failing == {"http.status_code_is"}


def test_without_an_observation_nothing_is_recorded() -> None:
    assert status_code_is(_exchange(500), 200) != []
    with observe_failing_checks() as failing:
        pass
    assert status_code_is(_exchange(500), 200) != []
    assert failing == set()


def test_observations_nest_and_stay_in_their_context() -> None:
    with observe_failing_checks() as outer:
        with observe_failing_checks() as inner:
            status_code_is(_exchange(500), 200)
        assert inner == {"http.status_code_is"}
        # Another thread starts from an empty context: its checks are not this run's.
        other = threading.Thread(target=status_code_is, args=(_exchange(500), 201))
        other.start()
        other.join()
    assert outer == {"http.status_code_is"}


def test_results_that_carry_failures_beside_a_value_are_recorded() -> None:
    failure = Failure("x", "y")
    assert list(failures_of([failure])) == [failure]
    assert list(failures_of(({}, [failure]))) == [failure]
    assert list(failures_of(DataEvents(failures=[failure]))) == [failure]
    assert list(failures_of(({0: "choice"}, []))) == []
    assert returns_failures(assemble_chat)


def test_a_check_id_is_registered_once() -> None:
    def status_code_is(exchange: Any) -> list[Failure]:
        return []

    status_code_is.__module__ = "oaiconform.checks.http"
    with pytest.raises(RuntimeError, match="registered twice"):
        check(status_code_is)


# --- metadata: a title, an impact class and a reason for each registered rule --------------


def test_every_registered_rule_has_a_title_an_impact_and_a_reason() -> None:
    load_all_checks()
    import oaiconform.property.checks  # noqa: F401  (registers the property suite's rules)

    problems = {
        check_id: info
        for check_id, info in REGISTRY.items()
        if not info.title.strip()
        or "\n" in info.title
        or len(info.title) > 100
        or not isinstance(info.impact, Impact)
        or not info.reason.strip()
        or "\n" in info.reason
    }
    assert problems == {}
    assert {i.impact for i in REGISTRY.values()} == set(Impact)  # every class is in use
    assert REGISTRY["property.status_code_conformance"].impact is Impact.SPEC_LITERAL
    assert REGISTRY["schema.required_nullable_absent"].impact is Impact.SPEC_LITERAL
    assert REGISTRY["schema.response_schema_conformance"].impact is Impact.WRONG_BEHAVIOUR


# --- every failure a check returns is stamped and located ----------------------------------


def _json(status: int, body: object, content_type: str = "application/json") -> Exchange:
    request = RecordedRequest("POST", "http://127.0.0.1/v1/chat/completions", (), b"{}")
    return Exchange(request, status, (("content-type", content_type),), json.dumps(body).encode())


def _bad_calls(spec: Spec) -> list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]:
    """Each check called on answers that break its rules (garbage, wrong types, wrong values)."""
    from oaiconform.checks import (
        batches,
        chat,
        completions,
        embeddings,
        errors,
        files,
        headers,
        http,
        models,
        moderations,
        pagination,
        responses,
        schema,
        tenancy,
        tools,
    )

    flat = _json(400, {"message": "bad"})
    no_code = _json(404, {"error": {"message": "m", "type": "t"}})
    ok_list = _json(200, {"object": "lst", "data": [{"id": "a"}, {"id": "b"}], "has_more": 1})
    weird = {"id": "", "object": "x", "created": "1", "model": "", "choices": "no"}
    not_an_object = {
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"content": "[1]"}}]
    }
    choices = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "length",
                "message": {
                    "role": "user",
                    "content": "```{}```",
                    "tool_calls": [{"id": 1, "type": "f", "function": {"name": "x"}}],
                },
            },
            {
                "index": 3,
                "finish_reason": "weird",
                "message": {
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "a",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{"},
                        },
                        {
                            "id": "a",
                            "type": "function",
                            "function": {"name": "f", "arguments": "1"},
                        },
                    ],
                },
            },
        ]
    }
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    completion = _completion()
    del completion["choices"][0]["message"]["refusal"]
    no_refusal = _json(200, completion)
    more = _json(200, {"object": "list", "data": [{"id": "a"}], "has_more": True})
    walk = pagination.Walk((more, more), limit=1, page_cap=2)
    last = _json(200, {"object": "list", "data": [], "has_more": False})
    lost = pagination.Walk((more, last), limit=1, page_cap=5)
    headers_bad = Exchange(
        RecordedRequest("GET", "http://127.0.0.1/v1/models"),
        429,
        (
            ("x-ratelimit-limit-requests", "x"),
            ("x-ratelimit-reset-requests", "soon"),
            ("retry-after", "later"),
            ("retry-after-ms", "1s"),
        ),
        b"{}",
    )
    return [
        (http.status_code_is, (flat, 200), {}),
        (http.json_object_body, (_json(200, [1], "text/plain"),), {}),
        (errors.error_envelope, (flat,), {}),
        (errors.error_envelope, (_json(400, {"error": {"message": 1}}),), {}),
        (errors.error_envelope, (_json(400, "x", "text/html"),), {}),
        (errors.error_code_is, (no_code, "model_not_found"), {}),
        (errors.unauthorized, (_json(200, {}),), {}),
        (
            errors.key_not_echoed,
            (_json(401, {"k": "sk-0123456789abcdef"}), "sk-0123456789abcdef"),
            {},
        ),
        (errors.error_response, (_json(200, {}),), {}),
        (errors.route_not_found, (_json(200, {}),), {}),
        (errors.bad_request, (_json(422, {}),), {}),
        (errors.client_error, (_json(500, {}),), {}),
        (errors.error_param_names, (no_code, "messages"), {}),
        (errors.model_not_found, (_json(400, {}),), {}),
        (errors.model_not_found, (no_code,), {}),
        (headers.request_id_present, (flat,), {}),
        (
            headers.request_ids_unique,
            ([headers_bad.__class__(headers_bad.request, 200, (("x-request-id", "r"),), b"")] * 2,),
            {},
        ),
        (headers.rate_limit_headers, (headers_bad,), {}),
        (headers.retry_after, (headers_bad,), {}),
        (headers.retry_after, (flat,), {}),
        (models.model_list_fields, ({"object": "l", "data": [weird, weird]},), {}),
        (models.model_list_fields, ({"data": 1},), {}),
        (models.model_object_fields, ([],), {}),
        (chat.chat_completion_fields, (weird,), {}),
        (chat.chat_completion_fields, ({**weird, **choices, "usage": {"total_tokens": -1}},), {}),
        (chat.usage_totals, ({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 3},), {}),
        (chat.json_object_content, (not_an_object,), {}),
        (chat.json_schema_content, (choices, {"type": "object"}), {}),
        (chat.json_schema_content, (choices, {"$ref": "https://example.com/x"}), {}),
        (completions.text_completion_fields, ({**weird, "choices": [{"index": 2}]},), {}),
        (
            completions.completion_logprobs,
            (
                {
                    "index": 0,
                    "text": "ab",
                    "logprobs": {
                        "tokens": ["a"],
                        "token_logprobs": [1, 2],
                        "top_logprobs": [{"a": 1, "b": 1, "c": 1}],
                    },
                },
            ),
            {"top": 1},
        ),
        (completions.completion_logprobs, ({"index": 0},), {"top": 1}),
        (
            embeddings.embedding_list,
            (
                {
                    "object": "x",
                    "data": [
                        {"index": 1, "embedding": "!"},
                        1,
                        {"index": 0, "embedding": []},
                        {"embedding": [1.0, 2.0], "object": "e"},
                    ],
                },
            ),
            {"inputs": 2, "dimensions": 3},
        ),
        (
            embeddings.embedding_list,
            ({"data": [{"embedding": [1.0]}]},),
            {"inputs": 1, "encoding": "base64"},
        ),
        (embeddings.embedding_usage, ({"usage": {"prompt_tokens": 0, "total_tokens": 2}},), {}),
        (embeddings.embedding_usage, ({},), {}),
        (
            embeddings.same_input_same_vector,
            (
                {"data": [{"embedding": [0.0, 1.0]}, {"embedding": [1.0, 0.0]}]},
                {"data": [{"embedding": [1.0, 0.0]}]},
            ),
            {"position": 0, "positions": 2},
        ),
        (
            moderations.moderation_results,
            (
                {
                    "results": [
                        1,
                        {
                            "categories": {"hate": True},
                            "category_scores": {"hate": 3},
                            "flagged": False,
                        },
                    ]
                },
            ),
            {"inputs": 3, "categories": ("hate", "violence")},
        ),
        (
            moderations.category_flagged,
            ({"results": [{"categories": {"hate": False}}]}, "hate"),
            {},
        ),
        (moderations.category_flagged, ({}, "hate"), {}),
        (
            files.file_object_fields,
            ({"object": "f", "id": "x", "bytes": 1, "created_at": "1"},),
            {"filename": "a", "purpose": "b", "size": 2, "file_id": "y"},
        ),
        (files.file_content_is, (_json(200, {"object": "file"}), b"abc"), {}),
        (files.file_listed, (["a"], "b"), {"expected": True, "when": "after upload"}),
        (files.deletion_confirmed, ({"id": "a", "object": "x", "deleted": True}, "a", "file"), {}),
        (
            files.deletion_confirmed,
            ({"id": "a", "object": "file", "deleted": False}, "a", "file"),
            {},
        ),
        (
            batches.batch_object_fields,
            ({"object": "b", "status": "?"},),
            {"endpoint": "/v1/x", "input_file_id": "f"},
        ),
        (
            batches.completed_batch_counts,
            ({"request_counts": {"total": 1, "completed": 1, "failed": 1}},),
            {"requests": 2},
        ),
        (
            batches.output_answers_inputs,
            (
                b'x\n1\n{"custom_id": "a"}\n{"custom_id": "a", "response": {"status_code": 200}}\n',
                ["a", "b"],
            ),
            {},
        ),
        (tenancy.hidden_from_other_tenant, (_json(200, {}), "the file"), {}),
        (tenancy.absent_from_listing, (_json(200, {"data": [{"id": "f"}]}), "f", "the file"), {}),
        (tools.tool_calls_well_formed, (choices, [tool]), {}),
        (tools.tool_choice_honoured, (choices, "none"), {}),
        (
            tools.tool_choice_honoured,
            (choices, {"type": "function", "function": {"name": "g"}}),
            {},
        ),
        (tools.tool_call_made, ({"choices": [{"index": 0, "message": {}}]},), {}),
        (tools.at_most_one_call, (choices,), {}),
        (pagination.page_shape, (ok_list,), {"limit": 1}),
        (
            pagination.page_shape,
            (_json(200, {"object": "list", "data": [], "has_more": False, "first_id": "x"}),),
            {"limit": 1},
        ),
        (pagination.walk_ended, (walk,), {}),
        (pagination.has_more_exact, (lost, ["c"]), {}),
        (pagination.visits_each_once, (["a", "a", "d"], ["a", "b"], ["d"]), {}),
        (
            pagination.created_at_ordered,
            ([{"created_at": 2}, {"created_at": 1}], "asc"),
            {"field": "created_at"},
        ),
        (pagination.reversed_sequence, (["a", "b"], ["a", "c"]), {}),
        (pagination.reversed_sequence, (["a", "b"], ["a", "b"]), {}),
        (pagination.limit_rejected, (_json(200, {}), "0"), {}),
        (pagination.unknown_cursor, (ok_list, "x"), {}),
        (pagination.unknown_cursor, (_json(500, {}), "x"), {}),
        (pagination.filtered_by, ([{"purpose": "x"}], "purpose", "batch"), {}),
        (
            responses.response_object_fields,
            ({"object": "r", "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 3}},),
            {"model": "m"},
        ),
        (responses.incomplete_at_max_output_tokens, ({"usage": {"output_tokens": 9}}, 1), {}),
        (
            responses.continues_conversation,
            (
                {"id": "a", "usage": {"input_tokens": 5, "output_tokens": 5}},
                {"usage": {"input_tokens": 1}},
            ),
            {},
        ),
        (
            responses.function_call_matches,
            (
                {
                    "output": [
                        {"type": "function_call", "name": "g", "arguments": "{"},
                        {"type": "function_call", "name": "f", "call_id": "c", "arguments": {}},
                    ]
                },
                {"name": "f", "parameters": {"type": "object"}},
            ),
            {},
        ),
        (responses.function_call_matches, ({"output": []}, {"name": "f", "parameters": {}}), {}),
        (responses.input_items_echo, ({"data": []}, "hi"), {}),
        (responses.input_items_echo, ({}, "hi"), {}),
        (schema.response_schema_conformance, (spec, "listModels", _json(200, {"data": 1})), {}),
        (schema.response_schema_conformance, (spec, "listModels", _json(418, {})), {}),
        (schema.required_nullable_absent, (spec, "createChatCompletion", no_refusal), {}),
        (schema.late_required_absent, ("POST /v1/responses", _late_usage(spec)), {}),
        (schema.optional_member_null, ("POST /v1/completions", _null_details(spec)), {}),
        (errors.declared_text_refused, (_json(200, {"id": "chatcmpl-1"}),), {}),
        *_bad_parameter_calls(),
    ]


def _response(**usage_details: int) -> dict[str, Any]:
    """A completed Response whose usage.input_tokens_details carries these members."""
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "temperature": None,
        "top_p": None,
        "tool_choice": "auto",
        "tools": [],
        "parallel_tool_calls": True,
        "model": "m",
        "output": [],
        "usage": {
            "input_tokens": 1,
            "input_tokens_details": usage_details,
            "output_tokens": 1,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 2,
        },
    }


def _bad_parameter_calls() -> list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]:
    """The parameter family's checks on answers that ignored their parameter."""
    from oaiconform.checks import params

    one = {"choices": [{"index": 0, "finish_reason": "stop", "message": {"content": "a b c"}}]}
    floats = {"data": [{"embedding": [0.5, 0.25]}]}
    call = {"type": "function_call", "name": "f"}
    return [
        (params.choice_count, (one, 2), {}),
        (params.no_stop_sequence, (one, ["b"]), {}),
        (
            params.within_token_limit,
            ({**one, "usage": {"completion_tokens": 9}}, 1, "max_tokens"),
            {},
        ),
        (params.chat_logprobs, (one, 2), {}),
        (params.echoed_prompt, ({"choices": [{"index": 0, "text": "x"}]}, "Once"), {}),
        (params.embedding_dimensions, (floats, 64), {}),
        (params.base64_is_the_float_vector, (floats, floats), {}),
        (params.seed_reproduces, (one, {"choices": []}, 1), {}),
        (params.stored_as_asked, (None, 404), {}),
        (
            params.instructions_counted,
            ({"usage": {"input_tokens": 5}}, {"usage": {"input_tokens": 5}}, 40),
            {},
        ),
        (params.response_text_matches_schema, ({"output": []}, {"type": "object"}), {}),
        (params.one_function_call, ({"output": [call, call]},), {}),
    ]


def _late_usage(spec: Spec) -> list[Any]:
    from oaiconform.checks import schema

    return schema.split_violations(
        spec, "/components/schemas/ResponseUsage", _response(cached_tokens=0)["usage"]
    ).late


def _null_details(spec: Spec) -> list[Any]:
    from oaiconform.checks import schema

    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    return schema.split_violations(
        spec, "/components/schemas/CompletionUsage", {**usage, "completion_tokens_details": None}
    ).optional_null


def test_every_failure_a_check_returns_carries_its_check_id_and_where(spec: Spec) -> None:
    load_all_checks()
    seen: set[str] = set()
    for function, args, kwargs in _bad_calls(spec):
        info = registered(function)
        assert info is not None, function
        failures = list(failures_of(function(*args, **kwargs)))
        assert failures, f"{info.id} should fail on {args!r:.200}"
        for failure in failures:
            assert failure.check_id in REGISTRY, (info.id, failure)
            assert failure.where.strip(), (info.id, failure)
            assert failure.location == normalize_where(failure.where)
            seen.add(failure.check_id)
    # The bad calls reach every check that judges a single answer (the stream checks are
    # covered below and by the fault matrices).
    registered_functions = {i for i, c in REGISTRY.items() if c.function is not None}
    streams = {i for i in registered_functions if i.startswith(("stream", "streaming."))}
    unseen = registered_functions - streams - seen - {"schema.stream_required_nullable_absent"}
    assert sorted(unseen) == []


def test_stream_failures_carry_their_check_id_and_an_event_location(spec: Spec) -> None:
    from oaiconform.checks.stream_usage import chat_stream_usage
    from oaiconform.checks.streaming import chat_chunks
    from tests.unit.test_streaming_checks import chat_payloads, frame, stream_of

    payloads = chat_payloads()
    payloads[1] = {**payloads[1], "object": "x", "id": "other"}
    payloads[2]["choices"][0].pop("finish_reason")  # required and nullable: spec-literal
    del payloads[0]["choices"][0]["delta"]["role"]
    stream = stream_of([frame(payloads) + b"data: {oops\n\n"], {"stream": True, "n": 2})
    failures = chat_chunks(spec, stream) + chat_stream_usage(stream)
    assert failures
    for failure in failures:
        assert failure.check_id in REGISTRY, failure
        assert failure.where.startswith("events"), failure
    ids = {f.check_id for f in failures}
    assert {"schema.object_value", "streaming.choice_identity", "streaming.choice_sequence"} <= ids
    assert "schema.stream_required_nullable_absent" in ids
    nullable = [f for f in failures if f.check_id == "schema.stream_required_nullable_absent"]
    assert normalize_where(nullable[0].where) == "events[].choices[].finish_reason"


# --- the schema split: a required nullable property absent is spec-literal -----------------


def _completion(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": "hi", "refusal": None},
            }
        ],
    }
    body.update(changes)
    return body


def test_a_missing_refusal_is_required_nullable_absent_and_spec_literal(spec: Spec) -> None:
    from oaiconform.checks.schema import required_nullable_absent, response_schema_conformance

    assert (
        response_schema_conformance(spec, "createChatCompletion", _json(200, _completion())) == []
    )
    body = _completion()
    del body["choices"][0]["message"]["refusal"]
    failures = response_schema_conformance(spec, "createChatCompletion", _json(200, body))
    assert [(f.check_id, f.where) for f in failures] == [
        ("schema.required_nullable_absent", "choices[0].message.refusal")
    ]
    assert failures[0].location == "choices[].message.refusal"
    assert all(is_soft(f) for f in failures)
    assert impact_of(failures[0]) is Impact.SPEC_LITERAL
    alone = required_nullable_absent(spec, "createChatCompletion", _json(200, body))
    assert [f.where for f in alone] == ["choices[0].message.refusal"]


def test_a_member_the_description_required_late_is_spec_literal_when_absent(spec: Spec) -> None:
    """usage.input_tokens_details.cache_write_tokens is required by the pin, absent from the API's
    answers before mid-2026: its absence follows the older contract (spec-literal), while a
    wrong value of it still breaks the shape."""
    from oaiconform.checks.schema import response_schema_conformance

    def judged(**details: Any) -> list[Failure]:
        body = _response(**details)
        return [
            f
            for f in response_schema_conformance(spec, "createResponse", _json(200, body))
            if "input_tokens_details" in f.where
        ]

    assert judged(cached_tokens=0, cache_write_tokens=0) == []
    late = judged(cached_tokens=0)
    assert [(f.check_id, f.where) for f in late] == [
        ("schema.late_required_absent", "usage.input_tokens_details.cache_write_tokens")
    ]
    assert impact_of(late[0]) is Impact.SPEC_LITERAL and is_soft(late[0])
    assert "became required in mid-2026" in late[0].message
    wrong = judged(cached_tokens=0, cache_write_tokens="many")
    assert [f.check_id for f in wrong] == ["schema.response_schema_conformance"]


def test_an_optional_member_sent_as_null_is_spec_literal_a_required_one_is_not(
    spec: Spec,
) -> None:
    """`usage.completion_tokens_details: null` (LiteLLM): optional, the SDK reads None as it
    reads absent. A required member sent as null (`reasoning_tokens: null`) stays a broken
    shape: the SDK hands the client a None where it promised an int."""
    from oaiconform.checks.schema import response_schema_conformance

    body = _completion(usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2})
    body["usage"]["completion_tokens_details"] = None
    failures = response_schema_conformance(spec, "createChatCompletion", _json(200, body))
    assert [(f.check_id, f.where) for f in failures] == [
        ("schema.optional_member_null", "usage.completion_tokens_details")
    ]
    assert is_soft(failures[0]) and "leave it out instead of sending null" in failures[0].message
    details = _response(cached_tokens=0, cache_write_tokens=0)
    details["usage"]["output_tokens_details"]["reasoning_tokens"] = None
    hard = response_schema_conformance(spec, "createResponse", _json(200, details))
    assert [f.check_id for f in hard] == ["schema.response_schema_conformance"]


def test_a_oneof_item_is_reported_at_the_member_its_branch_refuses(spec: Spec) -> None:
    """Not "not valid under any of the schemas listed in the 'oneOf'" at output[]: the branch
    the item's `type` names says what is wrong; an unknown `type` stays a oneOf failure."""
    from oaiconform.checks.schema import response_schema_conformance

    text = {"type": "output_text", "text": "hi", "annotations": [], "logprobs": "nope"}
    item = {
        "type": "message",
        "id": "msg_1",
        "status": "completed",
        "role": "assistant",
        "content": [text],
    }
    body = {**_response(cached_tokens=0, cache_write_tokens=0), "output": [item]}
    failures = response_schema_conformance(spec, "createResponse", _json(200, body))
    assert [f.where for f in failures] == ["output[0].content[0].logprobs"]
    assert 'is not of type "array"' in failures[0].message
    text["type"] = "output_tex"
    failures = response_schema_conformance(spec, "createResponse", _json(200, body))
    assert [f.where for f in failures] == ["output[0].content[0]"]


def test_a_refusal_missing_from_more_choices_than_validation_reports_stays_spec_literal(
    spec: Spec,
) -> None:
    """Validation stops at a few violations: patching the first choice surfaces the sixth's,
    which must not make the first look like a hard violation."""
    choice = _completion()["choices"][0]
    del choice["message"]["refusal"]
    body = _completion(choices=[{**choice, "index": n} for n in range(7)])
    failures = response_schema_conformance_of(spec, body)
    assert failures and {f.check_id for f in failures} == {"schema.required_nullable_absent"}
    assert {f.location for f in failures} == {"choices[].message.refusal"}


def test_a_missing_choices_is_a_schema_violation_that_fails_compat(spec: Spec) -> None:
    body = _completion()
    del body["choices"]
    failures = response_schema_conformance_of(spec, body)
    assert [(f.check_id, f.where) for f in failures] == [
        ("schema.response_schema_conformance", "choices")
    ]
    assert not is_soft(failures[0])
    with pytest.raises(ConformanceError), collect_deferred() as deferred:
        expect(failures)
    assert deferred == []


def test_soft_failures_are_deferred_and_hard_ones_raise(spec: Spec) -> None:
    body = _completion()
    del body["choices"][0]["message"]["refusal"]
    with collect_deferred() as deferred:
        expect(response_schema_conformance_of(spec, body))
    assert [f.check_id for f in deferred] == ["schema.required_nullable_absent"]


def response_schema_conformance_of(spec: Spec, body: Any) -> list[Failure]:
    from oaiconform.checks.schema import response_schema_conformance

    return response_schema_conformance(spec, "createChatCompletion", _json(200, body))
