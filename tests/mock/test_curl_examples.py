"""The reader of the description's curl examples: what it sends, and what it refuses to guess."""

from __future__ import annotations

import pytest

from tests.mock.curl_examples import CurlParseError, FormPart, parse_curl


def test_a_json_example_with_placeholders_and_headers() -> None:
    request = parse_curl(
        "curl https://api.openai.com/v1/chat/completions?x=1 \\\n"
        '  -H "Content-Type: application/json" \\\n'
        '  -H "Authorization: Bearer $OPENAI_API_KEY" \\\n'
        '  -d \'{"model": "VAR_chat_model_id", "messages": []}\''
    )
    assert (request.method, request.path, request.query) == (
        "POST",
        "/chat/completions",
        [("x", "1")],
    )
    assert request.headers == {"Content-Type": "application/json"}  # our key, never theirs
    assert request.json_body == {"model": "gpt-4o-mini", "messages": []}


def test_form_fields_files_typed_parts_and_lines_without_a_backslash() -> None:
    request = parse_curl(
        "curl https://api.openai.com/v1/files \\\n"
        '  -H "Content-Type: multipart/form-data" \\\n'
        '  -F purpose="fine-tune" \\\n'
        '  -F file="@/path/to/mydata.jsonl"\n'  # upstream forgot the backslash
        '  -F \'session={"type":"realtime"};type=application/json\' \\\n'
        '  -F "sdp=<offer.sdp;type=application/sdp"'
    )
    assert request.method == "POST" and request.headers == {}  # curl sets the boundary
    assert request.form[0] == FormPart("purpose", b"fine-tune")
    assert (request.form[1].filename, request.form[1].value[:1]) == ("mydata.jsonl", b"{")
    assert request.form[2] == FormPart("session", b'{"type":"realtime"}', None, "application/json")
    assert request.form[3].filename is None and request.form[3].value.startswith(b"v=0")


def test_what_curl_does_with_the_answer_is_ignored() -> None:
    request = parse_curl(
        "curl -s -D >(grep -i x-request-id >&2) -o >(jq -r '.data[0]' | base64 --decode > a.png) "
        '-X POST "https://api.openai.com/v1/images/edits" -F "model=gpt-image-1.5"'
    )
    assert (request.method, request.path) == ("POST", "/images/edits")
    download = parse_curl("curl https://api.openai.com/v1/files/file-abc123/content > file.jsonl")
    assert (download.method, download.path) == ("GET", "/files/file-abc123/content")


@pytest.mark.parametrize(
    ("curl", "reason"),
    [
        ("curl https://api.openai.com/v1/x -d '{\"a\": 1,}'", "not JSON"),
        ('curl https://api.openai.com/v1/x -H "A: b', "not a shell command"),
        ("curl https://api.openai.com/v1/x --compressed", "unknown curl option"),
        ("curl https://example.com/v1/x", "is not under"),
        ("wget https://api.openai.com/v1/x", "not a curl command"),
    ],
)
def test_an_example_it_cannot_read_is_refused_with_the_reason(curl: str, reason: str) -> None:
    with pytest.raises(CurlParseError, match=reason):
        parse_curl(curl)


def test_substitution_reaches_path_query_body_and_form() -> None:
    request = parse_curl(
        "curl https://api.openai.com/v1/files/file-abc123?after=file-abc123 "
        "-F 'ids=file-abc123' -X POST"
    ).substituted("file-abc123", "file-new")
    assert request.path == "/files/file-new" and request.query == [("after", "file-new")]
    assert request.form[0].value == b"file-new"
