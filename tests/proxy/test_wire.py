"""The proxy on the wire: bytes pass unchanged, streams are not buffered, upstream failures
become 502/504 in the error envelope with a finding, and nothing it writes holds a key."""

from __future__ import annotations

import json
import logging
import socket
import time
from pathlib import Path

import httpx
import pytest

from oaiconform.proxy import ValidatingProxy
from oaiconform.proxy.report import build_proxy_report
from oaiconform.spec import Spec
from tests.proxy.upstream import (
    FIXED_BODY,
    SSE_FIRST,
    SSE_SECOND,
    TLS_CERT,
    Scripted,
    scripted_upstream,
)

SECRET = "sk-proxy-selftest-secret-0123456789"


def test_status_headers_and_body_pass_unchanged(spec: Spec) -> None:
    with scripted_upstream() as upstream, ValidatingProxy(upstream, spec) as proxy:
        direct = httpx.get(f"{upstream}/fixed", headers={"accept-encoding": "gzip"})
        proxied = httpx.get(f"{proxy.base_url}/fixed", headers={"accept-encoding": "gzip"})
        sent = Scripted.seen[-1]
    assert proxied.status_code == direct.status_code == 203
    assert proxied.reason_phrase == "Odd Reason" or proxied.reason_phrase  # HTTP/1.1 keeps none
    assert proxied.headers.get_list("x-odd") == ["one", "two"]
    assert proxied.headers["content-encoding"] == "gzip"
    assert proxied.headers["content-length"] == str(len(FIXED_BODY))

    # Identical headers, in order, whatever uvicorn would add of its own (server, date).
    def without_date(response: httpx.Response) -> list[tuple[str, str]]:
        return [(k, "<date>" if k == "date" else v) for k, v in response.headers.multi_items()]

    assert without_date(proxied) == without_date(direct)  # the two came in different seconds
    assert proxied.content == direct.content  # decoded by httpx from the same gzip bytes
    assert sent[1] == "/v1/fixed"


def test_an_event_stream_is_forwarded_before_the_upstream_ends_it(spec: Spec) -> None:
    with (
        scripted_upstream() as upstream,
        ValidatingProxy(upstream, spec) as proxy,
        httpx.stream("POST", f"{proxy.base_url}/sse", json={"stream": True}) as response,
    ):
        chunks = response.iter_raw()
        started = time.monotonic()
        first = next(chunks)
        # The upstream holds its second event until told: the first came on its own.
        assert first == SSE_FIRST
        assert time.monotonic() - started < 2
        Scripted.release.set()
        assert b"".join(chunks) == SSE_SECOND


@pytest.mark.parametrize(
    ("route", "status", "code"),
    [("reset", 502, "upstream_unreachable"), ("stall", 504, "upstream_timeout")],
)
def test_an_upstream_that_fails_gets_the_client_an_error_envelope(
    spec: Spec, route: str, status: int, code: str
) -> None:
    with scripted_upstream() as upstream, ValidatingProxy(upstream, spec, timeout_s=1.0) as proxy:
        answer = httpx.post(f"{proxy.base_url}/chat/{route}", json={}, timeout=10)
        still = httpx.get(f"{proxy.base_url}/fixed")  # it keeps serving
        report = proxy.report()
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert still.status_code == 203
    checks = {p.check for p in report.problems}
    assert "http.target_error" in checks


def test_a_connection_the_upstream_closes_after_a_500_is_not_reused(
    spec: Spec, caplog: pytest.LogCaptureFixture
) -> None:
    # FastAPI servers (LiteLLM, vLLM, llama-cpp-python) answer an unhandled exception with a
    # 500 without Connection: close, log it, then close: a request sent on that connection
    # meanwhile is reset, and the proxy would answer it 502.
    with (
        scripted_upstream() as upstream,
        ValidatingProxy(upstream, spec) as proxy,
        httpx.Client() as client,
    ):
        before = [client.post(f"{proxy.base_url}/whole", json={}) for _ in range(2)]
        crashed = client.post(f"{proxy.base_url}/chat/crash", json={})
        after = client.post(f"{proxy.base_url}/whole", json={})
    assert [r.status_code for r in before] == [200, 200]
    assert crashed.status_code == 500
    assert after.status_code == 200
    fixed, again, crash, fresh = Scripted.ports
    assert fixed == again == crash  # a 2xx answer's connection is pooled and reused
    assert fresh != crash  # the 500's is not
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no callback failed


def test_a_refused_upstream_is_a_502(spec: Spec) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with ValidatingProxy(f"http://127.0.0.1:{port}/v1", spec) as proxy:
        answer = httpx.get(f"{proxy.base_url}/models")
    assert answer.status_code == 502
    assert "could not be reached" in answer.json()["error"]["message"]


def test_a_stream_cut_midway_ends_the_client_stream_and_is_judged(spec: Spec) -> None:
    with scripted_upstream() as upstream, ValidatingProxy(upstream, spec) as proxy:
        with (
            httpx.stream("POST", f"{proxy.base_url}/chat/cut", json={"stream": True}) as r,
            pytest.raises(httpx.HTTPError),
        ):
            r.read()
        assert proxy.ledger.settle()
        assert len(proxy.ledger.snapshot()) == 1


