"""Print load times of 1,000-flow project zips (Flow 1.0 and Flow 2.0) through the loaders.

Run: .venv/bin/python benchmarks/bench_loaders.py [flows] [repeats]
"""

from __future__ import annotations

import io
import sys
import time
import zipfile

from azkaban_seeder.loaders import load_project_zip


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buffer.getvalue()


def flow1_zip(flows: int) -> bytes:
    """One single-job flow per job, all in one folder."""
    return _zip(
        {
            f"proj/flow_{i:05d}.job": f"type=command\ncommand=echo proj flow_{i:05d} job\n"
            for i in range(flows)
        }
    )


def flow1_chain_zip(flows: int, jobs: int) -> bytes:
    """`flows` flows of `jobs` chained jobs each."""
    files = {}
    for i in range(flows):
        for j in range(jobs):
            dep = f"dependencies=f{i}_j{j - 1}\n" if j else ""
            files[f"proj/f{i}/f{i}_j{j}.job"] = f"type=command\ncommand=echo {i} {j}\n{dep}"
    return _zip(files)


def flow2_zip(flows: int, jobs: int = 1) -> bytes:
    files = {"proj/proj.project": "azkaban-flow-version: 2.0\n"}
    for i in range(flows):
        nodes = []
        for j in range(jobs):
            dep = f"\n    dependsOn: [job_{j - 1}]" if j else ""
            nodes.append(
                f"  - name: job_{j}\n    type: command{dep}\n"
                f"    config:\n      command: echo proj flow_{i:05d} job_{j}\n"
            )
        files[f"proj/flow_{i:05d}.flow"] = "nodes:\n" + "".join(nodes)
    return _zip(files)


def _time(label: str, data: bytes, repeats: int) -> None:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = load_project_zip(data)
        best = min(best, time.perf_counter() - start)
    assert not result.errors, result.errors[:3]
    print(
        f"{label:<38} zip={len(data) / 1024:7.1f} KiB flows={len(result.flows):5d} "
        f"best of {repeats}: {best * 1000:7.1f} ms"
    )


def main() -> None:
    flows = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    _time(f"Flow 1.0, {flows} single-job flows", flow1_zip(flows), repeats)
    _time(
        f"Flow 1.0, {flows // 10} flows x 10-job chains", flow1_chain_zip(flows // 10, 10), repeats
    )
    _time(f"Flow 2.0, {flows} single-job flows", flow2_zip(flows), repeats)
    _time(f"Flow 2.0, {flows // 10} flows x 10-job chains", flow2_zip(flows // 10, 10), repeats)


if __name__ == "__main__":
    main()
