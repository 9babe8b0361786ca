"""Assembling one run: the organization, its providers and its customers as SimPy processes.

:func:`simulate` builds the model for a scenario and a replication, runs it to
the horizon and returns the per-period rows and the run summary.  It touches
no global state: all randomness comes from the run's named streams.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.model.customers import customer_visit, is_available, lognormal_parameters, population_visits
from sim.model.population import CustomerPopulation
from sim.model.providers import Provider, provider_career
from sim.model.service import ServiceDesk
from sim.model.visit import poisson_arrivals, queue_visit
from sim.recording import HOURS_PER_DAY, HOURS_PER_YEAR, Recorder
from sim.scenario import Scenario
from sim.streams import Streams


@dataclass
class RunResult:
    """What one replication of one scenario produced."""

    scenario: str
    scenario_hash: str
    seed: int
    replication: int
    periods: list[dict[str, Any]]
    summary: dict[str, Any]
    stream_names: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0


class ServiceSystem:
    """The organization with its desk, providers, customers and review process."""

    def __init__(self, scenario: Scenario, replication: int = 0) -> None:
        self.scenario = scenario
        self.p = scenario.params
        self.replication = replication
        self.env = simpy.Environment()
        self.streams = Streams(self.p.run.seed, replication)
        self.recorder = Recorder(self.p.organization.wait_target / 60.0)
        self.desk = ServiceDesk(self.env)
        self.population = CustomerPopulation(
            capacity=max(self.p.customers.initial, 16) if self.p.run.mode == "behaviour" else 16
        )
        self._next_provider_id = 0
        self.quits = 0
        self.hires = 0
        self.horizon = self.p.run.years * HOURS_PER_YEAR
        self.period_hours = self.p.run.review_days * HOURS_PER_DAY
        if self.p.run.mode == "queue":
            self._build_queue_mode()
        else:
            self._build_behaviour_mode()
        self.review = self.env.process(self.organization_review())

    # -- construction --------------------------------------------------------------------
    def _new_provider(self) -> Provider:
        provider = Provider(self._next_provider_id, self.desk.unit, self.env.now)
        self._next_provider_id += 1
        self.desk.hire(provider)
        return provider

    def _build_queue_mode(self) -> None:
        q = self.p.queue
        for _ in range(self.p.providers.count):
            self._new_provider()
        service_draw = self.streams.draws("service_time", "exponential")
        patience_draw = self.streams.draws("patience", "exponential")
        mean_service = 1.0 / q.service_rate
        patience_mean = q.patience_mean
        env, desk, recorder = self.env, self.desk, self.recorder
        process = env.process

        def arrive() -> None:
            service = mean_service * service_draw()
            patience = patience_mean * patience_draw()
            process(queue_visit(env, desk, recorder, service, patience))

        env.process(
            poisson_arrivals(env, q.arrival_rate, self.streams.draws("arrivals", "exponential"), arrive)
        )

    def _build_behaviour_mode(self) -> None:
        c, pr = self.p.customers, self.p.providers
        for _ in range(pr.count):
            self._start_career(self._new_provider())
        population = self.population
        population.add(
            c.initial,
            0.0,
            visit_rate=c.visits_per_month * 12.0 / HOURS_PER_YEAR,
            patience=c.patience_mean / 60.0,
            cohort=0,
            channel=0,
        )
        service_normal = self.streams.draws("service_time", "normal")
        patience_draw = self.streams.draws("patience", "exponential")
        mu, sigma = lognormal_parameters(pr.service_time_mean / 60.0, pr.service_time_cv)
        env, desk, recorder = self.env, self.desk, self.recorder
        process = env.process
        patience_col = population.patience

        def start_visit(customer: int) -> None:
            service = math.exp(mu + sigma * service_normal())
            patience = float(patience_col[customer]) * patience_draw()
            if is_available(population, customer):
                process(customer_visit(env, desk, recorder, population, customer, service, patience))

        env.process(population_visits(env, population, self.streams.generator("visits"), start_visit))

    def _start_career(self, provider: Provider) -> None:
        pr = self.p.providers
        uniform = self.streams.draws("provider_quits", "uniform")
        self.env.process(
            provider_career(
                self.env,
                self.desk,
                provider,
                check_hours=HOURS_PER_DAY * 7.0,
                quit_hazard=lambda _p: pr.annual_quit_rate,
                uniform=uniform,
                on_quit=self._vacancy,
            )
        )

    def _vacancy(self, _leaver: Provider) -> None:
        self.quits += 1
        self.env.process(self._fill_vacancy())

    def _fill_vacancy(self) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(self.p.providers.hiring_delay_days * HOURS_PER_DAY)
        self.hires += 1
        self._start_career(self._new_provider())

    # -- the organization's review ---------------------------------------------------------
    def organization_review(self) -> Generator[simpy.Event, Any, None]:
        """Every review period, close the period's books (record its metrics)."""
        while True:
            next_review = min(self.env.now + self.period_hours, self.horizon)
            yield self.env.timeout(next_review - self.env.now)
            self.close_period()
            if self.env.now >= self.horizon:
                return

    def close_period(self) -> None:
        queue_area, busy_area, staff_area = self.desk.flush()
        levels: dict[str, Any] = {
            "queue_area": queue_area,
            "busy_area": busy_area,
            "staff_area": staff_area,
            "in_queue": self.desk.waiting,
            "in_service": self.desk.busy,
            "providers": len(self.desk.providers),
        }
        extra: dict[str, Any] = {"quits": self.quits, "hires": self.hires}
        self.quits = self.hires = 0
        if self.p.run.mode == "behaviour":
            extra["active_customers"] = self.population.active_count
        self.recorder.close_period(self.env.now, levels, extra)

    def run(self) -> RunResult:
        """Run to the horizon; return the periods and the summary."""
        started = time.perf_counter()
        self.env.run(until=self.review)
        return RunResult(
            scenario=self.scenario.name,
            scenario_hash=self.scenario.hash,
            seed=self.p.run.seed,
            replication=self.replication,
            periods=self.recorder.rows,
            summary=summarise(self.recorder.rows, self.horizon),
            stream_names=self.streams.names,
            wall_seconds=time.perf_counter() - started,
        )


