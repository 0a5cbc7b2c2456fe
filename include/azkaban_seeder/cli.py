"""``azkaban-seeder``: plan, apply, verify and tear down Azkaban test environments.

A thin shell over the library: it turns flags (or a ``--spec`` file) into `EnvSpec` /
`RunOptions` / `ConnectionSettings`, validates all of them before the first request, and
prints progress (stderr) and a summary (stdout). Exit codes: 0 all good, 1 something failed or
is missing, 2 bad input (nothing was written to Azkaban).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from azkaban_seeder.azkaban import AzkabanClient, AzkabanError, ConnectionSettings
from azkaban_seeder.converge import preflight, stale_projects
from azkaban_seeder.plan import plan_projects, plan_shards
from azkaban_seeder.progress import ProgressCounter, ProgressDisplay
from azkaban_seeder.report import build_report, format_summary, verify_lines
from azkaban_seeder.runner import ProjectResult, apply
from azkaban_seeder.spec import FIELD_HELP, EnvSpec, RunOptions, SpecError
from azkaban_seeder.teardown import teardown
from azkaban_seeder.verify import independent_count, verify

logger = logging.getLogger("azkaban_seeder.cli")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

SPEC_FIELDS = [f.name for f in fields(EnvSpec)]
RUN_FIELDS = [f.name for f in fields(RunOptions)]
_DEFAULTS = {**EnvSpec().to_dict(), **RunOptions().to_dict()}


class UsageError(Exception):
    """Bad input: reported with exit code 2 before anything touches Azkaban."""


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_spec_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("environment spec (flags override --spec file values)")
    group.add_argument("--spec", type=Path, help="YAML or JSON file with spec/run fields")
    for name in SPEC_FIELDS:
        # Strings: validation (and its message naming the field) happens in EnvSpec.
        group.add_argument(
            _flag(name), dest=name, metavar=name.upper(), default=None, help=_help(name)
        )


def _help(name: str) -> str:
    """The field's help line with its default (argparse `%` escaped)."""
    text = f"{FIELD_HELP[name]} (default: {_DEFAULTS[name]})"
    return text.replace("%", "%%")


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("runner options")
    for name in RUN_FIELDS:
        group.add_argument(
            _flag(name), dest=name, metavar=name.upper(), default=None, help=_help(name)
        )


def _add_connection_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "connection (default: AZKABAN_URL / AZKABAN_USER / AZKABAN_PASSWORD)"
    )
    group.add_argument("--url", help="Azkaban web server, e.g. http://127.0.0.1:8081")
    group.add_argument("--user", help="Azkaban user")
    group.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    group.add_argument("--timeout", type=float, help="read timeout of one request (s)")
    group.add_argument(
        "--insecure", action="store_true", help="do not verify the server's TLS certificate"
    )


def _add_output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="azkaban-seeder",
        description="Build Azkaban test environments at production scale.",
        epilog="A local Azkaban-compatible test server is a separate command: azkaban-sandbox.",
    )
    sub = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")

    plan = sub.add_parser("plan", help="show the projects and shards a spec makes")
    _add_spec_flags(plan)
    _add_output_flags(plan)

    run = sub.add_parser("apply", help="upload the planned projects, then verify")
    _add_spec_flags(run)
    _add_run_flags(run)
    _add_connection_flags(run)
    _add_output_flags(run)
    run.add_argument("--no-verify", action="store_true", help="skip the final verification")
    run.add_argument(
        "--prune",
        action="store_true",
        help="delete our projects with this prefix that are no longer in the plan",
    )

    check = sub.add_parser("verify", help="compare Azkaban with the plan, flow by flow")
    _add_spec_flags(check)
    _add_connection_flags(check)
    _add_output_flags(check)

    down = sub.add_parser("teardown", help="delete our projects carrying a prefix")
    down.add_argument("--prefix", required=True, help="project name prefix, e.g. stress")
    down.add_argument("--dry-run", action="store_true", help="only list what would happen")
    down.add_argument("--only", nargs="+", metavar="PROJECT", help="limit to these projects")
    _add_connection_flags(down)
    _add_output_flags(down)
    return parser


# --------------------------------------------------------------------------- inputs


