"""Wall time of replications of the default scenario: 1 worker, 2 local workers, Dask.

Runs, in one process, ``--replications`` replications of ``scenarios/baseline.toml``
sequentially, with a local process pool of 2 workers, and through a Dask
``LocalCluster`` with 2 workers, and prints the wall times and the ratios:

* parallel efficiency of the pool: ``T(1) / (2 * T(2))`` (target >= 0.85);
* Dask against the pool: ``T(dask) / T(2)`` (target <= 1.15).

Each configuration writes a fresh results directory (the full store: shards,
consolidated tables, manifest), so the figures include everything a user pays
for.  Usage: ``python benchmarks/parallel_replications.py [--replications 20]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiment.executors import (  # noqa: E402
    DaskExecutor,
    Executor,
    ProcessExecutor,
    SequentialExecutor,
)
from sim.experiment.runner import run_replications  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


def timed(make: Callable[[], Executor], replications: int, scratch: Path, label: str) -> float:
    """Wall seconds of ``replications`` replications of the baseline on ``make()``."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.toml")
    started = time.perf_counter()
    run_replications(scenario, scratch / label, replications, make())
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    args = parser.parse_args()
    n = args.replications
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, {n} replications "
          "of scenarios/baseline.toml")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        t1 = timed(SequentialExecutor, n, scratch, "seq")
        print(f"1 worker (sequential):       {t1:8.1f} s")
        t2 = timed(lambda: ProcessExecutor(2), n, scratch, "pool")
        print(f"2 local worker processes:    {t2:8.1f} s")
        td = timed(lambda: DaskExecutor(workers=2), n, scratch, "dask")
        print(f"Dask LocalCluster, 2 workers: {td:7.1f} s")
    efficiency = t1 / (2 * t2)
    dask_ratio = td / t2
    print(f"parallel efficiency T1/(2 T2): {efficiency:.2f}  (target >= 0.85: "
          f"{'met' if efficiency >= 0.85 else 'NOT met'})")
    print(f"Dask / local pool:             {dask_ratio:.2f}  (target <= 1.15: "
          f"{'met' if dask_ratio <= 1.15 else 'NOT met'})")
    return 0 if efficiency >= 0.85 and dask_ratio <= 1.15 else 1


if __name__ == "__main__":
    sys.exit(main())
