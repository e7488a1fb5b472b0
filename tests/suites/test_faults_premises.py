"""No vacuous pass: an answer that is legal but never exercises what a test checks leaves that
test `not_run` with the reason (its feature `partial`), never `passed`.

Each fault here is a legal behaviour, not a defect: the model answers in words under
tool_choice auto; it refuses a structured-output request. No check fails under them.
"""

from __future__ import annotations

from tests.conftest import RunSuites
from tests.suites.matrix import Matrix, Proofs

MATRIX: Matrix = {
    "tool-choice-auto-in-words": {},
    "structured-output-refused": {},
}
PROVES: Proofs = {fault: set() for fault in MATRIX}  # no check: the premises of the suites


def test_tool_choice_auto_answered_in_words_is_not_run_not_passed(
    run_suites: RunSuites,
) -> None:
    outcome = run_suites("tool-choice-auto-in-words", features=("chat.tools", "chat.tools.stream"))
    report = outcome.report
    assert report is not None
    not_run = {t.id: t.message for t in report.tests if t.outcome == "not_run"}
    assert sorted(not_run) == [
        "test_chat_tools.py::test_tools_a_question_a_tool_answers_gets_a_well_formed_tool_call",
        "test_streaming.py::test_chat_tools_stream_variant[tool_choice-auto]",
    ]
    assert all("under tool_choice auto" in reason for reason in not_run.values())
    for feature in ("chat.tools", "chat.tools.stream"):
        result = report.features[feature]
        assert result.status == "partial", (feature, result.status, result.failures)
        assert "not judged: under tool_choice auto" in result.reason
    assert {t.outcome for t in report.tests if t.id not in not_run} == {"passed"}
    assert outcome.failing_checks == frozenset()
    assert report.problems == []


def test_a_refused_structured_output_is_not_run_not_passed(run_suites: RunSuites) -> None:
    outcome = run_suites("structured-output-refused", features=("chat.structured_output",))
    report = outcome.report
    assert report is not None
    result = report.features["chat.structured_output"]
    assert result.status == "partial"
    assert len(result.not_run) == 2
    assert all("a refusal" in note.reason for note in result.not_run)
    assert outcome.failing_checks == frozenset()
