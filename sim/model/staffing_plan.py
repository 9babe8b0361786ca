"""How many providers a staffing rule asks for (the plan, not the hiring).

Two rules, chosen by ``organization.staffing_rule`` when adaptive staffing is on:

* ``utilisation``: enough capacity that the planned utilisation is met
  (:func:`sim.model.workload.desired_capacity`).
* ``service_level``: the fewest providers whose Erlang C service level, the chance
  that a visit starts within the wait target, reaches the goal; the square-root
  staffing of call centres (Erlang 1917; Gans, Koole & Mandelbaum 2003).  Because
  a larger team reaches the same service level at a higher utilisation, this rule
  keeps waits, and so abandonment, level as the customer base grows, where a fixed
  staff lets them rise.
"""

from __future__ import annotations

import math

from sim.statistics.queueing import mmc_wait_within

MAX_STAFF = 10_000  # a plan never asks for more providers than this in one unit


def service_level_staff(
    visits_per_hour: float, service_hours: float, wait_target_hours: float, goal: float
) -> int:
    """Fewest providers ``c`` with ``P(wait <= target) >= goal`` in an M/M/c queue.

    ``service_hours`` is the mean service time of one provider (the full-quality time over
    the team's mean competency).  At least one provider; at most :data:`MAX_STAFF`.
    """
    if visits_per_hour <= 0.0 or service_hours <= 0.0:
        return 1
    load = visits_per_hour * service_hours
    servers = max(1, math.floor(load) + 1)  # the queue is stable from here on
    while servers < MAX_STAFF:
        if mmc_wait_within(servers, visits_per_hour, 1.0 / service_hours,
                           wait_target_hours) >= goal:
            return servers
        servers += 1
    return MAX_STAFF
