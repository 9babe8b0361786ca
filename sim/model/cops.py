"""The COPS service models (Gutek 1995): encounter, relationship, pseudo-relationship.

In *encounter* service any free provider serves any customer and no one knows
anyone.  In *relationship* service each customer has an own provider: they wait
for that provider (more patiently, Gutek), the bond grows with every encounter
(faster with proactive attention), a provider who knows the customer is quicker,
and when the provider leaves some customers follow them out while the others are
handed to the colleague with the fewest customers.  In *pseudo-relationship*
service the firm promises recognition (a loyalty card, a CRM record): the promise
raises what customers expect, and they feel recognised only when the provider
happens to be the one who served them last.
"""

from __future__ import annotations

import numpy as np

from sim.model.providers import Provider

ENCOUNTER, RELATIONSHIP, PSEUDO_RELATIONSHIP = "encounter", "relationship", "pseudo_relationship"
SERVICE_MODELS = (ENCOUNTER, RELATIONSHIP, PSEUDO_RELATIONSHIP)


def pseudo_promise(service_model: str, promise: float, weight_valued: float) -> float:
    """What the pseudo-relationship's promise adds to every expectation (0 otherwise)."""
    return promise * weight_valued if service_model == PSEUDO_RELATIONSHIP else 0.0


def pseudo_recognition(last_provider: int, provider: int, recognition: float) -> float:
    """The bond felt in pseudo-relationship service: ``recognition`` when the provider is the
    one who served the customer last, else none."""
    return recognition if last_provider == provider else 0.0


def grow_bond(bond: float, gain: float, proactive: bool, proactive_factor: float) -> float:
    """The bond with one's own provider after an encounter: it closes a share ``gain`` of the
    gap to 1, ``proactive_factor`` times faster after proactive attention (share at most 1)."""
    step = gain * (proactive_factor if proactive else 1.0)
    return bond + (step if step < 1.0 else 1.0) * (1.0 - bond)


def assign_providers(staff: list[Provider], count: int) -> np.ndarray:
    """Own providers for ``count`` customers: each to whoever has fewest customers (ties by
    id); -1 for every customer when there is no staff."""
    out = np.full(count, -1, dtype=np.int32)
    if not staff:
        return out
    for i in range(count):
        prov = min(staff, key=lambda p: (p.customers, p.id))
        prov.customers += 1
        out[i] = prov.id
    return out


def follows_provider(
    u: np.ndarray, follow_rate: float, bond: np.ndarray, in_visit: np.ndarray
) -> np.ndarray:
    """Which customers of a leaving provider follow them out: chance ``follow_rate x bond``;
    a customer in the middle of a visit stays."""
    return (u < follow_rate * bond) & (in_visit == 0)
