"""The description's own examples are legal by construction (issue #21).

A server that answers exactly like an example of the pinned description must not be reported by
our schema checks. Every example is judged (see description_examples.py for the kinds); the ones
that fail are either fixed by an overlay (012) or listed here, each with its reason: not JSON at
all (`MISENCODED`), or wrong itself (`EXAMPLE_DEFECTS`: older than a member the SDK requires, an
abbreviated or draft object, a request shown as an answer; each reason names the SDK type, and
where there is one the example of the same object that agrees with it). Nothing is left
undecided. A required nullable member an example leaves out
is the spec-literal `schema.required_nullable_absent` by decision for the members SDK-OPTIONAL.md
marks "spec-literal" (`SPEC_LITERAL_ABSENT`); any other one fails here.

The lists are exact: an example that starts to pass (or to fail) after a change of the pin or an
overlay makes the test fail until the list says so.
"""

from __future__ import annotations

import copy
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

_NO_GROUP_TYPE = (
    "no `group_type` (openai/types/admin/organization/group.py and projects/project_group.py: "
    '`group_type: Literal["group", "tenant_group"]`), which the retrieve-group, '
    "retrieve-project-group examples and the GroupResponse, ProjectGroup object examples carry"
)
_NO_PROJECTS = (
    "an invite without `projects` (openai/types/admin/organization/invite.py: "
    "`projects: List[Project]`), which the inviteUser example and the Invite object example carry"
)
_CHATKIT = (
    "a draft ChatKit shape: members neither the schema nor the SDK know (`scope`, "
    "`max_requests_per_1_minute`, `ttl_seconds`, ...) and none of the ones the SDK requires "
    "(openai/types/beta/chatkit/chat_session.py: `id`, `object`, `client_secret: str`, "
    "`expires_at: int`, `user: str`, `rate_limits`, `chatkit_configuration`)"
)
_CHATKIT_THREAD = (
    "an abbreviated ChatKit thread: no `created_at`, `status`, `user` "
    "(openai/types/beta/chatkit/chatkit_thread.py: `created_at: int`, `status: Status`, "
    "`user: str`)"
)
_CHATKIT_ITEMS = (
    "ChatKit items of a draft shape: `type` `user_message`/`assistant_message`, no `created_at`, "
    '`thread_id` (chatkit_thread_user_message_item.py: `type: Literal["chatkit.user_message"]`, '
    "`created_at: int`, `thread_id: str`; the assistant item alike)"
)
_GA_CONTENT = (
    "a GA event whose assistant message has the beta content type `{}` "
    "(openai/types/realtime/realtime_conversation_item_assistant_message.py: "
    '`type: Literal["output_text", "output_audio"]`), which the GA conversation.item.done and '
    "response.done examples use"
)
_RUN_REQUEST = (
    "a whole createEvalRun request (`name`, `data_source`), not the data source; its "
    "`data_source` is valid (create_eval_{}_run_data_source.py requires `source` and `type`)"
)

