"""Acceptance run of the production-mirroring "must show" list (profile, apply, compare).

Drives the real ``azkaban-seeder`` CLI as subprocesses against ``azkaban-sandbox``
subprocesses, prints figures and one PASS/MISS line per target; exits 0 even when a target
is missed (it measures, it does not assert).

1. "Production": a sandbox holding the skewed stand-in of tests/profile/standin.py (10,000
   flows, 30 days of history; hand-written rules, plain ``requests``, not our engine).
   ``azkaban-seeder profile`` with the stand-in's READ-only account: profiling time, requests
   by call (counted by the sandbox, ``/_sandbox/stats`` ``calls``), the most requests in
   flight (<= 2), only whitelisted calls (the eight read calls of the reference, written out
   here), nothing written on the server, and every project/flow/job name and command the
   stand-in used searched for in the profile file (0 hits).
2. Bad input, on a FRESH "test" sandbox: a malformed, a truncated, a newer-schema profile and
   one holding names, each given to ``apply --shape profile --profile FILE``: exit 2, no
   request at all and no project on the test sandbox (counted before and after).
3. ``apply --shape profile --profile FILE --flow-count 10000`` (its own verify), ``verify``,
   then ``compare FILE``: KS of jobs per flow, depth and fire minute of the day (< 0.05), JS of
   cadence classes and job types (< 0.05, or "not compared" with the report's reason), the
   source's top-10 fire minutes of the week with both relative weights (within 10%). If the
   test environment has no schedules at all, a labelled diagnostic step (not the product
   path) schedules the crons shape ``profile`` drew with plain ``requests`` and compares again.

The crawls (profile and compare) run at ``--rate`` (default 1000 req/s) to measure the
crawler and the server rather than the cap; production uses the default 20 req/s, and the
time a crawl would take at that cap is printed too.

    .venv/bin/python benchmarks/acceptance_profile.py [--flows 10000] [--rate 1000]
        [--processes 4] [--save-profile var/acceptance/prod.profile.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from acceptance_engine import VERIFY_RE, CliRun, cli_command, run_cli
from acceptance_reliability import SandboxProcess

from azkaban_seeder.flows import flow_id_for, generate_flow
from azkaban_seeder.plan import project_name
from azkaban_seeder.spec import EnvSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "profile"))
from standin import (
    ADMIN,
    ADMIN_PASSWORD,
    READER,
    READER_PASSWORD,
    StandinSpec,
    Truth,
    build_standin,
)

#: The read calls of docs/azkaban-reference.md §10, as the sandbox names them in ``calls``.
READ_CALLS = frozenset(
    {
        "POST / action=login",
        "GET /index ajax=fetchallprojects",
        "GET /manager ajax=fetchprojectflows",
        "GET /manager ajax=fetchflowgraph",
        "GET /schedule ajax=fetchSchedules",
        "GET /schedule ajax=fetchSchedule",
        "GET /manager ajax=fetchFlowExecutions",
        "GET /executor ajax=fetchexecflow",
    }
)
DEFAULT_RATE = 20.0  # the crawl's default cap (azkaban-seeder profile --help)
KS_DISTRIBUTIONS = ("jobs_per_flow", "depth", "fire_minute_of_day")
JS_DISTRIBUTIONS = ("cadence_classes", "job_types")
PREFIX = "accp"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def env_for(url: str, user: str, password: str, tmpdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZKABAN")}
    env.update(AZKABAN_URL=url, AZKABAN_USER=user, AZKABAN_PASSWORD=password)
    tmpdir.mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(tmpdir)
    return env


def show(label: str, run: CliRun, max_lines: int = 12) -> None:
    outcome = "HUNG (killed)" if run.code is None else f"exit {run.code}"
    print(f"  {label}: {outcome} in {run.seconds:.1f} s", flush=True)
    lines = [line for _t, line in run.stdout]
    for line in lines[:max_lines]:
        print(f"    | {line}")
    if len(lines) > max_lines:
        print(f"    | ... {len(lines) - max_lines} more line(s)")
    for _t, line in run.stderr:
        if "error" in line.lower() or "Traceback" in line:
            print(f"    stderr! {line[:300]}")


class Targets:
    """One row per target: name, measured, bound, PASS/MISS (or a note)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, name: str, measured: str, bound: str, ok: bool | None, note: str = "") -> None:
        result = note if ok is None else verdict(ok) + (f" ({note})" if note else "")
        self.rows.append((name, measured, bound, result))

    def print(self) -> None:
        width = max(len(r[0]) for r in self.rows)
        print(f"{'target':{width}}  {'measured':34} {'bound':14} result")
        for name, measured, bound, result in self.rows:
            print(f"{name:{width}}  {measured:34} {bound:14} {result}")


# --------------------------------------------------------------------------- 1. production


