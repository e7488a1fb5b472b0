"""Self-tests of the server-sent events parser: the standard's rules, chunking, and defects."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oaiconform.sse import Event, FramingDefect, SSEParser, parse_stream


def parse(raw: bytes, **kwargs: int) -> tuple[list[Event], list[FramingDefect], SSEParser]:
    parser = SSEParser(**kwargs)
    events = parser.feed(raw)
    events += parser.close()
    return events, parser.defects, parser


def parse_chunks(chunks: list[bytes], **kwargs: int) -> tuple[list[Event], SSEParser]:
    parser = SSEParser(**kwargs)
    events: list[Event] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    events += parser.close()
    return events, parser


def kinds(defects: list[FramingDefect]) -> list[str]:
    return [d.kind for d in defects]


# --- the standard's rules -------------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_line_endings(eol: bytes) -> None:
    raw = eol.join([b"data: a", b"data: b", b"", b"event: x", b"data: c", b"", b""])
    events, defects, _ = parse(raw)
    assert events == [Event("a\nb"), Event("c", event="x")]
    assert defects == []


def test_mixed_line_endings() -> None:
    # CR ends "data: a", then CR LF is one ending of the blank line that dispatches it;
    # LF ends "data: b", then a lone CR ends a blank line.
    events, defects, _ = parse(b"data: a\r\r\ndata: b\n\r")
    assert events == [Event("a"), Event("b")]
    assert defects == []


def test_bom_stripped_once_at_start_only() -> None:
    events, defects, _ = parse(b"\xef\xbb\xbfdata: a\n\n")
    assert events == [Event("a")]
    assert defects == []
    # A second BOM is part of the first line, whose field name is then not "data".
    events, _, _ = parse(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n")
    assert events == []
    # A BOM later in the stream is ordinary data.
    events, _, _ = parse(b"data: \xef\xbb\xbfa\n\n")
    assert events == [Event("\ufeffa")]


def test_bom_split_across_chunks() -> None:
    events, parser = parse_chunks([b"\xef", b"\xbb", b"\xbfdata: a\n\n"])
    assert events == [Event("a")]
    assert parser.defects == []


def test_comments_and_keep_alives() -> None:
    raw = b":\n: keep-alive\n:ping\ndata: a\n: inside an event\n\n:\n"
    events, defects, parser = parse(raw)
    assert events == [Event("a")]
    assert parser.comments == 5
    assert defects == []


def test_space_after_colon_is_optional_and_only_one_is_removed() -> None:
    events, _, _ = parse(b"data:x\n\ndata: x\n\ndata:  x\n\ndata:\n\ndata\n\n")
    assert events == [Event("x"), Event("x"), Event(" x"), Event(""), Event("")]


def test_value_split_at_first_colon() -> None:
    events, _, _ = parse(b'data: {"a": "b:c"}\n\n')
    assert events == [Event('{"a": "b:c"}')]


def test_multi_line_data_keeps_inner_newlines() -> None:
    events, _, _ = parse(b"data: one\ndata:\ndata: three\ndata:\n\n")
    assert events == [Event("one\n\nthree\n")]


def test_event_id_retry() -> None:
    raw = b"event: delta\nid: 7\nretry: 1500\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"
    events, defects, parser = parse(raw)
    assert events == [
        Event("a", event="delta", id="7", retry=1500),
        Event("b", id="7"),  # the id persists; type and retry are per event
        Event("c", id=""),  # an empty id resets it
    ]
    assert parser.retry == 1500
    assert parser.last_event_id == ""
    assert defects == []


def test_empty_event_field_means_message() -> None:
    events, _, _ = parse(b"event:\ndata: a\n\n")
    assert events == [Event("a", event="message")]


def test_last_event_id_updates_even_without_data() -> None:
    _, _, parser = parse(b"id: 42\n\n")
    assert parser.last_event_id == "42"


def test_unknown_fields_are_ignored() -> None:
    events, defects, _ = parse(b"foo: bar\nDATA: no\nData: no\ndata: a\nxyz\n\n")
    assert events == [Event("a")]
    assert defects == []


def test_id_containing_nul_is_ignored() -> None:
    events, _, parser = parse(b"id: 1\n\ndata: a\nid: 2\x003\n\n")
    assert events == [Event("a", id="1")]
    assert parser.last_event_id == "1"


# The last is U+0663 ARABIC-INDIC DIGIT THREE: a digit, but not an ASCII one.
@pytest.mark.parametrize("value", [b"12a", b"-5", b"  5", b"5 ", b"1.5", b"", b"\xd9\xa3"])
def test_retry_must_be_ascii_digits(value: bytes) -> None:
    events, _, parser = parse(b"retry: 10\n\nretry:" + value + b"\ndata: a\n\n")
    assert events == [Event("a")]
    assert parser.retry == 10


def test_retry_leading_zeros_and_huge_values() -> None:
    events, _, _ = parse(b"retry: 000250\ndata: a\n\n")
    assert events == [Event("a", retry=250)]
    events, defects, _ = parse(b"retry: " + b"9" * 5000 + b"\ndata: a\n\n")
    assert events == [Event("a")]  # too long to be a number of milliseconds; ignored
    assert defects == []


def test_blank_line_with_empty_data_dispatches_nothing_and_resets_type() -> None:
    events, defects, _ = parse(b"event: x\n\n\n\ndata: a\n\n")
    assert events == [Event("a", event="message")]
    assert defects == []


def test_cr_at_chunk_end_and_lf_at_next_chunk_start_is_one_line_ending() -> None:
    # Were CR and LF two endings, the LF would be a blank line dispatching "a" early and the
    # event would be "a" rather than "a\nb".
    events, parser = parse_chunks([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"])
    assert events == [Event("a\nb")]
    assert parser.defects == []


def test_cr_ending_dispatches_without_waiting_for_the_next_chunk() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\r\r") == [Event("a")]
    assert parser.feed(b"\ndata: b\r\n\r\n") == [Event("b")]
    assert parser.close() == []
    assert parser.defects == []


def test_multi_byte_character_split_across_chunks() -> None:
    raw = "data: h\u00e9\u20ac\U0001f600\n\n".encode()
    for cut in range(len(raw) + 1):
        events, parser = parse_chunks([raw[:cut], raw[cut:]])
        assert events == [Event("h\u00e9\u20ac\U0001f600")], cut
        assert parser.defects == []
    events, _ = parse_chunks([bytes([b]) for b in raw])
    assert events == [Event("h\u00e9\u20ac\U0001f600")]


def test_invalid_utf8_is_replaced() -> None:
    events, _, _ = parse(b"data: a\xffb\xe2\x82c\n\n")
    assert events == [Event("a\ufffdb\ufffdc")]
    # A truncated sequence at the very end is flushed as U+FFFD in the unterminated line.
    _, defects, _ = parse(b"data: a\n\ndata: \xe2\x82")
    assert kinds(defects) == ["unterminated_event"]
    assert "\\ufffd" in defects[0].message or "\ufffd" in defects[0].message


def test_parse_stream_and_close_are_idempotent() -> None:
    events, defects = parse_stream([b"data: a\n", b"\n", b"data: [DONE]\n\n"])
    assert events == [Event("a"), Event("[DONE]")]
    assert defects == []
    parser = SSEParser()
    parser.feed(b"data: a")
    parser.close()
    assert parser.close() == []
    assert len(parser.defects) == 1
    with pytest.raises(RuntimeError):
        parser.feed(b"\n\n")


# --- defects ---------------------------------------------------------------------------------


def test_unterminated_event_without_blank_line() -> None:
    events, defects, _ = parse(b"data: a\n\ndata: b\n")
    assert events == [Event("a")]
    assert kinds(defects) == ["unterminated_event"]
    assert "blank line" in defects[0].message
    assert "'b'" in defects[0].message


@pytest.mark.parametrize("tail", [b"id: 3\n", b"event: x\n", b"retry: 5\n", b"foo\n"])
def test_unterminated_pending_field_without_data(tail: bytes) -> None:
    _, defects, _ = parse(b"data: a\n\n" + tail)
    assert kinds(defects) == ["unterminated_event"]


@pytest.mark.parametrize("tail", [b"data: b", b": no terminator", b"data: b\ndata: c"])
def test_unterminated_partial_last_line(tail: bytes) -> None:
    events, defects, _ = parse(b"data: a\n\n" + tail)
    assert events == [Event("a")]
    assert kinds(defects) == ["unterminated_event"]
    assert "no line terminator" in defects[0].message


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"data: a\n\n",
        b"data: a\r\n\r\n: bye\r\n",
        b"data: a\n\n\n\n",
        b": only a comment\n",
        b"data: a\n\ndata: [DONE]\n\n",
        b"data: a\n\ndata: [DONE]\n\n\n\r\n: trailing keep-alive\n:\n\n",
        b"event: error\ndata: {}\n\n",  # an event *type* named error is legitimate
    ],
)
def test_conforming_streams_have_no_defects(raw: bytes) -> None:
    _, defects, _ = parse(raw)
    assert defects == []


def test_done_flag() -> None:
    _, _, parser = parse(b"data: [DONE]\n\n")
    assert parser.done
    for raw in (b"data: [DONE] \n\n", b"data: [DONE]\n", b"data: x\ndata: [DONE]\n\n"):
        _, _, parser = parse(raw)
        assert not parser.done, raw


@pytest.mark.parametrize(
    "tail",
    [b"data: more\n\n", b"id: 9\n\n", b"event: late\n", b"\n\nfoo\n\n", b": ok\ndata: [DONE]\n\n"],
)
def test_data_after_done(tail: bytes) -> None:
    events, defects, parser = parse(b"data: [DONE]\n\n" + tail)
    assert parser.done
    assert events[0] == Event("[DONE]")
    assert "data_after_done" in kinds(defects)
    message = next(d.message for d in defects if d.kind == "data_after_done")
    assert "[DONE]" in message
    assert "Line " in message


def test_data_after_done_reported_once_and_events_still_returned() -> None:
    events, defects, _ = parse(b"data: [DONE]\n\ndata: a\n\ndata: b\n\n")
    assert events == [Event("[DONE]"), Event("a"), Event("b")]
    assert kinds(defects) == ["data_after_done"]
    assert "'data: a'" in defects[0].message


def test_data_after_done_in_unterminated_last_line() -> None:
    _, defects, _ = parse(b"data: [DONE]\n\ndata: x")
    assert sorted(kinds(defects)) == ["data_after_done", "unterminated_event"]


def test_error_field() -> None:
    raw = b'error: {"message": "rate limited"}\n\ndata: a\n\n'
    events, defects, _ = parse(raw)
    assert events == [Event("a")]
    assert kinds(defects) == ["error_field"]
    assert "rate limited" in defects[0].message
    assert "'error'" in defects[0].message


def test_error_field_value_is_truncated() -> None:
    _, defects, _ = parse(b"error: " + b"x" * 5000 + b"\n\n")
    assert kinds(defects) == ["error_field"]
    assert "x" * 200 in defects[0].message
    assert "x" * 201 not in defects[0].message
    assert len(defects[0].message) < 500


def test_defects_are_bounded_per_kind() -> None:
    _, defects, _ = parse(b"error: e\n" * 1000 + b"\ndata: a")
    assert kinds(defects).count("error_field") == 20
    assert kinds(defects)[-1] == "unterminated_event"


def test_oversized_line_in_one_chunk() -> None:
    raw = b"data: a\n\ndata: " + b"x" * 100 + b"\ndata: y\n\ndata: b\n\n"
    events, defects, _ = parse(raw, max_event_bytes=50)
    assert events == [Event("a"), Event("b")]  # the oversized line's event is dropped whole
    assert kinds(defects) == ["oversized_event"]
    assert "Line 3" in defects[0].message
    assert "50" in defects[0].message


def test_oversized_line_across_tiny_chunks_keeps_memory_bounded() -> None:
    parser = SSEParser(max_event_bytes=1000)
    assert parser.feed(b"data: a\n\ndata: ") == [Event("a")]
    for _ in range(10_000):
        assert parser.feed(b"xxxxxxxxxx") == []
        assert parser._partial_len <= 1000
    assert parser.feed(b"x\r") == []
    assert parser.feed(b"\ndata: y\n\ndata: b\n\n") == [Event("b")]
    assert parser.close() == []
    assert kinds(parser.defects) == ["oversized_event"]
    assert "Line 3" in parser.defects[0].message


def test_oversized_comment_line_whole_or_in_pieces() -> None:
    raw = b"data: a\n:" + b"k" * 100 + b"\ndata: b\n\ndata: c\n\n"
    for chunks in ([raw], [raw[:20], raw[20:]], [bytes([b]) for b in raw]):
        events, parser = parse_chunks(chunks, max_event_bytes=50)
        assert events == [Event("c")]
        assert kinds(parser.defects) == ["oversized_event"]
        assert parser.comments == 0


def test_oversized_event_data() -> None:
    raw = b"data: 0123456789\n" * 10 + b"\ndata: ok\n\n"
    events, defects, _ = parse(raw, max_event_bytes=50)
    assert events == [Event("ok")]
    assert kinds(defects) == ["oversized_event"]
    assert "data" in defects[0].message


def test_oversized_unterminated_line_at_end() -> None:
    _, defects, _ = parse(b"data: " + b"x" * 100, max_event_bytes=50)
    assert kinds(defects) == ["oversized_event", "unterminated_event"]


def test_typical_chat_stream_is_fast() -> None:
    body = (
        b'data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1700000000,'
        b'"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"hello"},'
        b'"finish_reason":null}]}\n\n'
    )
    chunks = [body] * 63 + [b"data: [DONE]\n\n"]
    best = float("inf")
    for _ in range(20):
        start = time.perf_counter()
        events, defects = parse_stream(chunks)
        best = min(best, time.perf_counter() - start)
    assert len(events) == 64
    assert defects == []
    assert best < 0.005  # typically ~0.2 ms; generous for slow CI machines


# --- properties ------------------------------------------------------------------------------

LINE_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
ID_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=8)
EOLS = ("\n", "\r", "\r\n")


@dataclass
class Stream:
    raw: bytes
    events: list[Event]
    comments: int


@st.composite
def streams(draw: st.DrawFn) -> Stream:
    """A conforming stream with the events it must parse to.

    Values are written after ``": "`` (or ``":"`` when they do not start with a space), so a
    value starting with a space keeps it. Each line gets its own ending, except that a CR ending
    followed by an empty line ending in LF would read as one CRLF, so that LF becomes CRLF.
    """
    lines: list[str] = []
    events: list[Event] = []
    comments = 0
    last_id = ""

    def field(name: str, value: str) -> None:
        sep = draw(st.sampled_from([": ", ":"])) if value[:1] != " " else ": "
        if value == "" and draw(st.booleans()):
            lines.append(name)  # a bare field name has an empty value
        else:
            lines.append(name + sep + value)

    def maybe_comment() -> None:
        nonlocal comments
        if draw(st.integers(0, 4)) == 0:
            lines.append(":" + draw(LINE_TEXT))
            comments += 1

    for _ in range(draw(st.integers(0, 5))):
        data_lines = draw(
            st.lists(LINE_TEXT, min_size=1, max_size=3).filter(lambda ls: ls != ["[DONE]"])
        )
        event_type = draw(st.none() | LINE_TEXT)
        event_id = draw(st.none() | ID_TEXT)
        retry = draw(st.none() | st.integers(0, 10**12))
        fields = [("data", value) for value in data_lines]
        others: list[tuple[str, str]] = []
        if event_type is not None:
            others.append(("event", event_type))
        if event_id is not None:
            others.append(("id", event_id))
            last_id = event_id
        if retry is not None:
            others.append(("retry", str(retry)))
        for other in others:  # anywhere among the data lines, which keep their order
            fields.insert(draw(st.integers(0, len(fields))), other)
        for name, value in fields:
            maybe_comment()
            field(name, value)
        lines.append("")
        maybe_comment()
        for _ in range(draw(st.integers(0, 1))):
            lines.append("")  # extra blank lines dispatch nothing
        data = "\n".join(data_lines)
        events.append(Event(data, event_type or "message", last_id, retry))

    text, prev = "", ""
    for line in lines:
        eol = draw(st.sampled_from(EOLS))
        if prev == "\r" and line == "" and eol == "\n":
            eol = "\r\n"
        text += line + eol
        prev = eol
    bom = "\ufeff" if draw(st.booleans()) else ""
    return Stream((bom + text).encode(), events, comments)


def split(raw: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(raw)]
    return [raw[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=400, deadline=None)
@given(streams(), st.data())
def test_roundtrip_any_chunking(stream: Stream, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(stream.raw)), max_size=20))
    events, parser = parse_chunks(split(stream.raw, cuts))
    assert events == stream.events
    assert parser.defects == []
    assert parser.comments == stream.comments
    whole, whole_parser = parse_chunks([stream.raw])
    assert whole == events
    assert whole_parser.comments == parser.comments


@settings(max_examples=100, deadline=None)
@given(streams())
def test_roundtrip_byte_by_byte(stream: Stream) -> None:
    events, parser = parse_chunks([bytes([b]) for b in stream.raw])
    assert events == stream.events
    assert parser.defects == []


NOISY_BYTES = st.lists(
    st.sampled_from([b"\r", b"\n", b":", b" ", b"data", b"id", b"event", b"retry", b"error"])
    | st.sampled_from([b"[DONE]", b"\x00", b"\xef\xbb\xbf", b"\xe2\x82", b"\xff", b"\xc3\xa9"])
    | st.binary(max_size=4),
    max_size=40,
).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(NOISY_BYTES, st.data(), st.sampled_from([8, 1000]))
def test_arbitrary_bytes_chunking_never_changes_the_result(
    raw: bytes, data: st.DataObject, limit: int
) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=20))
    events, parser = parse_chunks(split(raw, cuts), max_event_bytes=limit)
    whole, whole_parser = parse_chunks([raw], max_event_bytes=limit)
    assert events == whole
    assert parser.defects == whole_parser.defects
    assert (parser.comments, parser.done, parser.last_event_id, parser.retry) == (
        whole_parser.comments,
        whole_parser.done,
        whole_parser.last_event_id,
        whole_parser.retry,
    )