EXAMPLE_DEFECTS.update(
    {
        "list-groups: example 0": _NO_GROUP_TYPE,
        "create-group: example 0": _NO_GROUP_TYPE,
        "GroupListResource (x-oaiMeta.example)": _NO_GROUP_TYPE,
        "list-project-groups: example 0": _NO_GROUP_TYPE,
        "add-project-group: example 0": _NO_GROUP_TYPE,
        "ProjectGroupListResource (x-oaiMeta.example)": _NO_GROUP_TYPE,
        "list-invites: example 0": _NO_PROJECTS,
        "retrieve-invite: example 0": _NO_PROJECTS,
        "ListVideos: example 0": "abbreviated: videos without `progress`, `created_at`, `size`, "
        "`seconds` (openai/types/video.py: `progress: int`, `created_at: int`, ...), which the "
        "createVideo and CreateVideoRemix examples carry; a list without `has_more`",
        "CancelChatSessionMethod: example 0": _CHATKIT,
        "CreateChatSessionMethod: example 0": _CHATKIT,
        "GetThreadMethod: example 0": _CHATKIT_THREAD + "; its `items` are " + _CHATKIT_ITEMS,
        "ListThreadsMethod: example 0": _CHATKIT_THREAD + "; a list without `first_id`, `last_id`",
        "ListThreadItemsMethod: example 0": _CHATKIT_ITEMS,
        "RealtimeBetaServerEventConversationItemRetrieved (x-oaiMeta.example)": "the `type` of "
        "another event, `conversation.item.created` (the schema's enum and "
        "openai/types/realtime/conversation_item_retrieved_event.py: "
        '`type: Literal["conversation.item.retrieved"]`)',
        "RealtimeServerEventConversationItemRetrieved (x-oaiMeta.example)": _GA_CONTENT.format(
            "audio"
        ),
        "RealtimeServerEventResponseOutputItemDone (x-oaiMeta.example)": _GA_CONTENT.format("text"),
        "RealtimeTranscriptionSessionCreateResponseGA (x-oaiMeta.example)": "a GA session with the "
        "beta audio format string `pcm16` (openai/types/realtime/"
        "realtime_transcription_session_create_response.py: "
        "`format: Optional[RealtimeAudioFormats]`, an object), where the GA client-secret and "
        "session.created examples send "
        '`{"type": "audio/pcm", "rate": 24000}`',
        "RealtimeSessionCreateRequest (x-oaiMeta.example)": "the session object (an answer: `id`, "
        "`object: realtime.session`, which the request schema does not define) shown as the "
        "request's example; as an answer (create-realtime-session) its null `turn_detection` is "
        "legal since 012, the request schema, which the property suite sends, is not widened",
        "CreateEvalCompletionsRunDataSource (x-oaiMeta.example)": _RUN_REQUEST.format(
            "completions"
        ),
        "CreateEvalResponsesRunDataSource (x-oaiMeta.example)": _RUN_REQUEST.format("responses"),
        "Eval (x-oaiMeta.example)": "a `custom` data source config with the create request's "
        "`item_schema` instead of the stored `schema` (openai/types/"
        "eval_custom_data_source_config.py: "
        '`schema_: Dict[str, object] = FieldInfo(alias="schema")`), which the getEval, '
        "updateEval and EvalList examples carry",
        "EvalRunList (x-oaiMeta.example)": "a run with `run_data_source` instead of `data_source` "
        "(openai/types/evals/run_list_response.py: `data_source: DataSource`), which the "
        "createEvalRun, getEvalRun, cancelEvalRun, getEvalRuns and EvalRun examples carry",
        "GraderMulti (x-oaiMeta.example)": "`graders` a list, where the schema and "
        "openai/types/graders/multi_grader.py (`graders: Graders`, a union of single graders) "
        "take one grader; its `calculate_output` has an unbalanced parenthesis. A request schema "
        "(runGrader, fine-tuning): not widened",
    }
)

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
        "truncation_strategy",  # RunObject, null since 012: the cancelRun example
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
    assert not {example_key(name) for name in MISENCODED} & set(EXAMPLE_DEFECTS)


def test_no_example_fails_but_the_listed_ones(judged: Judged) -> None:
    failing = judged[2]
    listed = set(EXAMPLE_DEFECTS)
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


@pytest.mark.parametrize(
    ("name", "path", "wrong"),
    [
        ("cancelRun: example 0", ("truncation_strategy",), "auto"),
        ("getEvalRuns: example 0", ("data", 0, "data_source", "sampling_params"), "hot"),
        ("searchVectorStore: example 0", ("search_query",), 7),
        ("runGrader: Score text alignment", ("metadata", "token_usage"), "many"),
        ("create-realtime-session: example 0", ("turn_detection",), "off"),
        ("create-realtime-transcription-session: example 0", ("client_secret",), "key"),
        ("createVideo: example 0", ("prompt",), 7),
        ("AdminApiKey (x-oaiMeta.example)", ("expires_at",), "never"),
        (
            "RealtimeBetaServerEventResponseDone (x-oaiMeta.example)",
            ("response", "output", 0, "content", 0, "type"),
            "video",
        ),
    ],
)
def test_the_examples_decided_by_widening_pass_and_a_wrong_value_there_does_not(
    spec: Spec, name: str, path: tuple[str | int, ...], wrong: Any
) -> None:
    """012 (issue #21 follow-up): each example passes; a wrong value where it was widened fails."""
    examples, _ = collect(spec)
    example = next(e for e in examples if e.name == name)
    assert failures(spec, example) == []
    broken = copy.deepcopy(example.instance)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = wrong
    assert failures(spec, Example(example.kind, name, example.pointer, broken)) != []
