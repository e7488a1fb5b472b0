"""The description's own examples are legal by construction (issue #21).

A server that answers exactly like an example of the pinned description must not be reported by
our schema checks. Every example is judged (see description_examples.py for the kinds); the ones
that fail are either fixed by an overlay (012) or listed here, each with its reason: not JSON at
all (`MISENCODED`), wrong itself (`EXAMPLE_DEFECTS`: older than a member the SDK requires, a
placeholder), or not decided yet (`UNDECIDED`). A required nullable member an example leaves out
is the spec-literal `schema.required_nullable_absent` by decision for the members SDK-OPTIONAL.md
marks "spec-literal" (`SPEC_LITERAL_ABSENT`); any other one fails here.

The lists are exact: an example that starts to pass (or to fail) after a change of the pin or an
overlay makes the test fail until the list says so.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from oaiconform.checks.schema import split_violations
from oaiconform.spec import Spec
from tests.unit.description_examples import Example, Unreadable, collect

# How many examples of each kind the pinned description has (judged + unreadable).
EXPECTED_COUNTS = {
    "operation": 286,
    "event": 118,
    "object": 383,
    "schema": 295,
    "media-type": 3,
}

_ELIDED = "JSON elided with `...` or `{ ... }`"
_EXTRA_BRACE = "the event's data has one closing brace too many"
_NO_JSON = "a non-JSON answer (binary, SDP or no content) documented as the example"

_EMPTY = "the answer is written as an empty string"

MISENCODED: dict[str, str] = {
    "GetVideo: example 0 (empty)": _EMPTY,
    "DeleteVideo: example 0 (empty)": _EMPTY,
    "RetrieveVideoContent: example 0 (empty)": _EMPTY,
    "DeleteThreadMethod: example 0 (empty)": _EMPTY,
    "createTranscription: Word timestamps": _ELIDED,
    "createTranscription: Segment timestamps": _ELIDED,
    "listBatches: example 0": _ELIDED,
    "createCompletion: Streaming": "a missing comma after `model` (and a trailing one)",
    "DeleteContainer: example 0 (no JSON schema documented: not JSON)": _NO_JSON,
    "DeleteContainerFile: example 0 (no JSON schema documented: not JSON)": _NO_JSON,
    "RetrieveContainerFileContent: example 0 (no JSON schema documented: not JSON)": _NO_JSON,
    "createEmbedding: example 0": _ELIDED,
    "createEval: example 0": "a missing comma between two members",
    "listPaginatedFineTuningJobs: example 0": _ELIDED,
    "createFineTuningJob: W&B Integration": "Python's `None` instead of `null`",
    "create-realtime-call: example 0 (no JSON schema documented: not JSON)": _NO_JSON,
    "deleteResponse: example 0 (no JSON schema documented: not JSON)": _NO_JSON,
    "beta_deleteResponse: example 0 (no JSON schema documented: not JSON)": _NO_JSON,
    "createThreadAndRun: Streaming with Functions #1 (thread.run.created)": _EXTRA_BRACE,
    "createThreadAndRun: Streaming with Functions #2 (thread.run.queued)": _EXTRA_BRACE,
    "createThreadAndRun: Streaming with Functions #3 (thread.run.in_progress)": _EXTRA_BRACE,
    "createThreadAndRun: Streaming with Functions #11 (thread.run.requires_action)": _EXTRA_BRACE,
    "createRun: Streaming #0 (thread.run.created)": _EXTRA_BRACE,
    "createRun: Streaming #1 (thread.run.queued)": _EXTRA_BRACE,
    "createRun: Streaming #2 (thread.run.in_progress)": _EXTRA_BRACE,
    "createRun: Streaming #12 (thread.run.completed)": _EXTRA_BRACE,
    "createRun: Streaming with Functions #0 (thread.run.created)": _EXTRA_BRACE,
    "createRun: Streaming with Functions #1 (thread.run.queued)": _EXTRA_BRACE,
    "createRun: Streaming with Functions #2 (thread.run.in_progress)": _EXTRA_BRACE,
    "createRun: Streaming with Functions #12 (thread.run.completed)": _EXTRA_BRACE,
    "submitToolOuputsToRun: Streaming #1 (thread.run.queued)": _EXTRA_BRACE,
    "submitToolOuputsToRun: Streaming #2 (thread.run.in_progress)": _EXTRA_BRACE,
    "submitToolOuputsToRun: Streaming #14 (thread.run.completed)": _EXTRA_BRACE,
    "deleteVectorStore: example 0": "a JavaScript literal (unquoted keys)",
    "deleteVectorStoreFile: example 0": "a JavaScript literal (unquoted keys)",
    "updateVectorStoreFileAttributes: example 0": _ELIDED,
    "retrieveVectorStoreFileContent: example 0": _ELIDED,
    "CreateChatCompletionStreamResponse (x-oaiMeta.example)": _ELIDED,
    "CreateTranscriptionResponseVerboseJson (x-oaiMeta.example)": _ELIDED,
    "Embedding (x-oaiMeta.example)": _ELIDED,
    "EvalLogsDataSourceConfig (x-oaiMeta.example)": "not JSON",
    "EvalStoredCompletionsDataSourceConfig (x-oaiMeta.example)": "not JSON",
    "FineTuningJobEvent (x-oaiMeta.example)": "not JSON",
    "GraderPython (x-oaiMeta.example)": "not JSON",
    "GraderScoreModel (x-oaiMeta.example)": "not JSON",
    "RealtimeBetaClientEventResponseCreate (x-oaiMeta.example)": "not JSON",
    "RealtimeBetaServerEventTranscriptionSessionUpdated (x-oaiMeta.example)": "not JSON",
    "RealtimeClientEventResponseCreate (x-oaiMeta.example)": "not JSON",
    "RealtimeServerEventTranscriptionSessionUpdated (x-oaiMeta.example)": "not JSON",
    "ResponseFunctionCallArgumentsDeltaEvent (x-oaiMeta.example)": "not JSON",
    "BetaResponseFunctionCallArgumentsDeltaEvent (x-oaiMeta.example)": "not JSON",
}

_NO_SEQUENCE = (
    "older than `sequence_number`, which every Responses event carries "
    "(openai/types/responses/*_event.py: `sequence_number: int`)"
)
_NO_PARALLEL = (
    "its response has no `parallel_tool_calls` (response.py: `parallel_tool_calls: bool`)"
)
_VECTOR_STORE_ABBREVIATED = (
    "abbreviated: no `usage_bytes`, `status` (openai/types/vector_store.py and "
    "vector_stores/vector_store_file.py require both)"
)
_MESSAGE = "older than `status` (openai/types/beta/threads/message.py: `status: Literal[...]`)"

_NO_SEED = "older than `seed` (openai/types/fine_tuning/fine_tuning_job.py: `seed: int`)"

EXAMPLE_DEFECTS: dict[str, str] = {
    "createFineTuningJob: Default": _NO_SEED,
    "createFineTuningJob: Validation file": _NO_SEED,
    "cancelFineTuningJob: example 0": _NO_SEED,
    "pauseFineTuningJob: example 0": _NO_SEED,
    "resumeFineTuningJob: example 0": _NO_SEED,
    "createImageEdit: Streaming": "abbreviated partial-image event: no `created_at`, `size`, "
    "`quality`, `background` (image_edit_partial_image_event.py requires them)",
    "createImage: Streaming": "abbreviated partial-image event: no `created_at`, `size`, "
    "`quality`, `background` (image_gen_partial_image_event.py requires them)",
    "createModeration: Single string": "an older model's answer: no "
    "`category_applied_input_types`, no `category_scores.illicit` (moderation.py requires them)",
    "createResponse: Streaming": _NO_SEQUENCE + "; text events without `logprobs` "
    "(response_text_delta_event.py: `logprobs: List[Logprob]`)",
    "beta_createResponse: Streaming": _NO_SEQUENCE,
    "createResponse: Functions": "usage without `input_tokens_details` "
    "(response_usage.py: `input_tokens_details: InputTokensDetails`)",
    "beta_createResponse: Functions": "usage without `input_tokens_details`",
    "ResponseCustomToolCallInputDeltaEvent (x-oaiMeta.example)": _NO_SEQUENCE,
    "ResponseCustomToolCallInputDoneEvent (x-oaiMeta.example)": _NO_SEQUENCE,
    "BetaResponseCustomToolCallInputDeltaEvent (x-oaiMeta.example)": _NO_SEQUENCE,
    "BetaResponseCustomToolCallInputDoneEvent (x-oaiMeta.example)": _NO_SEQUENCE,
    "ResponseFailedEvent (x-oaiMeta.example)": _NO_SEQUENCE,
    "BetaResponseFailedEvent (x-oaiMeta.example)": _NO_SEQUENCE,
    "ResponseTextDeltaEvent (x-oaiMeta.example)": "no `logprobs` (SDK: required list)",
    "ResponseTextDoneEvent (x-oaiMeta.example)": "no `logprobs` (SDK: required list)",
    "BetaResponseTextDeltaEvent (x-oaiMeta.example)": "no `logprobs` (SDK: required list)",
    "BetaResponseTextDoneEvent (x-oaiMeta.example)": "no `logprobs` (SDK: required list)",
    "ResponseCompletedEvent (x-oaiMeta.example)": _NO_PARALLEL,
    "BetaResponseCompletedEvent (x-oaiMeta.example)": _NO_PARALLEL,
    "ResponseIncompleteEvent (x-oaiMeta.example)": _NO_PARALLEL + "; reason `max_tokens`",
    "BetaResponseIncompleteEvent (x-oaiMeta.example)": _NO_PARALLEL + "; reason `max_tokens`",
    "ResponseQueuedEvent (x-oaiMeta.example)": "abbreviated response: no `object`, `error`, ...",
    "BetaResponseQueuedEvent (x-oaiMeta.example)": "abbreviated response: no `object`, `error`",
    "listVectorStores: example 0": _VECTOR_STORE_ABBREVIATED,
    "createVectorStore: example 0": _VECTOR_STORE_ABBREVIATED,
    "getVectorStore: example 0": _VECTOR_STORE_ABBREVIATED,
    "modifyVectorStore: example 0": _VECTOR_STORE_ABBREVIATED,
    "listFilesInVectorStoreBatch: example 0": _VECTOR_STORE_ABBREVIATED,
    "listVectorStoreFiles: example 0": _VECTOR_STORE_ABBREVIATED,
    "getVectorStoreFile: example 0": _VECTOR_STORE_ABBREVIATED,
    "listMessages: example 0": _MESSAGE,
    "createMessage: example 0": _MESSAGE,
    "getMessage: example 0": _MESSAGE,
    "modifyMessage: example 0": _MESSAGE,
    "MessageObject (x-oaiMeta.example)": _MESSAGE,
    "RealtimeServerEventInputAudioBufferDtmfEventReceived (x-oaiMeta.example)": "a leading "
    "space in the `type` value",
}

# Not decided yet (issue #21 continues): each fails for the reason given; the first group is
# in areas the suites test, the others are not sent over HTTP by this tool (Realtime) or are
# administration and ChatKit/Videos endpoints.
_REALTIME = "Realtime session/event nulls (turn_detection, noise_reduction, status_details, ...)"
_ADMIN = "administration objects without a member the schema requires"
_REALTIME_OBJECTS = (
    "RealtimeBetaClientEventSessionUpdate",
    "RealtimeBetaServerEventConversationItemInputAudioTranscriptionFailed",
    "RealtimeBetaServerEventConversationItemRetrieved",
    "RealtimeBetaServerEventResponseCreated",
    "RealtimeBetaServerEventResponseDone",
    "RealtimeBetaServerEventResponseOutputItemDone",
    "RealtimeBetaServerEventTranscriptionSessionCreated",
    "RealtimeCreateClientSecretResponse",
    "RealtimeServerEventConversationItemInputAudioTranscriptionFailed",
    "RealtimeServerEventConversationItemRetrieved",
    "RealtimeServerEventResponseCreated",
    "RealtimeServerEventResponseDone",
    "RealtimeServerEventResponseOutputItemDone",
    "RealtimeServerEventSessionCreated",
    "RealtimeServerEventSessionUpdated",
    "RealtimeSessionCreateRequest",
    "RealtimeSessionCreateResponse",
    "RealtimeTranscriptionSessionCreateResponse",
    "RealtimeTranscriptionSessionCreateResponseGA",
)
UNDECIDED: dict[str, str] = {
    "cancelRun: example 0": "no `truncation_strategy` (the SDK: Optional)",
    "searchVectorStore: example 0": "`search_query` a string, the schema an array",
    "getEvalRuns: example 0": "`sampling_params: null` in a completions data source (the SDK: "
    "Optional); the schema is shared with the createEvalRun request, so widening it would let "
    "generated requests send null",
    "runGrader: Score text alignment": "`token_usage` an object, the schema an integer",
    "CreateEvalCompletionsRunDataSource (x-oaiMeta.example)": "no `type`, `source`",
    "CreateEvalResponsesRunDataSource (x-oaiMeta.example)": "no `type`, `source`",
    "CreateEvalLabelModelGrader (x-oaiMeta.example)": "a message valid under two `oneOf` branches",
    "Eval (x-oaiMeta.example)": "a `custom` data source config with the request's `item_schema`, "
    "not the stored `schema`",
    "EvalRunList (x-oaiMeta.example)": "a run without `data_source`",
    "GraderMulti (x-oaiMeta.example)": "`graders` a list, the schema an object",
    "admin-api-keys-get: example 0": _ADMIN,
    "AdminApiKey (x-oaiMeta.example)": _ADMIN,
    "list-groups: example 0": _ADMIN,
    "create-group: example 0": _ADMIN,
    "list-group-role-assignments: example 0": _ADMIN,
    "list-invites: example 0": _ADMIN,
    "retrieve-invite: example 0": _ADMIN,
    "list-project-groups: example 0": _ADMIN,
    "add-project-group: example 0": _ADMIN,
    "list-user-role-assignments: example 0": _ADMIN,
    "list-project-group-role-assignments: example 0": _ADMIN,
    "list-project-user-role-assignments: example 0": _ADMIN,
    "GroupListResource (x-oaiMeta.example)": _ADMIN,
    "ProjectGroupListResource (x-oaiMeta.example)": _ADMIN,
    "ListVideos: example 0": "a list without `first_id`, `last_id`, `has_more`",
    "createVideo: example 0": "no `completed_at`, `expires_at`, `prompt`",
    "CreateVideoRemix: example 0": "no `completed_at`, `expires_at`, `prompt`",
    "CancelChatSessionMethod: example 0": "ChatKit: abbreviated session",
    "CreateChatSessionMethod: example 0": "ChatKit: abbreviated session",
    "ListThreadItemsMethod: example 0": "ChatKit: abbreviated list",
    "GetThreadMethod: example 0": "ChatKit: abbreviated thread",
    "ListThreadsMethod: example 0": "ChatKit: abbreviated list",
    "create-realtime-client-secret: example 0": _REALTIME,
    "create-realtime-session: example 0": _REALTIME,
    "create-realtime-transcription-session: example 0": _REALTIME,
    **{f"{name} (x-oaiMeta.example)": _REALTIME for name in _REALTIME_OBJECTS},
}

# Required nullable members the examples leave out, reported as spec-literal by decision
# (SDK-OPTIONAL.md): the SDK reads the absent member as None, what null says.
SPEC_LITERAL_ABSENT = frozenset(
    {
        "refusal",  # ChatCompletionResponseMessage: examples older than the member
        "illicit",  # CreateModerationResponse categories: older moderation models
        "illicit/violent",
        # FineTuningJob: examples of jobs that have not finished
        "error",
        "finished_at",
        "trained_tokens",
        # Assistants objects (Thread, Message, Run, RunStep) and vector stores
        "metadata",
        "tool_resources",
        "attachments",
        "completed_at",
        "incomplete_at",
        "incomplete_details",
        "required_action",
        "max_prompt_tokens",
        "max_completion_tokens",
        "expired_at",
        "last_error",
        "last_active_at",
    }
)


def example_key(example_name: str) -> str:
    """The example a name belongs to: a stream's events share their example's name."""
    return example_name.split(" #", 1)[0]


def failures(spec: Spec, example: Example) -> list[str]:
    # A member required only since LATE_REQUIRED says (cache_write_tokens) is spec-literal:
    # an example older than it follows the older contract.
    split = split_violations(spec, example.pointer, example.instance)
    hard, nullable = split.hard, split.nullable
    return [str(v) for v in hard + split.optional_null] + [
        f"{v} (required_nullable_absent)" for v in nullable if v.property not in SPEC_LITERAL_ABSENT
    ]


Judged = tuple[list[Example], list[Unreadable], dict[str, list[str]]]


@pytest.fixture(scope="module")
def judged(spec: Spec) -> Judged:
    examples, unreadable = collect(spec)
    failing: dict[str, list[str]] = {}
    for example in examples:
        found = failures(spec, example)
        if found:
            failing.setdefault(example_key(example.name), []).extend(
                f"{example.name}: {f}" for f in found
            )
    return examples, unreadable, failing


def test_every_example_is_judged(judged: Judged) -> None:
    examples, unreadable, failing = judged
    judged_per_kind = Counter(e.kind for e in examples)
    found_per_kind = judged_per_kind + Counter(u.kind for u in unreadable)
    print(  # the numbers the issue asks for, shown with -s
        f"\nexamples judged per kind: {dict(judged_per_kind)}; unreadable: {len(unreadable)}; "
        f"failing (listed): {len(failing)} examples"
    )
    assert dict(found_per_kind) == EXPECTED_COUNTS
    assert len(unreadable) == len(MISENCODED)


def test_the_unreadable_examples_are_the_listed_ones(judged: Judged) -> None:
    assert sorted(u.name for u in judged[1]) == sorted(MISENCODED)


def test_the_lists_do_not_overlap() -> None:
    assert not set(EXAMPLE_DEFECTS) & set(UNDECIDED)
    assert not {example_key(name) for name in MISENCODED} & (set(EXAMPLE_DEFECTS) | set(UNDECIDED))


def test_no_example_fails_but_the_listed_ones(judged: Judged) -> None:
    failing = judged[2]
    listed = set(EXAMPLE_DEFECTS) | set(UNDECIDED)
    unexpected = {k: v[:3] for k, v in failing.items() if k not in listed}
    assert not unexpected, "examples our checks would report:\n" + "\n".join(
        f"{k}: {v}" for k, v in sorted(unexpected.items())
    )
    assert sorted(listed - set(failing)) == [], "listed but passing now: remove from the lists"


def test_a_wrong_example_is_reported_and_a_documented_answer_is_not(spec: Spec) -> None:
    """The harness itself: the same judgement finds a defect, and passes the createBatch
    example (which failed before overlay 012)."""
    pointer = spec.response_schema_pointer("createBatch", 200)
    assert pointer is not None
    batch = _FRESH_BATCH
    assert failures(spec, Example("operation", "batch", pointer, batch)) == []
    assert failures(spec, Example("operation", "batch", pointer, {**batch, "errors": "none"}))
    assert failures(spec, Example("operation", "batch", pointer, {**batch, "status": "done"}))


_FRESH_BATCH: dict[str, Any] = {
    "id": "batch_abc123",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "errors": None,
    "input_file_id": "file-abc123",
    "completion_window": "24h",
    "status": "validating",
    "output_file_id": None,
    "error_file_id": None,
    "created_at": 1711471533,
    "in_progress_at": None,
    "expires_at": None,
    "finalizing_at": None,
    "completed_at": None,
    "failed_at": None,
    "expired_at": None,
    "cancelling_at": None,
    "cancelled_at": None,
    "request_counts": {"total": 0, "completed": 0, "failed": 0},
    "metadata": None,
}
_CHAT: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1741290958,
    "model": "gpt-4o-mini",
    "system_fingerprint": None,
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hi", "refusal": None},
            "finish_reason": "stop",
        }
    ],
}
_FILE: dict[str, Any] = {
    "id": "file-abc123",
    "object": "file",
    "bytes": 120000,
    "created_at": 1677610602,
    "filename": "eval.jsonl",
    "purpose": "evals",
    "status": "processed",
    "expires_at": None,
    "status_details": None,
}
_VECTOR_STORE: dict[str, Any] = {
    "id": "vs_abc123",
    "object": "vector_store",
    "created_at": 1699061776,
    "name": "Support FAQ",
    "usage_bytes": 0,
    "file_counts": {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0},
    "status": "completed",
    "last_active_at": 1699061776,
    "metadata": {},
    "expires_after": None,
    "expires_at": None,
}
_RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1741290958,
    "status": "in_progress",
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "max_output_tokens": None,
    "model": "gpt-4.1",
    "output": [
        {"type": "web_search_call", "id": "ws_1", "status": "in_progress"},
        {
            "type": "web_search_call",
            "id": "ws_2",
            "status": "completed",
            "action": {
                "type": "search",
                "query": "weather in Paris",
                "sources": [
                    {"type": "url", "url": "https://example.com/paris"},
                    {"type": "api", "name": "oai-weather"},
                ],
            },
        },
    ],
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": {"effort": None, "summary": None},
    "store": True,
    "temperature": 1.0,
    "text": {
        "format": {
            "type": "json_schema",
            "name": "weather",
            "schema": {"type": "object"},
            "description": None,
            "strict": True,
        }
    },
    "tool_choice": "auto",
    "tools": [
        {"type": "web_search"},
        {
            "type": "mcp",
            "server_label": "deepwiki",
            "server_url": "https://mcp.deepwiki.com/mcp",
            "server_description": None,
            "allowed_tools": None,
            "headers": None,
            "require_approval": "never",
        },
    ],
    "top_p": 1.0,
    "truncation": "disabled",
    "usage": None,
    "user": None,
    "metadata": {},
}


@pytest.mark.parametrize(
    ("operation", "body", "wrong"),
    [
        ("createBatch", _FRESH_BATCH, {"output_file_id": 7}),
        ("createChatCompletion", _CHAT, {"system_fingerprint": 7}),
        ("createFile", _FILE, {"purpose": "homework"}),
        ("createVectorStore", _VECTOR_STORE, {"expires_after": "never"}),
        ("createResponse", _RESPONSE, {"tools": [{"type": "mcp", "server_description": 7}]}),
    ],
    ids=[
        "fresh-batch-nulls",
        "chat-choice-without-logprobs",
        "file-evals-expiry-null",
        "vector-store-expires-after-null",
        "response-web-search-mcp-format-nulls",
    ],
)
def test_what_the_real_api_sends_is_valid_after_012(
    spec: Spec, operation: str, body: dict[str, Any], wrong: dict[str, Any]
) -> None:
    """012: answers the API sends (issue #21) validate; a wrong value there does not."""
    pointer = spec.response_schema_pointer(operation, 200)
    assert pointer is not None
    assert failures(spec, Example("operation", operation, pointer, body)) == []
    assert failures(spec, Example("operation", operation, pointer, {**body, **wrong})) != []
