"""``azkaban-seeder``: plan, apply, verify and tear down Azkaban test environments.

A thin shell over the library: it turns flags (or a ``--spec`` file) into `EnvSpec` /
`RunOptions` / `ConnectionSettings`, validates all of them before the first request, and
prints progress (stderr) and a summary (stdout). Exit codes: 0 all good, 1 something failed or
is missing, 2 bad input (nothing was written to Azkaban).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from azkaban_seeder.azkaban import (
    AzkabanClient,
    AzkabanError,
    ConnectionSettings,
    RetryPolicy,
    SharedHealth,
)
from azkaban_seeder.converge import preflight, stale_projects
from azkaban_seeder.crawl import (
    CRAWL_FIELDS,
    PROFILE_SAMPLED,
    CrawlIncomplete,
    CrawlOptions,
    LikenessFiles,
    compare_options,
    write_likeness,
    write_profile,
)
from azkaban_seeder.plan import plan_projects, plan_shards
from azkaban_seeder.profile import Profile, ProfileError, ProfileOptions, load_profile
from azkaban_seeder.progress import ProgressCounter, ProgressDisplay
from azkaban_seeder.report import build_report, format_summary, verify_lines
from azkaban_seeder.runner import ProjectResult, apply
from azkaban_seeder.spec import ENV_FIELDS, RUN_FIELDS, EnvSpec, Field, RunOptions, SpecError
from azkaban_seeder.specfile import SpecFileError, read_spec_file
from azkaban_seeder.teardown import TeardownReport, teardown
from azkaban_seeder.verify import VerifyReport, independent_count, verify

logger = logging.getLogger("azkaban_seeder.cli")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input: reported with exit code 2 before anything touches Azkaban."""


def _add_field_flag(group: argparse._ArgumentGroup, field: Field) -> None:
    # Strings: coercion and validation (and the message naming the field) happen in the
    # field itself, so the CLI, the spec file and Airflow's form refuse the same values.
    help_text = field.help_line().replace("%", "%%")  # argparse expands %
    if field.kind == "boolean":
        group.add_argument(
            field.flag,
            dest=field.name,
            action="store_const",
            const=True,
            default=None,
            help=help_text,
        )
        return
    group.add_argument(
        field.flag, dest=field.name, metavar=field.name.upper(), default=None, help=help_text
    )


def _add_spec_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("environment spec (flags override --spec file values)")
    group.add_argument("--spec", type=Path, help="YAML or JSON file with spec/run fields")
    for field in ENV_FIELDS.values():
        _add_field_flag(group, field)


def _add_run_flags(parser: argparse.ArgumentParser, only: tuple[str, ...] = ()) -> None:
    group = parser.add_argument_group("runner options")
    for field in RUN_FIELDS.values():
        if not only or field.name in only:
            _add_field_flag(group, field)


RETRY_FIELDS = ("retry_attempts", "retry_max_seconds", "outage_seconds")


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
    _add_run_flags(check, only=RETRY_FIELDS)
    _add_connection_flags(check)
    _add_output_flags(check)

    down = sub.add_parser("teardown", help="delete our projects carrying a prefix")
    down.add_argument("--prefix", required=True, help="project name prefix, e.g. stress")
    down.add_argument("--dry-run", action="store_true", help="only list what would happen")
    down.add_argument("--only", nargs="+", metavar="PROJECT", help="limit to these projects")
    _add_run_flags(down, only=RETRY_FIELDS)
    _add_connection_flags(down)
    _add_output_flags(down)

    prof = sub.add_parser("profile", help="profile a production Azkaban read-only into a file")
    prof.add_argument("--out", required=True, type=Path, help="profile JSON file to write")
    _add_crawl_flags(prof)
    prof.add_argument(
        "--k-threshold",
        type=int,
        default=ProfileOptions().k,
        help="smallest group a distribution may show (k-anonymity) (default: %(default)s)",
    )
    _add_connection_flags(prof)
    prof.add_argument("-v", "--verbose", action="store_true", help="log progress details")

    like = sub.add_parser("compare", help="crawl a test Azkaban and compare it with a profile")
    like.add_argument("profile", type=Path, help="the production profile JSON file")
    like.add_argument(
        "--out-dir", type=Path, help="where the likeness files go (default: beside the profile)"
    )
    _add_crawl_flags(like, from_profile=True)
    _add_connection_flags(like)
    like.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    return parser


