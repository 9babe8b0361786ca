"""The kinds of service encounter (Kotelnikov): first, second and third kind.

*First kind*: routine service, the customer gets what the process offers.
*Second kind*: the customer makes a special request, which a flexible front line
accommodates (it takes longer, risks a provider error, and makes the customer feel
valued) or refuses ("we don't do this", which makes them feel less valued).
*Third kind*: proactive attention to the customer's future needs; it takes time,
makes the customer feel valued and prevents part of the next visit's failures.
"""

from __future__ import annotations

NO_REQUEST, ACCOMMODATED, REFUSED = 0, 1, -1


def encounter_kind(
    u_request: float, u_flex: float, u_proactive: float, request_rate: float,
    flexibility: float, proactivity: float, request_time: float, proactive_time: float,
) -> tuple[int, bool, float]:
    """The kind of one encounter, from three uniform draws: (special request, proactive
    attention, service-time factor).

    * Second kind: the customer asks for something special with probability
      ``request_rate``; the unit accommodates it with probability ``flexibility``
      (ACCOMMODATED) or refuses it (REFUSED); otherwise NO_REQUEST.
    * Third kind: the provider attends to the customer's future needs with probability
      ``proactivity``.
    * The service takes ``1 + request_time`` (an accommodated request) ``+ proactive_time``
      (proactive attention) times the routine time.
    """
    request = NO_REQUEST
    extra = 1.0
    if u_request < request_rate:
        if u_flex < flexibility:
            request = ACCOMMODATED
            extra += request_time
        else:
            request = REFUSED
    proactive = u_proactive < proactivity
    if proactive:
        extra += proactive_time
    return request, proactive, extra
