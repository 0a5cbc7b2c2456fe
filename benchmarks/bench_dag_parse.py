"""Parse time of dags/ as the dag-processor sees it: DagBag fill, warm and cold.

Prints figures; asserts nothing. Usage: .venv/bin/python benchmarks/bench_dag_parse.py [N]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAGS, PLUGINS = ROOT / "dags", ROOT / "plugins"

COLD = """
import sys, time
sys.path.insert(0, {plugins!r})
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(dag_folder={dags!r})
assert not bag.import_errors, bag.import_errors
print(time.perf_counter() - started)
"""


def _environment(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(
        AIRFLOW_HOME=home,
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(PLUGINS),
    )
    return env


def main(runs: int) -> None:
    home = tempfile.mkdtemp(prefix="bench-parse-")
    os.environ.update(_environment(home))
    sys.path.insert(0, str(PLUGINS))
    from airflow.dag_processing.dagbag import DagBag

    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        bag = DagBag(dag_folder=str(DAGS))
        warm.append(time.perf_counter() - started)
        assert not bag.import_errors, bag.import_errors
    print(f"dags/: {len(bag.dags)} DAGs, {len(list(DAGS.glob('*.py')))} files")
    print(
        f"warm DagBag fill (plugins cached): median {statistics.median(warm) * 1000:.1f} ms, "
        f"max {max(warm) * 1000:.1f} ms over {runs} runs"
    )

    code = COLD.format(plugins=str(PLUGINS), dags=str(DAGS))
    cold = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=_environment(home),
            capture_output=True,
            text=True,
            check=True,
        )
        cold.append(float(out.stdout.strip().splitlines()[-1]))
    print(
        f"cold DagBag fill (fresh interpreter, plugin modules imported too): "
        f"median {statistics.median(cold) * 1000:.1f} ms over 3 runs"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
