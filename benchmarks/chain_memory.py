"""Peak memory, wall time and speed of the service-profit chain at a million customers.

A fresh Python subprocess runs ``scenarios/baseline.toml`` in behaviour mode with the
population scaled up to ``--customers`` (default 1,000,000) over ``--years`` (default one
simulated year, with a quarter of a year of warm-up), and reports its peak resident set
size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``: interpreter, libraries, the model and
everything the run and its summary allocate), the wall time of building and running the
model and its encounters (served or abandoned visits of the whole organization over the
whole run: the sum of ``served + abandoned`` over the period rows with ``unit == "all"``).

Everything that is counted per customer in the baseline is scaled with the population so
that the big system behaves like the baseline (same utilisation, same growth rate):

* ``providers.count``: 8 per 5,000 customers (1,600 at a million);
* ``growth.paid_per_month``: 100 per 5,000 customers (20,000 at a million).

The target is a peak RSS under 1.5 GiB.  The run takes several minutes.  With
``--profile-memory`` the child also traces Python allocations (``tracemalloc``, which slows
it down and adds its own overhead to the RSS) and prints the largest allocation sites at
the traced peak; with ``--profile-time`` it runs under ``cProfile`` and prints the
functions with the most internal time.  Profiled runs do not count towards the target.

Run from the repository root (or anywhere)::

    python benchmarks/chain_memory.py [--customers 1000000] [--years 1]
    python benchmarks/chain_memory.py --customers 100000 --profile-time
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

TARGET_BYTES = 1.5 * 2**30
# the baseline's per-customer quantities (scenarios/baseline.toml, growth defaults)
BASE_CUSTOMERS = 5000
BASE_PROVIDERS = 8
BASE_PAID_PER_MONTH = 100.0


def peak_rss_bytes() -> int:
    """Peak resident set size of this process in bytes (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def overrides(customers: int, years: float, warmup: float) -> list[str]:
    """The ``--set`` assignments of the scaled-up run."""
    scale = customers / BASE_CUSTOMERS
    return [
        f"customers.initial={customers}",
        f"providers.count={max(1, round(BASE_PROVIDERS * scale))}",
        f"growth.paid_per_month={BASE_PAID_PER_MONTH * scale!r}",
        f"run.years={years!r}",
        f"run.warmup_years={warmup!r}",
    ]


# the model's bulk steps whose transient allocations the memory profile attributes:
# (module, attribute) of functions and methods looked up at call time
TRACED_STEPS: tuple[tuple[str, str], ...] = (
    ("sim.model.system", "ServiceSystem.__init__"),
    ("sim.model.system", "add_customers"),
    ("sim.model.population", "CustomerPopulation._reserve"),
    ("sim.model.customers", "due_visits"),
    ("sim.model.system", "behaviour_review"),
    ("sim.model.organization", "population_review"),
    ("sim.model.organization", "acquisitions"),
    ("sim.model.system", "chain_row"),
    ("sim.model.system", "behaviour_summary"),
    ("sim.model.system", "cohort_table"),
)


class PeakTracer:
    """Attributes tracemalloc's traced peak to the steps in :data:`TRACED_STEPS`.

    Each wrapped call records the highest traced memory reached while it ran, as an
    absolute level and above the level at its entry (its transient allocations, nested
    steps included).  Nested steps fold the peak reached so far into their callers'
    before they reset it.
    """

    def __init__(self) -> None:
        self.stack: list[list[float]] = []  # per active call: [level at entry, peak so far]
        self.peaks: dict[str, list[float]] = {}  # step -> [calls, max peak, max rise]

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` with its peak recorded under ``name``."""
        import tracemalloc

        @functools.wraps(function)
        def traced(*args: Any, **kwargs: Any) -> Any:
            current, peak = tracemalloc.get_traced_memory()
            for frame in self.stack:
                frame[1] = max(frame[1], peak)
            tracemalloc.reset_peak()
            self.stack.append([float(current), float(current)])
            try:
                return function(*args, **kwargs)
            finally:
                entry, seen = self.stack.pop()
                top = max(seen, tracemalloc.get_traced_memory()[1])
                for frame in self.stack:
                    frame[1] = max(frame[1], top)
                record = self.peaks.setdefault(name, [0, 0.0, 0.0])
                record[0] += 1
                record[1] = max(record[1], top)
                record[2] = max(record[2], top - entry)

        return traced

    def install(self) -> None:
        """Replace every step in :data:`TRACED_STEPS` with its traced version."""
        import importlib

        for module_name, path in TRACED_STEPS:
            owner: Any = importlib.import_module(module_name)
            *parents, attr = path.split(".")
            for parent in parents:
                owner = getattr(owner, parent)
            setattr(owner, attr, self.wrap(path, getattr(owner, attr)))


def traced_run(scenario: Any) -> Any:
    """Run under ``tracemalloc``; print the traced peak of each bulk step and the largest
    allocation sites alive at the end (to stderr)."""
    import tracemalloc

    from sim.model.system import simulate

    tracer = PeakTracer()
    tracer.install()
    tracemalloc.start(4)
    result = simulate(scenario)
    current, _peak = tracemalloc.get_traced_memory()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    err = sys.stderr
    print(f"tracemalloc: {current / 2**20:,.1f} MiB traced at the end", file=err)
    print(f"{'step':<36}{'calls':>7}{'max traced MiB':>16}{'max rise MiB':>14}", file=err)
    for name, (calls, top, rise) in sorted(tracer.peaks.items(), key=lambda kv: -kv[1][1]):
        print(f"{name:<36}{calls:>7,.0f}{top / 2**20:>16,.1f}{rise / 2**20:>14,.1f}", file=err)
    print("largest allocation sites alive at the end:", file=err)
    for stat in snapshot.statistics("traceback")[:10]:
        print(f"{stat.size / 2**20:10,.1f} MiB {stat.count:>10,} blocks", file=err)
        for line in stat.traceback.format()[-4:]:
            print(f"      {line}", file=err)
    return result


# -- the child: one run -----------------------------------------------------------------------
def child(assignments: list[str], profile: str | None) -> dict[str, Any]:
    """Run the scaled baseline once; return the figures the parent prints."""
    from sim.model.system import simulate
    from sim.scenario import load_scenario

    scenario = load_scenario(BASELINE, overrides=assignments)
    started = time.perf_counter()
    if profile == "time":
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(simulate, scenario)
        seconds = time.perf_counter() - started
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(30)
    elif profile == "memory":
        result = traced_run(scenario)
        seconds = time.perf_counter() - started
    else:
        result = simulate(scenario)
        seconds = time.perf_counter() - started
    rows = [row for row in result.periods if row.get("unit", "all") == "all"]
    summary = result.summary
    return {
        "peak_rss": peak_rss_bytes(),
        "seconds": seconds,
        "encounters": int(sum(row["served"] + row["abandoned"] for row in rows)),
        "arrived": int(sum(row["arrived"] for row in rows)),
        "periods": len(rows),
        "utilisation": summary["utilisation"],
        "mean_wait_minutes": 60.0 * summary["mean_wait"],
        "active_customers": summary["active_customers"],
        "acquired": summary["acquired"],
        "defected": summary["defected"],
        "nps": summary["nps"],
        "customers_total": int(sum(r["acquired"] for r in result.tables.get("cohorts", []))),
    }


# -- the parent ---------------------------------------------------------------------------------
def measure(assignments: list[str], profile: str | None) -> dict[str, Any]:
    """One run in a fresh interpreter; its profile (if any) goes to our stderr."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(assignments)]
    if profile:
        command += ["--profile", profile]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"measurement failed ({' '.join(command)})")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; exit code 0 if the target is met, 1 if not."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="initial population")
    parser.add_argument("--years", type=float, default=1.0, help="simulated horizon, years")
    parser.add_argument("--warmup", type=float, default=0.25, help="warm-up, years")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--profile-memory", action="store_true", help="trace allocations")
    group.add_argument("--profile-time", action="store_true", help="run under cProfile")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--profile", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child is not None:
        print(json.dumps(child(json.loads(args.child), args.profile)))
        return 0
    if args.customers < 1 or not 0 <= args.warmup < args.years:
        parser.error("need --customers >= 1 and 0 <= --warmup < --years")

    import numpy as np
    import simpy

    profile = "memory" if args.profile_memory else "time" if args.profile_time else None
    assignments = overrides(args.customers, args.years, args.warmup)
    print(f"python {sys.version.split()[0]}, simpy {simpy.__version__}, numpy {np.__version__}")
    print(f"baseline.toml with {' '.join(assignments)}; fresh process", flush=True)
    run = measure(assignments, profile)
    peak = run["peak_rss"]
    print()
    print(f"peak RSS:    {peak / 2**20:,.1f} MiB ({peak / 2**30:.2f} GiB)")
    print(f"wall time:   {run['seconds']:,.1f} s (building and running the model)")
    print(
        f"encounters:  {run['encounters']:,} over {run['periods']} periods "
        f"= {run['encounters'] / run['seconds']:,.0f} per second"
    )
    print(
        f"system:      utilisation {run['utilisation']:.2f}, mean wait "
        f"{run['mean_wait_minutes']:.2f} min, NPS {run['nps']:.1f}; "
        f"{run['active_customers']:,} active at the end, "
        f"{run['customers_total']:,} customers in all ({run['acquired']:,} acquired, "
        f"{run['defected']:,} defected after the warm-up)"
    )
    if profile:
        print("profiled run (profile on stderr above): the target is not judged")
        return 0
    met = peak < TARGET_BYTES
    print(f"target peak RSS < {TARGET_BYTES / 2**30:.1f} GiB: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
