"""Front-line providers: individuals with competency, job satisfaction and a career.

Competency grows on a learning curve (faster with training, from a start set by
recruitment); each provider has a personal
variability of delivered quality; job satisfaction moves towards a target set
by internal service quality, empowerment and workload; the quit hazard rises
as job satisfaction falls; a leaver is replaced by a novice after a delay.

Each provider lives their own job ("love what you do", Kotelnikov; Heskett et
al. 1994): their target job satisfaction adds to the unit's policies a
persistent personal disposition drawn at hiring, their OWN utilisation against
a comfortable level, and their experiences of the period (the mood of the
customers they served, the complaints they put right or could not).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any, Protocol

import simpy

from sim.clock import HOURS_PER_YEAR
from sim.scenario.schema import ProvidersSection

_DEFAULT = ProvidersSection()  # the scenario's defaults, defined once in the schema


class Provider:
    """One employee at the front line."""

    __slots__ = (
        "busy",
        "busy_at_review",
        "busy_time",
        "competency",
        "complaints_lost",
        "complaints_won",
        "customers",
        "disposition",
        "hired_at",
        "id",
        "job_satisfaction",
        "leaving",
        "low_reviews",
        "mood_sum",
        "novice_competency",
        "quality_sd",
        "quality_sum",
        "served",
        "served_in_period",
        "unit",
    )

    def __init__(
        self,
        pid: int,
        unit: int,
        hired_at: float,
        competency: float = 1.0,
        job_satisfaction: float = 0.65,
        quality_sd: float = 0.0,
        disposition: float = 0.0,
    ) -> None:
        self.id = pid
        self.unit = unit
        self.hired_at = hired_at
        self.novice_competency = competency
        self.competency = competency
        self.job_satisfaction = job_satisfaction
        self.quality_sd = quality_sd
        self.busy = False
        self.leaving = False
        self.served = 0
        self.served_in_period = 0
        self.quality_sum = 0.0  # delivered quality this review period
        self.low_reviews = 0  # consecutive reviews as a low performer
        self.busy_time = 0.0
        self.customers = 0  # own customers (relationship service)
        self.disposition = disposition  # persistent personal offset of job satisfaction
        self.busy_at_review = 0.0  # busy_time at the last review
        self.mood_sum = 0.0  # encounter satisfaction of the customers served this period
        self.complaints_won = 0  # complaints put right on the spot this period
        self.complaints_lost = 0  # complaints escalated or left unresolved this period

    def period_experience(self, now: float, dt: float) -> tuple[float, float, float]:
        """This review period's (own utilisation, mean customer mood, complaint balance);
        the mood is NaN when nobody was served, the balance 0 without complaints."""
        present = min(dt, max(self.tenure(now), 0.0))
        utilisation = (self.busy_time - self.busy_at_review) / present if present > 0 else 0.0
        mood = self.mood_sum / self.served_in_period if self.served_in_period else math.nan
        handled = self.complaints_won + self.complaints_lost
        balance = (self.complaints_won - self.complaints_lost) / handled if handled else 0.0
        return min(utilisation, 1.0), mood, balance

    def start_period(self) -> None:
        """Reset the period's experiences after a review."""
        self.busy_at_review = self.busy_time
        self.mood_sum = 0.0
        self.complaints_won = self.complaints_lost = 0
        self.quality_sum = 0.0
        self.served_in_period = 0

    def tenure(self, now: float) -> float:
        """Hours since hiring."""
        return now - self.hired_at


PARITY = 0.95  # competency at which a provider counts as at parity with a seasoned one


def learning_curve(novice: float, tenure_months: float, time_constant_months: float) -> float:
    """Competency after ``tenure_months`` on an exponential learning curve towards 1.

    ``c(t) = 1 - (1 - c0) exp(-t / tau)``: a novice at c0 = 0.5 is about half as
    effective as a 12-month provider and reaches parity (95 %) after about
    3 tau (De Grip, Sauermann & Sieben 2016; call-centre practice).
    """
    return 1.0 - (1.0 - novice) * math.exp(-tenure_months / time_constant_months)


