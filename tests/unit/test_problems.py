"""Problems: failures grouped by check and location, ordered by impact, then breadth."""

from __future__ import annotations

from oaiconform.report import model
from oaiconform.report.problems import NO_SDK, FailedTest, build_problems, failed_in, root_problems


def _failure(check_id: str, impact: str, where: str = "", message: str = "m") -> dict[str, str]:
    rule = check_id.rpartition(".")[2]
    return {
        "rule": rule,
        "check_id": check_id,
        "impact": impact,
        "where": where,
        "expected": "",
        "found": "",
        "message": message,
    }


def _test(
    test_id: str, feature: str, *failures: dict[str, str], sdk: list[dict[str, str]] | None = None
) -> FailedTest:
    return FailedTest(test_id, feature, "msg", f"curl {test_id}", list(failures), sdk or [])


def test_the_same_defect_at_other_items_and_in_other_features_is_one_problem() -> None:
    tests = [
        _test("t1", "chat.completions", _failure("c.a", "spec-literal", "choices[0].x")),
        _test("t2", "chat.tools", _failure("c.a", "spec-literal", "choices[3].x")),
        _test("t3", "chat.tools", _failure("c.a", "spec-literal", "choices[0].y")),
    ]
    problems = build_problems(tests, sdk_installed=True)
    assert [(p.id, p.tests) for p in problems] == [
        ("c.a@choices[].x", ["t1", "t2"]),
        ("c.a@choices[].y", ["t3"]),
    ]
    first = problems[0]
    assert first.features == ["chat.completions", "chat.tools"]
    assert first.example == {"test": "t1", "message": "m", "repro": "curl t1"}
    assert first.failures == 2


def test_problems_come_worst_impact_first_then_widest() -> None:
    tests = [
        _test("t1", "a", _failure("x.advisory", "advisory")),
        _test("t2", "b", _failure("x.literal", "spec-literal"), _failure("x.wide", "spec-literal")),
        _test("t3", "c", _failure("x.wide", "spec-literal")),
        _test("t4", "d", _failure("x.breaks", "breaks-clients")),
        _test("t5", "e", _failure("x.wrong", "wrong-behaviour")),
    ]
    order = [p.check for p in build_problems(tests, sdk_installed=True)]
    assert order == ["x.breaks", "x.wrong", "x.wide", "x.literal", "x.advisory"]


def test_count_lines_are_no_problem_and_unclaimed_rules_are_named_as_such() -> None:
    more = {**_failure("c.a", "spec-literal"), "message": "... and 4 more like these"}
    unclaimed = {**_failure("", "wrong-behaviour"), "rule": "own_rule"}
    problems = build_problems([_test("t1", "f", more, unclaimed)], sdk_installed=True)
    assert [p.check for p in problems] == ["unclassified.own_rule"]
    assert problems[0].impact == "wrong-behaviour"


def test_the_sdk_evidence_is_the_worst_replay_of_the_request_the_failure_names() -> None:
    replays = [
        {"request": "GET /v1/models", "outcome": "raised", "detail": "APIError: x"},
        {"request": "POST /v1/chat/completions", "outcome": "fine", "detail": ""},
        {"request": "POST /v1/chat/completions", "outcome": "differs", "detail": "content"},
    ]
    failure = _failure(
        "c.a", "breaks-clients", message="POST http://127.0.0.1:9/v1/chat/completions -> 200: x"
    )
    problem = build_problems([_test("t", "f", failure, sdk=replays)], sdk_installed=True)[0]
    assert problem.sdk["outcome"] == "differs"
    # A replay of another request of the same test is no evidence about this problem.
    other = _failure("h.x", "advisory", "body", "GET http://h/v1/files -> 200: x")
    assert build_problems([_test("t", "f", other, sdk=replays)], sdk_installed=True)[0].sdk == {}
    # A header problem shares its answer with others, not their effect on the SDK.
    header = _failure("h.id", "advisory", "header:x-request-id", "GET http://h/v1/models -> 200")
    assert build_problems([_test("t", "f", header, sdk=replays)], sdk_installed=True)[0].sdk == {}
    without_sdk = build_problems([_test("t", "f", failure)], sdk_installed=False)[0]
    assert without_sdk.sdk == {"outcome": "not_replayed", "detail": NO_SDK}
    assert build_problems([_test("t", "f", failure)], sdk_installed=True)[0].sdk == {}


