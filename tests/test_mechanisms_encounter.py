"""Unit tests of the service encounter (sim.model.encounter) and of complaints and
recovery (sim.model.recovery).  MODEL.md section 3."""

import itertools
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sim.model import encounter as enc
from sim.model import recovery as rec
from sim.model.population import RESOLVED, RESOLVED_QUICKLY, SILENT, UNRESOLVED
from sim.scenario.schema import (
    CustomersSection,
    EncounterSection,
    OrganizationSection,
    ProvidersSection,
    RecoverySection,
)

unit = st.floats(0.0, 1.0)

# ------------------------------------------------------------------------------ failures


def _probs(**changes: object) -> tuple[float, float, float]:
    args: dict[str, object] = dict(
        process_rate=0.07, provider_error_rate=0.05, competency=1.0, quality_factor=1.0,
        customer_error_rate=0.02, accommodated=False, special_request_error=0.03,
        forewarned=False, prevention=0.5,
    )
    args.update(changes)
    return enc.failure_probabilities(**args)  # type: ignore[arg-type]


def test_failure_probabilities_plain_encounter() -> None:
    p_proc, p_prov, p_cust = _probs()
    assert p_proc == pytest.approx(0.07)
    assert p_prov == pytest.approx(0.05 * 0.3)  # falls as 1 - 0.7 x competency
    assert p_cust == pytest.approx(0.02)
    assert _probs(competency=0.0)[1] == pytest.approx(0.05)


def test_forewarned_customers_have_less_process_and_customer_risk() -> None:
    plain = _probs()
    warned = _probs(forewarned=True, prevention=0.5)
    assert warned[0] == pytest.approx(plain[0] * 0.5)
    assert warned[2] == pytest.approx(plain[2] * 0.5)
    assert warned[1] == pytest.approx(plain[1])  # the provider's own error is unaffected
    assert _probs(forewarned=True, prevention=0.0) == pytest.approx(plain)
    assert _probs(forewarned=False, prevention=1.0) == pytest.approx(plain)


def test_accommodated_special_requests_add_provider_error_risk() -> None:
    plain = _probs()
    accommodated = _probs(accommodated=True, special_request_error=0.03)
    assert accommodated[1] == pytest.approx(plain[1] + 0.03)
    assert (accommodated[0], accommodated[2]) == (plain[0], plain[2])


@given(c=st.floats(0.0, 0.95), d=st.floats(0.01, 0.05), q=st.floats(0.2, 1.0))
def test_lower_competency_or_cut_corners_raise_provider_error(c: float, d: float,
                                                             q: float) -> None:
    assert _probs(competency=c, quality_factor=q)[1] > _probs(competency=c + d,
                                                              quality_factor=q)[1]
    assert _probs(competency=c, quality_factor=q * 0.9)[1] > _probs(competency=c,
                                                                    quality_factor=q)[1]


def test_provider_error_is_floored_and_capped() -> None:
    # a quality factor near zero is floored at 0.05 (no division blow-up)
    assert _probs(quality_factor=0.0)[1] == pytest.approx(_probs(quality_factor=0.05)[1])
    assert _probs(quality_factor=0.0)[1] == pytest.approx(0.05 * 0.3 / 0.05)
    assert _probs(provider_error_rate=1.0, competency=0.0, quality_factor=0.1)[1] == 1.0


def test_default_failure_mix_is_mostly_processes() -> None:
    """MODEL.md section 3: defaults put processes first (about 60 % of failures) and
    providers and customers behind, for a trained provider."""
    o, p, c = OrganizationSection(), ProvidersSection(), CustomersSection()
    p_proc, p_prov, p_cust = enc.failure_probabilities(
        1.0 - o.reliability, p.error_rate, 0.9, 1.0, c.error_rate, False, 0.03, False, 0.5)
    total = p_proc + p_prov + p_cust
    assert p_proc / total > 0.5
    assert p_proc > p_cust and p_proc > p_prov