def _add_crawl_flags(parser: argparse.ArgumentParser, from_profile: bool = False) -> None:
    """The read-only crawl's sampling and gentleness flags (`CRAWL_FIELDS`); a compare
    samples like its profile unless told otherwise."""
    group = parser.add_argument_group("read-only crawl (sampling and gentleness)")
    for field in CRAWL_FIELDS.values():
        sampled = from_profile and field.name in PROFILE_SAMPLED
        _add_field_flag(
            group, dataclasses.replace(field, default="the profile's") if sampled else field
        )


# --------------------------------------------------------------------------- inputs


def _spec_error(exc: SpecError, file_values: dict[str, Any]) -> UsageError:
    where = exc.field if exc.field in file_values else "--" + exc.field.replace("_", "-")
    if exc.field in file_values:
        where += " (spec file)"
    return UsageError(f"{where}: {exc.problem}; fix: {exc.fix}")


def load_inputs(args: argparse.Namespace) -> tuple[EnvSpec, RunOptions]:
    """Spec and run options from ``--spec`` file values overridden by flags."""
    try:
        file_values = read_spec_file(args.spec) if getattr(args, "spec", None) else {}
    except SpecFileError as exc:
        raise UsageError(f"--spec {exc}") from None
    flagged = {
        k: getattr(args, k)
        for k in (*ENV_FIELDS, *RUN_FIELDS)
        if getattr(args, k, None) is not None
    }
    if flagged.get("profile") and "shape" not in flagged and "shape" not in file_values:
        flagged["shape"] = "profile"  # --profile FILE is short for --shape profile --profile FILE
    values = {**file_values, **flagged}
    from_file = {k: v for k, v in file_values.items() if k not in flagged}
    try:
        spec = EnvSpec.from_mapping({k: v for k, v in values.items() if k in ENV_FIELDS})
        options = RunOptions.from_mapping({k: v for k, v in values.items() if k in RUN_FIELDS})
    except SpecError as exc:
        raise _spec_error(exc, from_file) from None
    if spec.profile:
        # Read and check the profile now: a bad file is refused before anything is written.
        try:
            load_profile(spec.profile)
        except ProfileError as exc:
            raise UsageError(f"--profile {exc}") from None
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


def retry_policy(options: RunOptions) -> RetryPolicy:
    """The user's retry bounds, for every client call of a command (not only uploads)."""
    return RetryPolicy(
        attempts=options.retry_attempts,
        max_seconds=options.retry_max_seconds,
        outage_seconds=options.outage_seconds,
    )


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
    # One outage clock for preflight, every worker and verify: a dead server ends the
    # whole command within the outage window, not once per project.
    health = SharedHealth.create()
    client = AzkabanClient(settings, retry_policy(options), health=health)
    problems = preflight(spec, client)
    if problems:
        raise UsageError("; ".join(problems))
    display, on_progress = _progress_callback(spec)
    try:
        result = apply(spec, settings, options, on_progress=on_progress, health=health)
    finally:
        display.close()
    pruned = _prune(spec, client, settings) if args.prune else None
    checked = None if args.no_verify else verify(spec, client, plan_projects(spec))
    report = build_report(
        spec,
        result.shards,
        checked,
        time.monotonic() - started,
        pruned=pruned.deleted if pruned else (),
        prune_failures=pruned.failed if pruned else (),
    )
    _emit(report.to_dict(), args.json, format_summary(report))
    return EXIT_OK if report.ok else EXIT_FAILED


def _prune(spec: EnvSpec, client: AzkabanClient, settings: ConnectionSettings) -> TeardownReport:
    stale = stale_projects(spec, client)
    return teardown(spec.prefix, settings, dry_run=False, only=stale or [], retry=client.policy)


def cmd_verify(args: argparse.Namespace) -> int:
    spec, options = load_inputs(args)
    settings = load_settings(args)
    started = time.monotonic()
    client = AzkabanClient(settings, retry_policy(options))
    checked = verify(spec, client, plan_projects(spec))
    outcome = checked.to_dict()
    outcome["independent_count"] = independent_count(client, spec.prefix)
    outcome["seconds"] = round(time.monotonic() - started, 3)
    summary = "\n".join(
        [
            format_summary_verify(checked),
            f"independent count: {outcome['independent_count']} flows in projects "
            f"{spec.prefix}_NNNNN (fetchallprojects + fetchprojectflows)",
        ]
    )
    _emit(outcome, args.json, summary)
    return EXIT_OK if checked.ok else EXIT_FAILED