def _read_spec_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--spec {path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"--spec {path}: not valid YAML/JSON ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"--spec {path}: must hold a mapping of field: value")
    unknown = sorted(set(data) - set(SPEC_FIELDS) - set(RUN_FIELDS))
    if unknown:
        raise UsageError(
            f"--spec {path}: unknown key {unknown[0]!r}; "
            f"use spec fields ({', '.join(SPEC_FIELDS)}) or run fields ({', '.join(RUN_FIELDS)})"
        )
    return data


def _spec_error(exc: SpecError, file_values: dict[str, Any]) -> UsageError:
    where = f"{_flag(exc.field)}" if exc.field not in file_values else f"{exc.field} (spec file)"
    return UsageError(f"{where}: {exc.problem}; fix: {exc.fix}")


def load_inputs(args: argparse.Namespace) -> tuple[EnvSpec, RunOptions]:
    """Spec and run options from ``--spec`` file values overridden by flags."""
    file_values = _read_spec_file(args.spec) if getattr(args, "spec", None) else {}
    spec_values = {k: v for k, v in file_values.items() if k in SPEC_FIELDS}
    run_values = {k: v for k, v in file_values.items() if k in RUN_FIELDS}
    flagged_spec = {k: getattr(args, k) for k in SPEC_FIELDS if getattr(args, k, None) is not None}
    flagged_run = {k: getattr(args, k) for k in RUN_FIELDS if getattr(args, k, None) is not None}
    from_file = {k: v for k, v in file_values.items() if k not in flagged_spec | flagged_run}
    try:
        spec = EnvSpec.from_mapping({**spec_values, **flagged_spec})
        options = RunOptions.from_mapping({**run_values, **flagged_run})
    except SpecError as exc:
        raise _spec_error(exc, from_file) from None
    return spec, options


def load_settings(args: argparse.Namespace) -> ConnectionSettings:
    overrides: dict[str, Any] = {}
    if args.url:
        overrides["url"] = args.url
    if args.user:
        overrides["user"] = args.user
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin: no password on stdin")
        overrides["password"] = password
    if args.timeout is not None:
        overrides["timeout"] = args.timeout
    if args.insecure:
        overrides["verify"] = False
    try:
        return ConnectionSettings.from_env(**overrides)
    except (AzkabanError, ValueError) as exc:
        raise UsageError(f"connection: {exc}") from None


# --------------------------------------------------------------------------- commands


def _emit(report: dict[str, Any], as_json: bool, summary: str) -> None:
    if as_json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print(summary)


def cmd_plan(args: argparse.Namespace) -> int:
    spec, _options = load_inputs(args)
    shards = plan_shards(spec)
    if args.json:
        print(json.dumps({"spec": spec.to_dict(), "shards": [s.to_dict() for s in shards]}))
        return EXIT_OK
    print(
        f"{spec.flow_count} flows -> {spec.project_count} projects -> {len(shards)} shard(s) "
        f"(prefix {spec.prefix}, format {spec.flow_format}, shape {spec.shape}, "
        f"schedule {spec.schedule})"
    )
    print(f"{'shard':>5}  {'projects':>8} {'flows':>7}  label")
    for shard in shards:
        print(f"{shard.index:>5}  {len(shard.projects):>8} {shard.flow_count:>7}  {shard.label}")
    return EXIT_OK


def _progress_callback(spec: EnvSpec) -> tuple[ProgressDisplay, Any]:
    display = ProgressDisplay(
        sys.stderr, ProgressCounter(total_projects=spec.project_count, total_flows=spec.flow_count)
    )

    def on_progress(result: ProjectResult) -> None:
        display.update(result.flows, failed=result.error is not None)

    return display, on_progress


def cmd_apply(args: argparse.Namespace) -> int:
    spec, options = load_inputs(args)
    settings = load_settings(args)
    started = time.monotonic()
    client = AzkabanClient(settings)
    problems = preflight(spec, client)
    if problems:
        raise UsageError("; ".join(problems))
    display, on_progress = _progress_callback(spec)
    try:
        result = apply(spec, settings, options, on_progress=on_progress)
    finally:
        display.close()
    pruned: list[str] = []
    if args.prune:
        pruned = _prune(spec, client, settings)
    checked = None if args.no_verify else verify(spec, client, plan_projects(spec))
    report = build_report(spec, result.shards, checked, time.monotonic() - started)
    report["pruned"] = pruned
    _emit(report, args.json, format_summary(report))
    return EXIT_OK if report["ok"] else EXIT_FAILED


def _prune(spec: EnvSpec, client: AzkabanClient, settings: ConnectionSettings) -> list[str]:
    stale = stale_projects(spec, client)
    if not stale:
        return []
    outcome = teardown(spec.prefix, settings, dry_run=False, only=stale)
    return list(outcome.deleted)


def cmd_verify(args: argparse.Namespace) -> int:
    spec, _options = load_inputs(args)
    settings = load_settings(args)
    started = time.monotonic()
    client = AzkabanClient(settings)
    checked = verify(spec, client, plan_projects(spec))
    outcome = checked.to_dict()
    outcome["independent_count"] = independent_count(client, spec.prefix)
    outcome["seconds"] = round(time.monotonic() - started, 3)
    summary = "\n".join(
        [
            format_summary_verify(outcome),
            f"independent count: {outcome['independent_count']} flows in projects "
            f"{spec.prefix}_NNNNN (fetchallprojects + fetchprojectflows)",
        ]
    )
    _emit(outcome, args.json, summary)
    return EXIT_OK if checked.ok else EXIT_FAILED


def format_summary_verify(outcome: dict[str, Any]) -> str:
    lines = verify_lines(outcome)
    for kind in ("missing", "unexpected"):
        for name, flows in sorted((outcome.get(kind) or {}).items())[:10]:
            more = " ..." if len(flows) > 5 else ""
            lines.append(f"  {kind} in {name}: {', '.join(flows[:5])}{more}")
    for name in (outcome.get("missing_projects") or [])[:10]:
        lines.append(f"  missing project: {name}")
    return "\n".join(lines)


def cmd_teardown(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    outcome = teardown(args.prefix, settings, dry_run=args.dry_run, only=args.only)
    verb = "would delete" if args.dry_run else "deleted"
    lines = [f"{verb} {len(outcome.deleted)} project(s)"]
    lines += [f"  {name}" for name in outcome.deleted]
    lines.append(f"left alone {len(outcome.left_alone)} project(s)")
    lines += [f"  {name}: {reason}" for name, reason in outcome.left_alone]
    _emit(outcome.to_dict(), args.json, "\n".join(lines))
    return EXIT_OK


COMMANDS = {
    "plan": cmd_plan,
    "apply": cmd_apply,
    "verify": cmd_verify,
    "teardown": cmd_teardown,
}


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``azkaban-seeder`` command; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse already printed the problem
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    _configure_logging(args.verbose)
    try:
        return COMMANDS[args.subcommand](args)
    except UsageError as exc:
        print(f"azkaban-seeder {args.subcommand}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AzkabanError as exc:
        print(f"azkaban-seeder {args.subcommand}: Azkaban error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"azkaban-seeder {args.subcommand}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
