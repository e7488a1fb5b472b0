"""`oaiconform proxy`: its options, and the foreground loop (signals -> reports)."""

from __future__ import annotations

import argparse
import os
import signal
import ssl
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from oaiconform.settings import tcp_port

EXIT_USAGE = 2
_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGUSR1}


def add_proxy_parser(commands: Any) -> None:
    proxy = commands.add_parser(
        "proxy",
        help="check live traffic: a reverse proxy that judges what passes through it",
        description="Forward every request to the upstream unchanged and check each exchange "
        "(streams included) with the suites' checks. Reports are written on SIGINT/SIGTERM, "
        "on SIGUSR1 and on GET /_oaiconform/report.",
    )
    proxy.add_argument("--upstream", required=True, metavar="URL", help="base URL, e.g. .../v1")
    proxy.add_argument("--host", default="127.0.0.1")
    proxy.add_argument("--port", type=tcp_port, default=8080)
    proxy.add_argument("--report-dir", default="reports", metavar="DIR")
    proxy.add_argument("--har", metavar="FILE", help="also write the exchanges as HAR 1.2")
    proxy.add_argument("--spec", metavar="PATH|URL", help="the OpenAPI description")
    proxy.add_argument(
        "--ca-bundle",
        metavar="FILE",
        help="PEM file of the CAs that verify an https upstream (default: the system's)",
    )
    proxy.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify an https upstream's certificate (a self-signed test server)",
    )
    proxy.add_argument(
        "--timeout", type=float, default=600.0, metavar="SECONDS", help="per upstream request"
    )


def proxy_command(args: argparse.Namespace) -> int:
    """Runs in the main thread with SIGINT, SIGTERM and SIGUSR1 blocked (see cli.main)."""
    from oaiconform.proxy.app import upstream_tls
    from oaiconform.proxy.server import ValidatingProxy
    from oaiconform.redact import strip_userinfo
    from oaiconform.spec import SpecError, load_spec, resolve_spec_source

    upstream = urlsplit(args.upstream)
    if upstream.scheme not in ("http", "https") or not upstream.hostname:
        print(
            f"oaiconform: error: --upstream {args.upstream!r} is not an http(s) URL",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.ca_bundle:
        if not Path(args.ca_bundle).is_file():
            message = f"--ca-bundle {args.ca_bundle!r}: no such file"
            print(f"oaiconform: error: {message}", file=sys.stderr)
            return EXIT_USAGE
        try:
            upstream_tls(args.ca_bundle, insecure=False)
        except ssl.SSLError as exc:
            print(f"oaiconform: error: --ca-bundle {args.ca_bundle!r}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        spec = load_spec(
            resolve_spec_source(args.spec, env_value=os.environ.get("OAICONFORM_SPEC"))
        )
    except SpecError as exc:
        print(f"oaiconform: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        proxy = ValidatingProxy(
            args.upstream,
            spec,
            host=args.host,
            port=args.port,
            report_dir=Path(args.report_dir),
            har=Path(args.har) if args.har else None,
            timeout_s=args.timeout,
            ca_bundle=args.ca_bundle,
            insecure=args.insecure,
            # A worker process at low priority: judging takes no GIL from forwarding, and
            # waits for a busy machine's CPU instead of taking it (benchmarks/bench_proxy.py).
            judge_in="process",
        )
    except OSError as exc:
        print(
            f"oaiconform: error: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    proxy.start()
    print(
        f"oaiconform proxy serving {proxy.base_url} -> {strip_userinfo(proxy.upstream)}; "
        f"reports in {args.report_dir} (SIGUSR1 or GET {proxy.origin}/_oaiconform/report "
        "writes them now; Ctrl-C stops)",
        flush=True,
    )
    try:
        while signal.sigwait(_SIGNALS) == signal.SIGUSR1:
            written = proxy.write_reports()
            print(
                f"oaiconform proxy: reports written ({len(written.problems)} problems)", flush=True
            )
    finally:
        final = proxy.stop()
    problems = len(final.problems) if final else 0
    print(f"oaiconform proxy: stopped; {problems} problem(s), reports in {args.report_dir}")
    return int(final.verdict.get("exit_code", 0)) if final else 0
