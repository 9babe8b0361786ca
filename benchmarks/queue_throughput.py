"""Queue-mode throughput of our model against a plain, idiomatic SimPy M/M/c.

Both simulate the same system: 10 servers, service rate 1/h, arrival rate 9/h
(utilisation 0.9), over a horizon in which about ``--customers`` customers arrive.

* **ours**: ``scenarios/validation/mmc.toml`` through ``sim.model.system.simulate``,
  with everything it records (per-period tallies and time-weighted levels, per-provider
  counters, named buffered random streams, the run summary).
* **plain**: a process per customer on a ``simpy.Resource`` (``with res.request() as req:
  yield req; yield env.timeout(service)``) and an arrival generator with exponential
  inter-arrival times from a ``numpy.random.Generator``; it records only the waits.

The two are measured in one process, interleaved (A/B, then B/A, ...) so that drift of
the machine's speed hits both alike.  Throughput is customers served per wall-second of
building and running the model.  The ratio ours/plain is taken of the medians; the
target is a ratio of at least 1.0.  Repeat ``i`` of both uses seed ``seed + i``; their mean
waits, averaged over the repeats, are printed beside the exact Erlang C value to show that
both simulate the same system (at utilisation 0.9 one run's mean wait still varies by about
10% from seed to seed).

Run from the repository root (or anywhere)::

    python benchmarks/queue_throughput.py [--customers N] [--repeats R]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from sim.model.recording import HOURS_PER_YEAR
from sim.model.system import simulate
from sim.scenario import Scenario, load_scenario
from sim.statistics.queueing import mmc_mean_wait

ROOT = Path(__file__).resolve().parent.parent
MMC_SCENARIO = ROOT / "scenarios" / "validation" / "mmc.toml"

SERVERS = 10
ARRIVAL_RATE = 9.0  # per hour
SERVICE_RATE = 1.0  # per hour, per server
TARGET_RATIO = 1.0


@dataclass(frozen=True)
class Measurement:
    """One timed run: customers served, wall seconds, mean wait (hours)."""

    served: int
    seconds: float
    mean_wait: float

    @property
    def throughput(self) -> float:
        """Customers served per wall-second."""
        return self.served / self.seconds


# -- ours ----------------------------------------------------------------------------------
def our_scenario(horizon_hours: float, seed: int) -> Scenario:
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


def run_ours(scenario: Scenario) -> Measurement:
    """Build and run our model once; time it."""
    started = time.perf_counter()
    result = simulate(scenario)
    seconds = time.perf_counter() - started
    summary = result.summary
    return Measurement(int(summary["served"]), seconds, float(summary["mean_wait"]))


# -- plain SimPy ----------------------------------------------------------------------------
class PlainTally:
    """What the plain model records: waits of customers who started service, and served."""

    __slots__ = ("served", "started", "wait_sum")

    def __init__(self) -> None:
        self.started = 0
        self.wait_sum = 0.0
        self.served = 0


def plain_customer(
    env: simpy.Environment,
    servers: simpy.Resource,
    service: float,
    tally: PlainTally,
) -> Generator[simpy.Event, Any, None]:
    """One customer: queue for a server, be served for ``service`` hours, leave."""
    arrived = env.now
    with servers.request() as req:
        yield req
        tally.started += 1
        tally.wait_sum += env.now - arrived
        yield env.timeout(service)
    tally.served += 1


def plain_arrivals(
    env: simpy.Environment,
    servers: simpy.Resource,
    rng: np.random.Generator,
    tally: PlainTally,
) -> Generator[simpy.Event, Any, None]:
    """Poisson arrivals at ``ARRIVAL_RATE``; each customer draws an exponential service."""
    mean_gap = 1.0 / ARRIVAL_RATE
    mean_service = 1.0 / SERVICE_RATE
    while True:
        yield env.timeout(rng.exponential(mean_gap))
        env.process(plain_customer(env, servers, rng.exponential(mean_service), tally))


def run_plain(horizon_hours: float, seed: int) -> Measurement:
    """Build and run the plain SimPy M/M/c once; time it."""
    started = time.perf_counter()
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    rng = np.random.default_rng(seed)
    tally = PlainTally()
    env.process(plain_arrivals(env, servers, rng, tally))
    env.run(until=horizon_hours)
    seconds = time.perf_counter() - started
    mean_wait = tally.wait_sum / tally.started if tally.started else float("nan")
    return Measurement(tally.served, seconds, mean_wait)


# -- the benchmark -------------------------------------------------------------------------
def timed(run: Callable[..., Measurement], *args: Any) -> Measurement:
    """``run(*args)`` after a full garbage collection (the collector stays enabled)."""
    gc.collect()
    return run(*args)


def benchmark(customers: int, repeats: int, seed: int) -> tuple[list[Measurement], ...]:
    """Interleaved measurements of ours and plain, repeat ``i`` of both with seed ``seed + i``;
    a short warm-up of each comes first."""
    horizon = customers / ARRIVAL_RATE
    run_ours(our_scenario(horizon / 100.0, seed))  # warm-up: imports, caches
    run_plain(horizon / 100.0, seed)
    ours: list[Measurement] = []
    plain: list[Measurement] = []
    for i in range(repeats):
        scenario = our_scenario(horizon, seed + i)
        if i % 2 == 0:
            ours.append(timed(run_ours, scenario))
            plain.append(timed(run_plain, horizon, seed + i))
        else:
            plain.append(timed(run_plain, horizon, seed + i))
            ours.append(timed(run_ours, scenario))
        print(
            f"  repeat {i + 1}/{repeats}: ours {ours[-1].throughput:>9,.0f}/s  "
            f"plain {plain[-1].throughput:>9,.0f}/s  "
            f"ratio {ours[-1].throughput / plain[-1].throughput:.2f}  "
            f"mean wait {ours[-1].mean_wait:.3f} h / {plain[-1].mean_wait:.3f} h",
            flush=True,
        )
    return ours, plain


def report(ours: list[Measurement], plain: list[Measurement], customers: int) -> bool:
    """Print the summary table; return whether the target ratio is met."""
    med_ours = statistics.median(m.throughput for m in ours)
    med_plain = statistics.median(m.throughput for m in plain)
    best_ours = max(m.throughput for m in ours)
    best_plain = max(m.throughput for m in plain)
    ratio = med_ours / med_plain
    exact = mmc_mean_wait(SERVERS, ARRIVAL_RATE, SERVICE_RATE)
    print()
    print(
        f"M/M/{SERVERS}, utilisation {ARRIVAL_RATE / (SERVERS * SERVICE_RATE):.2f}, "
        f"~{customers:,} customers per run, {len(ours)} interleaved repeats"
    )
    print(
        f"{'':<7}{'served/run':>11}{'median/s':>11}{'best/s':>11}{'mean wait h':>13}{'range':>16}"
    )
    for name, runs, med, best in (
        ("ours", ours, med_ours, best_ours),
        ("plain", plain, med_plain, best_plain),
    ):
        served = round(statistics.mean(m.served for m in runs))
        waits = [m.mean_wait for m in runs]
        spread = f"{min(waits):.3f}-{max(waits):.3f}"
        print(
            f"{name:<7}{served:>11,}{med:>11,.0f}{best:>11,.0f}"
            f"{statistics.mean(waits):>13.4f}{spread:>16}"
        )
    print(f"{'exact':<7}{'':>11}{'':>11}{'':>11}{exact:>13.4f}   (Erlang C)")
    print()
    met = ratio >= TARGET_RATIO
    print(
        f"ratio ours/plain: {ratio:.2f} (medians), {best_ours / best_plain:.2f} (bests); "
        f"target >= {TARGET_RATIO:.1f}: {'met' if met else 'NOT met'}"
    )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; exit code 0 if the target is met, 1 if not."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200_000, help="arrivals per run")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs of each")
    parser.add_argument("--seed", type=int, default=1, help="seed of both models")
    args = parser.parse_args(argv)
    if args.customers < 1000 or args.repeats < 1:
        parser.error("--customers must be at least 1000 and --repeats at least 1")
    print(
        f"python {sys.version.split()[0]}, simpy {simpy.__version__}, numpy {np.__version__}",
        flush=True,
    )
    ours, plain = benchmark(args.customers, args.repeats, args.seed)
    return 0 if report(ours, plain, args.customers) else 1


if __name__ == "__main__":
    sys.exit(main())
