"""Staffing: hiring providers, their careers, leavers, vacancies and adaptive staffing.

A provider is hired into a unit (the founding team with some tenure already, later
hires as novices), learns on the job, and quits with a weekly hazard that rises as
job satisfaction falls; a leaver opens a vacancy filled after the hiring delay.  In
relationship service the leaver's customers follow them out or are handed to a
colleague (Gutek 1995; see :mod:`sim.model.cops`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from sim.clock import HOURS_PER_DAY, HOURS_PER_MONTH, HOURS_PER_WEEK
from sim.model import cops, loyalty, organization
from sim.model.context import RunContext
from sim.model.customers import close_pending_failures
from sim.model.population import ACTIVE, DEFECTED
from sim.model.providers import (
    Provider,
    learning_curve,
    learning_time_constant,
    provider_career,
    quit_hazard,
)
from sim.model.unit import Unit


def hire(ctx: RunContext, unit: Unit, seasoned: bool = False) -> Provider:
    """Hire a provider into ``unit`` and start their career (``seasoned``: a member of the
    founding team, hired 3 to 33 months before the start)."""
    pr = ctx.p.providers
    # provider draws are keyed by the provider's id (common random numbers per provider)
    pid = ctx.new_provider_id()
    trait = float(ctx.streams.counter("provider_traits").normal(pid, 0))
    sd = max(pr.quality_sd * (1.0 + pr.quality_sd_spread * trait), 0.0)
    novice = pr.novice_competency
    now = ctx.env.now
    hired_at = now
    if seasoned:  # the founding team has worked a while (3 to 33 months by default)
        u = float(ctx.streams.counter("founding_tenure").uniform(pid, 0))
        months = pr.founding_tenure_min_months + pr.founding_tenure_span_months * u
        hired_at -= HOURS_PER_MONTH * months
    # a persistent personal disposition towards the job ("love what you do", Kotelnikov)
    disposition = pr.job_satisfaction_disposition_sd * float(
        ctx.streams.counter("provider_disposition").normal(pid, 0))
    initial = min(max(pr.job_satisfaction_initial + disposition, 0.0), 1.0)
    provider = Provider(pid, unit.index, hired_at, novice, initial, sd, disposition)
    provider.competency = learning_curve(
        novice, provider.tenure(now) / HOURS_PER_MONTH,
        learning_time_constant(pr.learning_months, unit.policy.training),
    )
    ctx.providers_by_id[provider.id] = provider
    unit.desk.hire(provider)
    ctx.env.process(provider_career(
        ctx.env, unit.desk, provider, HOURS_PER_WEEK,
        lambda prov: quit_hazard(prov.job_satisfaction, pr.annual_quit_rate,
                                 pr.quit_sensitivity, pr.job_satisfaction_reference),
        quit_draws(ctx, pid),
        functools.partial(leaver, ctx, unit, quit=True),
    ))
    return provider


def quit_draws(ctx: RunContext, pid: int) -> Callable[[], float]:
    """The uniforms of provider ``pid``'s weekly quit checks, keyed by (id, check)."""
    stream = ctx.streams.counter("provider_quits")
    checks = itertools.count()
    return lambda: float(stream.uniform(pid, next(checks)))


def leaver(ctx: RunContext, unit: Unit, provider: Provider, quit: bool) -> None:
    """A provider left: open a vacancy; in relationship service, their customers follow
    them out or are handed to a colleague."""
    if quit:
        unit.quits += 1
    else:
        unit.removed += 1
    ctx.providers_by_id.pop(provider.id, None)
    unit.vacancies += 1
    ctx.env.process(fill_vacancy(ctx, unit))
    if ctx.settings.relationship:
        reassign_customers(ctx, unit, provider)


def reassign_customers(ctx: RunContext, unit: Unit, leaving: Provider) -> None:
    """The customers of a leaving own provider: some follow them out (chance rising with the
    bond), the others start afresh with the colleague who has fewest customers."""
    e = ctx.p.encounter
    with ctx.population.np() as col:
        mine = np.flatnonzero((col["provider"] == leaving.id) & (col["status"] == ACTIVE))
        if mine.size == 0:
            return
        u = ctx.streams.counter("follow_provider").uniform(mine, len(ctx.recorder.rows))
        follow = cops.follows_provider(u, e.follow_provider, col["bond"][mine],
                                       col["in_visit"][mine])
        gone = mine[follow]
        col["status"][gone] = DEFECTED
        col["defect_reason"][gone] = loyalty.FOLLOWED_PROVIDER
        col["left"][gone] = ctx.env.now
        col["next_visit"][gone] = np.inf
        close_pending_failures(ctx.units, col, gone)
        stay = mine[~follow]
        col["bond"][stay] = 0.0
        col["provider"][stay] = cops.assign_providers(unit.staff(), stay.size)
        unit.followed += int(gone.size)


def fill_vacancy(ctx: RunContext, unit: Unit) -> Generator[simpy.Event, Any, None]:
    """After the hiring delay, a novice fills the vacancy."""
    yield ctx.env.timeout(ctx.p.providers.hiring_delay_days * HOURS_PER_DAY)
    unit.vacancies -= 1
    unit.hires += 1
    hire(ctx, unit)


def review_staff(ctx: RunContext, unit: Unit, dt: float) -> None:
    """The period's staff review of ``unit``: low performers are removed, and with adaptive
    staffing the unit hires to plan or releases its newest provider."""
    for prov in organization.update_providers(ctx, unit, dt):
        unit.desk.dismiss(prov)
        leaver(ctx, unit, prov, quit=False)
    if not ctx.p.organization.adaptive_staffing:
        return
    gap = organization.staffing_gap(ctx, unit)
    for _ in range(max(gap, 0)):
        unit.vacancies += 1
        ctx.env.process(fill_vacancy(ctx, unit))
    if gap < 0:
        newest = max(unit.staff(), key=lambda q: q.hired_at, default=None)
        if newest is not None and len(unit.providers) > 1:
            unit.removed += 1  # released: counts towards turnover
            unit.desk.dismiss(newest)
            newest.leaving = True
            ctx.providers_by_id.pop(newest.id, None)
            if ctx.settings.relationship:
                reassign_customers(ctx, unit, newest)
