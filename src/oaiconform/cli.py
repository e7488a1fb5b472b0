"""The command line: argument parsing only. Builds Settings and hands them to the runner."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from oaiconform import __version__
from oaiconform.config_file import CONFIG_NAME, find_config, load_config
from oaiconform.features import get_feature
from oaiconform.proxy.cli import add_proxy_parser, proxy_command
from oaiconform.report_cli import add_report_kinds
from oaiconform.settings import ConfigValues, SettingsError, build_settings, tcp_port

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"oaiconform: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target")
    group.add_argument(
        "--target",
        metavar="BASE_URL",
        help="base URL with its path prefix, e.g. http://127.0.0.1:8000/v1 "
        "(default: $OPENAI_BASE_URL; none: the embedded mock)",
    )
    group.add_argument(
        "--api-key-env",
        metavar="NAME",
        help="environment variable that holds the API key (default OPENAI_API_KEY)",
    )
    group.add_argument(
        "--second-api-key-env",
        metavar="NAME",
        help="variable holding a second tenant's key, for tenancy.isolation (embedded mock: "
        "a second key is made up)",
    )
    group.add_argument("--model", help="chat model (default gpt-4o-mini)")
    group.add_argument("--embedding-model", help="embedding model (default text-embedding-3-small)")
    group.add_argument("--completion-model", help="legacy completions model")
    group.add_argument("--moderation-model", help="moderation model")


def _add_run_parser(commands: argparse._SubParsersAction[_Parser]) -> _Parser:
    run = commands.add_parser(
        "run",
        help="run the conformance suites against a target",
        description="Run the suites against a target (default: the "
        "embedded mock) and write the reports.",
    )
    _add_target_options(run)
    run.add_argument("--profile", help="profile to run (default core; see `oaiconform profiles`)")
    run.add_argument(
        "--feature",
        dest="features",
        action="append",
        metavar="ID",
        help="run only this feature (repeatable)",
    )
    run.add_argument(
        "--spec",
        metavar="PATH|URL",
        help="the OpenAPI description "
        "(default: $OAICONFORM_SPEC, the user cache, then the pinned download)",
    )
    run.add_argument("--report-dir", metavar="DIR", help="where to write the reports (reports/)")
    run.add_argument("--seed", help="seed for generated data and the mock (printed every run)")
    run.add_argument("--timeout", metavar="SECONDS", help="time limit per request (30)")
    run.add_argument("--max-response-bytes", metavar="N", help="byte cap per response (16 MiB)")
    run.add_argument(
        "--max-duration",
        metavar="SECONDS",
        help="time limit of the whole run; the tests left are reported not run "
        "(default: none for loopback targets, 1800 for others)",
    )
    run.add_argument(
        "--ca-bundle",
        metavar="FILE",
        help="PEM file of the CAs to trust for an https target (e.g. a self-signed one)",
    )
    run.add_argument(
        "--insecure",
        action="store_true",
        default=None,
        help="do not verify the https target's certificate",
    )
    run.add_argument(
        "--budget-requests",
        metavar="N",
        help="hard cap on requests (default 500 for non-loopback targets)",
    )
    run.add_argument(
        "--overlay",
        dest="overlays",
        action="append",
        metavar="FILE",
        help="an OpenAPI Overlay 1.0 file applied after the built-in ones (repeatable)",
    )
    run.add_argument(
        "--mock-fault",
        dest="mock_faults",
        action="append",
        metavar="NAME",
        help="switch on a fault in the embedded mock (repeatable)",
    )
    run.add_argument(
        "--allow-expensive",
        action="store_true",
        default=None,
        help="let schema.* features exercise costly or destructive operations (images, audio, "
        "video, fine-tuning, admin, realtime, evals, containers, vector stores)",
    )
    run.add_argument(
        "--via-proxy",
        action="store_true",
        default=None,
        help="send the suites' traffic through the validating proxy (reports in "
        "<report-dir>/proxy/) and say whether its verdicts agree with the suites'",
    )
    run.add_argument(
        "--deterministic",
        action="store_true",
        default=None,
        help="the target answers the same request and seed the same way (e.g. temperature 0 "
        "with a seed): run the tests that compare answers (streamed against plain)",
    )
    run.add_argument(
        "--no-pinning",
        action="store_true",
        default=None,
        help="do not pin temperature 0 and a seed on inference requests (for models that "
        "accept only the default temperature, such as OpenAI's o-series and gpt-5)",
    )
    run.add_argument(
        "--verdict",
        choices=("compat", "strict"),
        help="which verdict sets the exit code: compat (default) fails on what breaks clients "
        "or behaves wrongly; strict also on spec-literal differences (both are reported)",
    )
    run.add_argument(
        "--property-examples",
        metavar="N",
        help="generated valid requests per operation in schema.* features (5)",
    )
    run.add_argument(
        "--property-negative-examples",
        metavar="N",
        help="generated invalid requests per operation in schema.* features (3)",
    )
    run.add_argument(
        "--workers",
        metavar="N|auto",
        help="run the tests in N parallel processes (pytest-xdist; auto: one per CPU; 1)",
    )
    run.add_argument(
        "--concurrency",
        metavar="N",
        help="independent requests in flight at once in each process; halved for a while on "
        "a 429; 1 sends one at a time (env OAICONFORM_CONCURRENCY; 8 on loopback, 4 remote)",
    )
    run.add_argument(
        "--concurrent-streams",
        action="store_true",
        help="send the streams of independent tests ahead together too (on by itself for the "
        "embedded mock; off by default: a server that generates one answer at a time, such as "
        "llama-cpp-python, cuts a running stream when another request arrives)",
    )
    run.add_argument(
        "--reruns",
        metavar="N",
        help="run a test that failed (the target's fault, not the tool's) up to N more times; "
        "one that then passes is reported flaky (0)",
    )
    run.add_argument(
        "--flaky-fails",
        action="store_true",
        default=None,
        help="a flaky test fails its feature and the run (default: shown apart, counted, "
        "not failing)",
    )
    run.add_argument(
        "--last-failed",
        action="store_true",
        default=None,
        help="run only the tests that failed or hit an error in the previous report.json of "
        "the report directory (everything, when none did)",
    )
    run.add_argument(
        "--baseline",
        metavar="FILE",
        help="known deviations (`oaiconform baseline write`): they stay in every output, "
        "marked known, and only what the file does not record fails the run",
    )
    run.add_argument(
        "--baseline-strict",
        action="store_true",
        default=None,
        help="with --baseline: entries that no longer fail (stale) fail the run",
    )
    run.add_argument(
        "--config",
        metavar="FILE",
        help=f"configuration file (default: ./{CONFIG_NAME}, else [tool.oaiconform] of "
        "./pyproject.toml); every flag has a key; flag > environment > file > default",
    )
    run.add_argument("-v", "--verbose", action="store_true", default=None, help="show every test")
    run.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=None,
        help="no live progress line on a terminal (it is never shown when output is not one)",
    )
    _add_targets_options(run)
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="list the features, tests and request bound of the run; send nothing",
    )
    return run


def run_parser() -> _Parser:
    """The `run` command's parser alone: its flags are the configuration file's keys."""
    commands = _Parser(prog="oaiconform").add_subparsers(dest="command", parser_class=_Parser)
    return _add_run_parser(commands)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="oaiconform", description="Conformance suite for the OpenAI HTTP API.")
    parser.add_argument("--version", action="version", version=f"oaiconform {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    _add_run_parser(commands)

    mock = commands.add_parser(
        "mock",
        help="serve the reference mock on its own",
        description="Serve the mock OpenAI API, e.g. for application tests.",
    )
    mock.add_argument("--host", default="127.0.0.1")
    mock.add_argument("--port", type=tcp_port, default=8000)
    mock.add_argument(
        "--api-key",
        dest="api_keys",
        action="append",
        metavar="KEY",
        help="accepted key (repeatable; default sk-oaiconform-mock)",
    )
    mock.add_argument(
        "--fault",
        dest="faults",
        action="append",
        metavar="NAME",
        help="switch on a named deviation (repeatable)",
    )
    mock.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    mock.add_argument("--seed", type=int, default=0, help="seed of the generated text (0)")
    mock.add_argument("--spec", metavar="PATH|URL", help="the OpenAPI description")
    mock.add_argument(
        "--model",
        dest="models",
        action="append",
        metavar="ID",
        help="also serve this model (repeatable; besides every model the description names)",
    )
    mock.add_argument(
        "--lenient",
        action="store_true",
        help="for SDK test suites: any key, any id, any model; every well-formed request "
        "succeeds with a schema-valid body",
    )
    mock.add_argument(
        "--known-models-only",
        action="store_true",
        help="serve only the --model ids and the mock's defaults: not the description's "
        "models, nor unlisted ids of a known family (gpt-5.6...), which are served by default",
    )
    mock.add_argument(
        "--no-obfuscation",
        action="store_true",
        help="leave out the `obfuscation` padding of chat and Responses stream events "
        "(byte-stable fixtures)",
    )

    commands.add_parser("profiles", help="list the profiles and their features")
    add_proxy_parser(commands)
    _add_clean_parser(commands)
    _add_report_parser(commands)
    _add_baseline_parser(commands)
    return parser


def _add_baseline_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    baseline = commands.add_parser(
        "baseline",
        help="known deviations for `run --baseline`",
        description="Baselines of known deviations: what a server is known to get wrong.",
    )
    actions = baseline.add_subparsers(
        dest="baseline_action", metavar="ACTION", parser_class=_Parser
    )
    write = actions.add_parser(
        "write",
        help="print a baseline with one entry per problem of a report.json",
        description="Print (YAML) one entry per problem of the report, and one per required "
        "feature that fails without a problem; fill in each reason, then pass the file to "
        "`oaiconform run --baseline`.",
    )
    write.add_argument("report", metavar="REPORT.json", help="a report.json of `oaiconform run`")


def _add_targets_options(run: argparse.ArgumentParser) -> None:
    group = run.add_argument_group("several targets (the vendor matrix)")
    group.add_argument(
        "--targets",
        metavar="FILE",
        help="YAML list of targets (name, base_url, key_env, models, profile, flags): each "
        "runs in its own process, reports under --report-dir/<name>/, one line each",
    )
    group.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        help="with --targets: how many targets run at once (default: all, at most 4)",
    )


def _add_report_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    report = commands.add_parser(
        "report", help="build documents from reports", description="Build documents from reports."
    )
    kinds = report.add_subparsers(dest="report_kind", metavar="KIND", parser_class=_Parser)
    matrix = kinds.add_parser(
        "matrix",
        help="several targets' reports side by side (features x targets)",
        description="Features as rows, targets as columns (compat / strict status and problem "
        "count, linked to each report), then each target's problems.",
    )
    matrix.add_argument("directories", nargs="+", metavar="DIR", help="report directories")
    matrix.add_argument("-o", "--output", metavar="FILE", required=True, help="file to write")
    matrix.add_argument(
        "--format", choices=("html", "markdown"), default=None, help="default: from -o's suffix"
    )
    matrix.add_argument("--note", default="", help="a paragraph shown under the title")
    add_report_kinds(kinds)


def _add_clean_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    clean = commands.add_parser(
        "clean",
        help="remove what crashed runs left on a target (files, batches, stored completions)",
        description="List the objects earlier runs left on a target (named oaiconform-... or "
        "tagged with metadata oaiconform_run); remove them only with --yes.",
    )
    clean.add_argument("--target", metavar="BASE_URL", required=True, help="the target's base URL")
    clean.add_argument(
        "--api-key-env",
        metavar="NAME",
        default="OPENAI_API_KEY",
        help="environment variable that holds the API key (default OPENAI_API_KEY)",
    )
    clean.add_argument("--yes", action="store_true", help="remove them (default: only list)")
    clean.add_argument(
        "--max-requests", metavar="N", type=int, default=None, help="request cap (1000)"
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from oaiconform.runner import run

    try:
        config = _read_config(args)
    except SettingsError as exc:
        print(f"oaiconform: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.targets is not None or args.jobs is not None:
        from oaiconform.multirun_cli import run_targets_command

        return run_targets_command(args)
    values = {k: v for k, v in vars(args).items() if k not in _NOT_SETTINGS}
    values["timeout"] = args.timeout
    try:
        settings = build_settings(values, os.environ, config)
    except SettingsError as exc:
        print(f"oaiconform: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.dry_run:
        from oaiconform.dryrun import dry_run

        return dry_run(settings, out=sys.stdout, err=sys.stderr)
    return run(settings, quiet=not args.verbose, progress=not args.quiet).exit_code


# `run` flags that steer the command rather than the run's settings.
_NOT_SETTINGS = frozenset({"command", "verbose", "quiet", "dry_run", "targets", "jobs", "config"})


def _read_config(args: argparse.Namespace) -> ConfigValues | None:
    """The configuration file's values; those that steer the command go on `args` (a flag
    given wins), the settings' ones to build_settings, which ranks them below the environment."""
    found = find_config(args.config, Path.cwd())
    if found is None:
        return None
    config = load_config(*found, run_parser())
    for name in _NOT_SETTINGS & set(config.values):
        if getattr(args, name, None) is None:
            setattr(args, name, config.values[name])
    return config


