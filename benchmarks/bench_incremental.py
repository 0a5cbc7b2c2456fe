"""Incremental converge: first apply vs an unchanged second apply vs a run after drift.

Prints wall times and upload counts (no assertions). A sandbox subprocess on a free port;
10,000 single-job flows by default (``--flows N``); ``--cost-base-ms 400`` gives every upload
the cost of a real server's (the sandbox's cost model). After the table, the projects each
run wrote, read off the server: a project whose id or current version differs from what the
server held before that run (``fetchallprojects`` for the ids, a download's ``version``
header for the versions; a project created anew counts).

    .venv/bin/python benchmarks/bench_incremental.py [--flows 10000] [--cost-base-ms 400]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def apply(url: str, flows: int) -> tuple[float, dict[str, int]]:
    env = {**os.environ, "AZKABAN_URL": url, "AZKABAN_PASSWORD": "azkaban"}
    argv = [str(BIN / "azkaban-seeder"), "apply", "--flow-count", str(flows), "--prefix", "inc"]
    started = time.monotonic()
    out = subprocess.run([*argv, "--json"], env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    report = json.loads(out.stdout)
    totals = report["totals"]
    return wall, {
        "uploaded": totals["projects_uploaded"],
        "repaired": totals["projects_repaired"],
        "skipped": totals["projects_skipped"],
        "exit": out.returncode,
        "verify_ok": int(bool(report["verify"]["ok"])),
    }


def _login(http: requests.Session, url: str) -> None:
    http.post(f"{url}/", data={"action": "login", "username": "azkaban", "password": "azkaban"})


def server_state(url: str) -> dict[str, tuple[int, str]]:
    """Each project's (id, current version) as the server reports them."""
    with requests.Session() as http:
        _login(http, url)
        listed = http.get(f"{url}/index", params={"ajax": "fetchallprojects"}, timeout=60)
        state: dict[str, tuple[int, str]] = {}
        for project in listed.json().get("projects") or []:
            name = str(project["projectName"])
            params = {"project": name, "download": "true"}
            with http.get(f"{url}/manager", params=params, stream=True, timeout=60) as reply:
                state[name] = (int(project["projectId"]), reply.headers.get("version", "?"))
        return state


def written(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    """Projects created or given a new version between the two states."""
    return sorted(name for name, seen in after.items() if before.get(name) != seen)


def drift(url: str) -> None:
    """A hand re-upload of inc_00001 and a hand delete of inc_00002."""
    with requests.Session() as http:
        _login(http, url)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for i in range(100, 200):
                archive.writestr(f"flow_{i:06d}.job", "type=command\ncommand=echo hand\n")
        http.post(
            f"{url}/manager",
            data={"ajax": "upload", "project": "inc_00001"},
            files={"file": ("hand.zip", buffer.getvalue(), "application/zip")},
        )
        http.get(f"{url}/manager", params={"project": "inc_00002", "delete": "true"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flows", type=int, default=10_000)
    parser.add_argument("--cost-base-ms", type=float, default=0.0, help="sandbox upload cost")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        argv = [str(BIN / "azkaban-sandbox"), "--port", str(port), "--data-dir", data]
        argv += ["--cost-base-ms", str(args.cost_base_ms)]
        server = subprocess.Popen([*argv, "--log-level", "WARNING"])
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    requests.get(url + "/status", timeout=1)
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            rows = [("first apply", *apply(url, args.flows))]
            after_first = server_state(url)
            rows.append(("unchanged re-run", *apply(url, args.flows)))
            after_second = server_state(url)
            drift(url)
            rows.append(("after 1 hand re-upload + 1 delete", *apply(url, args.flows)))
            after_third = server_state(url)
        finally:
            server.terminate()
            server.wait(timeout=30)
    first = rows[0][1]
    print(f"{'run':<36} {'wall s':>7} {'of 1st':>7}  counts")
    for name, wall, counts in rows:
        print(f"{name:<36} {wall:>7.2f} {wall / first:>6.0%}  {counts}")
    changed = [
        ("first apply", written({}, after_first)),
        ("unchanged re-run", written(after_first, after_second)),
        # Against the state before the hand edits: what the third run put back.
        ("after 1 hand re-upload + 1 delete", written(after_second, after_third)),
    ]
    for name, names in changed:
        shown = ", ".join(names) if len(names) <= 10 else f"{', '.join(names[:3])}, ..."
        print(f"projects written by {name!r}: {len(names)} ({shown or 'none'})")


if __name__ == "__main__":
    main()
