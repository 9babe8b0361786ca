"""Key performance indicators: the period rows and the run summary.

Period rows are built at each review from the units' tallies and a vectorised
look at the population; the run summary is computed from the rows after the
warm-up and from the population's final state (cohort retention, promoter
conversion, lifetime value).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.clock import (
    DAYS_PER_YEAR,
    HOURS_PER_DAY,
    HOURS_PER_MONTH,
    HOURS_PER_YEAR,
    MINUTES_PER_HOUR,
)
from sim.model import loyalty, money
from sim.model.context import RunContext
from sim.model.encounter import SOURCES
from sim.model.population import (
    ACTIVE,
    CHANNELS,
    DEFECTED,
    INITIAL,
    OUTCOMES,
    PAID,
    ladder_cell,
)
from sim.model.providers import PARITY
from sim.model.recording import ChainTally, PeriodTally, Recorder
from sim.model.satisfaction import (
    DETRACTOR,
    PASSIVE,
    PASSIVE_MIN_SCORE,
    PROMOTER,
    PROMOTER_MIN_SCORE,
    net_promoter_score,
)
from sim.model.unit import Unit

GROUPS = ("detractor", "passive", "promoter")
# the repurchase ladder's columns: minor problems unprefixed, major ones ``major_``
LADDER_PREFIXES = ("", "major_")
NOT_YET_12M = -2  # ``rating_12m`` before the customer's 12-month review


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def recommend_groups(scores: np.ndarray) -> np.ndarray:
    """-1 unrated, 0 detractor, 1 passive, 2 promoter (int8: one byte a customer, with no
    wider temporaries, since a period's row groups the whole population)."""
    groups = np.full(scores.shape, DETRACTOR, dtype=np.int8)
    groups[scores >= PASSIVE_MIN_SCORE] = PASSIVE
    groups[scores >= PROMOTER_MIN_SCORE] = PROMOTER
    groups[scores < 0] = -1
    return groups


def chain_row(
    ctx: RunContext,
    units: list[Unit],
    recorder: Recorder,
    dt: float,
    reasons: np.ndarray,
    acquisitions: dict[str, float] | None,
    label: str = "all",
) -> dict[str, Any]:
    """Close the period of ``units`` into ``recorder``: one row of every period metric,
    labelled ``label`` in the ``unit`` column ("all" for the whole organization)."""
    p = ctx.p
    now = ctx.env.now
    months = dt / HOURS_PER_MONTH
    tally, chain = PeriodTally(), ChainTally()
    for unit in units:
        tally.merge(unit.tally)
        chain.merge(unit.chain)
    queue_area = sum(u.areas[0] for u in units)
    busy_area = sum(u.areas[1] for u in units)
    staff_area = sum(u.areas[2] for u in units)
    present = [q for u in units for q in u.providers if not q.leaving]
    indices = [u.index for u in units]
    everyone = len(units) == len(ctx.units)
    extra: dict[str, Any] = {"unit": label}

    with ctx.population.np() as col:
        mine = slice(None) if everyone else np.isin(col["unit"], indices)
        status = col["status"][mine]
        active = status == ACTIVE
        s = col["satisfaction"][mine][active].astype(float)
        scores = col["recommend"][mine]
        rated = scores[active & (scores >= 0)]
        cohort = col["cohort"][mine]
        channel = col["channel"][mine]
        new = (cohort == len(recorder.rows)) & (channel != INITIAL)
        acquired = int(np.count_nonzero(new))
        extra["active_customers"] = int(np.count_nonzero(active))
        extra["mean_expectation"] = float(col["expectation"][mine][active].mean()) if s.size \
            else math.nan
        if everyone:
            groups = recommend_groups(col["recommend"])
            groups[col["status"] != ACTIVE] = -1
            previous = recorder_state(recorder, groups.size)
            for a, name_a in enumerate(GROUPS):
                for b, name_b in enumerate(GROUPS):
                    extra[f"moved_{name_a}_to_{name_b}"] = int(
                        np.count_nonzero((previous == a) & (groups == b))
                    )
            recorder.previous_group = groups  # type: ignore[attr-defined]
            record_rating_at_12_months(col, now, dt)
            extra["ever_promoter"] = int(np.count_nonzero(col["ever_promoter"] == 1))
    if acquisitions is not None and everyone:
        extra.update({k: acquisitions[k] for k in ("wom_positive", "wom_negative")})
        extra["acquired_paid"] = int(acquisitions["acquired_paid"])
        extra["acquired_referral"] = int(acquisitions["acquired_referral"])
    extra["acquired"] = acquired
    extra["satisfaction_index"] = 100.0 * float(s.mean()) if s.size else math.nan
    extra["share_not_satisfied"] = float(np.mean(s < p.customers.satisfied_threshold)) \
        if s.size else math.nan
    nps, promoters, passives, detractors = net_promoter_score(rated)
    extra["promoter_share"] = promoters
    extra["passive_share"] = passives
    extra["detractor_share"] = detractors
    extra["nps"] = nps

    # defections by reason
    counts = np.bincount(reasons.astype(np.int64), minlength=4) if reasons.size else np.zeros(4)
    counts[loyalty.FOLLOWED_PROVIDER] += sum(u.followed for u in units)
    for k, reason in enumerate(loyalty.REASONS):
        extra[f"defected_{reason}"] = int(counts[k])
    extra["defected"] = int(counts.sum())
    cum = recorder.cumulative
    if "acquired" not in cum:
        cum["acquired"] = extra["active_customers"] + extra["defected"] - acquired
        cum["defected"] = 0
    cum["acquired"] += acquired
    cum["defected"] += extra["defected"]
    extra["cum_acquired"] = cum["acquired"]
    extra["cum_defected"] = cum["defected"]

    # failures, complaints, recovery
    for k in (1, 2, 3):
        extra[f"failures_{SOURCES[k]}"] = chain.failures_by_source[k]
        extra[f"dissatisfied_{SOURCES[k]}"] = chain.dissatisfied_by_source[k]
    failures = sum(chain.failures_by_source[1:])
    extra["failures"] = failures
    extra["complaints"] = chain.complaints
    extra["recovered_quickly"] = chain.recovered_quickly
    extra["recovered_escalated"] = chain.recovered_escalated
    extra["recovered_unprompted"] = chain.recovered_unprompted
    extra["unresolved"] = chain.unresolved
    extra["complaint_share"] = _ratio(chain.complaints, failures)
    extra["recovery_rate"] = _ratio(
        chain.recovered_quickly + chain.recovered_escalated, chain.complaints
    )
    for severity, prefix in enumerate(LADDER_PREFIXES):
        for k, outcome in enumerate(OUTCOMES):
            cell = ladder_cell(severity, k)
            extra[f"repurchase_base_{prefix}{outcome}"] = chain.repurchase_base[cell]
            extra[f"repurchased_{prefix}{outcome}"] = chain.repurchased[cell]
    extra["special_requests"] = chain.special_requests
    extra["accommodated"] = chain.accommodated
    extra["refused"] = chain.refused
    extra["proactive"] = chain.proactive
    extra["mean_quality"] = _ratio(chain.quality_sum, tally.served)
    extra["mean_encounter_satisfaction"] = _ratio(chain.encounter_satisfaction_sum, tally.served)
    extra["process_failure_rate"] = float(np.mean(
        [u.process_failure_rate(p.organization.fixable_share) for u in units]
    ))

    # providers
    extra["quits"] = sum(u.quits for u in units)
    extra["removed"] = sum(u.removed for u in units)
    extra["hires"] = sum(u.hires for u in units)
    extra["vacancies"] = sum(u.vacancies for u in units)
    extra["provider_job_satisfaction"] = float(np.mean([q.job_satisfaction for q in present])) \
        if present else math.nan
    extra["mean_competency"] = float(np.mean([q.competency for q in present])) \
        if present else math.nan
    extra["work_pressure"] = float(np.mean([u.work_pressure for u in units]))
    extra["time_factor"] = float(np.mean([u.time_factor for u in units]))
    extra["quality_factor"] = float(np.mean([u.quality_factor for u in units]))
    extra["standard_minutes"] = MINUTES_PER_HOUR * float(np.mean([u.standard for u in units]))
    extra["job_satisfaction_sd"] = float(np.std([q.job_satisfaction for q in present])) \
        if present else math.nan
    extra["novice_share"] = float(np.mean([q.competency < PARITY for q in present])) \
        if present else math.nan
    extra["seasoned_quality"] = _ratio(sum(u.seasoned_quality for u in units),
                                       sum(u.seasoned_served for u in units))

    # money
    m = p.money
    provider_months = staff_area / HOURS_PER_MONTH
    training = float(np.mean([u.policy.training for u in units]))
    wages, training_cost, hiring = money.staff_costs(
        provider_months, m.wage_per_month, training, m.training_cost, extra["hires"],
        m.hiring_cost,
    )
    total_share = sum(u.policy.share for u in ctx.units)
    reliability_cost = sum(
        money.reliability_cost(u.policy.reliability, m.reliability_cost, months,
                              m.reliability_cap)
        * u.policy.share / total_share
        for u in units
    )
    acquisition_cost = extra.get("acquired_paid", 0) * m.acquisition_cost
    extra["revenue"] = chain.revenue
    extra["cost_wages"] = wages
    extra["cost_training"] = training_cost + money.empowerment_cost(
        provider_months, float(np.mean([u.policy.empowerment ** 2 for u in units])),
        m.empowerment_training_cost)
    extra["cost_hiring"] = hiring
    extra["cost_reliability"] = reliability_cost
    extra["cost_compensation"] = chain.compensation
    extra["cost_acquisition"] = acquisition_cost
    extra["cost"] = wages + extra["cost_training"] + hiring + reliability_cost \
        + chain.compensation + acquisition_cost
    extra["profit"] = chain.revenue - extra["cost"]

    levels: dict[str, Any] = {
        "queue_area": queue_area,
        "busy_area": busy_area,
        "staff_area": staff_area,
        "in_queue": sum(u.desk.waiting for u in units),
        "in_service": sum(u.desk.busy for u in units),
        "providers": len(present),
    }
    return recorder.close_period(now, levels, extra, tally=tally)


def record_rating_at_12_months(col: dict[str, np.ndarray], now: float, dt: float) -> None:
    """Keep each customer's rating at the first review at least 12 months after joining
    (within half a review period) in ``rating_12m``: the current ``recommend`` score if
    still active, -1 if gone (the population of ``promoter_conversion``). No random draw."""
    due = (col["rating_12m"] == NOT_YET_12M) & (
        col["joined"].astype(float) + HOURS_PER_YEAR <= now + dt / 2
    )
    col["rating_12m"][due] = np.where(col["status"][due] == ACTIVE, col["recommend"][due], -1)


def recorder_state(recorder: Recorder, size: int) -> np.ndarray:
    """The recommend groups at the previous review, padded for customers acquired since."""
    previous = getattr(recorder, "previous_group", None)
    out = np.full(size, -1, dtype=np.int8)
    if previous is not None:
        out[: previous.size] = previous
    return out


# -- summaries -------------------------------------------------------------------------------
def queue_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The queue KPIs of a run from its period rows."""
    if not rows:
        return {}
    arrived = sum(r["arrived"] for r in rows)
    started = sum(r["started"] for r in rows)
    served = sum(r["served"] for r in rows)
    abandoned = sum(r["abandoned"] for r in rows)
    hours = [(r["t_end_days"] - r["t_start_days"]) * HOURS_PER_DAY for r in rows]
    total_hours = sum(hours)
    staff = sum(r["mean_staff"] * h for r, h in zip(rows, hours, strict=True))
    busy = sum(r["utilisation"] * r["mean_staff"] * h for r, h in zip(rows, hours, strict=True)
               if not math.isnan(r["utilisation"]))
    last = rows[-1]

    def time_mean(key: str) -> float:
        return _ratio(sum(r[key] * h for r, h in zip(rows, hours, strict=True)), total_hours)

    return {
        "arrived": arrived,
        "served": served,
        "abandoned": abandoned,
        "in_system_end": last["in_queue"] + last["in_service"],
        "mean_wait": _ratio(sum(r["wait_sum"] for r in rows), started),
        "p_wait": _ratio(sum(r["waited"] for r in rows), started),
        "share_within_target": _ratio(
            sum(r["share_within_target"] * r["started"] for r in rows if r["started"]), started
        ),
        "abandon_share": _ratio(abandoned, arrived),
        "utilisation": _ratio(busy, staff),
        "mean_in_system": time_mean("mean_in_system"),
        "mean_queue": time_mean("mean_queue"),
        "mean_sojourn": _ratio(sum(r["sojourn_sum"] for r in rows), served),
        "throughput_per_hour": _ratio(served, total_hours),
        "arrival_rate_per_hour": _ratio(arrived, total_hours),
        "encounters": served + abandoned,
    }


def _after(rows: list[dict[str, Any]], warmup_days: float) -> list[dict[str, Any]]:
    kept = [r for r in rows if r["t_start_days"] >= warmup_days - 1e-9]
    return kept or rows[-1:]


def _time_mean(rows: list[dict[str, Any]], key: str) -> float:
    pairs = [(r[key], r["t_end_days"] - r["t_start_days"]) for r in rows
             if not (isinstance(r[key], float) and math.isnan(r[key]))]
    weight = sum(w for _, w in pairs)
    return _ratio(sum(v * w for v, w in pairs), weight)


def _total(rows: list[dict[str, Any]], key: str) -> float:
    return sum(r[key] for r in rows)


def behaviour_summary(ctx: RunContext) -> dict[str, Any]:
    """Every KPI of the run, after the warm-up."""
    p = ctx.p
    warmup_days = p.run.warmup_years * DAYS_PER_YEAR
    all_rows = ctx.recorder.rows
    rows = _after(all_rows, warmup_days)
    q = queue_summary(rows)
    days = sum(r["t_end_days"] - r["t_start_days"] for r in rows)
    years = days / DAYS_PER_YEAR
    failures = _total(rows, "failures")
    complaints = _total(rows, "complaints")
    dissatisfied = sum(_total(rows, f"dissatisfied_{s}") for s in SOURCES[1:])
    staff_years = sum(r["mean_staff"] * (r["t_end_days"] - r["t_start_days"]) for r in rows) \
        / DAYS_PER_YEAR
    revenue = _total(rows, "revenue") / years
    cost = _total(rows, "cost") / years

    start_hours = warmup_days * HOURS_PER_DAY
    end_hours = ctx.env.now
    with ctx.population.np() as col:
        everyone = np.ones(ctx.population.size, dtype=bool)
        retention = base_retention(col, everyone, start_hours, end_hours)
        by_cohort = cohort_retention(col, everyone, start_hours, end_hours)
        acquired_in_run = col["channel"] != INITIAL
        n_acquired = int(np.count_nonzero(acquired_in_run))
        converted = acquired_in_run & (col["ever_promoter"] == 1)
        conversion = promoter_conversion(col, start_hours)
        to_promoter = (
            col["promoter_at"][converted].astype(float)
            - col["joined"][converted].astype(float)
        ) / HOURS_PER_DAY
        time_to_promoter = float(to_promoter.mean()) if to_promoter.size else math.nan
        paid = int(np.count_nonzero(col["channel"] == PAID))
        revenue_per_customer_year = _ratio(
            revenue, _time_mean(rows, "active_customers")
        )

    defection = 1.0 - retention if not math.isnan(retention) else math.nan
    acquisition_per_customer = _ratio(paid * p.money.acquisition_cost, n_acquired)
    clv = money.lifetime_value(revenue_per_customer_year, defection, acquisition_per_customer)
    repurchase = {prefix: {
        outcome: _ratio(_total(all_rows, f"repurchased_{prefix}{outcome}"),
                        _total(all_rows, f"repurchase_base_{prefix}{outcome}"))
        for outcome in OUTCOMES} for prefix in LADDER_PREFIXES}

    return {
        "retention_rate": retention,
        "annual_defection": defection,
        "cohort_retention": by_cohort,
        "promoter_share": _time_mean(rows, "promoter_share"),
        "passive_share": _time_mean(rows, "passive_share"),
        "detractor_share": _time_mean(rows, "detractor_share"),
        "nps": _time_mean(rows, "nps"),
        "promoter_conversion": conversion,
        "time_to_promoter": time_to_promoter,
        "satisfaction_index": _time_mean(rows, "satisfaction_index"),
        "share_not_satisfied": _time_mean(rows, "share_not_satisfied"),
        "defections_by_reason": {r: int(_total(rows, f"defected_{r}")) for r in loyalty.REASONS},
        "failures_by_source": {s: _ratio(_total(rows, f"failures_{s}"), failures)
                               for s in SOURCES[1:]},
        "dissatisfaction_by_source": {s: _ratio(_total(rows, f"dissatisfied_{s}"), dissatisfied)
                                      for s in SOURCES[1:]},
        "failure_rate": _ratio(failures, q["served"]),
        "complaint_share": _ratio(complaints, failures),
        "recovery_rate": _ratio(
            _total(rows, "recovered_quickly") + _total(rows, "recovered_escalated"), complaints
        ),
        "repurchase_by_outcome": repurchase[""],
        "repurchase_by_outcome_major": repurchase["major_"],
        "provider_turnover": _ratio(_total(rows, "quits") + _total(rows, "removed"), staff_years),
        "provider_job_satisfaction": _time_mean(rows, "provider_job_satisfaction"),
        "mean_competency": _time_mean(rows, "mean_competency"),
        "utilisation": q["utilisation"],
        "mean_wait": q["mean_wait"],
        "p_wait": q["p_wait"],
        "abandon_share": q["abandon_share"],
        "share_within_target": q["share_within_target"],
        "mean_quality": _ratio(sum(r["mean_quality"] * r["served"] for r in rows if r["served"]),
                               q["served"]),
        "encounters": q["encounters"],
        "served": q["served"],
        "revenue": revenue,
        "cost": cost,
        "profit": revenue - cost,
        "clv": clv,
        "active_customers": all_rows[-1]["active_customers"],
        "acquired": int(_total(rows, "acquired")),
        "acquired_by_channel": {
            "paid": int(_total(rows, "acquired_paid")),
            "referral": int(_total(rows, "acquired_referral")),
        },
        "defected": int(_total(rows, "defected")),
        "referrals": int(_total(rows, "acquired_referral")),
        "wom_ratio": _ratio(_total(rows, "wom_positive"), _total(rows, "wom_negative")),
        "warmup_years": p.run.warmup_years,
        "job_satisfaction_sd": _time_mean(rows, "job_satisfaction_sd"),
        "novice_share": _time_mean(rows, "novice_share"),
        "seasoned_quality": _time_mean(rows, "seasoned_quality"),
        **({"by_unit": unit_summaries(ctx)} if len(ctx.units) > 1 else {}),
    }


def exposure(col: dict[str, np.ndarray], mask: np.ndarray, start: float, end: float
             ) -> tuple[int, float]:
    """Defections in (``start``, ``end``] hours and customer-years at risk over that window
    of the customers in ``mask``: each customer counts from max(joined, start) to
    min(left, end)."""
    left = col["left"][mask].astype(float)
    gone = ~np.isnan(left)
    defections = int(np.count_nonzero(gone & (left > start) & (left <= end)))
    # hours at risk, worked out in place (at a million customers every temporary is 8 MB):
    # min(left, end) for those gone, end for the others, less max(joined, start), at least 0
    until = np.minimum(left, end, out=left)
    until[~gone] = end
    del gone
    joined = col["joined"][mask].astype(float)
    until -= np.maximum(joined, start, out=joined)
    del joined
    hours = np.clip(until, 0.0, None, out=until)
    return defections, float(hours.sum()) / HOURS_PER_YEAR


def base_retention(col: dict[str, np.ndarray], mask: np.ndarray, start: float, end: float
                   ) -> float:
    """The whole base's annual retention after the warm-up: ``exp(-D / E)``, with D the
    defections and E the customer-years at risk between ``start`` and ``end`` hours
    (the annual defection hazard, new customers included)."""
    defections, years_at_risk = exposure(col, mask, start, end)
    return math.exp(-defections / years_at_risk) if years_at_risk > 0 else math.nan


def cohort_retention(col: dict[str, np.ndarray], mask: np.ndarray, start: float, end: float
                     ) -> float:
    """Annualised survival of the customers in ``mask`` active at ``start`` hours (the end of
    the warm-up): ``kept ** (1 / years)`` with ``kept`` the share still active at the end."""
    joined = col["joined"].astype(float)
    left = col["left"].astype(float)
    cohort = mask & (joined <= start) & (np.isnan(left) | (left > start))
    size = int(np.count_nonzero(cohort))
    years = (end - start) / HOURS_PER_YEAR
    if not size or years <= 0:
        return math.nan
    return (int(np.count_nonzero(cohort & (col["status"] == ACTIVE))) / size) ** (1.0 / years)


def promoter_conversion(col: dict[str, np.ndarray], start: float) -> float:
    """Share of the customers acquired after the warm-up (from ``start`` hours) whose 12-month
    review fell within the run who rated 9 or 10 at that review; those gone before it count
    as not converted (cohort conversion, survival included)."""
    eligible = (col["channel"] != INITIAL) & (col["joined"].astype(float) >= start - 1.0) \
        & (col["rating_12m"] != NOT_YET_12M)
    promoters = eligible & (col["rating_12m"] >= PROMOTER_MIN_SCORE)
    return _ratio(int(np.count_nonzero(promoters)), int(np.count_nonzero(eligible)))


def unit_summaries(ctx: RunContext) -> dict[str, dict[str, float]]:
    """The main KPIs of each unit (branch), after the warm-up."""
    warmup_days = ctx.p.run.warmup_years * DAYS_PER_YEAR
    start_hours = warmup_days * HOURS_PER_DAY
    years = (ctx.env.now - start_hours) / HOURS_PER_YEAR
    out: dict[str, dict[str, float]] = {}
    with ctx.population.np() as col:
        for unit, recorder in zip(ctx.units, ctx.unit_recorders, strict=True):
            rows = _after(recorder.rows, warmup_days)
            mine = col["unit"] == unit.index
            staff_years = sum(r["mean_staff"] * (r["t_end_days"] - r["t_start_days"])
                              for r in rows) / DAYS_PER_YEAR
            served = _total(rows, "served")
            out[unit.policy.name] = {
                "retention_rate": base_retention(col, mine, start_hours, ctx.env.now),
                "cohort_retention": cohort_retention(col, mine, start_hours, ctx.env.now),
                "satisfaction_index": _time_mean(rows, "satisfaction_index"),
                "nps": _time_mean(rows, "nps"),
                "promoter_share": _time_mean(rows, "promoter_share"),
                "failure_rate": _ratio(_total(rows, "failures"), served),
                "complaint_share": _ratio(_total(rows, "complaints"), _total(rows, "failures")),
                "mean_wait": _ratio(_total(rows, "wait_sum"), _total(rows, "started")),
                "provider_turnover": _ratio(_total(rows, "quits") + _total(rows, "removed"),
                                            staff_years),
                "provider_job_satisfaction": _time_mean(rows, "provider_job_satisfaction"),
                "profit": (_total(rows, "revenue") - _total(rows, "cost")) / years
                if years > 0 else math.nan,
                "active_customers": rows[-1]["active_customers"],
            }
    return out


def cohort_table(ctx: RunContext) -> list[dict[str, Any]]:
    """Per acquisition cohort (review period of acquisition) and channel: size, survivors,
    promoter conversion, time to promoter, realised revenue and lifetime value so far."""
    p = ctx.p
    with ctx.population.np() as col:
        cohort, channel = col["cohort"], col["channel"]
        # the (cohort, channel) pairs present, in order, as one int32 key each (no Python
        # object per customer: the population can be a million strong)
        keys = np.unique(cohort * np.int32(len(CHANNELS)) + channel)
        out = []
        for key in [divmod(k, len(CHANNELS)) for k in keys.tolist()]:
            mask = (cohort == key[0]) & (channel == key[1])
            n = int(np.count_nonzero(mask))
            converted = mask & (col["ever_promoter"] == 1)
            days = (col["promoter_at"][converted].astype(float)
                    - col["joined"][converted].astype(float)) / HOURS_PER_DAY
            revenue = float(col["revenue"][mask].astype(float).sum())
            spend = n * p.money.acquisition_cost if key[1] == PAID else 0.0
            out.append({
                "cohort": key[0],
                "channel": CHANNELS[key[1]],
                "acquired": n,
                "active": int(np.count_nonzero(mask & (col["status"] == ACTIVE))),
                "defected": int(np.count_nonzero(mask & (col["status"] == DEFECTED))),
                "promoter_conversion": _ratio(int(np.count_nonzero(converted)), n),
                "time_to_promoter_days": float(days.mean()) if days.size else math.nan,
                "revenue": revenue,
                "value_to_date": _ratio(revenue - spend, n),
            })
    return out
