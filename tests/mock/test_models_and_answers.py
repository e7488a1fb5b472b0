"""The mock as a stand-in: the description's models by kind, answers sized like the real API's,
magic prompts, reasoning models, and lists that keep creation order."""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator

import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from oaiconform.mock import MockConfig, MockServer
from oaiconform.mock.catalog import described_models, kind_of_name
from oaiconform.spec import Spec
from tests.conftest import TEST_KEY

HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


@pytest.fixture
def client(correct_mock: MockServer) -> OpenAI:
    return OpenAI(base_url=correct_mock.base_url, api_key=TEST_KEY, max_retries=0)


@pytest.fixture
def fresh(spec: Spec) -> Iterator[OpenAI]:
    """A client of a mock of its own (lists start empty)."""
    with MockServer(MockConfig(api_keys=(TEST_KEY,)), spec) as server:
        yield OpenAI(base_url=server.base_url, api_key=TEST_KEY, max_retries=0)


# -- models ------------------------------------------------------------------------------------


def test_every_model_the_description_names_is_listed_with_a_fixed_created(
    spec: Spec, client: OpenAI
) -> None:
    named = described_models(spec)
    assert {"gpt-5.4", "o3", "text-embedding-3-large", "omni-moderation-latest"} <= set(named)
    assert {"whisper-1", "gpt-image-1", "gpt-realtime", "sora-2", "tts-1"} <= set(named)
    listed = {m.id: m for m in client.models.list()}
    assert set(named) <= set(listed)
    again = {m.id: m.created for m in client.models.list()}
    assert again == {model_id: m.created for model_id, m in listed.items()}
    assert client.models.retrieve("gpt-5.4").owned_by == "openai"


def test_kinds_follow_the_description_and_the_name(spec: Spec) -> None:
    named = described_models(spec)
    assert named["gpt-4o"] == ("chat", False)
    assert named["gpt-5.4"] == ("reasoning", False)
    assert named["gpt-5-chat-latest"] == ("chat", False)
    assert named["o1-pro"] == ("reasoning", True)
    assert named["text-embedding-ada-002"] == ("embedding", False)
    assert named["dall-e-3"] == ("image", False)
    assert named["gpt-3.5-turbo-instruct"] == ("completion", False)
    assert kind_of_name("ft:gpt-4o-mini-2024-07-18:acme::x") == "chat"
    assert kind_of_name("my-local-model") == "chat"


def test_the_newest_models_answer_chat_and_responses(client: OpenAI) -> None:
    chat = client.chat.completions.create(model="gpt-5.4", messages=HI)
    assert chat.model == "gpt-5.4" and chat.choices[0].message.content
    response = client.responses.create(model="gpt-5.4", input="hi")
    assert response.status == "completed" and response.output_text


def test_a_model_of_another_kind_gets_the_api_s_answer(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as on_chat:
        client.chat.completions.create(model="text-embedding-3-small", messages=HI)
    assert "not a chat model" in on_chat.value.message and on_chat.value.param == "model"
    with pytest.raises(openai.NotFoundError) as responses_only:
        client.chat.completions.create(model="o1-pro", messages=HI)
    assert "only supported in v1/responses" in responses_only.value.message
    with pytest.raises(openai.BadRequestError) as on_embeddings:
        client.embeddings.create(model="gpt-4o-mini", input="hi")
    assert on_embeddings.value.param == "model"
    with pytest.raises(openai.NotFoundError) as on_completions:
        client.completions.create(model="gpt-4o-mini", prompt="hi")
    assert "is a chat model" in on_completions.value.message
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-no-such", messages=HI)
    assert unknown.value.code == "model_not_found"


def test_embedding_models_have_their_documented_dimensions(client: OpenAI) -> None:
    sizes = {
        model: len(client.embeddings.create(model=model, input="hi").data[0].embedding)
        for model in ("text-embedding-ada-002", "text-embedding-3-small", "text-embedding-3-large")
    }
    assert sizes == {
        "text-embedding-ada-002": 1536,
        "text-embedding-3-small": 1536,
        "text-embedding-3-large": 3072,
    }
    as_float = client.embeddings.create(model="text-embedding-3-large", input="hi", dimensions=8)
    raw = client.embeddings.with_raw_response.create(
        model="text-embedding-3-large", input="hi", dimensions=8, encoding_format="base64"
    ).http_response.json()["data"][0]["embedding"]
    assert list(struct.unpack("<8f", base64.b64decode(raw))) == as_float.data[0].embedding
    with pytest.raises(openai.BadRequestError) as ada:
        client.embeddings.create(model="text-embedding-ada-002", input="hi", dimensions=8)
    assert ada.value.param == "dimensions"


def test_model_adds_a_model_and_known_models_only_keeps_to_the_configured(spec: Spec) -> None:
    # what `mock --known-models-only` sets: no described models, no inference by family
    config = MockConfig(
        api_keys=(TEST_KEY,),
        models=("my-local-model",),
        described_models=False,
        infer_models=False,
    )
    with MockServer(config, spec) as server:
        client = OpenAI(base_url=server.base_url, api_key=TEST_KEY, max_retries=0)
        assert [m.id for m in client.models.list()] == ["my-local-model"]
        assert client.chat.completions.create(model="my-local-model", messages=HI).choices
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="gpt-5.4", messages=HI)


# -- reasoning models --------------------------------------------------------------------------


