"""Acceptance run of the scale issue's "must show" list: every target, one run each.

Runs the benchmark that measures each target as a subprocess, one after another (each starts
its own sandbox, the DAG and Celery ones their own Airflow stack), echoes its output, reads the
figures the targets are judged by off that output and ends with one PASS/MISS line per
target. It measures, it does not assert: a missed target still exits 0. It exits 1 when a
benchmark failed to run or did not print a figure a target needs (NOT MEASURED).

- dag: `bench_dag_path.py --flows 100000`: DAG run wall / CLI apply wall <= 2.0;
- million: `bench_dag_path.py --flows 1000000 --flows-per-project 1000 --skip-cli
  --skip-floor`: exact, < 10 min, every process < 500 MB (XCom, DB and log volume shown);
- cost: `bench_apply.py --flows 10000 --cost-ms 400 --processes 4,16 --skip-naive`:
  apply / wire <= 1.10 at 4 and at 16 concurrent uploads;
- zero10k, zero100k: `bench_apply.py --flows 10000|100000 --processes 4 --skip-naive
  --repeat 5`: median apply / wire <= 1.5 and <= 1.2;
- incremental: `bench_incremental.py --cost-base-ms 400`: an unchanged re-run uploads nothing
  in <= 10 % of the first run's wall; after a hand re-upload and a hand delete the next run
  writes exactly those two projects;
- celery: `bench_celery_workers.py --flows 20000 --projects-per-shard 50`: 2 workers vs 1
  >= 1.6, shards on both hostnames, exact.

About 15 minutes on a 2-core machine; the Celery step needs PostgreSQL and Redis on
127.0.0.1 (as the test suite does).

    .venv/bin/python benchmarks/acceptance_scale.py [--only dag,million,cost,zero10k,...]
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MB = 1_000_000
MIB = 2**20


@dataclass(frozen=True)
class Verdict:
    """One target: what was measured and whether it meets the target (None: not measured)."""

    target: str
    figure: str
    ok: bool | None


@dataclass(frozen=True)
class Step:
    """One benchmark run and how its output is judged."""

    name: str
    argv: tuple[str, ...]
    judge: Callable[[str], list[Verdict]]


def _number(pattern: str, text: str) -> float | None:
    """The first group of the first match of ``pattern`` as a float, or None."""
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else None


def _bounded(target: str, value: float | None, limit: float, *, most: bool) -> Verdict:
    """``value`` against ``limit``: at most (``most``) or at least."""
    if value is None:
        return Verdict(target, "no figure in the output", None)
    sign, ok = ("<=", value <= limit) if most else (">=", value >= limit)
    return Verdict(target, f"{value:g} (target {sign} {limit:g})", ok)


def judge_dag(text: str) -> list[Verdict]:
    """`bench_dag_path.py` at 100,000 flows: the rebuild / CLI ratio."""
    ratio = _number(r"ratio rebuild / CLI: ([\d.]+)", text)
    return [_bounded("100,000 flows: DAG run wall / CLI apply wall", ratio, 2.0, most=True)]


def _largest_process(text: str) -> tuple[str, float] | None:
    """The role and peak RSS (MiB) of the largest process in the peak-RSS table."""
    rows = re.findall(r"^ {4}(\S.*?)\s+([\d.]+) MiB  \(\d+\)$", text, re.MULTILINE)
    if not rows:
        return None
    role, mib = max(rows, key=lambda row: float(row[1]))
    return role, float(mib)


def judge_million(text: str) -> list[Verdict]:
    """`bench_dag_path.py` at 1,000,000 flows: exact, wall, peak RSS; volumes shown."""
    verdicts: list[Verdict] = []
    census = re.search(r"independent count: (.*)$", text, re.MULTILINE)
    verdicts.append(
        Verdict(
            "1,000,000 flows through the DAG: exact (independent count)",
            census.group(1) if census else "no figure in the output",
            census.group(1).endswith(": exact") if census else None,
        )
    )
    run = re.search(r"rebuild: (\w+) in ([\d.]+)s", text)
    target = "1,000,000 flows: run succeeded, wall < 10 min"
    if run is None:
        verdicts.append(Verdict(target, "no figure in the output", None))
    else:
        seconds = float(run.group(2))
        verdicts.append(
            Verdict(
                target,
                f"{run.group(1)} in {seconds:g} s (target < 600 s)",
                run.group(1) == "success" and seconds < 600,
            )
        )
    largest = _largest_process(text)
    target = "1,000,000 flows: peak RSS of any process < 500 MB"
    if largest is None:
        verdicts.append(Verdict(target, "no RSS table", None))
    else:
        role, mib = largest
        megabytes = mib * MIB / MB
        verdicts.append(
            Verdict(
                target,
                f"largest {megabytes:.0f} MB ({mib:.1f} MiB, {role})",
                megabytes < 500,
            )
        )
    volumes = [
        match.group(0).strip()
        for match in re.finditer(r"^ +(XCom|metadata DB|task logs): .*$", text, re.MULTILINE)
    ]
    verdicts.append(
        Verdict(
            "1,000,000 flows: XCom, metadata-DB and log volume (shown, no bound)",
            "; ".join(volumes) if volumes else "no figure in the output",
            True if volumes else None,
        )
    )
    return verdicts


def judge_cost(text: str) -> list[Verdict]:
    """`bench_apply.py --cost-ms 400 --processes 4,16`: one ratio per process count."""
    verdicts = []
    for processes in (4, 16):
        block = re.search(rf"^--- {processes} processes.*?(?=^--- |\Z)", text, re.M | re.S)
        ratio = _number(r"ratio apply / wire limit: ([\d.]+)", block.group(0)) if block else None
        target = f"400 ms per upload, thread cap: apply / wire at {processes} concurrent uploads"
        verdicts.append(_bounded(target, ratio, 1.10, most=True))
    return verdicts


def judge_zero(flows: int, limit: float) -> Callable[[str], list[Verdict]]:
    """`bench_apply.py --repeat 5` against a zero-cost sandbox: the median ratio."""

    def judge(text: str) -> list[Verdict]:
        ratio = _number(r"median ratio apply / wire limit over \d+ pairs: ([\d.]+)", text)
        target = f"zero-cost server, {flows:,} flows: apply / wire"
        return [_bounded(target, ratio, limit, most=True)]

    return judge


def _row(name: str, text: str) -> tuple[float, dict[str, int]] | None:
    """(wall seconds, counts) of one row of the incremental table."""
    match = re.search(rf"^{re.escape(name)}\s+([\d.]+)\s+\d+%\s+(\{{.*\}})$", text, re.M)
    if match is None:
        return None
    counts: dict[str, int] = ast.literal_eval(match.group(2))
    return float(match.group(1)), counts


def judge_incremental(text: str) -> list[Verdict]:
    """`bench_incremental.py`: the unchanged re-run and the run after the hand edits."""
    verdicts = []
    first = _row("first apply", text)
    unchanged = _row("unchanged re-run", text)
    target = "unchanged environment, second run: 0 uploads, <= 10 % of the first run's wall"
    if first is None or unchanged is None:
        verdicts.append(Verdict(target, "no row", None))
    else:
        share = 100 * unchanged[0] / first[0]
        counts = unchanged[1]
        verdicts.append(
            Verdict(
                target,
                f"{counts['uploaded']} uploads, {unchanged[0]:g} s of {first[0]:g} s "
                f"= {share:.1f} %",
                counts["uploaded"] == 0 and share <= 10 and counts["verify_ok"] == 1,
            )
        )
    label = "after 1 hand re-upload + 1 delete"
    after = _row(label, text)
    names = re.search(rf"^projects written by '{re.escape(label)}': (\d+) \((.*)\)$", text, re.M)
    target = (
        "after a hand re-upload of one project and a hand delete of another, "
        "the next run repairs exactly those two"
    )
    if after is None or names is None:
        verdicts.append(Verdict(target, "no row", None))
    else:
        counts = after[1]
        # bench_incremental re-uploads inc_00001 by hand and deletes inc_00002.
        written = names.group(2).split(", ")
        verdicts.append(
            Verdict(
                target,
                f"{counts['uploaded']} uploaded ({counts['repaired']} repaired), "
                f"{counts['skipped']} skipped; written: {names.group(2)}",
                written == ["inc_00001", "inc_00002"] and counts["verify_ok"] == 1,
            )
        )
    return verdicts


def judge_celery(text: str) -> list[Verdict]:
    """`bench_celery_workers.py`: the 1 -> 2 worker ratio, both hostnames, exact."""
    ratio = _number(r"ratio 1 -> 2 workers: run wall ([\d.]+)x", text)
    target = "2 Celery workers vs 1 (cost model on): throughput ratio"
    verdicts = [_bounded(target, ratio, 1.6, most=False)]
    two = re.search(r"^2 worker\(s\): (.*)$((?:\n {4}.*)*)", text, re.MULTILINE)
    target = "2 Celery workers: shards seen on both hostnames, exact result"
    if two is None:
        verdicts.append(Verdict(target, "no row", None))
        return verdicts
    hosts = re.findall(r"^ {4}(\S+): (\d+) shards", two.group(2), re.MULTILINE)
    busy = [host for host, shards in hosts if int(shards) > 0]
    exact = re.search(r"independent count (\d+)", two.group(1))
    flows = _number(r"'flow_count': (\d+)", text)
    verdicts.append(
        Verdict(
            target,
            f"{', '.join(f'{h}: {n} shards' for h, n in hosts) or 'no hostnames'}; "
            f"independent count {exact.group(1) if exact else '?'}",
            len(busy) >= 2
            and exact is not None
            and flows is not None
            and int(exact.group(1)) == int(flows),
        )
    )
    return verdicts


def _bench(command: str) -> tuple[str, ...]:
    """The argv of a benchmark script of this directory, run by this interpreter."""
    script, *args = command.split()
    return (sys.executable, str(HERE / script), *args)


STEPS = (
    Step("dag", _bench("bench_dag_path.py --flows 100000"), judge_dag),
    Step(
        "million",
        _bench(
            "bench_dag_path.py --flows 1000000 --flows-per-project 1000 --skip-cli --skip-floor"
        ),
        judge_million,
    ),
    Step(
        "cost",
        _bench("bench_apply.py --flows 10000 --cost-ms 400 --processes 4,16 --skip-naive"),
        judge_cost,
    ),
    Step(
        "zero10k",
        _bench("bench_apply.py --flows 10000 --processes 4 --skip-naive --repeat 5"),
        judge_zero(10_000, 1.5),
    ),
    Step(
        "zero100k",
        _bench("bench_apply.py --flows 100000 --processes 4 --skip-naive --repeat 5"),
        judge_zero(100_000, 1.2),
    ),
    Step("incremental", _bench("bench_incremental.py --cost-base-ms 400"), judge_incremental),
    Step(
        "celery",
        _bench("bench_celery_workers.py --flows 20000 --projects-per-shard 50"),
        judge_celery,
    ),
)


def run_step(step: Step) -> tuple[str, int, float]:
    """Run one benchmark, echoing its output; (output, exit code, wall seconds)."""
    print(f"=== {step.name}: {Path(step.argv[1]).name} {' '.join(step.argv[2:])}")
    sys.stdout.flush()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }
    started = time.monotonic()
    lines: list[str] = []
    with subprocess.Popen(
        step.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line)
    return "".join(lines), proc.returncode, time.monotonic() - started


def verdict_word(ok: bool | None) -> str:
    return {True: "PASS", False: "MISS", None: "NOT MEASURED"}[ok]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [step.name for step in STEPS]
    parser.add_argument("--only", help=f"comma-separated steps of {','.join(names)}")
    args = parser.parse_args()
    chosen = names if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f"unknown step(s) {', '.join(unknown)}; pick from {','.join(names)}")
    results: list[tuple[str, Verdict]] = []
    for step in STEPS:
        if step.name not in chosen:
            continue
        output, code, seconds = run_step(step)
        print(f"=== {step.name}: exit {code} after {seconds:.0f} s\n")
        verdicts = step.judge(output)
        if code != 0:
            verdicts = [
                Verdict(v.target, f"{v.figure}; the benchmark exited {code}", None)
                for v in verdicts
            ]
        results.extend((step.name, verdict) for verdict in verdicts)
    print("=== the scale issue's must-show list")
    for name, verdict in results:
        print(f"{verdict_word(verdict.ok):<12} [{name}] {verdict.target}: {verdict.figure}")
    missed = sum(1 for _n, v in results if v.ok is False)
    unmeasured = sum(1 for _n, v in results if v.ok is None)
    print(
        f"{len(results) - missed - unmeasured} PASS, {missed} MISS, {unmeasured} NOT MEASURED "
        f"of {len(results)} targets"
    )
    return 1 if unmeasured else 0


if __name__ == "__main__":
    sys.exit(main())
