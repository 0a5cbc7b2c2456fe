"""Sandbox throughput figures (prints, never asserts).

- one upload of a 1,000-flow Flow 1.0 zip and of a 1,000-flow Flow 2.0 zip (wall time of the
  HTTP call, cost model off, i.e. pure sandbox + loader work)
- requests/s for login + fetchprojectflows under 8 concurrent clients

The sandbox runs in its own process (`python -m azkaban_sandbox`), so client threads do
not share its GIL; `--in-process` runs it in this process instead.

Run: .venv/bin/python benchmarks/bench_sandbox.py [--flows 1000] [--seconds 5] [--clients 8]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator

import requests

from azkaban_sandbox import SandboxConfig, SandboxServer


def flow1_zip(flows: int, jobs_per_flow: int = 3) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(flows):
            names = [f"flow{i:05d}_j{k}" for k in range(jobs_per_flow - 1)] + [f"flow{i:05d}"]
            for k, name in enumerate(names):
                text = f"type=command\ncommand=echo {name}\n"
                if k:
                    text += f"dependencies={names[k - 1]}\n"
                zf.writestr(f"flows/{name}.job", text)
    return buf.getvalue()


def flow2_zip(flows: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bench.project", "azkaban-flow-version: 2.0\n")
        for i in range(flows):
            zf.writestr(
                f"flows/flow{i:05d}.flow",
                "nodes:\n"
                "  - name: a\n    type: command\n    config:\n      command: echo a\n"
                "  - name: b\n    type: command\n    dependsOn: [a]\n"
                "    config:\n      command: echo b\n"
                "  - name: c\n    type: command\n    dependsOn: [b]\n"
                "    config:\n      command: echo c\n",
            )
    return buf.getvalue()


def login(http: requests.Session, url: str) -> str:
    reply = http.post(url, data={"action": "login", "username": "azkaban", "password": "azkaban"})
    return str(reply.json()["session.id"])


def time_upload(url: str, sid: str, project: str, data: bytes) -> None:
    http = requests.Session()
    http.post(
        url + "/manager",
        data={"action": "create", "name": project, "description": "bench", "session.id": sid},
    )
    start = time.perf_counter()
    reply = http.post(
        url + "/manager",
        data={"ajax": "upload", "project": project, "session.id": sid},
        files={"file": (f"{project}.zip", data, "application/zip")},
        timeout=600,
    )
    seconds = time.perf_counter() - start
    flows = len(
        http.get(
            url + "/manager",
            params={"ajax": "fetchprojectflows", "project": project, "session.id": sid},
        ).json()["flows"]
    )
    print(
        f"upload {project}: {len(data) / 1024:.0f} KiB, {flows} flows, "
        f"HTTP {reply.status_code}, {seconds:.2f} s"
    )


def hammer(url: str, project: str, clients: int, seconds: float) -> None:
    counts = [0] * clients
    errors = [0] * clients
    deadline = time.perf_counter() + seconds

    def work(index: int) -> None:
        http = requests.Session()
        while time.perf_counter() < deadline:
            sid = login(http, url)
            reply = http.get(
                url + "/manager",
                params={"ajax": "fetchprojectflows", "project": project, "session.id": sid},
            )
            counts[index] += 2
            errors[index] += int(reply.status_code != 200 or "flows" not in reply.json())

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    total = sum(counts)
    print(
        f"login+fetchprojectflows, {clients} clients, {elapsed:.1f} s: {total} requests, "
        f"{total / elapsed:.0f} req/s, errors {sum(errors)}"
    )


@contextlib.contextmanager
def sandbox_url(in_process: bool) -> Iterator[str]:
    if in_process:
        with SandboxServer(SandboxConfig(port=0)) as server:
            yield server.url
        return
    with tempfile.TemporaryDirectory() as data_dir:
        cmd = [
            sys.executable,
            "-m",
            "azkaban_sandbox",
            "--port",
            "0",
            "--data-dir",
            data_dir,
        ]
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
            yield line.split("listening on ")[1].split(" ")[0]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    with sandbox_url(args.in_process) as url:
        print(f"sandbox at {url} ({'in-process' if args.in_process else 'subprocess'})")
        sid = login(requests.Session(), url)
        t0 = time.perf_counter()
        z1 = flow1_zip(args.flows)
        z2 = flow2_zip(args.flows)
        print(f"built zips in {time.perf_counter() - t0:.2f} s")
        time_upload(url, sid, "bench_flow1", z1)
        time_upload(url, sid, "bench_flow2", z2)
        hammer(url, "bench_flow1", args.clients, args.seconds)


if __name__ == "__main__":
    main()
