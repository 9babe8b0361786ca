"""The run context: what the mechanisms of one behaviour-mode run share, typed.

The assembly (:mod:`sim.model.system`) builds one :class:`RunContext` and hands it
to the mechanisms, which read and change only what it holds: the SimPy
environment, the scenario's parameters, the named random streams, the customer
population, the units with their desks, the recorders, the market's expectation
and the encounter log.  :class:`VisitSettings` holds the numbers every visit needs,
read once from the scenario (the visit is the hot path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.clock import HOURS_PER_YEAR, MINUTES_PER_HOUR, MONTHS_PER_YEAR
from sim.model import cops
from sim.model.calendar import VisitCalendar
from sim.model.expectations import MarketExpectation
from sim.model.population import CustomerPopulation
from sim.model.providers import Provider
from sim.model.recording import Recorder
from sim.model.satisfaction import fresh_noise_sd
from sim.model.unit import Unit
from sim.scenario.schema import ScenarioParameters
from sim.streams import CounterStream, Streams


class VisitSettings:
    """The scenario's numbers that every visit needs, read once."""

    __slots__ = (
        "anchor_years",
        "bond_efficiency",
        "bond_gain",
        "compensation",
        "complaint_centre",
        "complaint_loyalty_effect",
        "complaint_propensity",
        "complaint_scale",
        "complaint_tenure",
        "customer_error_rate",
        "dissatisfied",
        "double_deviation",
        "error_competency_effect",
        "escalated_score",
        "escalation_responsiveness",
        "escalation_success",
        "expectation_adaptation",
        "fixable_share",
        "grievance",
        "grievance_left",
        "major_share",
        "negative_weight",
        "paradox",
        "paradox_bonus",
        "positive_weight",
        "prevention",
        "proactive_bond_factor",
        "proactive_time",
        "promise",
        "provider_error_rate",
        "pseudo",
        "quality_floor",
        "quick_score",
        "recognition",
        "recommend",
        "relationship",
        "relationship_cover",
        "relationship_patience",
        "revenue_per_visit",
        "satisfied",
        "smoothing",
        "special_request_error",
        "special_request_rate",
        "special_request_time",
        "valued",
        "wait_target",
        "wait_tolerance",
        "walk_away_quality",
        "weights",
    )

    def __init__(self, p: ScenarioParameters) -> None:
        c, e, r, s, o = p.customers, p.encounter, p.recovery, p.satisfaction, p.organization
        self.special_request_rate = c.special_request_rate
        self.special_request_time = e.special_request_time
        self.special_request_error = e.special_request_error
        self.proactive_time = e.proactive_time
        self.prevention = e.proactive_prevention
        self.fixable_share = o.fixable_share
        self.provider_error_rate = p.providers.error_rate
        self.customer_error_rate = c.error_rate
        self.complaint_propensity = c.complaint_propensity
        self.complaint_loyalty_effect = c.complaint_loyalty_effect
        self.escalation_success = r.escalation_success
        self.quick_score = r.quick_score
        self.escalated_score = r.escalated_score
        self.double_deviation = r.double_deviation
        self.paradox = r.paradox
        self.paradox_bonus = r.paradox_bonus
        self.compensation = r.compensation
        self.valued = (e.valued_base, e.valued_bond, e.valued_proactive, e.valued_accommodated,
                       e.valued_refusal)
        self.recognition = e.recognition
        self.bond_gain = e.bond_gain
        self.relationship_patience = e.relationship_patience
        self.relationship_cover = e.relationship_cover_minutes / MINUTES_PER_HOUR
        self.bond_efficiency = e.bond_efficiency
        self.positive_weight = s.positive_weight
        self.negative_weight = s.negative_weight
        self.smoothing = s.smoothing
        self.anchor_years = s.anchor_years
        self.expectation_adaptation = s.expectation_adaptation
        self.recommend = (s.recommend_intercept, s.recommend_slope,
                          fresh_noise_sd(s.recommend_noise, s.recommend_persistence))
        self.weights = e.weights
        self.relationship = o.service_model == cops.RELATIONSHIP
        self.pseudo = o.service_model == cops.PSEUDO_RELATIONSHIP
        self.promise = cops.pseudo_promise(o.service_model, e.pseudo_promise, e.weight_valued)
        self.wait_target = o.wait_target / MINUTES_PER_HOUR
        self.wait_tolerance = c.wait_tolerance / MINUTES_PER_HOUR
        self.escalation_responsiveness = 1.0 / (
            1.0 + r.escalation_days / r.escalation_delay_scale_days
        )
        self.revenue_per_visit = (
            p.money.revenue_per_visit, p.money.revenue_per_visit * p.money.premium_factor
        )
        self.complaint_centre = c.complaint_satisfaction_centre
        self.complaint_scale = c.complaint_satisfaction_scale
        self.complaint_tenure = c.complaint_tenure_years
        self.major_share = r.major_share
        self.grievance = (r.grievance_minor, r.grievance_major)  # by severity
        # share of the grievance left, by outcome: silent, unresolved, resolved, quickly
        self.grievance_left = (1.0, r.grievance_unresolved, r.grievance_resolved,
                               r.grievance_quick)
        self.satisfied = r.grievance_threshold
        self.walk_away_quality = c.walk_away_quality
        self.dissatisfied = s.dissatisfied_threshold
        self.proactive_bond_factor = e.proactive_bond_factor
        self.error_competency_effect = p.providers.error_competency_effect
        self.quality_floor = p.providers.quality_factor_floor


@dataclass
class RunContext:
    """The shared state of one behaviour-mode run, handed to every mechanism."""

    env: VisitCalendar
    p: ScenarioParameters
    streams: Streams
    recorder: Recorder
    settings: VisitSettings
    market: MarketExpectation
    population: CustomerPopulation
    units: list[Unit] = field(default_factory=list)
    unit_recorders: list[Recorder] = field(default_factory=list)
    unit_cdf: np.ndarray = field(default_factory=lambda: np.empty(0))
    visit_streams: dict[str, CounterStream] = field(default_factory=dict)
    providers_by_id: dict[int, Provider] = field(default_factory=dict)
    events: list[tuple[Any, ...]] | None = None
    next_provider_id: int = 0

    def new_provider_id(self) -> int:
        """A fresh provider id (ids count up from 0 in order of hiring)."""
        self.next_provider_id += 1
        return self.next_provider_id - 1

    def demand_multiplier(self) -> float:
        """The visit-rate multiplier now: the surge factor while a surge lasts, else 1."""
        s = self.p.surge
        now_years = self.env.now / HOURS_PER_YEAR
        surging = s.months > 0 and s.start_years <= now_years < s.start_years + s.months / (
            MONTHS_PER_YEAR
        )
        return s.factor if surging else 1.0

    def own_provider(self, customer: int) -> Provider | None:
        """The customer's own provider in relationship service (None if none is assigned)."""
        return self.providers_by_id.get(self.population.provider[customer])