def test_failure_source_partitions_the_unit_interval_on_a_grid() -> None:
    pp, pv, pc = 0.1, 0.2, 0.3
    n = 1000
    counts = dict.fromkeys((enc.NO_FAILURE, enc.PROCESS, enc.PROVIDER, enc.CUSTOMER), 0)
    for i in range(n):
        counts[enc.failure_source((i + 0.5) / n, pp, pv, pc)] += 1
    assert counts[enc.PROCESS] == 100
    assert counts[enc.PROVIDER] == 200
    assert counts[enc.CUSTOMER] == 300
    assert counts[enc.NO_FAILURE] == 400
    # order of the intervals: process, provider, customer, none
    assert enc.failure_source(0.05, pp, pv, pc) == enc.PROCESS
    assert enc.failure_source(0.25, pp, pv, pc) == enc.PROVIDER
    assert enc.failure_source(0.45, pp, pv, pc) == enc.CUSTOMER
    assert enc.failure_source(0.65, pp, pv, pc) == enc.NO_FAILURE
    assert enc.failure_source(0.0, 0.0, 0.0, 0.0) == enc.NO_FAILURE
    assert enc.SOURCES[enc.PROCESS] == "process" and enc.SOURCES[enc.NO_FAILURE] == "none"


@given(u=st.floats(0.0, 1.0, exclude_max=True), pp=st.floats(0, 0.3), pv=st.floats(0, 0.3),
       pc=st.floats(0, 0.3))
def test_failure_source_matches_cumulative_boundaries(u: float, pp: float, pv: float,
                                                      pc: float) -> None:
    edges = (pp, pp + pv, pp + pv + pc)
    assume(all(abs(u - e) > 1e-9 for e in edges))  # off the boundaries (rounding)
    if u < edges[0]:
        expected = enc.PROCESS
    elif u < edges[1]:
        expected = enc.PROVIDER
    elif u < edges[2]:
        expected = enc.CUSTOMER
    else:
        expected = enc.NO_FAILURE
    assert enc.failure_source(u, pp, pv, pc) == expected


# ---------------------------------------------------------------------------- dimensions


def test_responsiveness_is_exponential_in_the_wait() -> None:
    assert enc.responsiveness(0.0, 8 / 60) == 1.0
    assert enc.responsiveness(8 / 60, 8 / 60) == pytest.approx(1 / math.e)
    assert enc.responsiveness(0.5, 0.25) == pytest.approx(math.exp(-2))


@given(w=st.floats(0, 10), d=st.floats(0.01, 1), tol=st.floats(0.01, 5))
def test_responsiveness_falls_with_the_wait(w: float, d: float, tol: float) -> None:
    r = enc.responsiveness(w, tol)
    assert 0.0 <= r <= 1.0
    assert enc.responsiveness(w + d, tol) <= r


def _valued(bond: float = 0.0, proactive: bool = False, request: int = 0) -> float:
    e = EncounterSection()
    return enc.feeling_valued(e.valued_base, bond, e.valued_bond, proactive, e.valued_proactive,
                              request, e.valued_accommodated, e.valued_refusal)


def test_feeling_valued_effects_of_bond_proactivity_and_requests() -> None:
    plain = _valued()
    assert plain == pytest.approx(0.35)
    assert _valued(bond=1.0) == pytest.approx(0.65)
    assert _valued(bond=0.5) > plain
    assert _valued(proactive=True) == pytest.approx(0.55)
    assert _valued(request=1) == pytest.approx(0.45)
    assert _valued(request=-1) == pytest.approx(0.05)  # "we don't do this"
    assert _valued(request=-1) < plain < _valued(request=1)


@given(base=unit, bond=unit, bw=unit, pro=st.booleans(), lift=unit,
       request=st.sampled_from([-1, 0, 1]), acc=unit, refusal=unit)
def test_feeling_valued_is_bounded_and_monotone_in_bond(
    base: float, bond: float, bw: float, pro: bool, lift: float, request: int, acc: float,
    refusal: float,
) -> None:
    v = enc.feeling_valued(base, bond, bw, pro, lift, request, acc, refusal)
    assert 0.0 <= v <= 1.0
    assert enc.feeling_valued(base, 0.0, bw, pro, lift, request, acc, refusal) <= v
    assert enc.feeling_valued(base, bond, bw, True, lift, request, acc, refusal) >= v
    assert enc.feeling_valued(base, bond, bw, pro, lift, -1, acc, refusal) <= v
    assert enc.feeling_valued(1.0, 1.0, 1.0, True, 1.0, 1, 1.0, 0.0) == 1.0
    assert enc.feeling_valued(0.0, 0.0, 1.0, False, 1.0, -1, 1.0, 1.0) == 0.0