def learning_time_constant(learning_months: float, training: float) -> float:
    """Training speeds learning: the time constant is divided by ``1 + training``."""
    return learning_months / (1.0 + training)


def job_satisfaction_target(
    internal_service_quality: float,
    empowerment: float,
    work_pressure: float,
    workload_effect: float,
    *,
    base: float = _DEFAULT.job_satisfaction_base,
    isq_weight: float = _DEFAULT.job_satisfaction_isq,
    empowerment_weight: float = _DEFAULT.job_satisfaction_empowerment,
) -> float:
    """Where job satisfaction heads: internal service quality and empowerment raise it,
    work pressure lowers it (Heskett et al. 1994, "internal service quality").

    ``base + isq_weight x ISQ + empowerment_weight x empowerment - workload_effect x WP+``,
    limited to [0, 1].
    """
    target = base + isq_weight * internal_service_quality + empowerment_weight * empowerment
    target -= workload_effect * max(work_pressure, 0.0)
    return min(max(target, 0.0), 1.0)


def personal_target(
    unit_target: float,
    disposition: float,
    experience: tuple[float, float, float],
    *,
    comfortable_utilisation: float = _DEFAULT.comfortable_utilisation,
    load_effect: float = _DEFAULT.job_satisfaction_load,
    mood_reference: float = _DEFAULT.job_satisfaction_mood_reference,
    mood_weight: float = _DEFAULT.job_satisfaction_mood,
    complaint_weight: float = _DEFAULT.job_satisfaction_complaints,
) -> float:
    """One provider's job-satisfaction target ("love what you do", Kotelnikov; Heskett et
    al. 1994): the unit's target plus their disposition, less ``load_effect`` per unit of
    their own utilisation above the comfortable level (more when below it), plus the mood
    of the customers they served against a reference and the balance of the complaints
    they put right on the spot (+1) or could not (-1); limited to [0, 1].

    ``experience`` is :meth:`Provider.period_experience` (utilisation, mood, balance).
    """
    utilisation, mood, balance = experience
    target = unit_target + disposition - load_effect * (utilisation - comfortable_utilisation)
    if not math.isnan(mood):
        target += mood_weight * (mood - mood_reference)
    target += complaint_weight * balance
    return min(max(target, 0.0), 1.0)


def adjust_towards(current: float, target: float, dt: float, time_constant: float) -> float:
    """First-order smoothing of ``current`` towards ``target`` over ``dt``."""
    return target + (current - target) * math.exp(-dt / time_constant)


def quit_hazard(
    job_satisfaction: float, base_rate: float, sensitivity: float, reference: float
) -> float:
    """Annual quit hazard: ``base x exp(sensitivity x (reference - job satisfaction))``.

    Falling job satisfaction raises turnover (Heskett et al. 1994; Reichheld 1996).
    """
    return base_rate * math.exp(sensitivity * (reference - job_satisfaction))


def quit_probability(annual_rate: float, interval_hours: float) -> float:
    """Chance that a provider with a constant annual hazard leaves within the interval."""
    return 1.0 - math.exp(-annual_rate * interval_hours / HOURS_PER_YEAR)


class Desk(Protocol):
    """What a provider's career needs of the service desk: to be dismissed from it."""

    def dismiss(self, provider: Provider) -> None:
        """The provider leaves the desk."""


def provider_career(
    env: simpy.Environment,
    desk: Desk,
    provider: Provider,
    check_hours: float,
    hazard: Callable[[Provider], float],
    uniform: Callable[[], float],
    on_quit: Callable[[Provider], None],
) -> Generator[simpy.Event, Any, None]:
    """A provider's working life: at every check, quit with the hazard's probability."""
    while not provider.leaving:
        yield env.timeout(check_hours)
        if provider.leaving:  # removed by the organization meanwhile
            return
        if uniform() < quit_probability(hazard(provider), check_hours):
            desk.dismiss(provider)
            on_quit(provider)
            return
