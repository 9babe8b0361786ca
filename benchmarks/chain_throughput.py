"""Throughput of the whole service-profit chain against the bare queue, in one process.

Two runs are timed, alternately, in the same interpreter:

* **chain**: the full default scenario, ``scenarios/baseline.toml`` in behaviour mode, as
  it is (5,000 customers, 8 providers, 4 years of which 1 is warm-up), through
  ``sim.model.system.simulate``.  Its speed is *encounters* per wall-second: the visits
  that ended, served or abandoned, over the whole run (warm-up included), i.e. the sum of
  ``served + abandoned`` over the period rows of the whole organization
  (``unit == "all"``).
* **queue**: queue mode, ``scenarios/validation/mmc.toml`` with 10 servers at
  utilisation 0.9 (arrival rate 9/h, service rate 1/h, infinitely patient) over a horizon
  in which about ``--customers`` customers arrive (default 200,000).  Its speed is
  customers served per wall-second.  This is the run of ``benchmarks/queue_throughput.py``
  ("ours").

An encounter of the chain costs far more than a queue customer (fourteen counter-based
random numbers per visit, the five dimensions of quality, failures, complaints and
recovery, satisfaction, loyalty, word of mouth and money, and the population's periodic
reviews); the target is that it costs at most about 1.4 times as much: a ratio chain/queue of the
median throughputs of at least 0.7 (it was 0.5 until the run context and the staged
encounter came).  The runs are interleaved (chain, queue, then queue,
chain, ...) so that drift of the machine's speed hits both alike.  The chain is the same
deterministic run every time (it must give the same number of encounters); repeat ``i``
of the queue uses seed ``seed + i``.  Each timed run is preceded by a full garbage
collection; a short warm-up of both comes first.

On a shared or virtual machine single repeats swing by 20 % or more.  With six repeats
or more the report adds the median of the paired ratios (each chain run against the
queue run next to it) with a distribution-free 95 % interval and the one-sided sign-test
p-value of "the median is at most 0.7"; the target counts as *demonstrably* met only when
that interval lies above 0.7.

Run from the repository root (or anywhere)::

    python benchmarks/chain_throughput.py [--repeats 3] [--customers 200000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy
from scipy import stats

from sim.model.recording import HOURS_PER_YEAR
from sim.model.system import RunResult, simulate
from sim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
MMC_SCENARIO = ROOT / "scenarios" / "validation" / "mmc.toml"

SERVERS = 10
ARRIVAL_RATE = 9.0  # per hour
SERVICE_RATE = 1.0  # per hour, per server
TARGET_RATIO = 0.7


@dataclass(frozen=True)
class Measurement:
    """One timed run: the units of work done (encounters or customers served), wall seconds."""

    work: int
    seconds: float

    @property
    def throughput(self) -> float:
        """Units of work per wall-second."""
        return self.work / self.seconds


def encounters(result: RunResult) -> int:
    """Encounters (served or abandoned visits) of the whole organization over the whole run,
    warm-up included: the sum over the period rows with ``unit == "all"``."""
    rows = [row for row in result.periods if row.get("unit", "all") == "all"]
    return int(sum(row["served"] + row["abandoned"] for row in rows))


def chain_scenario(years: float | None = None) -> Scenario:
    """The default scenario; with ``years``, shortened to that horizon (for the warm-up)."""
    if years is None:
        return load_scenario(BASELINE)
    return load_scenario(BASELINE, overrides=[f"run.years={years!r}", "run.warmup_years=0"])


def queue_scenario(horizon_hours: float, seed: int) -> Scenario:
    """The validation M/M/c scenario at 10 servers and utilisation 0.9 over the horizon."""
    return load_scenario(
        MMC_SCENARIO,
        overrides=[
            f"providers.count={SERVERS}",
            f"queue.arrival_rate={ARRIVAL_RATE!r}",
            f"queue.service_rate={SERVICE_RATE!r}",
            "queue.patience_mean=0",
            f"run.years={horizon_hours / HOURS_PER_YEAR!r}",
            f"run.seed={seed}",
        ],
    )


def run_chain(scenario: Scenario) -> Measurement:
    """Build and run the behaviour model once (after a full collection); time it."""
    gc.collect()
    started = time.perf_counter()
    result = simulate(scenario)
    seconds = time.perf_counter() - started
    return Measurement(encounters(result), seconds)


def run_queue(scenario: Scenario) -> Measurement:
    """Build and run the queue model once (after a full collection); time it."""
    gc.collect()
    started = time.perf_counter()
    result = simulate(scenario)
    seconds = time.perf_counter() - started
    return Measurement(int(result.summary["served"]), seconds)


def benchmark(
    customers: int, repeats: int, seed: int
) -> tuple[list[Measurement], list[Measurement]]:
    """Interleaved measurements of chain and queue (a short warm-up of both first)."""
    horizon = customers / ARRIVAL_RATE
    run_chain(chain_scenario(years=0.1))  # warm-up: imports, caches
    run_queue(queue_scenario(horizon / 100.0, seed))
    chain_run = chain_scenario()
    chain: list[Measurement] = []
    queue: list[Measurement] = []
    for i in range(repeats):
        queue_run = queue_scenario(horizon, seed + i)
        if i % 2 == 0:
            chain.append(run_chain(chain_run))
            queue.append(run_queue(queue_run))
        else:
            queue.append(run_queue(queue_run))
            chain.append(run_chain(chain_run))
        print(
            f"  repeat {i + 1}/{repeats}: chain {chain[-1].work:,} encounters in "
            f"{chain[-1].seconds:.2f} s = {chain[-1].throughput:>8,.0f}/s;  "
            f"queue {queue[-1].work:,} served in {queue[-1].seconds:.2f} s = "
            f"{queue[-1].throughput:>8,.0f}/s;  "
            f"ratio {chain[-1].throughput / queue[-1].throughput:.2f}",
            flush=True,
        )
    return chain, queue


def report(chain: list[Measurement], queue: list[Measurement], scenario: Scenario) -> bool:
    """Print the summary; return whether the target ratio is met."""
    med_chain = statistics.median(m.throughput for m in chain)
    med_queue = statistics.median(m.throughput for m in queue)
    best_chain = max(m.throughput for m in chain)
    best_queue = max(m.throughput for m in queue)
    ratio = med_chain / med_queue
    flat: dict[str, Any] = scenario.flat()
    print()
    print(
        f"chain: baseline.toml, {flat['customers.initial']:,} customers, "
        f"{flat['providers.count']} providers, {flat['run.years']} years "
        f"({flat['run.warmup_years']} warm-up); {chain[0].work:,} encounters per run"
    )
    print(
        f"queue: M/M/{SERVERS}, utilisation {ARRIVAL_RATE / (SERVERS * SERVICE_RATE):.2f}, "
        f"{round(statistics.mean(m.work for m in queue)):,} served per run"
    )
    print(f"{'':<7}{'median/s':>11}{'best/s':>11}{'median s/run':>14}")
    for name, runs, med, best in (
        ("chain", chain, med_chain, best_chain),
        ("queue", queue, med_queue, best_queue),
    ):
        seconds = statistics.median(m.seconds for m in runs)
        print(f"{name:<7}{med:>11,.0f}{best:>11,.0f}{seconds:>14.2f}")
    print()
    if len({m.work for m in chain}) != 1:
        print("WARNING: the chain runs gave different encounter counts (not deterministic)")
    met = ratio >= TARGET_RATIO
    paired = [c.throughput / q.throughput for c, q in zip(chain, queue, strict=True)]
    print(
        f"ratio chain/queue: {ratio:.2f} (medians), {best_chain / best_queue:.2f} (bests), "
        f"{min(paired):.2f} to {max(paired):.2f} (single repeats); "
        f"target >= {TARGET_RATIO:.1f}: {'met' if met else 'NOT met'}"
    )
    if len(paired) >= 6:
        low, high, p_value = paired_interval(paired)
        print(
            f"median of the {len(paired)} paired ratios: {statistics.median(paired):.3f}, "
            f"95 % interval {low:.3f} to {high:.3f} (distribution-free); one-sided p = "
            f"{p_value:.3f} that the median is at most {TARGET_RATIO:.1f}"
            + (": demonstrably met" if low >= TARGET_RATIO else "")
        )
    return met


def paired_interval(paired: list[float]) -> tuple[float, float, float]:
    """A distribution-free 95 % interval for the median of the paired ratios (each chain
    run against the queue run next to it, so a slow spell of the machine hits both), and
    the one-sided p-value of "the median is at most the target" (the sign test on order
    statistics of ``scipy.stats.quantile_test``)."""
    test = stats.quantile_test(paired, q=TARGET_RATIO, p=0.5, alternative="greater")
    interval = stats.quantile_test(paired, q=TARGET_RATIO, p=0.5).confidence_interval(0.95)
    return float(interval.low), float(interval.high), float(test.pvalue)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; exit code 0 if the target is met, 1 if not."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs of each")
    parser.add_argument(
        "--customers", type=int, default=200_000, help="queue-mode arrivals per run"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the queue runs")
    args = parser.parse_args(argv)
    if args.customers < 1000 or args.repeats < 1:
        parser.error("--customers must be at least 1000 and --repeats at least 1")
    print(
        f"python {sys.version.split()[0]}, simpy {simpy.__version__}, numpy {np.__version__}",
        flush=True,
    )
    chain, queue = benchmark(args.customers, args.repeats, args.seed)
    return 0 if report(chain, queue, chain_scenario()) else 1


if __name__ == "__main__":
    sys.exit(main())