def test_reasoning_models_count_reasoning_tokens(client: OpenAI) -> None:
    chat = client.chat.completions.create(model="o3", messages=HI, max_completion_tokens=100)
    usage = chat.usage
    assert usage is not None and usage.completion_tokens_details is not None
    reasoning = usage.completion_tokens_details.reasoning_tokens or 0
    assert reasoning > 0
    assert usage.completion_tokens > reasoning and chat.choices[0].message.content
    response = client.responses.create(model="o4-mini", input="hi")
    assert response.usage is not None
    assert response.usage.output_tokens_details.reasoning_tokens > 0
    assert response.reasoning is not None and response.reasoning.effort == "medium"
    plain = client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert plain.usage is not None and plain.usage.completion_tokens_details is not None
    assert plain.usage.completion_tokens_details.reasoning_tokens == 0


def test_a_small_limit_still_holds_a_reasoning_model_s_answer(client: OpenAI) -> None:
    chat = client.chat.completions.create(model="o3", messages=HI, max_completion_tokens=10)
    assert chat.choices[0].finish_reason == "stop" and chat.choices[0].message.content
    assert chat.usage is not None and chat.usage.completion_tokens <= 10


def test_reasoning_models_refuse_what_the_api_refuses(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as max_tokens:
        client.chat.completions.create(model="o3", messages=HI, max_tokens=10)
    assert (max_tokens.value.param, max_tokens.value.code) == (
        "max_tokens",
        "unsupported_parameter",
    )
    assert "max_completion_tokens" in max_tokens.value.message
    with pytest.raises(openai.BadRequestError) as temperature:
        client.chat.completions.create(model="gpt-5", messages=HI, temperature=0)
    assert (temperature.value.param, temperature.value.code) == ("temperature", "unsupported_value")
    with pytest.raises(openai.BadRequestError) as stop:
        client.chat.completions.create(model="o4-mini", messages=HI, stop=["."])
    assert stop.value.param == "stop"
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="o3", input="hi", temperature=0.2)
    # Later gpt-5.x models take max_tokens, as the description's own example sends it.
    assert client.chat.completions.create(model="gpt-5.4", messages=HI, max_tokens=300).choices


# -- answers -----------------------------------------------------------------------------------


def test_a_greeting_gets_a_short_answer_within_small_limits(client: OpenAI) -> None:
    for seed in range(20):
        with client.chat.completions.stream(
            model="gpt-4o-mini", messages=HI, max_tokens=10, seed=seed
        ) as stream:
            completion = stream.get_final_completion()  # raises LengthFinishReasonError if cut
        assert completion.choices[0].finish_reason == "stop"
        assert completion.usage is None or completion.usage.completion_tokens <= 9


def test_answers_follow_the_prompt_and_the_seed(client: OpenAI) -> None:
    def tokens(prompt: str, seed: int = 1) -> int:
        answer = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}], seed=seed
        )
        assert answer.usage is not None
        return answer.usage.completion_tokens

    assert tokens("Write a 300-word story about a lighthouse keeper.") == 400
    assert 48 <= tokens("Explain how a compiler works.") <= 96
    long_question = "Which of these " + "words " * 20 + "is the odd one out?"
    assert 10 <= tokens(long_question) <= 24
    assert tokens("hi", seed=3) == tokens("hi", seed=3)


def test_the_header_and_the_magic_prompt_ask_for_special_answers(client: OpenAI) -> None:
    long = client.chat.completions.create(
        model="gpt-4o-mini", messages=HI, extra_headers={"x-oaiconform-answer": "long"}
    )
    assert long.usage is not None and long.usage.completion_tokens >= 256
    refusal = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "[oaiconform:refusal] hi"}]
    )
    message = refusal.choices[0].message
    assert message.content is None and message.refusal and "sorry" in message.refusal
    filtered = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "[oaiconform:content_filter]"}]
    )
    assert filtered.choices[0].finish_reason == "content_filter"
    cut = client.responses.create(model="gpt-4o-mini", input="[oaiconform:content_filter]")
    assert cut.status == "incomplete" and cut.incomplete_details is not None
    assert cut.incomplete_details.reason == "content_filter"
    tool = {
        "type": "function",
        "function": {"name": "now", "parameters": {"type": "object", "properties": {}}},
    }
    called = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=HI,
        tools=[tool],  # type: ignore[list-item]
        extra_headers={"x-oaiconform-answer": "tool_call"},
    )
    calls = called.choices[0].message.tool_calls
    assert calls and calls[0].function.name == "now"  # type: ignore[union-attr]


def test_a_streamed_refusal_arrives_as_refusal_deltas(client: OpenAI) -> None:
    with client.chat.completions.stream(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "[oaiconform:refusal]"}]
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.refusal and final.choices[0].message.content is None
    with client.responses.stream(model="gpt-4o-mini", input="[oaiconform:refusal]") as events:
        response = events.get_final_response()
    message = response.output[0]
    assert message.type == "message"
    assert [part.type for part in message.content] == ["refusal"]


# -- creation order ----------------------------------------------------------------------------


def test_files_uploaded_in_a_row_list_in_creation_order(fresh: OpenAI) -> None:
    ids = [fresh.files.create(file=(f"f{n}.txt", b"x"), purpose="user_data").id for n in range(7)]
    assert [f.id for f in fresh.files.list(order="asc")] == ids
    assert [f.id for f in fresh.files.list(order="desc")] == ids[::-1]
    assert [f.id for f in fresh.files.list(order="asc", limit=2)] == ids  # auto-pagination
