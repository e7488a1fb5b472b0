"""The parameter family and the Responses stream grammar: each fault fails exactly its
features, with its message.

For time, faults that touch different parameters share a run: each drops (or breaks) one
parameter only, and every test of the family sends the parameter it is about, so one run with
several faults still shows each fault failing its own feature and no other (the group's
features not in any of its faults' entries stay clean). The correct mock passes every one of
these features in test_faults_coverage.py (they are in the core profile).
"""

from __future__ import annotations

import pytest

from oaiconform.features import PARAMETER_FEATURES
from oaiconform.report import Report
from tests.conftest import ObservedOutcome, RunSuites
from tests.suites.matrix import (
    Matrix,
    Proofs,
    assert_failures_are_typed,
    assert_feature_clean,
    assert_feature_fails,
    assert_proves,
    built_features,
)

GRAMMAR = "stream_responses.response_stream_grammar"
MATRIX: Matrix = {
    "ignores-chat-n": {
        "params.chat.n": "with n 2, expected 2 choices indexed 0..1, got indexes [0]"
    },
    "ignores-chat-stop": {"params.chat.stop": "still contains"},
    "ignores-chat-max_tokens": {
        "params.chat.max_tokens": "with max_tokens 4, usage.completion_tokens is"
    },
    "ignores-chat-max_completion_tokens": {
        "params.chat.max_completion_tokens": "with max_completion_tokens 4, usage.completion"
    },
    "ignores-chat-logprobs": {
        "params.chat.logprobs": "with logprobs true, choices[0].logprobs.content is None",
        "params.chat.top_logprobs": "with logprobs true, choices[0].logprobs.content is None",
    },
    "ignores-chat-top_logprobs": {
        "params.chat.top_logprobs": "with top_logprobs 2, the entries of choices[0]"
    },
    "ignores-chat-response_format": {"params.chat.response_format": "is not JSON"},
    "ignores-chat-tool_choice": {"params.chat.tool_choice": 'tool_choice is "none", but'},
    "ignores-chat-parallel_tool_calls": {
        "params.chat.parallel_tool_calls": "parallel_tool_calls is false, but choices[0] has 2"
    },
    "ignores-chat-stream_options": {
        "params.chat.stream_options": "stream_options.include_usage was set, but no chunk"
    },
    "ignores-chat-seed": {"params.chat.seed": "with seed 11, the same request was answered"},
    "ignores-completions-n": {"params.completions.n": "with n 2, expected 2 choices"},
    "ignores-completions-stop": {"params.completions.stop": "still contains"},
    "ignores-completions-max_tokens": {
        "params.completions.max_tokens": "with max_tokens 4, usage.completion_tokens is"
    },
    "ignores-completions-echo": {
        "params.completions.echo": "with echo true, choices[0].text does not begin with"
    },
    "ignores-embeddings-dimensions": {
        "params.embeddings.dimensions": "with dimensions 64, the vectors have"
    },
    "ignores-embeddings-encoding_format": {
        "params.embeddings.encoding_format": "expected each embedding as a base64 string"
    },
    "ignores-responses-max_output_tokens": {
        "params.responses.max_output_tokens": "with max_output_tokens 16 and a long answer"
    },
    "ignores-responses-previous_response_id": {
        "params.responses.previous_response_id": "the follow-up must echo previous_response_id"
    },
    "ignores-responses-instructions": {
        "params.responses.instructions": "words of instructions, usage.input_tokens is"
    },
    "ignores-responses-text": {"params.responses.text_format": "with text.format json_schema"},
    "ignores-responses-store": {
        "params.responses.store": "with store left out (default true), GET /responses/{id} "
        "answered 404, expected 200"
    },
    "ignores-responses-parallel_tool_calls": {
        "params.responses.parallel_tool_calls": "parallel_tool_calls is false, but the output "
        "has 2 function calls"
    },
    "refuses-chat-logprobs": {},  # honest: params.chat.logprobs is not implemented
    "stream-responses-in-progress-missing": {"responses.stream": "rule in_progress"},
    "stream-responses-sequence-from-one": {"responses.stream": "rule sequence_from_zero"},
    "stream-responses-part-unclosed": {
        "responses.stream": "rule closed: response.content_part.added"
    },
    "stream-responses-text-done-missing": {"responses.stream": "rule text_done"},
    "stream-responses-item-index-wrong": {"responses.stream": "rule indexes: output_item.done"},
    "stream-responses-completed-when-cut": {
        "responses.stream": "rule terminal_status: the stream ends with response.completed, "
        "but its response.status is 'incomplete'"
    },
    "stream-responses-output-empty": {
        "responses.stream": "rule terminal_output: the terminal response.output holds 0 items"
    },
    "stream-responses-differs": {"responses.stream": "differs from the non-streamed one"},
}

