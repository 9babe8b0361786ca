"""Assembling one run: the organization, its providers and its customers.

:func:`simulate` builds the model for a scenario and a replication, runs it to
the horizon and returns the per-period rows and the run summary.  It touches
no global state: all randomness comes from the run's named streams.  The
mechanisms live in their own modules and share one typed
:class:`~sim.model.context.RunContext`; this module only wires them together
and runs the organization's reviews.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import simpy

from sim.clock import HOURS_PER_DAY, HOURS_PER_WEEK, HOURS_PER_YEAR, MINUTES_PER_HOUR
from sim.model import money, organization, staffing
from sim.model.calendar import VisitCalendar
from sim.model.context import RunContext, VisitSettings
from sim.model.customers import (
    add_customers,
    chain_visit,
    lognormal_parameters,
    population_visits,
)
from sim.model.encounter_stages import VISIT_DRAWS, Visit, encounter_outcome
from sim.model.expectations import MarketExpectation
from sim.model.kpis import behaviour_summary, chain_row, cohort_table, queue_summary
from sim.model.panel import PanelRecorder, customers_table
from sim.model.population import INITIAL, PAID, REFERRAL, CustomerPopulation
from sim.model.providers import Provider
from sim.model.recording import Recorder
from sim.model.recovery import on_spot_recovery_probability
from sim.model.service import ServiceDesk
from sim.model.unit import Unit, local_policies
from sim.model.visit import poisson_arrivals, queue_visit
from sim.scenario import Scenario
from sim.streams import Streams

EVENT_COLUMNS = (
    "time_days", "customer", "provider", "unit", "wait_hours", "reliability",
    "responsiveness", "competency", "empathy", "valued", "failure_source", "complained",
    "recovered", "satisfaction_after", "recommend",
)


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
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[tuple[Any, ...]] | None = None
    panel: dict[str, dict[str, np.ndarray]] | None = None  # customers and panel, if asked


class ServiceSystem:
    """One run: the organization with its units, providers, customers and reviews."""

    def __init__(self, scenario: Scenario, replication: int = 0, events: bool = False,
                 panel: bool = False) -> None:
        self.scenario = scenario
        self.p = p = scenario.params
        self.replication = replication
        self.env: simpy.Environment
        self.streams = Streams(p.run.seed, replication)
        self.recorder = Recorder(p.organization.wait_target / MINUTES_PER_HOUR)
        self.horizon = p.run.years * HOURS_PER_YEAR
        self.period_hours = p.run.review_days * HOURS_PER_DAY
        self.ctx: RunContext | None = None
        self.queue_events: list[tuple[Any, ...]] | None = [] if events else None
        if p.run.mode == "queue":
            self.env = simpy.Environment()
            self.desk = ServiceDesk(self.env)
            self._build_queue_mode()
        else:  # behaviour mode: the day's visits start from the environment's calendar
            self.env = calendar = VisitCalendar()
            self.ctx = build_chain(calendar, scenario, self.streams, self.recorder, events)
        self.panel = PanelRecorder() if panel and self.ctx is not None else None
        self.review = self.env.process(self.organization_review())

    @property
    def population(self) -> CustomerPopulation:
        """The customers of a behaviour-mode run."""
        assert self.ctx is not None, "queue mode has no customer population"
        return self.ctx.population

    def _build_queue_mode(self) -> None:
        q = self.p.queue
        for pid in range(self.p.providers.count):
            self.desk.hire(Provider(pid, 0, 0.0))
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
            poisson_arrivals(env, q.arrival_rate, self.streams.draws("arrivals", "exponential"),
                             arrive)
        )

    def organization_review(self) -> Generator[simpy.Event, Any, None]:
        """Every review period, run the organization's review and close the period's books."""
        last = 0.0
        while True:
            next_review = min(self.env.now + self.period_hours, self.horizon)
            yield self.env.timeout(next_review - self.env.now)
            dt = self.env.now - last
            last = self.env.now
            if self.ctx is None:
                self._close_queue_period()
            else:
                behaviour_review(self.ctx, dt)
                if self.panel is not None:
                    self.panel.snapshot(self.ctx.population, self.env.now)
            if self.env.now >= self.horizon:
                return

    def _close_queue_period(self) -> None:
        queue_area, busy_area, staff_area = self.desk.flush()
        levels: dict[str, Any] = {
            "queue_area": queue_area, "busy_area": busy_area, "staff_area": staff_area,
            "in_queue": self.desk.waiting, "in_service": self.desk.busy,
            "providers": len(self.desk.providers),
        }
        self.recorder.close_period(self.env.now, levels, {"quits": 0, "hires": 0})

    def run(self) -> RunResult:
        """Run to the horizon; return the periods and the summary."""
        started = time.perf_counter()
        self.env.run(until=self.review)
        if self.ctx is None:
            summary = queue_summary(self.recorder.rows)
            periods = self.recorder.rows
            tables: dict[str, list[dict[str, Any]]] = {}
        else:
            periods = list(self.recorder.rows)
            if len(self.ctx.units) > 1:
                for recorder in self.ctx.unit_recorders:
                    periods.extend(recorder.rows)
            summary = behaviour_summary(self.ctx)
            tables = {"cohorts": cohort_table(self.ctx)}
        return RunResult(
            scenario=self.scenario.name,
            scenario_hash=self.scenario.hash,
            seed=self.p.run.seed,
            replication=self.replication,
            periods=periods,
            summary=summary,
            stream_names=self.streams.names,
            wall_seconds=time.perf_counter() - started,
            tables=tables,
            events=self.queue_events if self.ctx is None else self.ctx.events,
            panel=None if self.panel is None else {
                "customers": customers_table(self.population), "panel": self.panel.table()},
        )


def build_chain(env: VisitCalendar, scenario: Scenario, streams: Streams,
                recorder: Recorder, events: bool) -> RunContext:
    """Behaviour mode: the units with their founding teams, the initial customers, the
    process that starts their visits and the weekly workload review."""
    p = scenario.params
    full_time = p.providers.service_time_mean / MINUTES_PER_HOUR
    units = [Unit.create(env, i, policy, full_time) for i, policy in enumerate(local_policies(p))]
    for unit in units:
        unit.on_spot_probability = on_spot_recovery_probability(
            p.recovery.on_spot_base, p.recovery.on_spot_gain, unit.policy.empowerment
        )
        unit.giveaway = p.money.giveaway_share * unit.policy.empowerment
        unit.unprompted_probability = p.recovery.unprompted_gain * unit.policy.empowerment
    shares = np.array([u.policy.share for u in units], dtype=float)
    ctx = RunContext(
        env=env, p=p, streams=streams, recorder=recorder, settings=VisitSettings(p),
        market=MarketExpectation(p.customers.expectation_initial),
        population=CustomerPopulation(capacity=int(p.customers.initial * 1.05) + 64),
        units=units, unit_cdf=np.cumsum(shares / shares.sum()),
        visit_streams={name: streams.counter(name)
                       for name in ("visit_gaps", *(n for n, _ in VISIT_DRAWS))},
        events=[] if events else None,
    )
    for unit in units:
        ctx.unit_recorders.append(Recorder(recorder.wait_target))
        for _ in range(unit.policy.providers):
            staffing.hire(ctx, unit, seasoned=True)
    add_customers(ctx, p.customers.initial, INITIAL)
    service_shapes(ctx)
    env.on_end(Visit, partial(encounter_outcome, ctx))
    env.process(population_visits(env, ctx.population, ctx.visit_streams,
                                  ctx.demand_multiplier, partial(chain_visit, ctx)))
    env.process(workload_review(ctx))
    return ctx


def service_shapes(ctx: RunContext) -> None:
    """Each unit's service time: lognormal (mu, sigma) of hours, with its empowerment's
    handling time and variability."""
    pr = ctx.p.providers
    for unit in ctx.units:
        unit.service_shape = lognormal_parameters(*money.empowered_service_time(
            pr.service_time_mean / MINUTES_PER_HOUR, pr.service_time_cv,
            unit.policy.empowerment, pr.empowered_handling, pr.empowered_variability))


def workload_review(ctx: RunContext) -> Generator[simpy.Event, Any, None]:
    """Every week, set each unit's work pressure, time per order and quality."""
    week = HOURS_PER_WEEK
    while True:
        yield ctx.env.timeout(week)
        for unit in ctx.units:
            organization.update_workload(ctx, unit, week)


