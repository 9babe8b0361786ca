"""A unit (branch) of the organization: its desk, local policies and operating state.

Units share the organization's policies unless the scenario gives local
values, so that variability among units (the encyclopaedia article "Customer
service") can be studied next to variability within providers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import simpy

from sim.model.providers import Provider
from sim.model.recording import ChainTally, PeriodTally
from sim.model.service import ServiceDesk
from sim.scenario.schema import ScenarioParameters, UnitSection


@dataclass(frozen=True)
class LocalPolicy:
    """The policies in force in one unit."""

    name: str
    share: float
    providers: int
    reliability: float
    empowerment: float
    internal_service_quality: float
    flexibility: float
    proactivity: float
    training: float


def local_policies(p: ScenarioParameters) -> list[LocalPolicy]:
    """The units of a scenario with their policies (one unit if none is declared)."""
    org = p.organization
    declared = p.units or (UnitSection(name="main"),)
    out = []
    for unit in declared:
        out.append(
            LocalPolicy(
                name=unit.name,
                share=unit.share,
                providers=unit.providers if unit.providers is not None else p.providers.count,
                reliability=_pick(unit.reliability, org.reliability),
                empowerment=_pick(unit.empowerment, org.empowerment),
                internal_service_quality=_pick(
                    unit.internal_service_quality, org.internal_service_quality
                ),
                flexibility=_pick(unit.flexibility, org.flexibility),
                proactivity=_pick(unit.proactivity, org.proactivity),
                training=_pick(unit.training, p.providers.training),
            )
        )
    return out


def _pick(local: float | None, default: float) -> float:
    return default if local is None else local


@dataclass
class Unit:
    """One branch: its desk and what its review needs to know."""

    index: int
    policy: LocalPolicy
    desk: ServiceDesk
    standard: float  # the time standard per customer, hours (drifts down if enabled)
    full_quality_time: float  # hours a fully competent provider needs for full quality
    time_factor: float = 1.0  # time per order / full-quality time
    quality_factor: float = 1.0  # delivered quality from time spent
    work_pressure: float = 0.0
    process_multiplier: float = 1.0  # process failure rate left after root-cause fixes
    arrivals_since_workload: int = 0
    tally: PeriodTally = field(default_factory=PeriodTally)
    chain: ChainTally = field(default_factory=ChainTally)
    process_complaints: int = 0  # complaints about process failures this period
    quits: int = 0
    hires: int = 0
    removed: int = 0
    vacancies: int = 0
    on_spot_probability: float = 0.0  # chance a complaint is put right at once
    unprompted_probability: float = 0.0  # chance a silent failure is noticed and put right
    giveaway: float = 0.0  # share of a visit's revenue given away (empowerment)
    service_shape: tuple[float, float] = (0.0, 0.0)  # (mu, sigma) of the lognormal service time
    followed: int = 0  # customers who followed a departing provider this period
    areas: tuple[float, float, float] = (0.0, 0.0, 0.0)  # queue, busy, staff this period
    seasoned_quality: float = 0.0  # perceived quality served by providers at parity, summed
    seasoned_served: int = 0  # encounters served by providers at parity this period

    @classmethod
    def create(cls, env: simpy.Environment, index: int, policy: LocalPolicy,
               full_quality_time: float) -> Unit:
        return cls(index=index, policy=policy, desk=ServiceDesk(env, index),
                   standard=full_quality_time, full_quality_time=full_quality_time)

    @property
    def providers(self) -> list[Provider]:
        """Everyone employed at the unit's desk (including those about to leave)."""
        return self.desk.providers

    def staff(self) -> list[Provider]:
        """The providers who are staying (not leaving)."""
        return [p for p in self.providers if not p.leaving]

    def process_failure_rate(self, fixable_share: float) -> float:
        """Chance of a process failure per visit, after root-cause fixes."""
        base = 1.0 - self.policy.reliability
        return base * ((1.0 - fixable_share) + fixable_share * self.process_multiplier)

    def reset_period(self) -> None:
        self.tally = PeriodTally()
        self.chain = ChainTally()
        self.process_complaints = 0
        self.quits = self.hires = self.removed = self.followed = 0
        self.seasoned_quality = 0.0
        self.seasoned_served = 0
