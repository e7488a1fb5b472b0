"""The corpus builder's neutralizer: prose goes, shape and facts stay."""

from __future__ import annotations

import json

from tests.corpus.real_api.build import (
    char_map,
    constants,
    neutral_multipart,
    neutral_stream,
    neutralize,
    scan_json,
)


def test_letters_are_replaced_one_by_one_so_pieces_still_join() -> None:
    text = "Paris is the capital, 42 km² ✓"
    assert char_map(text) != text
    assert len(char_map(text)) == len(text)
    assert char_map(text[:7]) + char_map(text[7:]) == char_map(text)
    assert "42" in char_map(text) and "✓" in char_map(text)


def test_json_in_a_string_keeps_its_keys_literals_and_enum_values() -> None:
    arguments = '{"city": "Paris", "unit": "celsius", "days": 3, "ok": true}'
    neutral = json.loads(scan_json(arguments, frozenset({"celsius"})))
    assert set(neutral) == {"city", "unit", "days", "ok"}
    assert neutral["city"] != "Paris" and len(neutral["city"]) == 5
    assert (neutral["unit"], neutral["days"], neutral["ok"]) == ("celsius", 3, True)


def test_prose_goes_and_facts_and_error_messages_stay() -> None:
    body = {
        "id": "chatcmpl-1",
        "model": "gpt-4o",
        "choices": [{"message": {"role": "assistant", "content": "Hello there"}}],
        "error": {"message": "The model `x` does not exist"},
        "image": "data:image/png;base64," + "A" * 200,
    }
    neutral = neutralize(body, frozenset())
    assert neutral["id"] == "chatcmpl-1" and neutral["model"] == "gpt-4o"
    assert neutral["choices"][0]["message"]["content"] != "Hello there"
    assert neutral["error"] == body["error"]
    assert neutral["image"] == "data:image/png;base64,AAAA"


def test_a_schema_enum_is_collected_so_arguments_keep_it() -> None:
    tool = {"parameters": {"properties": {"unit": {"enum": ["celsius", "kelvin"]}}}}
    assert constants(tool) == {"celsius", "kelvin"}


def test_streamed_json_arguments_are_neutralized_as_one_text() -> None:
    pieces = ['{"ci', 'ty": "Pa', 'ris"}']
    chunks = [
        {
            "object": "chat.completion.chunk",
            "choices": [
                {"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": p}}]}}
            ],
        }
        for p in pieces
    ]
    text = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    neutral = neutral_stream(text, frozenset())
    events = [json.loads(line[6:]) for line in neutral.split("\n") if line.startswith("data: {")]
    joined = "".join(
        e["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for e in events
    )
    assert list(json.loads(joined)) == ["city"] and json.loads(joined)["city"] != "Paris"
    assert neutral.endswith("data: [DONE]\n\n")


def test_an_uploaded_file_keeps_its_size_and_the_form_fields_stay() -> None:
    form = (
        '--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
        'Hello world\r\n--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n'
        "assistants\r\n--b--\r\n"
    )
    neutral = neutral_multipart(form)
    assert "Hello world" not in neutral and len(neutral) == len(form)
    assert "assistants" in neutral and 'filename="a.txt"' in neutral