def behaviour_review(ctx: RunContext, dt: float) -> None:
    """The organization's review of a period: root-cause learning and staff per unit, the
    population's changes, acquisitions; then the period's rows are recorded."""
    p = ctx.p
    for unit in ctx.units:
        organization.failure_information_system(unit, p.organization.failure_learning)
        staffing.review_staff(ctx, unit, dt)
    gone = organization.population_review(ctx, dt)
    with ctx.population.np() as col:
        reasons = col["defect_reason"][gone]
        units_gone = col["unit"][gone]
    acquisitions = organization.acquisitions(ctx, dt)
    add_customers(ctx, int(acquisitions["acquired_paid"]), PAID)
    add_customers(ctx, int(acquisitions["acquired_referral"]), REFERRAL)
    record_period(ctx, dt, reasons, units_gone, acquisitions)


def record_period(ctx: RunContext, dt: float, reasons: np.ndarray, units_gone: np.ndarray,
                  acquisitions: dict[str, float]) -> None:
    """Close the period: one row per unit (when there are several) and one for all."""
    for unit in ctx.units:
        unit.areas = unit.desk.flush()
    if len(ctx.units) > 1:
        for unit, recorder in zip(ctx.units, ctx.unit_recorders, strict=True):
            chain_row(ctx, [unit], recorder, dt, reasons[units_gone == unit.index], None,
                      label=unit.policy.name)
    chain_row(ctx, ctx.units, ctx.recorder, dt, reasons, acquisitions)
    for unit in ctx.units:
        unit.reset_period()


def simulate(scenario: Scenario, replication: int = 0, events: bool = False,
             panel: bool = False) -> RunResult:
    """Run replication ``replication`` of ``scenario`` (with the encounter log if ``events``,
    the customers table and the review panel if ``panel``)."""
    return ServiceSystem(scenario, replication, events, panel).run()


__all__ = ["EVENT_COLUMNS", "RunResult", "ServiceSystem", "simulate"]