PROVES: Proofs = {
    "ignores-chat-n": {"params.choice_count"},
    "ignores-chat-stop": {"params.no_stop_sequence"},
    "ignores-chat-max_tokens": {"params.within_token_limit"},
    "ignores-chat-max_completion_tokens": {"params.within_token_limit"},
    "ignores-chat-logprobs": {"params.chat_logprobs"},
    "ignores-chat-top_logprobs": {"params.chat_logprobs"},
    "ignores-chat-response_format": {"chat.json_object_content", "chat.json_schema_content"},
    "ignores-chat-tool_choice": {"tools.tool_choice_honoured"},
    "ignores-chat-parallel_tool_calls": {"tools.at_most_one_call"},
    "ignores-chat-stream_options": {"stream_usage.chat_stream_usage"},
    "ignores-chat-seed": {"params.seed_reproduces"},
    "ignores-completions-n": {"params.choice_count"},
    "ignores-completions-stop": {"params.no_stop_sequence"},
    "ignores-completions-max_tokens": {"params.within_token_limit"},
    "ignores-completions-echo": {"params.echoed_prompt"},
    "ignores-embeddings-dimensions": {"params.embedding_dimensions"},
    "ignores-embeddings-encoding_format": {"params.base64_is_the_float_vector"},
    "ignores-responses-max_output_tokens": {"responses.incomplete_at_max_output_tokens"},
    "ignores-responses-previous_response_id": {"responses.continues_conversation"},
    "ignores-responses-instructions": {"params.instructions_counted"},
    "ignores-responses-text": {"params.response_text_matches_schema"},
    "ignores-responses-store": {"params.stored_as_asked"},
    "ignores-responses-parallel_tool_calls": {"params.one_function_call"},
    "refuses-chat-logprobs": set(),
    "stream-responses-in-progress-missing": {GRAMMAR},
    "stream-responses-sequence-from-one": {GRAMMAR},
    "stream-responses-part-unclosed": {GRAMMAR},
    "stream-responses-text-done-missing": {GRAMMAR},
    "stream-responses-item-index-wrong": {GRAMMAR},
    "stream-responses-completed-when-cut": {GRAMMAR},
    "stream-responses-output-empty": {GRAMMAR},
    "stream-responses-differs": {"stream_responses.stream_matches_response"},
}

# One run per group; a group's faults touch different parameters (ignoring logprobs and
# ignoring top_logprobs both change top_logprobs' answer, so they run apart).
GROUPS: dict[str, tuple[str, ...]] = {
    "chat": (
        "ignores-chat-n",
        "ignores-chat-stop",
        "ignores-chat-max_tokens",
        "ignores-chat-logprobs",
        "ignores-chat-response_format",
        "ignores-chat-tool_choice",
        "ignores-chat-stream_options",
    ),
    "chat-and-stream-output": (
        "ignores-chat-max_completion_tokens",
        "ignores-chat-top_logprobs",
        "ignores-chat-parallel_tool_calls",
        "ignores-chat-seed",  # a fresh seed per request changes the answer a stop is taken from
        "stream-responses-differs",
    ),
    "completions-embeddings-responses": (
        "ignores-completions-n",
        "ignores-completions-stop",
        "ignores-completions-max_tokens",
        "ignores-completions-echo",
        "ignores-embeddings-dimensions",
        "ignores-embeddings-encoding_format",
        "ignores-responses-max_output_tokens",
        "ignores-responses-previous_response_id",
        "ignores-responses-instructions",
        "ignores-responses-text",
        "ignores-responses-store",
        "ignores-responses-parallel_tool_calls",
        "refuses-chat-logprobs",
    ),
    "grammar": tuple(f for f in MATRIX if f.startswith("stream-responses-") and "differs" not in f),
}
# An honest refusal of logprobs leaves logprobs and top_logprobs (which needs it) not implemented.
NOT_IMPLEMENTED = {"refuses-chat-logprobs": ("params.chat.logprobs", "params.chat.top_logprobs")}


def assert_group_matches(outcome: ObservedOutcome, faults: tuple[str, ...]) -> None:
    """Each fault of the group fails its features with its message; every other feature of
    the run is clean, except the one an honest refusal leaves not implemented."""
    report: Report | None = outcome.report
    assert report is not None
    for fault in faults:
        assert_proves(outcome, fault, PROVES[fault])
    expected: dict[str, list[str]] = {}
    for fault in faults:
        for feature, says in MATRIX[fault].items():
            expected.setdefault(feature, []).append(says)
    refused = {feature for f in faults for feature in NOT_IMPLEMENTED.get(f, ())}
    for feature in refused:
        assert report.features[feature].status == "not_implemented", feature
        assert "refuses logprobs" in report.features[feature].reason
    for feature in built_features(report):
        if feature in refused:
            continue
        if feature in expected:
            for says in expected[feature]:
                assert_feature_fails(report, ",".join(faults), feature, says)
        else:
            assert_feature_clean(report, ",".join(faults), feature)
    assert set(expected) <= set(built_features(report)), "a feature of the matrix was not run"
    assert_failures_are_typed(report, ",".join(faults))


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_param_and_grammar_faults_fail_exactly_their_features(
    run_suites: RunSuites, group: str
) -> None:
    faults = GROUPS[group]
    streams = any(f.startswith("stream-") for f in faults)
    features = (*PARAMETER_FEATURES, *(("responses.stream",) if streams else ()))
    outcome = run_suites(*faults, features=features)
    assert_group_matches(outcome, faults)


def test_every_fault_of_this_matrix_runs_in_a_group() -> None:
    grouped = [f for faults in GROUPS.values() for f in faults]
    assert sorted(grouped) == sorted(MATRIX)