def format_summary_verify(checked: VerifyReport) -> str:
    lines = verify_lines(checked)
    for kind, found in (("missing", checked.missing), ("unexpected", checked.unexpected)):
        for name, flows in sorted(found.items())[:10]:
            more = " ..." if len(flows) > 5 else ""
            lines.append(f"  {kind} in {name}: {', '.join(flows[:5])}{more}")
    for name in checked.missing_projects[:10]:
        lines.append(f"  missing project: {name}")
    return "\n".join(lines)


def cmd_teardown(args: argparse.Namespace) -> int:
    try:
        # The same rules as the spec's prefix: '', '.*' or 'a b' are refused, not matched.
        prefix = ENV_FIELDS["prefix"].coerce(args.prefix)
    except SpecError as exc:
        raise UsageError(f"--prefix: {exc.problem}; fix: {exc.fix}") from None
    try:
        options = RunOptions.from_mapping({k: getattr(args, k) for k in RETRY_FIELDS})
    except SpecError as exc:
        raise _spec_error(exc, {}) from None
    settings = load_settings(args)
    outcome = teardown(
        prefix, settings, dry_run=args.dry_run, only=args.only, retry=retry_policy(options)
    )
    verb = "would delete" if args.dry_run else "deleted"
    lines = [f"{verb} {len(outcome.deleted)} project(s)"]
    lines += [f"  {name}" for name in outcome.deleted]
    lines.append(f"left alone {len(outcome.left_alone)} project(s)")
    lines += [f"  {name}: {reason}" for name, reason in outcome.left_alone]
    if outcome.failed:
        lines.append(f"FAILED to delete {len(outcome.failed)} project(s)")
        lines += [f"  {name}: {error}" for name, error in outcome.failed]
    _emit(outcome.to_dict(), args.json, "\n".join(lines))
    return EXIT_OK if outcome.ok else EXIT_FAILED


# --------------------------------------------------------------------------- profile, compare


def crawl_options(args: argparse.Namespace, source: Profile | None = None) -> CrawlOptions:
    """The crawl flags as `CrawlOptions` (a compare defaults to the profile's sampling)."""
    values = {name: getattr(args, name) for name in CRAWL_FIELDS}
    try:
        if source is not None:
            return compare_options(source, values)
        return CrawlOptions.from_mapping(values)
    except SpecError as exc:
        raise _spec_error(exc, {}) from None


def _writable_dir(path: Path, flag: str) -> None:
    if not path.is_dir() or not os.access(path, os.W_OK):
        raise UsageError(f"{flag}: {path} is not a writable directory")


def _incomplete(exc: CrawlIncomplete) -> int:
    print(f"crawl incomplete: {exc.missing}; nothing written; fix: {exc.fix}", file=sys.stderr)
    return EXIT_FAILED


def cmd_profile(args: argparse.Namespace) -> int:
    options = crawl_options(args)
    if args.k_threshold < 1:
        raise UsageError(f"--k-threshold: must be at least 1, got {args.k_threshold}")
    if args.out.is_dir():
        raise UsageError(f"--out: {args.out} is a directory; name the profile file")
    _writable_dir(args.out.parent.resolve(), "--out")
    settings = load_settings(args)
    try:
        # atomically (a temporary file renamed into place), and only after a complete crawl
        written = write_profile(settings, options, args.out, k=args.k_threshold)
    except CrawlIncomplete as exc:
        return _incomplete(exc)
    print(written.summary())
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    try:
        source = load_profile(args.profile)
    except ProfileError as exc:
        raise UsageError(str(exc)) from None
    options = crawl_options(args, source)
    out_dir = args.out_dir or args.profile.resolve().parent
    out_dir.mkdir(parents=True, exist_ok=True)
    _writable_dir(out_dir, "--out-dir")
    settings = load_settings(args)
    files = LikenessFiles.beside_profile(args.profile, out_dir)
    try:
        written = write_likeness(source, settings, options, files)
    except CrawlIncomplete as exc:
        return _incomplete(exc)
    print(written.report.render_text(), end="")
    print("written: " + ", ".join(str(p) for p in written.files))
    return EXIT_OK if written.report.passed else EXIT_FAILED


COMMANDS = {
    "plan": cmd_plan,
    "apply": cmd_apply,
    "verify": cmd_verify,
    "teardown": cmd_teardown,
    "profile": cmd_profile,
    "compare": cmd_compare,
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
    if args.subcommand in ("profile", "compare"):
        logging.getLogger("azkaban_seeder.crawl").setLevel(logging.INFO)  # progress and ETA
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
