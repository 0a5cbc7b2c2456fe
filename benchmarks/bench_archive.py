"""Time and size of writing 1,000-flow project zips, plus peak RSS.

Run: .venv/bin/python benchmarks/bench_archive.py [--flows 1000] [--repeat 5]
Prints one line per (format, shape): best wall time, MB/s, zip size, jobs, and at the end the
process's peak RSS (which stays flat because flows are streamed, not collected).
"""

from __future__ import annotations

import argparse
import io
import resource
import time

from azkaban_seeder.archive import write_project_zip
from azkaban_seeder.plan import plan_projects
from azkaban_seeder.spec import EnvSpec


class _NullSink(io.RawIOBase):
    """Counts bytes and drops them, so the figure is generation + compression only."""

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        return len(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'format':6} {'shape':8} {'best s':>8} {'MB/s':>7} {'bytes':>10} {'jobs':>7}")
    for fmt in ("1.0", "2.0"):
        for shape in ("single", "mix"):
            spec = EnvSpec(
                flow_count=args.flows,
                flows_per_project=min(args.flows, 5000),
                flow_format=fmt,
                shape=shape,
            )
            project = plan_projects(spec)[0]
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                summary = write_project_zip(spec, project, _NullSink())  # type: ignore[arg-type]
                best = min(best, time.perf_counter() - start)
            rate = summary.bytes / best / 1e6
            print(
                f"{fmt:6} {shape:8} {best:8.3f} {rate:7.2f} {summary.bytes:10d} {summary.jobs:7d}"
            )
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS: {peak_kb / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
