"""Front-line providers: individuals with their own state and a career process.

Each provider is hired, serves customers, and may quit; a leaver is replaced
by a novice after a hiring delay (MODEL.md section 2, "Providers").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import simpy

from sim.model.service import ServiceDesk


class Provider:
    """One employee at the front line."""

    __slots__ = ("busy", "busy_time", "hired_at", "id", "leaving", "served", "unit")

    def __init__(self, pid: int, unit: int, hired_at: float) -> None:
        self.id = pid
        self.unit = unit
        self.hired_at = hired_at
        self.busy = False
        self.leaving = False
        self.served = 0
        self.busy_time = 0.0

    def tenure(self, now: float) -> float:
        """Hours since hiring."""
        return now - self.hired_at


def quit_probability(annual_rate: float, interval_hours: float) -> float:
    """Chance that a provider with a constant annual quit hazard leaves within the interval.

    Constant-hazard (exponential) turnover: ``1 - exp(-rate * interval / 8760)``.
    """
    return 1.0 - math.exp(-annual_rate * interval_hours / 8760.0)


def provider_career(
    env: simpy.Environment,
    desk: ServiceDesk,
    provider: Provider,
    check_hours: float,
    quit_hazard: Callable[[Provider], float],
    uniform: Callable[[], float],
    on_quit: Callable[[Provider], None],
) -> Generator[simpy.Event, Any, None]:
    """A provider's working life: at every check, quit with the hazard's probability."""
    while True:
        yield env.timeout(check_hours)
        if uniform() < quit_probability(quit_hazard(provider), check_hours):
            desk.dismiss(provider)
            on_quit(provider)
            return
