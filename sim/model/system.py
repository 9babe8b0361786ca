"""Assembling one run: the organization, its providers and its customers as SimPy processes.

:func:`simulate` builds the model for a scenario and a replication, runs it to
the horizon and returns the per-period rows and the run summary.  It touches
no global state: all randomness comes from the run's named streams.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sim.clock import HOURS_PER_DAY, HOURS_PER_MONTH, HOURS_PER_WEEK, HOURS_PER_YEAR
from sim.model import loyalty, organization
from sim.model.customers import (
    PATIENCE,
    SERVICE,
    VISIT_DRAWS,
    VisitConstants,
    chain_visit,
    lognormal_parameters,
    population_visits,
    schedule_first_visits,
)
from sim.model.kpis import behaviour_summary, chain_row, cohort_table, queue_summary
from sim.model.population import ACTIVE, DEFECTED, INITIAL, CustomerPopulation
from sim.model.providers import (
    Provider,
    learning_curve,
    learning_time_constant,
    provider_career,
    quit_hazard,
)
from sim.model.recovery import on_spot_recovery_probability
from sim.model.satisfaction import encounter_satisfaction, smooth
from sim.model.service import ServiceDesk
from sim.model.unit import Unit, local_policies
from sim.model.visit import poisson_arrivals, queue_visit
from sim.recording import Recorder
from sim.scenario import Scenario
from sim.streams import CounterStream, Streams

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


class ServiceSystem:
    """The organization with its units, providers, customers and review processes."""

    def __init__(self, scenario: Scenario, replication: int = 0, events: bool = False) -> None:
        self.scenario = scenario
        self.p = p = scenario.params
        self.replication = replication
        self.env = simpy.Environment()
        self.streams = Streams(p.run.seed, replication)
        self.wait_target = p.organization.wait_target / 60.0
        self.recorder = Recorder(self.wait_target)
        self.horizon = p.run.years * HOURS_PER_YEAR
        self.period_hours = p.run.review_days * HOURS_PER_DAY
        self.events: list[tuple[Any, ...]] | None = [] if events else None
        self._next_provider_id = 0
        if p.run.mode == "queue":
            self.desk = ServiceDesk(self.env)
            self._build_queue_mode()
        else:
            self._build_behaviour_mode()
        self.review = self.env.process(self.organization_review())

    # -- queue mode ----------------------------------------------------------------------
    def _build_queue_mode(self) -> None:
        q = self.p.queue
        for _ in range(self.p.providers.count):
            self.desk.hire(Provider(self._new_id(), 0, 0.0))
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

    # -- behaviour mode ------------------------------------------------------------------
    def _build_behaviour_mode(self) -> None:
        p = self.p
        e = p.encounter
        self.visit_streams: dict[str, CounterStream] = {
            name: self.streams.counter(name)
            for name in ("visit_gaps", *(n for n, _ in VISIT_DRAWS))
        }
        self.relationship = p.organization.service_model == "relationship"
        self.pseudo = p.organization.service_model == "pseudo_relationship"
        self.promise = e.pseudo_promise * e.weight_valued if self.pseudo else 0.0
        self.weights = e.weights
        self.constants = VisitConstants(p)
        self.wait_tolerance = p.customers.wait_tolerance / 60.0
        self.escalation_responsiveness = 1.0 / (1.0 + p.recovery.escalation_days / 28.0)
        self.revenue_per_visit = (
            p.money.revenue_per_visit, p.money.revenue_per_visit * p.money.premium_factor
        )
        self.market_expectation = p.customers.expectation_initial
        self.unit_recorders: list[Recorder] = []
        full_time = p.providers.service_time_mean / 60.0
        self.units = [
            Unit.create(self.env, i, policy, full_time)
            for i, policy in enumerate(local_policies(p))
        ]
        for unit in self.units:
            unit.on_spot_probability = on_spot_recovery_probability(
                p.recovery.on_spot_base, p.recovery.on_spot_gain, unit.policy.empowerment
            )
        shares = np.array([u.policy.share for u in self.units], dtype=float)
        self.unit_cdf = np.cumsum(shares / shares.sum())
        self.providers_by_id: dict[int, Provider] = {}
        self.hires = 0
        self.acquisitions: dict[str, float] = {}
        self.previous_group: np.ndarray = np.empty(0, dtype=np.int8)
        for unit in self.units:
            self.unit_recorders.append(Recorder(self.wait_target))
            for _ in range(unit.policy.providers):
                self._hire(unit, seasoned=True)
        self.population = CustomerPopulation(capacity=int(p.customers.initial * 1.2) + 64)
        self.add_customers(p.customers.initial, INITIAL)
        mu, sigma = lognormal_parameters(full_time, p.providers.service_time_cv)
        pop = self.population
        units = self.units
        exp = math.exp

        def start_visit(customer: int, u: list[float]) -> None:
            if pop.status[customer] == ACTIVE and not pop.in_visit[customer]:
                service = exp(mu + sigma * u[SERVICE])
                patience = pop.patience[customer] * u[PATIENCE]
                unit = units[pop.unit[customer]]
                chain_visit(self, unit, customer, service, patience, u)

        self.env.process(population_visits(
            self.env, pop, self.visit_streams, self.demand_multiplier, start_visit
        ))
        self.env.process(self.workload_review())

    def demand_multiplier(self) -> float:
        """The visit-rate multiplier now: the surge factor while a surge lasts, else 1."""
        s = self.p.surge
        now_years = self.env.now / HOURS_PER_YEAR
        surging = s.months > 0 and s.start_years <= now_years < s.start_years + s.months / 12.0
        return s.factor if surging else 1.0

    def _new_id(self) -> int:
        self._next_provider_id += 1
        return self._next_provider_id - 1

    def _hire(self, unit: Unit, seasoned: bool = False) -> Provider:
        pr = self.p.providers
        # provider draws are keyed by the provider's id (common random numbers per provider)
        pid = self._new_id()
        trait = float(self.streams.counter("provider_traits").normal(pid, 0))
        sd = max(pr.quality_sd * (1.0 + pr.quality_sd_spread * trait), 0.0)
        novice = pr.novice_competency
        hired_at = self.env.now
        if seasoned:  # the founding team has worked a while: 3 to 33 months
            months = 3 + 30 * float(self.streams.counter("founding_tenure").uniform(pid, 0))
            hired_at -= HOURS_PER_MONTH * months
        provider = Provider(pid, unit.index, hired_at, novice, pr.job_satisfaction_initial, sd)
        provider.competency = learning_curve(
            novice, provider.tenure(self.env.now) / HOURS_PER_MONTH,
            learning_time_constant(pr.learning_months, unit.policy.training),
        )
        self.providers_by_id[provider.id] = provider
        unit.desk.hire(provider)
        self.env.process(provider_career(
            self.env, unit.desk, provider, HOURS_PER_WEEK,
            lambda prov: quit_hazard(prov.job_satisfaction, pr.annual_quit_rate,
                                     pr.quit_sensitivity, pr.job_satisfaction_reference),
            self._quit_draws(pid),
            functools.partial(self._leaver, unit, quit=True),
        ))
        return provider

    def _quit_draws(self, pid: int) -> Callable[[], float]:
        """The uniforms of provider ``pid``'s weekly quit checks, keyed by (id, check)."""
        stream = self.streams.counter("provider_quits")
        checks = itertools.count()
        return lambda: float(stream.uniform(pid, next(checks)))

    def _leaver(self, unit: Unit, provider: Provider, quit: bool) -> None:
        """A provider left: open a vacancy; in relationship service, their customers follow
        them out or are handed to a colleague."""
        if quit:
            unit.quits += 1
        else:
            unit.removed += 1
        self.providers_by_id.pop(provider.id, None)
        unit.vacancies += 1
        self.env.process(self._fill_vacancy(unit))
        if self.relationship:
            self._reassign_customers(unit, provider)

    def _reassign_customers(self, unit: Unit, leaver: Provider) -> None:
        e = self.p.encounter
        with self.population.np() as col:
            mine = np.flatnonzero((col["provider"] == leaver.id) & (col["status"] == ACTIVE))
            if mine.size == 0:
                return
            u = self.streams.counter("follow_provider").uniform(mine, len(self.recorder.rows))
            follow = (u < e.follow_provider * col["bond"][mine]) & (col["in_visit"][mine] == 0)
            gone = mine[follow]
            col["status"][gone] = DEFECTED
            col["defect_reason"][gone] = loyalty.FOLLOWED_PROVIDER
            col["left"][gone] = self.env.now
            col["next_visit"][gone] = np.inf
            self.close_pending_failures(col, gone)
            stay = mine[~follow]
            col["bond"][stay] = 0.0
            col["provider"][stay] = self._assign_providers(unit, stay.size)
            unit.followed += int(gone.size)

    def _assign_providers(self, unit: Unit, count: int) -> np.ndarray:
        """Own providers for ``count`` customers: each to whoever has fewest customers."""
        staff = [p for p in unit.providers if not p.leaving]
        out = np.full(count, -1, dtype=np.int32)
        if not staff:
            return out
        for i in range(count):
            prov = min(staff, key=lambda p: (p.customers, p.id))
            prov.customers += 1
            out[i] = prov.id
        return out

    def _fill_vacancy(self, unit: Unit) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(self.p.providers.hiring_delay_days * HOURS_PER_DAY)
        unit.vacancies -= 1
        unit.hires += 1
        self._hire(unit)

    def own_provider(self, customer: int) -> Provider | None:
        """The customer's own provider in relationship service (None if none is assigned)."""
        return self.providers_by_id.get(self.population.provider[customer])

    def walk_away(self, customer: int, unit: Unit) -> None:
        """A customer gave up waiting: an encounter with no reliability or responsiveness."""
        pop, s = self.population, self.p.satisfaction
        expectation = float(pop.expectation[customer]) + self.promise
        quality = (1.0 - self.weights[0] - self.weights[1]) * expectation
        s_enc = encounter_satisfaction(quality, expectation, s.positive_weight, s.negative_weight)
        pop.satisfaction[customer] = smooth(float(pop.satisfaction[customer]), s_enc, s.smoothing)

    def add_customers(self, count: int, channel: int) -> None:
        """Acquire ``count`` customers through ``channel``, with their initial state."""
        if count <= 0:
            return
        p = self.p
        c = p.customers
        rng = self.streams.generator("new_customers")
        premium = rng.random(count) < c.premium_share
        expectation = np.clip(
            self.market_expectation + c.premium_expectation * premium
            + c.heterogeneity * rng.standard_normal(count), 0.0, 1.0,
        )
        satisfaction = np.clip(
            c.satisfaction_initial + c.heterogeneity * rng.standard_normal(count), 0.0, 1.0
        )
        units = np.searchsorted(self.unit_cdf, rng.random(count), side="right").clip(
            0, len(self.units) - 1
        )
        joined_offset = np.zeros(count)
        if channel == INITIAL:  # the starting population has been around for a while
            joined_offset = -rng.random(count) * 5 * HOURS_PER_YEAR
        rows = self.population.add(
            count, self.env.now,
            segment=premium.astype(np.int8), expectation=expectation, satisfaction=satisfaction,
            unit=units.astype(np.int16), channel=channel,
            cohort=len(self.recorder.rows),
            visit_rate=visit_rates(rng, count, c.visits_per_month / HOURS_PER_MONTH,
                                   c.visit_rate_cv),
            patience=c.patience_mean / 60.0,
        )
        schedule_first_visits(self.population, rows, self.env.now,
                              self.visit_streams["visit_gaps"], self.demand_multiplier())
        with self.population.np() as col:
            col["joined"][rows.start:rows.stop] += joined_offset
            if self.relationship:
                for unit in self.units:
                    mine = np.flatnonzero(units == unit.index) + rows.start
                    col["provider"][mine] = self._assign_providers(unit, mine.size)

    def close_pending_failures(self, col: dict[str, np.ndarray], gone: np.ndarray) -> None:
        """Customers who leave after a failure did not come back: count them for the
        repurchase ladder."""
        outcomes = col["failure_outcome"][gone]
        for unit in self.units:
            in_unit = col["unit"][gone] == unit.index
            counts = np.bincount(outcomes[in_unit & (outcomes >= 0)], minlength=4)
            for k in range(4):
                unit.chain.repurchase_base[k] += int(counts[k])
        col["failure_outcome"][gone] = -1

    # -- the organization's reviews ------------------------------------------------------
    def workload_review(self) -> Generator[simpy.Event, Any, None]:
        """Every week, set each unit's work pressure, time per order and quality."""
        week = HOURS_PER_WEEK
        while True:
            yield self.env.timeout(week)
            for unit in self.units:
                organization.update_workload(self, unit, week)

    def organization_review(self) -> Generator[simpy.Event, Any, None]:
        """Every review period, run the organization's review and close the period's books."""
        last = 0.0
        while True:
            next_review = min(self.env.now + self.period_hours, self.horizon)
            yield self.env.timeout(next_review - self.env.now)
            dt = self.env.now - last
            last = self.env.now
            if self.p.run.mode == "queue":
                self._close_queue_period()
            else:
                self._behaviour_review(dt)
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

    def _behaviour_review(self, dt: float) -> None:
        p = self.p
        for unit in self.units:
            organization.failure_information_system(unit, p.organization.failure_learning)
            for prov in organization.update_providers(self, unit, dt):
                unit.desk.dismiss(prov)
                self._leaver(unit, prov, quit=False)
            if p.organization.adaptive_staffing:
                gap = organization.staffing_gap(self, unit)
                for _ in range(max(gap, 0)):
                    unit.vacancies += 1
                    self.env.process(self._fill_vacancy(unit))
                if gap < 0:
                    newest = max((q for q in unit.providers if not q.leaving),
                                 key=lambda q: q.hired_at, default=None)
                    if newest is not None and len(unit.providers) > 1:
                        unit.removed += 1  # released: counts towards turnover
                        unit.desk.dismiss(newest)
                        newest.leaving = True
                        self.providers_by_id.pop(newest.id, None)
                        if self.relationship:
                            self._reassign_customers(unit, newest)
        gone = organization.population_review(self, dt)
        with self.population.np() as col:
            reasons = col["defect_reason"][gone]
            units_gone = col["unit"][gone]
        acquisitions = organization.acquire(self, dt)
        self._record_behaviour_period(dt, reasons, units_gone, acquisitions)

    def _record_behaviour_period(
        self, dt: float, reasons: np.ndarray, units_gone: np.ndarray,
        acquisitions: dict[str, float],
    ) -> None:
        for unit in self.units:
            unit.areas = unit.desk.flush()
        several = len(self.units) > 1
        if several:
            for unit, recorder in zip(self.units, self.unit_recorders, strict=True):
                chain_row(self, [unit], recorder, dt, reasons[units_gone == unit.index], None,
                          label=unit.policy.name)
        chain_row(self, self.units, self.recorder, dt, reasons, acquisitions)
        for unit in self.units:
            unit.reset_period()

    def run(self) -> RunResult:
        """Run to the horizon; return the periods and the summary."""
        started = time.perf_counter()
        self.env.run(until=self.review)
        if self.p.run.mode == "queue":
            summary = queue_summary(self.recorder.rows)
            periods = self.recorder.rows
            tables: dict[str, list[dict[str, Any]]] = {}
        else:
            periods = list(self.recorder.rows)
            if len(self.units) > 1:
                for recorder in self.unit_recorders:
                    periods.extend(recorder.rows)
            summary = behaviour_summary(self)
            tables = {"cohorts": cohort_table(self)}
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
            events=self.events,
        )


def visit_rates(rng: np.random.Generator, count: int, mean: float, cv: float) -> np.ndarray:
    """Customers' visit rates: gamma distributed with the given mean and coefficient of
    variation (heavy and light users), all equal when ``cv`` is 0."""
    if cv <= 0.0:
        return np.full(count, mean)
    shape = 1.0 / (cv * cv)
    return rng.gamma(shape, mean / shape, size=count)


def simulate(scenario: Scenario, replication: int = 0, events: bool = False) -> RunResult:
    """Run replication ``replication`` of ``scenario`` (with the encounter log if ``events``)."""
    return ServiceSystem(scenario, replication, events).run()


__all__ = ["EVENT_COLUMNS", "RunResult", "ServiceSystem", "simulate"]
