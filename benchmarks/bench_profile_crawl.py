"""Read-only profiling figures (prints, never asserts).

Builds the production stand-in (tests/profile/standin.py: 10,000 flows, 30 days of history
by default) in a sandbox, then profiles it through the read-only crawler with a READ-only
account and the default sampling (10 executions per flow, 2,000 flows' histories, 2 in
flight): build time, crawl time, requests by call (counted by the sandbox), the sandbox's
in-flight maximum, the request rate reached, what the crawl would take at the default rate
cap, and the profile file's size.

The sandbox runs in its own process (`python -m azkaban_sandbox`) unless `--in-process`.
The crawl runs at `--rate` (default 1000 req/s, to measure the server and the crawler rather
than the cap; production uses the default 20 req/s).

Run: .venv/bin/python benchmarks/bench_profile_crawl.py [--flows 10000] [--rate 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from azkaban_sandbox import SandboxConfig, SandboxServer
from azkaban_seeder.azkaban import ConnectionSettings
from azkaban_seeder.crawl import CrawlOptions, crawl_outcome
from azkaban_seeder.profile import build_profile, dump_profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "profile"))
from standin import StandinSpec, build_standin

READER, PASSWORD = "qa_reader", "read-only-pw"


@contextlib.contextmanager
def sandbox_url(in_process: bool) -> Iterator[str]:
    users = {"azkaban": "azkaban", READER: PASSWORD}
    if in_process:
        config = SandboxConfig(port=0, users=users, user_roles={READER: ("READ",)})
        with SandboxServer(config) as server:
            yield server.url
        return
    with tempfile.TemporaryDirectory() as data_dir:
        cmd = [sys.executable, "-m", "azkaban_sandbox", "--port", "0", "--data-dir", data_dir]
        cmd += ["--user", "azkaban:azkaban", "--user", f"{READER}:{PASSWORD}:READ"]
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            yield line.split("listening on ")[1].split(" ")[0]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--max-in-flight", type=int, default=2)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true", help="crawl progress lines")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    with sandbox_url(args.in_process) as url:
        print(f"sandbox at {url} ({'in-process' if args.in_process else 'subprocess'})")
        truth = build_standin(url, spec=StandinSpec(flows=args.flows))
        print(
            f"stand-in: {truth.projects} projects ({truth.flow2_projects} Flow 2.0), "
            f"{truth.flows} flows, {truth.scheduled} scheduled, {truth.runs} runs "
            f"({truth.runs_in_window} in 30 days, {truth.failed_runs} failed) "
            f"built in {truth.seconds:.1f} s with {truth.requests} requests"
        )
        requests.post(f"{url}/_sandbox/stats/reset", timeout=30).raise_for_status()
        options = CrawlOptions(rate=args.rate, max_in_flight=args.max_in_flight)
        settings = ConnectionSettings(url, READER, PASSWORD, timeout=60.0)
        outcome = crawl_outcome(settings, options)
        stats = requests.get(f"{url}/_sandbox/stats", timeout=30).json()
        obs = outcome.observations
        print(
            f"crawl: complete={outcome.complete}, {obs.requests} requests in "
            f"{outcome.seconds:.1f} s ({obs.requests / outcome.seconds:.0f} req/s, cap "
            f"{args.rate:g}), sandbox in-flight max {stats['in_flight_max']}"
        )
        for call, count in sorted(stats["calls"].items(), key=lambda kv: -kv[1]):
            print(f"  {count:>7}  {call}")
        default_rate = CrawlOptions().rate
        print(
            f"at the default cap of {default_rate:g} req/s the same crawl takes at least "
            f"{obs.requests / default_rate / 60:.1f} min"
        )
        started = time.perf_counter()
        profile = build_profile(outcome.check())
        with tempfile.TemporaryDirectory() as out_dir:
            path = Path(out_dir) / "prod.profile.json"
            dump_profile(profile, path)
            size = path.stat().st_size
        print(
            f"profile: {profile.counts.flows} flows, {profile.counts.executions_sampled} "
            f"executions sampled, built and written in {time.perf_counter() - started:.2f} s, "
            f"{size / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