def build_production(workdir: Path, flows: int) -> tuple[SandboxProcess, Truth]:
    users = ["--user", f"{ADMIN}:{ADMIN_PASSWORD}", "--user", f"{READER}:{READER_PASSWORD}:READ"]
    prod = SandboxProcess(workdir, users).start()
    print(f"production sandbox {prod.url} (users {ADMIN}, {READER} with READ only)", flush=True)
    truth = build_standin(prod.url, ADMIN, ADMIN_PASSWORD, StandinSpec(flows=flows))
    print(
        f"stand-in: {truth.projects} projects ({truth.flow2_projects} Flow 2.0), {truth.flows} "
        f"flows, {truth.scheduled} scheduled, {truth.runs} runs ({truth.runs_in_window} in the "
        f"last 30 days, {truth.failed_runs} failed), {len(truth.names)} names and "
        f"{len(truth.commands)} commands; built in {truth.seconds:.1f} s with "
        f"{truth.requests} requests",
        flush=True,
    )
    return prod, truth


def profile_production(
    prod: SandboxProcess, truth: Truth, out: Path, rate: float, tmp: Path, targets: Targets
) -> None:
    print("\n== 1. profile the production stand-in read-only (CLI, READ-only account)")
    prod.control("stats/reset", {})
    before = prod.stats()
    env = env_for(prod.url, READER, READER_PASSWORD, tmp / "cli-profile")
    argv = ["profile", "--url", prod.url, "--user", READER, "--out", str(out)]
    run = run_cli([*argv, "--rate", f"{rate:g}"], env)
    show("profile", run)
    stats = prod.stats()
    calls: dict[str, int] = stats["calls"]
    total = sum(calls.values())
    print(f"  requests by call (sandbox count, {total} in all):")
    for call, count in sorted(calls.items(), key=lambda kv: -kv[1]):
        print(f"    {count:>7}  {call}{'' if call in READ_CALLS else '   <- NOT A READ CALL'}")
    print(
        f"  {total / max(run.seconds, 1e-9):.0f} req/s at a cap of {rate:g}; at the default cap "
        f"of {DEFAULT_RATE:g} req/s the same crawl takes at least {total / DEFAULT_RATE / 60:.1f} "
        "min"
    )
    writes = {
        key: (before[key], stats[key]) for key in ("projects", "flows") if before[key] != stats[key]
    }
    uploads = (before["uploads"]["ok"], stats["uploads"]["ok"])
    print(
        f"  server state before/after: projects {before['projects']}/{stats['projects']}, flows "
        f"{before['flows']}/{stats['flows']}, uploads {uploads[0]}/{uploads[1]}"
    )
    targets.add("profile exits 0", f"exit {run.code}", "0", run.code == 0)
    targets.add("profiling time", f"{run.seconds:.1f} s ({total} requests)", "-", None, "figure")
    targets.add(
        "in flight at most", str(stats["in_flight_max"]), "<= 2", stats["in_flight_max"] <= 2
    )
    others = sorted(set(calls) - READ_CALLS)
    targets.add("only whitelisted calls", f"{len(others)} other call(s)", "0", not others)
    targets.add(
        "nothing written on production",
        "no change" if not writes and uploads[0] == uploads[1] else str(writes),
        "no change",
        not writes and uploads[0] == uploads[1],
    )
    if not out.exists():
        targets.add("names in the profile file", "no file", "0 hits", False)
        return
    text = out.read_text()
    searched = truth.names | truth.commands
    leaked = sorted(s for s in searched if s in text)
    lowered = text.lower()
    leaked_ci = sorted(s for s in searched if s.lower() in lowered)
    print(
        f"  profile file {out.stat().st_size / 1024:.0f} KiB; searched it for {len(truth.names)} "
        f"names and {len(truth.commands)} commands: {len(leaked)} hit(s) "
        f"({len(leaked_ci)} ignoring case){': ' + ', '.join(leaked[:10]) if leaked else ''}"
    )
    targets.add(
        "names/commands in the file", f"{len(leaked)} hits of {len(searched)}", "0", not leaked
    )


# --------------------------------------------------------------------------- 2. bad input


