"""The text helpers the inference handlers share: token pieces, cuts, and logprobs."""

from __future__ import annotations

import random

import pytest

from oaiconform.mock.text import (
    count_tokens,
    cut_tokens,
    decode_token_ids,
    split_tokens,
    stop_sequences,
    token_logprobs,
)


@pytest.mark.parametrize(
    "text", ['{"a":"b c"}', "Hello, world. ", "  lead", "", "line\n\nnext \n", "naïve café"]
)
def test_split_tokens_join_back_to_the_text(text: str) -> None:
    pieces = split_tokens(text)
    assert "".join(pieces) == text
    assert len(pieces) >= count_tokens(text)


def test_cut_tokens_applies_the_limit_then_the_stop_sequence() -> None:
    tokens = ["One", " two", " three", "."]
    assert cut_tokens(tokens, None, []) == (tokens, None)
    assert cut_tokens(tokens, 2, []) == (["One", " two"], "length")
    assert cut_tokens(tokens, None, [" thr"]) == (["One", " two"], "stop")
    assert cut_tokens(tokens, 1, [" two"]) == (["One"], "length")
    assert stop_sequences("x") == ["x"] and stop_sequences(["", "y", None]) == ["y"]
    assert stop_sequences(None) == []


def test_token_logprobs_put_the_token_first_and_decrease() -> None:
    entries = token_logprobs(random.Random(1), ["Hi", " there"], 4)
    for token, logprob, top in entries:
        assert top[0] == (token, logprob) and logprob <= 0
        assert len(top) == 4 and len({t for t, _ in top}) == 4
        assert [lp for _, lp in top] == sorted((lp for _, lp in top), reverse=True)
    assert all(top == [] for _, _, top in token_logprobs(random.Random(1), ["a"], 0))


def test_decode_token_ids_is_a_stable_stand_in() -> None:
    assert decode_token_ids([1, 2, 3]) == decode_token_ids([1, 2, 3])
    assert count_tokens(decode_token_ids([5, 6, 7])) == 3
