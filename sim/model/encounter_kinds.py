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


def special_request(u_request: float, u_flex: float, request_rate: float,
                    flexibility: float) -> int:
    """NO_REQUEST, ACCOMMODATED or REFUSED: does the customer ask, does the unit bend."""
    if u_request < request_rate:
        return ACCOMMODATED if u_flex < flexibility else REFUSED
    return NO_REQUEST


def proactive_attention(u_proactive: float, proactivity: float) -> bool:
    """Does the provider attend to the customer's future needs (third kind)."""
    return u_proactive < proactivity


def service_time_factor(request: int, proactive: bool, request_time: float,
                        proactive_time: float) -> float:
    """The encounter's service time relative to routine: extra time for an accommodated
    request and for proactive attention."""
    extra = 1.0
    if request == ACCOMMODATED:
        extra += request_time
    if proactive:
        extra += proactive_time
    return extra


def encounter_kind(
    u_request: float, u_flex: float, u_proactive: float, request_rate: float,
    flexibility: float, proactivity: float, request_time: float, proactive_time: float,
) -> tuple[int, bool, float]:
    """The kind of one encounter: (special request outcome, proactive attention, service-time
    factor); one call on the visit's hot path."""
    request = special_request(u_request, u_flex, request_rate, flexibility)
    proactive = u_proactive < proactivity
    extra = 1.0
    if request == ACCOMMODATED:
        extra += request_time
    if proactive:
        extra += proactive_time
    return request, proactive, extra