def bad_profiles(good: Path, truth: Truth, into: Path) -> dict[str, Path]:
    text = good.read_text()
    doc = json.loads(text)
    into.mkdir(parents=True, exist_ok=True)
    newer = dict(doc, schema_version=int(doc["schema_version"]) + 1)
    project = sorted(n for n in truth.names if "_" in n or "-" in n)[0]
    named = dict(doc)
    named["graphs"] = dict(doc["graphs"], project=project)
    files = {
        "malformed (first ':' made '=')": text.replace(":", "=", 1),
        "truncated (first half)": text[: len(text) // 2],
        f"newer schema ({newer['schema_version']})": json.dumps(newer),
        f"names (graphs.project = {project!r})": json.dumps(named),
    }
    out = {}
    for i, (label, body) in enumerate(files.items()):
        path = into / f"bad{i}.profile.json"
        path.write_text(body)
        out[label] = path
    return out


def refuse_bad_input(
    test: SandboxProcess, good: Path, truth: Truth, flows: int, tmp: Path, targets: Targets
) -> None:
    print("\n== 2. bad profiles given to apply on the fresh test sandbox")
    env = env_for(test.url, "azkaban", "azkaban", tmp / "cli-bad")
    for label, path in bad_profiles(good, truth, tmp / "bad").items():
        before = test.stats()
        argv = ["apply", "--shape", "profile", "--profile", str(path), "--flow-count", str(flows)]
        run = run_cli([*argv, "--prefix", PREFIX], env)
        after = test.stats()
        sent = after["requests_total"] - before["requests_total"]
        error = next((line for _t, line in run.stderr if "error" in line), "(no error line)")
        print(
            f"  {label}: exit {run.code} in {run.seconds:.2f} s; requests to the sandbox {sent}; "
            f"projects {before['projects']} -> {after['projects']}"
        )
        print(f"    {error[:240]}")
        ok = run.code == 2 and sent == 0 and after["projects"] == before["projects"] == 0
        targets.add(
            f"refused: {label.split(' (')[0]}", f"exit {run.code}, {sent} requests", "exit 2, 0", ok
        )


# --------------------------------------------------------------------------- 3. apply + compare


def apply_and_verify(
    test: SandboxProcess, profile: Path, flows: int, processes: int, tmp: Path, targets: Targets
) -> dict[str, str]:
    print(f"\n== 3. apply --shape profile, {flows} flows, on the test sandbox")
    env = env_for(test.url, "azkaban", "azkaban", tmp / "cli-apply")
    spec = ["--shape", "profile", "--profile", str(profile), "--flow-count", str(flows)]
    spec += ["--prefix", PREFIX]
    run = run_cli(["apply", *spec, "--processes", str(processes)], env)
    show("apply", run)
    checked = run_cli(["verify", *spec], env)
    show("verify", checked)
    counts = VERIFY_RE.search(checked.text)
    exact = counts is not None and tuple(int(g) for g in counts.groups()) == (
        flows, flows, 0, 0, 0,
    )  # fmt: skip
    stats = test.stats()
    print(
        f"  test sandbox: {stats['projects']} projects, {stats['flows']} flows, "
        f"{stats['uploads']['bytes'] / 2**20:.1f} MiB uploaded"
    )
    targets.add("apply exits 0", f"exit {run.code} in {run.seconds:.1f} s", "0", run.code == 0)
    measured = (
        "present {}/{}, missing {}, unexpected {}".format(*counts.groups()[:4]) if counts else "?"
    )
    targets.add("verify exact", measured, "exact", exact)
    return env


def run_compare(
    test: SandboxProcess, profile: Path, rate: float, env: dict[str, str], out_dir: Path
) -> dict[str, Any] | None:
    """``azkaban-seeder compare``; the likeness JSON it wrote (None if none)."""
    test.control("stats/reset", {})
    argv = ["compare", str(profile), "--url", test.url, "--out-dir", str(out_dir)]
    run = run_cli([*argv, "--rate", f"{rate:g}"], env)
    show("compare", run, max_lines=60)
    stats = test.stats()
    total = sum(stats["calls"].values())
    print(f"  compare's crawl: {total} requests, in flight at most {stats['in_flight_max']}")
    name = profile.name.removesuffix(".json").removesuffix(".profile")
    report_path = out_dir / f"{name}.likeness.json"
    if not report_path.exists():
        return None
    report: dict[str, Any] = json.loads(report_path.read_text())
    return report


#: Not compared by design (docs/profile-format.md): every synthesized job is type=command.
BY_DESIGN = ("job_types",)


def likeness_targets(report: dict[str, Any] | None, targets: Targets, label: str = "") -> None:
    """Rows for the KS / JS / top-minute targets of one likeness report."""
    if report is None:
        targets.add(f"{label}likeness report written", "no file", "file", False)
        return
    by_name = {c["distribution"]: c for c in report["comparisons"]}
    for key in (*KS_DISTRIBUTIONS, *JS_DISTRIBUTIONS):
        c = by_name[key]
        name = f"{label}{c['metric'].upper()} {key}"
        if c["result"] == "not compared":
            if key in BY_DESIGN:
                targets.add(name, "not compared", "< 0.05", None, f"n/a by design: {c['reason']}")
            else:
                targets.add(name, "not compared", "< 0.05", False, c["reason"])
            continue
        value = float(c["value"])
        targets.add(name, f"{value:.4f}", "< 0.05", value < 0.05)
    top = by_name["top_fire_minutes"]
    minutes = top.get("top_minutes", [])
    if not minutes:
        reason = top.get("reason", "")
        targets.add(f"{label}top-10 fire minutes", "not compared", "each <= 10%", False, reason)
    else:
        print("  top fire minutes of the source week (share of all fires):")
        print(f"    {'minute':16} {'source':>8} {'test':>8} {'rel. diff':>9}")
        for m in sorted(minutes, key=lambda m: -m["source_share"]):
            rel = m["relative_difference"]
            print(
                f"    {m['label']:16} {m['source_share']:8.3%} {m['target_share']:8.3%} "
                f"{rel:9.1%}  {verdict(rel <= 0.10)}"
            )
        worst = max(m["relative_difference"] for m in minutes)
        within = sum(1 for m in minutes if m["relative_difference"] <= 0.10)
        targets.add(
            f"{label}top-{len(minutes)} fire minutes",
            f"{within}/{len(minutes)} within; worst {worst:.1%}",
            "each <= 10%",
            within == len(minutes),
        )
    failed = [c["distribution"] for c in report["comparisons"] if c["result"] == "fail"]
    targets.add(
        f"{label}likeness report overall",
        "PASS" if report["passed"] else f"FAIL: {', '.join(failed)}",
        "PASS",
        report["passed"],
    )


def schedule_drawn_crons(test: SandboxProcess, profile: Path, flows: int) -> tuple[int, float]:
    """Diagnostic, not the product path: schedule every flow's cron as shape ``profile``
    drew it (``generate_flow(spec, i).cron``), with plain ``requests``."""
    spec = EnvSpec.from_mapping(
        {"flow_count": flows, "shape": "profile", "profile": str(profile), "prefix": PREFIX}
    )
    wanted = []
    for index in range(flows):
        cron = generate_flow(spec, index).cron
        if cron is not None:
            wanted.append((project_name(PREFIX, index // spec.flows_per_project), index, cron))
    started = time.monotonic()
    http = requests.Session()
    login = {"action": "login", "username": "azkaban", "password": "azkaban"}
    session = http.post(f"{test.url}/", data=login, timeout=30).json()["session.id"]

    def one(item: tuple[str, int, str]) -> bool:
        project, index, cron = item
        form = {
            "ajax": "scheduleCronFlow", "projectName": project, "flow": flow_id_for(index),
            "cronExpression": cron, "session.id": session,
        }  # fmt: skip
        reply = requests.post(f"{test.url}/schedule", data=form, timeout=30)
        return bool(reply.json().get("status") == "success")

    with ThreadPoolExecutor(4) as pool:
        ok = sum(pool.map(one, wanted))
    return ok, time.monotonic() - started


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=10_000, help="stand-in and test flows")
    parser.add_argument("--rate", type=float, default=1000.0, help="crawl cap (req/s)")
    parser.add_argument("--processes", type=int, default=4, help="apply --processes")
    parser.add_argument("--save-profile", type=Path, help="keep the profile file here")
    args = parser.parse_args()
    started = time.monotonic()
    print(f"CLI {' '.join(cli_command())}; machine: {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    targets = Targets()
    with tempfile.TemporaryDirectory(prefix="acceptance-profile-") as name:
        tmp = Path(name)
        profile = tmp / "prod.profile.json"
        prod, truth = build_production(tmp / "prod", args.flows)
        try:
            profile_production(prod, truth, profile, args.rate, tmp, targets)
        finally:
            prod.stop()
        if profile.exists():
            if args.save_profile:
                args.save_profile.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(profile, args.save_profile)
                print(f"  profile kept at {args.save_profile}")
            with SandboxProcess(tmp / "test") as test:
                print(f"\ntest sandbox {test.url} (fresh, empty)")
                refuse_bad_input(test, profile, truth, args.flows, tmp, targets)
                env = apply_and_verify(test, profile, args.flows, args.processes, tmp, targets)
                print("\n== 4. compare the test sandbox with the production profile")
                report = run_compare(test, profile, args.rate, env, tmp / "likeness")
                likeness_targets(report, targets)
                if report is not None and report["target"]["scheduled_flows"] == 0:
                    print(
                        "\n== 4b. diagnostic (NOT the product path): the test environment has no "
                        "schedules; schedule the crons shape profile drew, then compare again"
                    )
                    done, seconds = schedule_drawn_crons(test, profile, args.flows)
                    print(f"  {done} schedules set with plain requests in {seconds:.1f} s")
                    report = run_compare(test, profile, args.rate, env, tmp / "likeness-diag")
                    likeness_targets(report, targets, label="diag: ")
    print(f"\n== summary ({time.monotonic() - started:.0f} s wall)")
    targets.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
