"""The mock, driven by the official `openai` SDK as an application would drive it."""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

from oaiconform.mock import MockServer
from tests.conftest import TEST_KEY, StartMock

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello."}]


@pytest.fixture
def client(correct_mock: MockServer) -> OpenAI:
    return OpenAI(base_url=correct_mock.base_url, api_key=TEST_KEY, max_retries=0)


def test_models_list_and_retrieve(client: OpenAI) -> None:
    ids = [model.id for model in client.models.list()]
    assert "gpt-4o-mini" in ids
    model = client.models.retrieve("gpt-4o-mini")
    assert (model.id, model.object, model.owned_by) == ("gpt-4o-mini", "model", "openai")


def test_chat_completion_with_consistent_usage(client: OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    usage = completion.usage
    assert usage is not None
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_chat_completion_is_deterministic_and_honours_n_and_max_tokens(client: OpenAI) -> None:
    def create(seed: int | None = None, n: int = 1, max_tokens: int = 64) -> ChatCompletion:
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, seed=seed, n=n, max_tokens=max_tokens
        )

    assert create(seed=1).choices[0].message.content == create(seed=1).choices[0].message.content
    two = create(n=2)
    assert [c.index for c in two.choices] == [0, 1]
    cut = create(max_tokens=2)
    assert cut.choices[0].finish_reason == "length"
    assert cut.usage is not None and cut.usage.completion_tokens == 2


def test_streamed_deltas_join_to_the_non_streamed_content(client: OpenAI) -> None:
    whole = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, seed=5)
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        seed=5,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    joined = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert joined == whole.choices[0].message.content
    assert chunks[-1].usage is not None
    assert whole.usage is not None
    assert chunks[-1].usage.total_tokens == whole.usage.total_tokens


def test_errors_map_to_the_sdk_exception_classes(correct_mock: MockServer, client: OpenAI) -> None:
    bad_key = OpenAI(base_url=correct_mock.base_url, api_key="sk-wrong-key-123456", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as auth:
        bad_key.models.list()
    assert auth.value.code == "invalid_api_key"
    assert "sk-wrong-key-123456" not in str(auth.value)
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")
    with pytest.raises(openai.BadRequestError) as invalid:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=3)
    assert invalid.value.param == "temperature"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "chat/completions",
            {
                "model": "gpt-4o-mini",
                "messages": MESSAGES,
                "n": 2.0,
                "max_tokens": 3.0,
                "logprobs": True,
                "top_logprobs": 2.0,
            },
        ),
        (
            "completions",
            {
                "model": "gpt-3.5-turbo-instruct",
                "prompt": "x",
                "n": 2.0,
                "best_of": 2.0,
                "max_tokens": 3.0,
                "logprobs": 1.0,
            },
        ),
    ],
)
def test_integral_floats_are_integers(correct_mock: MockServer, path: str, body: object) -> None:
    """JSON Schema's `integer` admits 1.0; found by the property suite as a 500 (TypeError)."""
    import httpx

    response = httpx.post(
        f"{correct_mock.base_url}/{path}",
        json=body,
        headers={"Authorization": f"Bearer {TEST_KEY}"},
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["choices"]) == 2


def test_only_fine_tuned_models_can_be_deleted_and_only_for_that_key(start_mock: StartMock) -> None:
    mock = start_mock(api_keys=(TEST_KEY, "sk-second-key-0123"))
    client = OpenAI(base_url=mock.base_url, api_key=TEST_KEY, max_retries=0)
    other = OpenAI(base_url=mock.base_url, api_key="sk-second-key-0123", max_retries=0)
    fine_tuned = "ft:gpt-4o-mini-2024-07-18:oaiconform::mock"
    with pytest.raises(openai.PermissionDeniedError):
        client.models.delete("gpt-4o-mini")
    with pytest.raises(openai.NotFoundError):
        client.models.delete("no-such-model")
    assert client.models.delete(fine_tuned).deleted is True
    assert fine_tuned not in [m.id for m in client.models.list()]
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve(fine_tuned)
    assert other.models.retrieve(fine_tuned).id == fine_tuned  # the other key still has it