def _cmd_mock(args: argparse.Namespace) -> int:
    from oaiconform.mock import (
        DEFAULT_API_KEY,
        FAULTS,
        MockConfig,
        MockServer,
        UnknownFaultError,
        resolve_faults,
    )
    from oaiconform.spec import SpecError, load_spec, resolve_spec_source

    if args.list_faults:
        for fault in FAULTS.values():
            print(f"{fault.name:<20} {fault.description}")
        return 0
    try:
        resolve_faults(tuple(args.faults or ()))
        spec = load_spec(
            resolve_spec_source(args.spec, env_value=os.environ.get("OAICONFORM_SPEC"))
        )
    except (UnknownFaultError, SpecError) as exc:
        print(f"oaiconform: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    config = MockConfig(
        api_keys=tuple(args.api_keys or (DEFAULT_API_KEY,)),
        models=tuple(dict.fromkeys((*MockConfig().models, *(args.models or ())))),
        described_models=not args.known_models_only,
        infer_models=not args.known_models_only,
        obfuscation=not args.no_obfuscation,
        lenient=args.lenient,
        seed=args.seed,
        faults=tuple(args.faults or ()),
    )
    try:
        server = MockServer(config, spec, host=args.host, port=args.port)
    except OSError as exc:
        print(
            f"oaiconform: error: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    server.start()
    faults = f", faults: {', '.join(config.faults)}" if config.faults else ""
    faults += ", lenient" if config.lenient else ""
    print(
        f"oaiconform mock serving {server.base_url} (keys: {len(config.api_keys)}{faults}); "
        "Ctrl-C stops it",
        flush=True,
    )
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        server.stop()
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    from oaiconform.settings import DEFAULT_MAX_RESPONSE_BYTES, Secret, normalize_target_url
    from oaiconform.sweep import DEFAULT_MAX_REQUESTS, clean
    from oaiconform.target import RequestBudget, Target

    try:
        base_url = normalize_target_url(args.target)
    except SettingsError as exc:
        print(f"oaiconform: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    key = os.environ.get(args.api_key_env)
    if not key:
        print(f"oaiconform: error: the variable {args.api_key_env} is not set", file=sys.stderr)
        return EXIT_USAGE
    target = Target(
        base_url,
        api_key=Secret(key),
        api_key_env=args.api_key_env,
        timeout_s=30.0,
        max_response_bytes=DEFAULT_MAX_RESPONSE_BYTES,
        budget=RequestBudget(args.max_requests or DEFAULT_MAX_REQUESTS),
    )
    try:
        return clean(target, yes=args.yes, out=sys.stdout)
    finally:
        target.close()


def _cmd_report(args: argparse.Namespace) -> int:
    from oaiconform.report_cli import allure_command, markdown_command

    if args.report_kind == "markdown":
        return markdown_command(args)
    if args.report_kind == "allure":
        return allure_command(args)
    from oaiconform.multirun_cli import report_command

    return report_command(args)


def _cmd_baseline(args: argparse.Namespace) -> int:
    from oaiconform.baseline_write import baseline_yaml
    from oaiconform.report.json_writer import ReportReadError, read_report_json

    if args.baseline_action != "write":
        print(
            "oaiconform: error: baseline needs an action: "
            "`oaiconform baseline write REPORT.json > known.yaml`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        report = read_report_json(Path(args.report))
    except ReportReadError as exc:
        print(f"oaiconform: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(baseline_yaml(report, source=args.report))
    return 0


def _cmd_profiles() -> int:
    from oaiconform.profiles import available_profiles, load_profile

    for name in available_profiles():
        profile = load_profile(name)
        print(f"{profile.name}: {profile.description}")
        for feature_id in profile.features:
            kind = "required" if profile.is_required(feature_id) else "optional"
            print(f"  {feature_id:<24} {kind:<9} {get_feature(feature_id).description}")
        for kind, tags in (
            ("required", profile.required_tags),
            ("optional", profile.optional_tags),
        ):
            if tags:
                which = "every operation" if "*" in tags else "operations tagged " + ", ".join(tags)
                print(f"  {'schema.<operationId>':<24} {kind:<9} {which}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        try:
            return _cmd_run(args)
        except KeyboardInterrupt:  # before the suites started; the runner handles the rest
            print("oaiconform: interrupted", file=sys.stderr)
            return 1
    if args.command == "mock":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        return _cmd_mock(args)
    if args.command == "proxy":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGUSR1})
        return proxy_command(args)
    if args.command == "profiles":
        return _cmd_profiles()
    if args.command == "clean":
        return _cmd_clean(args)
    if args.command == "report":
        return _cmd_report(args)
    if args.command == "baseline":
        return _cmd_baseline(args)
    build_parser().print_help()
    return EXIT_USAGE


def entry_point() -> int:
    """The console script: `oaiconform ... | head` ends quietly when the reader goes away."""
    try:
        return main()
    except BrokenPipeError:
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(entry_point())
