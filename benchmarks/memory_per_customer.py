"""Memory per idle customer, with the full customer state, at a million customers.

Each measurement is a fresh Python subprocess that runs ``scenarios/baseline.toml`` in
behaviour mode for a short horizon (``--years``, default 0.01 years = 3.65 days) and
reports its peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``).
Memory per customer is::

    (peak RSS with --customers) - (peak RSS with --base customers)
    --------------------------------------------------------------
                      --customers - --base

so that the interpreter, the imported libraries and everything else that does not grow
with the population cancel out.  ``providers.count`` is scaled with the population as in
the baseline (4 providers per 2,000 customers, utilisation about 0.35) so that the queue
stays stable.  The target is at most 200 bytes per customer.

Two variants are measured:

* **as run**: the run as it is.  Columns that the run never writes are zero pages the
  kernel has not yet backed with memory, so they do not count.
* **all columns resident**: before running, one byte of every page of every state column
  is written back, so that the whole allocated state counts (the figure once later
  mechanisms write every column).

Each variant is measured ``--repeats`` times (median).  For reference the script also
prints ``CustomerPopulation.bytes_per_customer()``: the bytes of one row of the state
columns.

Run from the repository root (or anywhere)::

    python benchmarks/memory_per_customer.py [--customers N] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

TARGET_BYTES = 200.0
# the baseline's staffing: 4 providers for 2,000 customers
PROVIDERS_PER_CUSTOMER = 4 / 2000
PAGE = 4096


def providers_for(customers: int) -> int:
    """Providers that keep the baseline's utilisation for ``customers`` customers."""
    return max(1, round(customers * PROVIDERS_PER_CUSTOMER))


def peak_rss_bytes() -> int:
    """Peak resident set size of this process in bytes (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


# -- the child: one run, one figure --------------------------------------------------------
def touch_columns(columns: dict[str, Any]) -> None:
    """Write back one byte of every page of every column (any object with a writable buffer:
    numpy arrays, ``array.array``), so that all of them are resident."""
    import numpy as np

    for column in columns.values():
        raw = np.frombuffer(column, dtype=np.uint8)
        raw[::PAGE] = raw[::PAGE].copy()


def state_bytes(columns: dict[str, Any]) -> int:
    """Bytes held by the state columns (their allocated length)."""
    return sum(memoryview(column).nbytes for column in columns.values())


def child(customers: int, years: float, resident: bool) -> dict[str, Any]:
    """Run the baseline with ``customers`` customers; return what the parent needs."""
    from sim.model.system import ServiceSystem
    from sim.scenario import load_scenario

    providers = providers_for(customers)
    assignments = [
        f"customers.initial={customers}",
        f"providers.count={providers}",
        f"run.years={years!r}",
    ]
    if "run.warmup_years" in load_scenario(BASELINE).flat():
        assignments.append("run.warmup_years=0")  # the horizon is shorter than any warm-up
    scenario = load_scenario(BASELINE, overrides=assignments)
    system = ServiceSystem(scenario)
    if resident:
        touch_columns(system.population.columns)
    result = system.run()
    return {
        "customers": customers,
        "providers": providers,
        "peak_rss": peak_rss_bytes(),
        "state_bytes": state_bytes(system.population.columns),
        "encounters": result.summary.get("encounters"),
        "utilisation": result.summary["utilisation"],
        "active_customers": result.summary.get("active_customers"),
        "wall_seconds": result.wall_seconds,
    }


# -- the parent: subprocesses and the table --------------------------------------------------
def measure(customers: int, years: float, resident: bool) -> dict[str, Any]:
    """One measurement in a fresh interpreter."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(customers),
        "--years",
        repr(years),
    ]
    if resident:
        command.append("--resident")
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"measurement failed ({' '.join(command)}):\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def per_customer(
    customers: int, base: int, years: float, repeats: int, resident: bool
) -> tuple[float, list[dict[str, Any]], list[dict[str, Any]]]:
    """Median bytes per customer over ``repeats`` pairs of runs (big and base, alternating)."""
    big_runs: list[dict[str, Any]] = []
    base_runs: list[dict[str, Any]] = []
    for _ in range(repeats):
        base_runs.append(measure(base, years, resident))
        big_runs.append(measure(customers, years, resident))
    big_rss = statistics.median(r["peak_rss"] for r in big_runs)
    base_rss = statistics.median(r["peak_rss"] for r in base_runs)
    return (big_rss - base_rss) / (customers - base), big_runs, base_runs


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; exit code 0 if the target is met, 1 if not."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="large population")
    parser.add_argument("--base", type=int, default=1000, help="small population subtracted")
    parser.add_argument("--years", type=float, default=0.01, help="simulated horizon, years")
    parser.add_argument("--repeats", type=int, default=3, help="measurements of each run")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--resident", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child is not None:
        print(json.dumps(child(args.child, args.years, args.resident)))
        return 0
    if not 0 < args.base < args.customers or args.repeats < 1:
        parser.error("need 0 < --base < --customers and --repeats >= 1")

    import numpy as np
    import simpy

    from sim.model.population import CustomerPopulation

    print(f"python {sys.version.split()[0]}, simpy {simpy.__version__}, numpy {np.__version__}")
    print(
        f"baseline.toml, {args.years} years; {args.customers:,} customers with "
        f"{providers_for(args.customers):,} providers minus {args.base:,} customers with "
        f"{providers_for(args.base):,} providers; median of {args.repeats}, fresh process each"
    )
    print()
    print(f"{'variant':<22}{'peak RSS big':>14}{'peak RSS base':>15}{'bytes/customer':>16}")
    figures: dict[str, float] = {}
    big_runs: list[dict[str, Any]] = []
    for label, resident in (("as run", False), ("all columns resident", True)):
        bytes_each, big_runs, base_runs = per_customer(
            args.customers, args.base, args.years, args.repeats, resident
        )
        figures[label] = bytes_each
        big = statistics.median(r["peak_rss"] for r in big_runs) / 2**20
        small = statistics.median(r["peak_rss"] for r in base_runs) / 2**20
        print(f"{label:<22}{big:>11,.1f} MiB{small:>11,.1f} MiB{bytes_each:>16,.1f}", flush=True)
    run = big_runs[-1]
    print()
    print(
        f"large run: {run['encounters']:,} encounters, utilisation {run['utilisation']:.2f}, "
        f"{run['active_customers']:,} active customers, {run['wall_seconds']:.1f} s simulated"
    )
    print(
        f"state columns: {CustomerPopulation.bytes_per_customer()} bytes per row "
        f"(CustomerPopulation.bytes_per_customer()); "
        f"allocated {run['state_bytes'] / 2**20:,.1f} MiB for {run['customers']:,} rows"
    )
    met = all(value <= TARGET_BYTES for value in figures.values())
    print(
        f"target <= {TARGET_BYTES:.0f} bytes per customer: "
        + ", ".join(f"{k} {v:.1f}" for k, v in figures.items())
        + f": {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
