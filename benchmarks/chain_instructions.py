"""Chain against queue in *instructions*, counted by valgrind: the noise-free version of
``benchmarks/chain_throughput.py``.

Wall-clock ratios on a shared or virtual machine swing by 20 % or more from one repeat
to the next.  The number of machine instructions a run executes does not: with the hash
seed fixed and numpy's thread pools at one thread, valgrind's ``cachegrind`` counts the
same total every time (to a few parts in a million).  Instructions are not time (cache
misses and branch mispredictions differ), so this measures the *work* per encounter,
which is what code changes move.

Each workload (the chain: the full default scenario; the queue: M/M/10 at utilisation
0.9, about ``--customers`` arrivals, infinitely patient; the same runs as
``chain_throughput.py``) is counted twice, once up to loading its scenario and once
through the whole run; the difference is the simulation's own count.  The ratio is
(encounters per instruction of the chain) / (customers per instruction of the queue).
It has no target of its own: an instruction of the chain costs more time than one of the
queue, so the instruction ratio runs above the timed one (0.84 against about 0.67, then
0.92 against about 0.78, on 2026-11-28); it is the tool for telling whether a change of
code did less work.  Exit 0, or 2 without valgrind.
Needs ``valgrind`` on the path; the chain takes a few minutes under it.

Run from the repository root::

    python benchmarks/chain_instructions.py [--customers 200000]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.7  # chain_throughput.py's target, for time

_WORKLOAD = """
import sys
sys.path.insert(0, {root!r})
import benchmarks.chain_throughput as ct
from sim.model.system import simulate
mode, phase, customers = sys.argv[1], sys.argv[2], int(sys.argv[3])
scenario = (ct.chain_scenario() if mode == "chain"
            else ct.queue_scenario(customers / ct.ARRIVAL_RATE, 1))
if phase == "run":
    result = simulate(scenario)
    work = ct.encounters(result) if mode == "chain" else int(result.summary["served"])
    print("WORK", work)
"""


def count(mode: str, phase: str, customers: int) -> tuple[int, int]:
    """(instructions, units of work) of one workload phase under valgrind."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", _WORKLOAD.format(root=str(ROOT)), mode, phase,
         str(customers)],
        capture_output=True, text=True, env=env, check=True,
    )
    refs = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if refs is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr}")
    work = re.search(r"WORK (\d+)", done.stdout)
    return int(refs.group(1).replace(",", "")), int(work.group(1)) if work else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200_000,
                        help="arrivals of the queue run (default 200,000)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt install valgrind)", file=sys.stderr)
        return 2
    per_unit = {}
    for mode in ("chain", "queue"):
        start, _ = count(mode, "load", args.customers)
        total, work = count(mode, "run", args.customers)
        per_unit[mode] = (total - start) / work
        noun = "encounters" if mode == "chain" else "customers served"
        print(f"{mode}: {work:,} {noun}, {total - start:,} instructions "
              f"= {per_unit[mode]:,.0f} per unit")
    ratio = per_unit["queue"] / per_unit["chain"]
    print(f"ratio chain/queue (work per instruction): {ratio:.3f} (instructions, not time: "
          f"the target of {TARGET_RATIO} is for the timed ratio of chain_throughput.py)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