def summarise(rows: list[dict[str, Any]], horizon_hours: float) -> dict[str, Any]:
    """The run's KPIs from its period rows."""
    if not rows:
        return {}
    arrived = sum(r["arrived"] for r in rows)
    started = sum(r["started"] for r in rows)
    served = sum(r["served"] for r in rows)
    abandoned = sum(r["abandoned"] for r in rows)
    waited = sum(r["waited"] for r in rows)
    wait_sum = sum(r["wait_sum"] for r in rows)
    sojourn_sum = sum(r["sojourn_sum"] for r in rows)
    length = [r["t_end_days"] - r["t_start_days"] for r in rows]
    total_days = sum(length)

    def time_mean(key: str) -> float:
        vals = [(r[key], w) for r, w in zip(rows, length, strict=True) if not math.isnan(r[key])]
        weight = sum(w for _, w in vals)
        return sum(v * w for v, w in vals) / weight if weight else math.nan

    busy = sum(r["utilisation"] * r["mean_staff"] * w for r, w in zip(rows, length, strict=True)
               if not math.isnan(r["utilisation"]))
    staff = sum(r["mean_staff"] * w for r, w in zip(rows, length, strict=True))
    last = rows[-1]
    summary: dict[str, Any] = {
        "arrived": arrived,
        "served": served,
        "abandoned": abandoned,
        "in_system_end": last["in_queue"] + last["in_service"],
        "mean_wait": wait_sum / started if started else math.nan,
        "p_wait": waited / started if started else math.nan,
        "share_within_target": sum(r["share_within_target"] * r["started"] for r in rows
                                   if r["started"]) / started if started else math.nan,
        "abandon_share": abandoned / arrived if arrived else math.nan,
        "utilisation": busy / staff if staff else math.nan,
        "mean_in_system": time_mean("mean_in_system"),
        "mean_queue": time_mean("mean_queue"),
        "mean_sojourn": sojourn_sum / served if served else math.nan,
        "throughput_per_hour": served / (total_days * HOURS_PER_DAY) if total_days else math.nan,
        "arrival_rate_per_hour": arrived / (total_days * HOURS_PER_DAY) if total_days else math.nan,
        "provider_quits": sum(r["quits"] for r in rows),
        "provider_turnover": (sum(r["quits"] for r in rows) / (staff / total_days))
        / (total_days / 365.0) if staff and total_days else math.nan,
        "encounters": served,
    }
    if "active_customers" in last:
        summary["active_customers"] = last["active_customers"]
    return summary


def simulate(scenario: Scenario, replication: int = 0) -> RunResult:
    """Run replication ``replication`` of ``scenario``."""
    return ServiceSystem(scenario, replication).run()


__all__ = ["RunResult", "ServiceSystem", "simulate", "summarise"]