def test_a_problem_names_the_known_deviation_it_looks_like() -> None:
    failure = _failure("errors.error_envelope", "breaks-clients", "body", "found a flat envelope")
    seen: list[tuple[str, str, str]] = []

    class Known:
        id, reference, url, description = "k", "o/r#1", "https://x", "flat errors"

    def known(check_id: str, where: str, message: str) -> Known:
        seen.append((check_id, where, message))
        return Known()

    problem = build_problems([_test("t", "f", failure)], sdk_installed=True, known=known)[0]
    assert seen == [("errors.error_envelope", "body", "found a flat envelope")]
    assert problem.known_deviation == {
        "id": "k",
        "reference": "o/r#1",
        "url": "https://x",
        "description": "flat errors",
    }


def test_verdicts_count_only_the_impact_classes_they_fail_on() -> None:
    literal = [_failure("c.a", "spec-literal")]
    advisory = [_failure("c.b", "advisory")]
    breaking = [_failure("c.c", "breaks-clients"), *literal]
    assert model.outcome_under("failed", literal, "compat") == "passed"
    assert model.outcome_under("failed", literal, "strict") == "failed"
    assert model.outcome_under("failed", advisory, "strict") == "passed"
    assert model.outcome_under("failed", breaking, "compat") == "failed"
    # A failed test without typed failures fails both: a missing class never softens a verdict.
    assert model.outcome_under("failed", [], "compat") == "failed"
    assert model.outcome_under("not_run", literal, "compat") == "not_run"
    assert failed_in([], "compat") and not failed_in(["advisory"], "strict")


def test_a_problem_seen_only_where_a_worse_one_of_its_area_is_is_marked_its_consequence() -> None:
    tests = [
        _test("t1", "chat.stream", _failure("stream.assemble", "breaks-clients", "events[0].x")),
        _test(
            "t2",
            "chat.stream",
            _failure("stream.assemble", "breaks-clients", "events[0].x"),
            _failure("stream.tools_differ", "wrong-behaviour"),
            _failure("usage.totals", "wrong-behaviour"),  # another area: its own problem
        ),
    ]
    problems = build_problems(tests, sdk_installed=True)
    by_check = {p.check: p for p in problems}
    assert by_check["stream.tools_differ"].consequence_of == "stream.assemble@events[].x"
    assert by_check["usage.totals"].consequence_of == ""
    assert [p.check for p in root_problems(problems)] == ["stream.assemble", "usage.totals"]


def test_two_locations_of_one_check_or_two_schema_violations_stay_two_problems() -> None:
    both = (
        _failure("schema.required_nullable_absent", "spec-literal", "choices[0].logprobs"),
        _failure("schema.required_nullable_absent", "spec-literal", "choices[0].message.refusal"),
        _failure("schema.response_schema_conformance", "spec-literal", "usage.x"),
    )
    problems = build_problems([_test("t1", "chat.completions", *both)], sdk_installed=True)
    assert len(root_problems(problems)) == 3


def test_the_exit_reason_quotes_a_failure_the_verdict_counts() -> None:
    failures = [
        _failure("schema.required_nullable_absent", "spec-literal", "x", "refusal missing"),
        _failure("chat.usage_totals", "wrong-behaviour", "usage", "total is wrong"),
    ]
    test = model.TestEntry("t", "chat.completions", "failed", 0.1, "m", failures=failures)
    feature = model.FeatureResult(
        "failed",
        1,
        "must",
        True,
        [model.FeatureFailure("t", "[required_nullable] refusal missing", "")],
        statuses={"compat": "failed", "strict": "failed"},
    )
    code, lines = model.exit_code_and_reasons({"chat.completions": feature}, [test], {}, "compat")
    assert code == 1
    assert lines == [
        "required feature chat.completions is failed (compat): [usage_totals] total is wrong"
    ]


def test_caps_fold_only_one_defect_and_count_it_exactly() -> None:
    from oaiconform.checks import Failure
    from oaiconform.checks._failure import capped

    same = [Failure("usage", f"m{i}", where=f"events[{i}].usage", check_id="s.u") for i in range(6)]
    other = Failure("usage", "choices not empty", where="events[9].choices", check_id="s.u")
    kept = capped([*same, other])
    assert other in kept  # another location of the same rule is not folded away
    assert [f.message for f in kept if f.message.startswith("...")] == ["... and 3 more like these"]
    assert len(kept) == 5
