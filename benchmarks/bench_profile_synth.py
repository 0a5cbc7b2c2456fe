"""Synthesis speed of shape ``profile`` vs shape ``single``, in one process.

Run: .venv/bin/python benchmarks/bench_profile_synth.py [--sizes 10000 100000] [--sample 10000]
Builds a profile from the skewed sample observations of the tests (tests/profile), writes it
to a temporary file, then prints the time to generate N flows with each shape (the first
profile flow includes loading the file and building the draw tables), and the time to build
the profile itself.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "profile"))

from profile_samples import skewed_observations

from azkaban_seeder.flows import generate_flow
from azkaban_seeder.profile import build_profile, dump_profile
from azkaban_seeder.spec import EnvSpec


def _time(spec: EnvSpec, count: int) -> tuple[float, int]:
    start = time.perf_counter()
    jobs = sum(len(generate_flow(spec, i).jobs) for i in range(count))
    return time.perf_counter() - start, jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--sample", type=int, default=10_000, help="observed flows")
    args = parser.parse_args()
    obs, _ = skewed_observations(args.sample, seed=3)
    start = time.perf_counter()
    profile = build_profile(obs)
    print(f"build_profile of {args.sample} observed flows: {time.perf_counter() - start:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "profile.json"
        dump_profile(profile, path)
        print(f"profile file: {path.stat().st_size / 1024:.0f} KiB")
        print(f"{'shape':8} {'flows':>8} {'seconds':>8} {'flows/s':>9} {'jobs':>8}")
        for size in args.sizes:
            for shape in ("single", "profile"):
                extra = {"profile": str(path)} if shape == "profile" else {}
                spec = EnvSpec.from_mapping({"flow_count": size, "shape": shape, **extra})
                seconds, jobs = _time(spec, size)
                print(f"{shape:8} {size:8d} {seconds:8.2f} {size / seconds:9.0f} {jobs:8d}")


if __name__ == "__main__":
    main()