def test_empathy_and_competency_scores() -> None:
    assert enc.empathy(0.62, 0.0) == pytest.approx(0.62)
    assert enc.empathy(0.62, 0.1) == pytest.approx(0.72)
    assert enc.empathy(0.95, 0.2) == 1.0 and enc.empathy(0.05, -0.2) == 0.0
    assert enc.competency_score(0.8, 1.0, 0.0) == pytest.approx(0.8)
    assert enc.competency_score(0.8, 0.5, 0.0) == pytest.approx(0.4)  # corners cut
    assert enc.competency_score(0.8, 0.5, 0.05) == pytest.approx(0.45)
    assert enc.competency_score(1.0, 1.0, 0.3) == 1.0
    assert enc.competency_score(0.1, 1.0, -0.3) == 0.0


@given(v=st.floats(-10, 10))
def test_clip01(v: float) -> None:
    c = enc.clip01(v)
    assert 0.0 <= c <= 1.0
    if 0.0 <= v <= 1.0:
        assert c == v


def test_perceived_quality_is_the_weighted_sum() -> None:
    w = EncounterSection().weights
    assert sum(w) == pytest.approx(1.0)
    assert w[0] == max(w)  # reliability weighs most (SERVQUAL)
    assert enc.perceived_quality((1.0,) * 5, w) == pytest.approx(1.0)
    assert enc.perceived_quality((0.0,) * 5, w) == 0.0
    scores = (0.0, 0.5, 0.8, 0.6, 0.35)
    assert enc.perceived_quality(scores, w) == pytest.approx(
        sum(s * x for s, x in zip(scores, w, strict=True)))
    # each score lands on its own weight: reliability, responsiveness, competency, empathy,
    # valued
    for i in range(5):
        one = tuple(1.0 if j == i else 0.0 for j in range(5))
        assert enc.perceived_quality(one, w) == pytest.approx(w[i])  # type: ignore[arg-type]


@given(scores=st.tuples(unit, unit, unit, unit, unit))
def test_perceived_quality_stays_in_unit_interval_with_default_weights(
    scores: tuple[float, float, float, float, float],
) -> None:
    q = enc.perceived_quality(scores, EncounterSection().weights)
    assert min(scores) - 1e-12 <= q <= max(scores) + 1e-12


# ------------------------------------------------------------------------------ recovery


def test_complaint_probability_at_the_loyalty_reference_is_the_base() -> None:
    c = CustomersSection()
    # loyalty index = bond + min(tenure, 5)/5 + (S - 0.75)/0.1 = 0
    p = rec.complaint_probability(c.complaint_propensity, c.complaint_loyalty_effect, 0.0, 0.0,
                                  0.75)
    assert p == pytest.approx(c.complaint_propensity)
    # no loyalty effect: always the base
    assert rec.complaint_probability(0.05, 0.0, 1.0, 10.0, 0.95) == pytest.approx(0.05)
    assert rec.complaint_probability(0.0, 2.0, 1.0, 10.0, 1.0) == 0.0
    assert rec.complaint_probability(1.0, 2.0, 0.0, 0.0, 0.0) == 1.0


def test_complaint_probability_logit_value() -> None:
    base, effect = 0.004, 2.0
    index = 0.5 + 2.5 / 5 + (0.85 - 0.75) / 0.1  # bond, tenure, satisfaction
    logit = math.log(base / (1 - base)) + effect * index
    expected = 1 / (1 + math.exp(-logit))
    assert rec.complaint_probability(base, effect, 0.5, 2.5, 0.85) == pytest.approx(expected)
    # tenure counts only up to five years
    assert rec.complaint_probability(base, effect, 0.5, 5.0, 0.85) == pytest.approx(
        rec.complaint_probability(base, effect, 0.5, 30.0, 0.85))


@given(bond=st.floats(0, 0.9), tenure=st.floats(0, 4.5), s=st.floats(0.3, 0.95),
       d=st.floats(0.02, 0.05))
def test_loyal_customers_complain_more(bond: float, tenure: float, s: float, d: float) -> None:
    p = rec.complaint_probability(0.004, 2.0, bond, tenure, s)
    assert 0.0 < p < 1.0
    assert rec.complaint_probability(0.004, 2.0, bond + d, tenure, s) > p
    assert rec.complaint_probability(0.004, 2.0, bond, tenure + d, s) > p
    assert rec.complaint_probability(0.004, 2.0, bond, tenure, s + d) > p


