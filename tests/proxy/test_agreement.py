"""The comparison behind `run --via-proxy`, on made-up findings."""

from __future__ import annotations

from oaiconform.proxy.agreement import compare


def test_the_checks_both_name_agree() -> None:
    found = compare({"errors.error_envelope"}, [("errors.error_envelope", ["x1"])], set())
    assert found.agrees and found.both == {"errors.error_envelope"}


def test_a_check_the_proxy_ran_and_passed_is_a_disagreement() -> None:
    found = compare({"stream_usage.chat_stream_usage"}, [], {"stream_usage.chat_stream_usage"})
    assert not found.agrees and found.run_only == {"stream_usage.chat_stream_usage"}


def test_a_check_the_proxy_never_ran_is_not_its_to_agree_on() -> None:
    assert compare({"embeddings.same_input_same_vector"}, [], {"errors.error_envelope"}).agrees


def test_a_check_only_the_proxy_names_is_a_disagreement_unless_on_an_agreed_exchange() -> None:
    problems = [("errors.error_envelope", ["x1"]), ("schema.response_schema_conformance", ["x1"])]
    found = compare({"errors.error_envelope"}, problems, set())
    assert found.agrees and found.also == {"schema.response_schema_conformance"}
    problems.append(("chat.usage_totals", ["x2"]))
    assert compare({"errors.error_envelope"}, problems, set()).proxy_only == {"chat.usage_totals"}


def test_counterparts_name_one_defect() -> None:
    problems = [("http.json_object_body", ["x1"])]
    assert compare({"property.content_type_conformance"}, problems, set()).agrees
    found = compare(
        {"http.json_object_body", "streaming.json_not_event_stream"},
        [("streaming.json_not_event_stream", ["x1"])],
        {"http.json_object_body", "streaming.json_not_event_stream"},
    )
    assert found.agrees


def test_n_ignored_is_one_defect_named_by_the_count_and_the_object_check() -> None:
    # aimock answers n 2 with one choice: params.choice_count in the suites, the judge's
    # chat.chat_completion_fields (holding the answer to the request's n)
    problems = [("chat.chat_completion_fields", ["x1"])]
    assert compare({"params.choice_count"}, problems, {"chat.chat_completion_fields"}).agrees