def test_a_client_that_hangs_up_midstream_ends_the_upstream_stream(spec: Spec) -> None:
    with scripted_upstream() as upstream, ValidatingProxy(upstream, spec) as proxy:
        with httpx.stream(
            "POST", f"{proxy.base_url}/chat/completions?hold=1", json={"stream": True}
        ) as response:
            assert next(response.iter_raw()) == SSE_FIRST
        # The client is gone: the proxy closes its upstream stream, which the upstream sees
        # as its next write failing (it would otherwise stream for 10 s).
        assert Scripted.closed.wait(5)
        assert httpx.get(f"{proxy.base_url}/fixed").status_code == 203  # it keeps serving
        assert proxy.ledger.settle()
        report, extra = build_proxy_report(proxy.ledger, proxy.upstream)
    assert [a["exchange"] for a in extra["proxy"]["client_aborted"]] == [
        "proxy::00001 POST /v1/chat/completions"
    ]
    assert report.problems == []  # a partial answer the client cut is not the server's fault
    assert extra["proxy"]["not_judged"] == []


def test_a_client_that_leaves_after_done_had_the_whole_stream(spec: Spec) -> None:
    # The SDKs stop at `data: [DONE]` and close, often before the upstream's end of body
    # reaches the proxy (here it never comes): the stream is judged, not listed as aborted.
    with scripted_upstream() as upstream, ValidatingProxy(upstream, spec) as proxy:
        with httpx.stream(
            "POST", f"{proxy.base_url}/chat/completions?hold=1&done=1", json={"stream": True}
        ) as response:
            for line in response.iter_lines():
                if line == "data: [DONE]":
                    break
        assert Scripted.closed.wait(5)
        assert proxy.ledger.settle()
        [record] = proxy.ledger.snapshot()
        _, extra = build_proxy_report(proxy.ledger, proxy.upstream)
    assert extra["proxy"]["client_aborted"] == []
    assert not record.client_aborted and not record.not_judged
    assert "streaming.stream_framing" in record.applied


def test_an_https_upstream_is_verified_against_the_ca_bundle(spec: Spec) -> None:
    with scripted_upstream(tls=True) as upstream:
        with ValidatingProxy(upstream, spec, ca_bundle=str(TLS_CERT)) as proxy:
            verified = httpx.get(f"{proxy.base_url}/fixed")
        with ValidatingProxy(upstream, spec, insecure=True) as proxy:
            unverified = httpx.get(f"{proxy.base_url}/fixed")
        with ValidatingProxy(upstream, spec) as proxy:  # the system's CAs do not know it
            refused = httpx.get(f"{proxy.base_url}/fixed")
    assert verified.status_code == unverified.status_code == 203
    assert verified.content == unverified.content
    assert refused.status_code == 502
    assert "certificate" in refused.json()["error"]["message"].lower()


def test_keys_reach_the_upstream_and_no_written_file(spec: Spec, tmp_path: Path) -> None:
    har = tmp_path / "traffic.har"
    with scripted_upstream() as upstream:
        proxy = ValidatingProxy(upstream, spec, report_dir=tmp_path, har=har).start()
        headers = {"authorization": f"Bearer {SECRET}", "x-api-key": SECRET}
        httpx.post(
            f"{proxy.base_url}/chat/completions?stream=false",
            headers=headers,
            json={"model": "m", "note": SECRET},
        )
        httpx.get(f"{proxy.base_url}/fixed", headers=headers)
        sent = [s for s in Scripted.seen]
        proxy.stop()
    assert all(s[2].get("authorization") == f"Bearer {SECRET}" for s in sent)
    written = {p.name: p.read_text() for p in tmp_path.iterdir() if p.is_file()}
    assert set(written) >= {"report.json", "report.html", "junit.xml", "traffic.har"}
    for name, text in written.items():
        assert SECRET not in text, name
    document = json.loads(written["traffic.har"])
    assert document["log"]["version"] == "1.2"
    assert len(document["log"]["entries"]) == 2
    report = json.loads(written["report.json"])
    assert report["proxy"]["exchanges"] == 2
    # /fixed is no operation of the description: listed, not judged.
    assert [u["exchange"] for u in report["proxy"]["unmatched"]] == ["proxy::00002 GET /v1/fixed"]
    repro = report["problems"][0]["example"]["repro"] if report["problems"] else ""
    assert SECRET not in repro


def test_the_report_on_demand(spec: Spec, tmp_path: Path) -> None:
    with (
        scripted_upstream() as upstream,
        ValidatingProxy(upstream, spec, report_dir=tmp_path) as proxy,
    ):
        httpx.get(f"{proxy.base_url}/fixed")
        answer = httpx.get(f"{proxy.origin}/_oaiconform/report")
        assert answer.status_code == 200
        assert answer.json()["exchanges"] == 1
        assert (tmp_path / "report.json").exists()


def test_a_request_body_over_the_cap_is_streamed_whole(spec: Spec) -> None:
    big = b'{"pad": "' + b"x" * 3000 + b'"}'
    with (
        scripted_upstream() as upstream,
        ValidatingProxy(upstream, spec, cap_bytes=1024) as proxy,
    ):
        answer = httpx.post(f"{proxy.base_url}/fixed", content=big)
        chunked = httpx.post(f"{proxy.base_url}/fixed", content=iter([b"ab", b"cd"]))
        seen = list(Scripted.seen)
        assert proxy.ledger.settle()
        records = proxy.ledger.snapshot()
    assert answer.status_code == chunked.status_code == 203
    assert seen[0][3] == big and seen[0][2]["content-length"] == str(len(big))
    assert seen[1][3] == b"abcd"
    assert sorted(r.har["request"]["bodySize"] for r in records) == [4, len(big)]


def test_a_credential_header_masks_its_token_not_its_scheme(spec: Spec, tmp_path: Path) -> None:
    from oaiconform.proxy.ledger import secrets_in

    headers = (("Authorization", "Bearer"), ("authorization", f"Bearer {SECRET}"), ("api-key", "k"))
    assert secrets_in(headers) == {SECRET}