def test_on_spot_recovery_rises_with_empowerment_and_is_capped() -> None:
    r = RecoverySection()
    probs = [rec.on_spot_recovery_probability(r.on_spot_base, r.on_spot_gain, e / 10)
             for e in range(11)]
    assert probs[0] == pytest.approx(0.2) and probs[-1] == pytest.approx(0.95)
    assert all(b > a for a, b in itertools.pairwise(probs))
    assert rec.on_spot_recovery_probability(0.6, 0.75, 1.0) == 1.0


def test_recovery_outcome_branches() -> None:
    # silent sufferers: no recovery, whatever the draws
    assert rec.recovery_outcome(False, 0.0, 0.0, 1.0, 1.0) == SILENT
    assert rec.recovery_outcome(True, 0.1, 0.9, 0.5, 0.5) == RESOLVED_QUICKLY
    assert rec.recovery_outcome(True, 0.5, 0.1, 0.5, 0.5) == RESOLVED  # u == p is not < p
    assert rec.recovery_outcome(True, 0.6, 0.4, 0.5, 0.5) == RESOLVED
    assert rec.recovery_outcome(True, 0.6, 0.5, 0.5, 0.5) == UNRESOLVED
    assert rec.recovery_outcome(True, 0.99, 0.99, 0.0, 0.0) == UNRESOLVED
    assert rec.recovery_outcome(True, 0.99, 0.0, 0.0, 1.0) == RESOLVED


@given(u1=st.floats(0, 1, exclude_max=True), u2=st.floats(0, 1, exclude_max=True),
       p1=unit, p2=unit)
def test_recovery_outcome_frequencies_follow_the_probabilities(u1: float, u2: float, p1: float,
                                                               p2: float) -> None:
    out = rec.recovery_outcome(True, u1, u2, p1, p2)
    assert (out == RESOLVED_QUICKLY) == (u1 < p1)
    if u1 >= p1:
        assert out == (RESOLVED if u2 < p2 else UNRESOLVED)


def test_reliability_score_ordering() -> None:
    r = RecoverySection()
    quick = rec.reliability_score(RESOLVED_QUICKLY, r.quick_score, r.escalated_score)
    late = rec.reliability_score(RESOLVED, r.quick_score, r.escalated_score)
    assert (quick, late) == (r.quick_score, r.escalated_score)
    assert quick > late > 0.0
    assert rec.reliability_score(UNRESOLVED, r.quick_score, r.escalated_score) == 0.0
    assert rec.reliability_score(SILENT, r.quick_score, r.escalated_score) == 0.0


def _adjust(outcome: int, first: bool = True, paradox: bool = False,
            satisfaction: float = 0.6, no_failure: float = 0.8) -> float:
    return rec.satisfaction_adjustment(outcome, first, paradox, 0.08, 0.05, no_failure,
                                       satisfaction)


def test_double_deviation_hurts_more_than_the_failure_alone() -> None:
    assert _adjust(UNRESOLVED) == pytest.approx(0.55)
    assert _adjust(UNRESOLVED) < _adjust(SILENT) == 0.6
    assert _adjust(UNRESOLVED, satisfaction=0.02) == 0.0  # never below zero
    # the double deviation applies whether or not the paradox is on
    assert _adjust(UNRESOLVED, paradox=True) == pytest.approx(0.55)


def test_recovery_paradox_only_when_on_first_failure_and_quick() -> None:
    assert _adjust(RESOLVED_QUICKLY, paradox=False) == 0.6  # off by default: no lift
    assert RecoverySection().paradox is False
    lifted = _adjust(RESOLVED_QUICKLY, first=True, paradox=True)
    assert lifted == pytest.approx(0.88)  # above the no-failure 0.8
    assert lifted > 0.8
    assert _adjust(RESOLVED_QUICKLY, first=False, paradox=True) == 0.6  # second failure
    assert _adjust(RESOLVED, first=True, paradox=True) == 0.6  # escalated, not quick
    assert _adjust(SILENT, first=True, paradox=True) == 0.6
    assert _adjust(RESOLVED_QUICKLY, paradox=True, no_failure=0.97) == 1.0  # capped
