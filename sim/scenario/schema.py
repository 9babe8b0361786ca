"""The scenario schema: every parameter with its unit, default and valid range.

A scenario is a frozen, validated tree of sections.  Each field carries its
description and unit, so that error messages, ``spc show`` and the reference
documentation are all generated from this one place.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

#: The smallest positive value accepted where a parameter must be above zero.  Such
#: parameters are divided by (time constants, scales, tolerances): a value like 5e-324 is
#: in range but makes the derived rate overflow to infinity.
MIN_POSITIVE = 1e-9

#: Longest accepted scenario or unit name (they become file and directory names).
MAX_NAME_LENGTH = 64

#: The unit label reserved for the whole organization in the per-unit tables.
RESERVED_UNIT_NAMES = ("all",)

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+\-]*")


def name_problem(name: object) -> str | None:
    """Why ``name`` is not a safe scenario or unit name, or None if it is.

    Names become path components (results directories, shards) and labels in tables:
    letters, digits and ``_ . + -``, starting with a letter or digit, at most
    ``MAX_NAME_LENGTH`` characters.
    """
    if not isinstance(name, str):
        return "is not text"
    if not name:
        return "is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"is {len(name)} characters long"
    if not _SAFE_NAME.fullmatch(name):
        return "contains a character other than letters, digits and _ . + - (or starts with one)"
    return None


SAFE_NAME_RULE = (
    f"1 to {MAX_NAME_LENGTH} letters, digits and _ . + -, starting with a letter or digit"
)


LABEL_PATTERN = r"^[^\s\x00-\x1f\x7f]{0,8}$"
"""A short label printed beside numbers (``money.currency``)."""
LABEL_RULE = "at most 8 characters, without spaces or control characters"


def param(default: Any, unit: str, description: str, **bounds: Any) -> Any:
    """A scenario parameter: default, unit, one-line description and bounds (ge, le, gt, lt)."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **bounds)


class Section(BaseModel):
    """A table of a scenario file: strict, frozen, no unknown keys."""

    # strict: no text for numbers ("0.95"), no 1 or "yes" for true, no true for 1, no 8.0 for
    # an integer (an integer is accepted where a number is expected)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, validate_default=True)

    @field_validator("*", mode="after")
    @classmethod
    def _usable_number(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse values in range that break the arithmetic: positive but below
        ``MIN_POSITIVE`` where the parameter must be above zero (it is divided by)."""
        if not isinstance(value, float) or info.field_name is None:
            return value
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        field = cls.model_fields[info.field_name]
        if any(getattr(m, "gt", None) == 0 for m in field.metadata) and value < MIN_POSITIVE:
            raise ValueError(
                f"too small to divide by: must be at least {MIN_POSITIVE:g}"
            )
        return value


class RunSection(Section):
    """How long to simulate, with which seed, in which mode."""

    years: float = param(4.0, "years", "simulated horizon (a year is 365 days)", gt=0, le=100)
    seed: int = param(20261123, "integer", "root seed of all random streams", ge=0, lt=2**63)
    mode: Literal["behaviour", "queue"] = param(
        "behaviour",
        "choice",
        "'behaviour' runs the service-profit chain; 'queue' switches all behaviour off "
        "(Poisson arrivals from an infinite population, see [queue])",
    )
    warmup_years: float = param(
        1.0, "years", "warm-up excluded from the run's summary statistics (behaviour mode)",
        ge=0, le=100,
    )
    review_days: float = param(
        365 / 12,
        "days",
        "length of the organization's review period, at the end of which a period's "
        "metrics are recorded",
        gt=0,
        le=3660,
    )


class QueueSection(Section):
    """Queue mode: an M/M/c (optionally +M) system for validation against theory."""

    arrival_rate: float = param(
        9.0, "per hour", "Poisson arrival rate of the infinite population", gt=0, le=1e6
    )
    service_rate: float = param(
        1.0, "per hour", "rate of the exponential service time of each provider", gt=0, le=1e6
    )
    patience_mean: float = param(
        0.0,
        "hours",
        "mean of the exponential patience; 0 means infinitely patient",
        ge=0,
        le=1e6,
    )


class CustomersSection(Section):
    """The customer population and its behaviour (behaviour mode)."""

    initial: int = param(5000, "customers", "starting population of customers", ge=0, le=10_000_000)
    visits_per_month: float = param(
        1.5, "visits per month", "mean visit rate of a customer", gt=0, le=100
    )
    visit_rate_cv: float = param(
        0.5, "ratio", "coefficient of variation of customers' visit rates (gamma distributed "
        "around visits_per_month; 0 = everyone the same)", ge=0, le=5,
    )
    patience_mean: float = param(
        20.0, "minutes",
        "mean of the exponential patience in the queue; 0 means infinitely patient",
        ge=0, le=10_000,
    )
    wait_tolerance: float = param(
        8.0, "minutes", "wait at which responsiveness has fallen to 1/e of its best", gt=0,
        le=10_000,
    )
    premium_share: float = param(
        0.2, "share", "share of customers in the premium segment (higher revenue and "
        "expectations)", ge=0, le=1,
    )
    premium_expectation: float = param(
        0.05, "quality points", "how much higher premium customers' initial expectation is",
        ge=0, le=0.5,
    )
    expectation_initial: float = param(
        0.78, "quality [0, 1]", "mean initial expectation of quality", ge=0, le=1
    )
    satisfaction_initial: float = param(
        0.75, "satisfaction [0, 1]", "mean initial cumulative satisfaction", ge=0, le=1
    )
    heterogeneity: float = param(
        0.08, "sd", "spread (sd) of initial expectation and satisfaction among customers",
        ge=0, le=0.5,
    )
    special_request_rate: float = param(
        0.15, "per visit", "probability that a visit comes with a special request", ge=0, le=1
    )
    expectation_spread: float = param(
        0.2, "quality points", "spread (sd) of each customer's own lasting standard: the "
        "offset from the quality received towards which their expectation adapts, drawn at "
        "acquisition and kept (persistent heterogeneity, Bolton 1998; Oliver 1980); 0 = "
        "expectations adapt to the quality received itself", ge=0, le=0.5,
    )
    tolerance_spread: float = param(
        0.3, "ratio", "spread (coefficient of variation, lognormal) of each customer's own "
        "tolerance for waiting around wait_tolerance, drawn at acquisition and kept (Bolton "
        "1998); 0 = everyone the same", ge=0, le=3,
    )
    request_spread: float = param(
        0.5, "ratio", "spread (coefficient of variation, lognormal) of each customer's own "
        "propensity for special requests around special_request_rate, drawn at acquisition "
        "and kept; 0 = everyone the same", ge=0, le=3,
    )
    error_rate: float = param(
        0.02, "per visit", "probability of a failure caused by the customer (customer error or "
        "mistaken expectations; Goodman)", ge=0, le=1,
    )
    complaint_propensity: float = param(
        0.004, "probability", "chance that a customer of no bond, no tenure and neutral prior "
        "satisfaction complains about a failure (TARP: most stay silent)", ge=0, le=1,
    )
    complaint_loyalty_effect: float = param(
        2.0, "log-odds", "how much bond, tenure and prior satisfaction raise the propensity to "
        "complain (per unit of each, on the log-odds scale)", ge=0, le=20,
    )
    dissatisfaction_defection: float = param(
        0.04, "per year", "defection hazard of a customer at the satisfaction threshold", ge=0,
        le=50,
    )
    defection_sensitivity: float = param(
        14.0, "per satisfaction unit", "how steeply the dissatisfaction hazard falls with "
        "satisfaction (exponential)", ge=0, le=100,
    )
    other_defection: float = param(
        0.04, "per year", "defection hazard for reasons outside the firm's control (moving "
        "away, no more need)", ge=0, le=50,
    )
    satisfied_threshold: float = param(
        0.6, "satisfaction [0, 1]", "cumulative satisfaction below which a customer counts as "
        "not satisfied", ge=0, le=1,
    )

    complaint_satisfaction_centre: float = param(
        0.75, "satisfaction [0, 1]", "prior satisfaction at which satisfaction neither raises "
        "nor lowers the propensity to complain (the centre of the complaint logit; Goodman "
        "2009: complainers are often the loyal ones)", ge=0, le=1,
    )
    complaint_satisfaction_scale: float = param(
        0.1, "satisfaction [0, 1]", "satisfaction difference from the centre that counts as one "
        "unit in the complaint logit", gt=0, le=1,
    )
    complaint_tenure_years: float = param(
        5.0, "years", "tenure at which tenure's effect on the propensity to complain is full "
        "(one unit in the complaint logit; pro rata below, capped above)", gt=0, le=100,
    )
    repurchase_horizon_months: float = param(
        12.0, "months", "the repurchase ladder counts a customer whose problem left them "
        "dissatisfied as having repurchased if they are still a customer this long after the "
        "problem (TARP 1986's 'will buy again')", gt=0, le=120,
    )
    initial_tenure_years: float = param(
        5.0, "years", "the starting population joined uniformly over this many years before "
        "the start", ge=0, le=100,
    )
    walk_away_quality: float = param(
        1.0, "share of expectation", "a customer who gives up waiting judges reliability and "
        "responsiveness at 0 and the other three dimensions at this share of their "
        "expectation (Parasuraman, Zeithaml & Berry 1988)", ge=0, le=1,
    )

class ProvidersSection(Section):
    """The front-line providers (employees)."""

    count: int = param(8, "providers", "providers employed (the staffing level)", ge=1, le=10_000)
    service_time_mean: float = param(
        25.0, "minutes", "mean service time of a fully competent provider at the standard",
        gt=0, le=10_000,
    )
    service_time_cv: float = param(
        0.5, "ratio", "coefficient of variation of the lognormal service time", gt=0, le=5
    )
    novice_competency: float = param(
        0.5, "competency [0, 1]", "competency of a new hire, set by recruitment and selection",
        ge=0.05, le=1,
    )
    learning_months: float = param(
        5.25, "months", "time constant of the learning curve without training", gt=0, le=600
    )
    training: float = param(
        0.5, "intensity [0, 1]", "training intensity; the learning time constant is divided by "
        "(1 + training)", ge=0, le=1,
    )
    quality_sd: float = param(
        0.12, "quality points", "mean within-provider variability (sd) of delivered quality",
        ge=0, le=0.5,
    )
    quality_sd_spread: float = param(
        0.5, "ratio", "relative spread of the personal quality sd among providers", ge=0, le=2
    )
    error_rate: float = param(
        0.05, "per visit", "provider-error failure probability of a provider of zero "
        "competency (falls as 1 - 0.7 x competency)", ge=0, le=1,
    )
    job_satisfaction_initial: float = param(
        0.62, "satisfaction [0, 1]", "job satisfaction of a new hire", ge=0, le=1
    )
    job_satisfaction_months: float = param(
        3.0, "months", "time constant with which job satisfaction moves to its target", gt=0,
        le=600,
    )
    workload_effect: float = param(
        0.6, "satisfaction per unit", "how much job satisfaction falls per unit of work "
        "pressure", ge=0, le=5,
    )
    annual_quit_rate: float = param(
        0.18, "per year", "quit hazard of a provider at the reference job satisfaction", ge=0,
        le=20,
    )
    quit_sensitivity: float = param(
        5.0, "per satisfaction unit", "how steeply the quit hazard rises as job satisfaction "
        "falls (exponential)", ge=0, le=50,
    )
    job_satisfaction_reference: float = param(
        0.62, "satisfaction [0, 1]", "job satisfaction at which the quit hazard is "
        "annual_quit_rate", ge=0, le=1,
    )
    hiring_delay_days: float = param(
        30.0, "days", "time to replace a provider who left", ge=0, le=3650
    )
    corner_cutting: bool = param(
        True, "switch", "under work pressure providers spend less time per customer and "
        "quality falls (Oliva & Sterman 2001)",
    )
    standards_drift: bool = param(
        False, "switch", "the organization's time standard drifts down towards the time "
        "actually spent (eroding goals)",
    )
    pressure_sensitivity: float = param(
        0.64, "ratio", "elasticity of time per order to work pressure: TPO = standard x "
        "exp(-k WP)", ge=0, le=5,
    )
    standard_adjust_weeks: float = param(
        18.7, "weeks", "time constant of the standard's downward drift", gt=0, le=1000
    )
    target_utilisation: float = param(
        0.8, "share", "utilisation the organization plans for; desired capacity is demand at "
        "the standard time divided by it", gt=0, le=1,
    )
    quality_time_elasticity: float = param(
        1.0, "ratio", "how fast delivered quality falls as time per order falls below the "
        "full-quality time", ge=0, le=10,
    )

    error_competency_effect: float = param(
        0.7, "share", "share of the provider-error probability that full competency removes: "
        "errors are error_rate x (1 - this x competency) / quality factor", ge=0, le=1,
    )
    quality_factor_floor: float = param(
        0.05, "factor", "smallest quality factor by which provider errors are divided (caps "
        "the rise of errors when corners are cut hard; Oliva & Sterman 2001)", gt=0, le=1,
    )
    job_satisfaction_base: float = param(
        0.2, "satisfaction [0, 1]", "target job satisfaction with no internal service quality, "
        "no empowerment and no work pressure (Heskett et al. 1994)", ge=0, le=1,
    )
    job_satisfaction_isq: float = param(
        0.45, "satisfaction per unit", "rise of the job-satisfaction target per unit of "
        "internal service quality (Heskett et al. 1994)", ge=0, le=1,
    )
    job_satisfaction_empowerment: float = param(
        0.2, "satisfaction per unit", "rise of the job-satisfaction target per unit of "
        "empowerment (Heskett et al. 1994)", ge=0, le=1,
    )
    founding_tenure_min_months: float = param(
        3.0, "months", "shortest tenure of the founding team at the start", ge=0, le=600
    )
    founding_tenure_span_months: float = param(
        30.0, "months", "founding tenures are uniform from founding_tenure_min_months over this "
        "span (3 to 33 months by default)", ge=0, le=600,
    )
    empowered_handling: float = param(
        0.05, "share", "extra mean service time at full empowerment: empowered providers take "
        "time to decide and tailor (Bowen & Lawler 1992: slower service delivery)", ge=0, le=5,
    )
    empowered_variability: float = param(
        0.5, "ratio", "relative rise of the service-time coefficient of variation at full "
        "empowerment (Bowen & Lawler 1992: inconsistent service)", ge=0, le=10,
    )
    job_satisfaction_disposition_sd: float = param(
        0.08, "satisfaction [0, 1]", "sd of each provider's persistent personal offset of "
        "job satisfaction, drawn at hiring (\"love what you do\", Kotelnikov)", ge=0, le=1,
    )
    comfortable_utilisation: float = param(
        0.55, "share", "own utilisation at which a provider's workload neither lifts nor lowers "
        "their job satisfaction", ge=0, le=1,
    )
    job_satisfaction_load: float = param(
        0.5, "satisfaction per unit", "fall of a provider's job-satisfaction target per unit of "
        "their own utilisation above comfortable_utilisation (rise below it)", ge=0, le=5,
    )
    job_satisfaction_mood: float = param(
        0.3, "satisfaction per unit", "rise of a provider's job-satisfaction target per unit of "
        "the mean encounter satisfaction of the customers they served, above "
        "job_satisfaction_mood_reference", ge=0, le=5,
    )
    job_satisfaction_mood_reference: float = param(
        0.76, "satisfaction [0, 1]", "customers' mean encounter satisfaction at which their "
        "mood neither lifts nor lowers their provider's job satisfaction", ge=0, le=1,
    )
    job_satisfaction_complaints: float = param(
        0.05, "satisfaction per unit", "rise of a provider's job-satisfaction target when "
        "every complaint they handle is put right on the spot (fall when none is)", ge=0, le=1,
    )
    standard_recovery: bool = param(
        False, "switch", "with standards drift: the standard may also drift back up, and "
        "providers with slack spend up to the full-quality time (no asymmetry; off = Oliva & "
        "Sterman 2001: the standard essentially never rises)",
    )


class OrganizationSection(Section):
    """The organization's policies."""

    reliability: float = param(
        0.93, "share", "reliability of the organization's processes and products: the chance "
        "that a visit does not fail for process reasons", ge=0, le=1,
    )
    empowerment: float = param(
        0.5, "share", "how far front-line providers may resolve problems themselves", ge=0, le=1
    )
    internal_service_quality: float = param(
        0.7, "quality [0, 1]", "quality of the tools, support and processes providers work "
        "with (drives job satisfaction)", ge=0, le=1,
    )
    flexibility: float = param(
        0.5, "share", "chance that a special request is accommodated rather than refused",
        ge=0, le=1,
    )
    proactivity: float = param(
        0.1, "share", "chance that a provider attends to the customer's future needs (third "
        "kind of encounter)", ge=0, le=1,
    )
    service_model: Literal["encounter", "relationship", "pseudo_relationship"] = param(
        "encounter", "choice", "COPS service model (Gutek): any free provider, an own "
        "provider, or promised recognition with a random provider",
    )
    wait_target: float = param(
        5.0, "minutes", "service-level target: a wait up to this long counts as 'within "
        "target'", ge=0, le=10_000,
    )
    failure_learning: float = param(
        0.0003, "per complaint", "share of the fixable process-failure rate removed by each "
        "complaint about a process failure (failure information system); 0 = off", ge=0, le=1,
    )
    fixable_share: float = param(
        0.5, "share", "share of process failures that root-cause fixes can remove", ge=0, le=1
    )
    adaptive_staffing: bool = param(
        False, "switch", "at each review, set headcount by `organization.staffing_rule`",
    )
    staffing_rule: Literal["utilisation", "service_level"] = param(
        "utilisation", "choice", "adaptive staffing's rule: 'utilisation' hires so that "
        "`providers.target_utilisation` is met; 'service_level' hires the fewest providers "
        "whose Erlang C service level reaches `organization.service_level` within "
        "`organization.wait_target`, so waits stay level as the base grows",
    )
    service_level: float = param(
        0.8, "share", "service-level goal of the 'service_level' staffing rule: share of "
        "visits to start within `organization.wait_target` (call-centre 80/20 practice; "
        "Gans, Koole & Mandelbaum 2003)", gt=0, lt=1,
    )
    accountability: bool = param(
        False, "switch", "remove providers whose delivered quality stays in the bottom for "
        "three reviews in a row",
    )
    low_performer_quality: float = param(
        0.6, "quality [0, 1]", "mean delivered quality below which a provider counts as a low "
        "performer", ge=0, le=1,
    )

    low_performer_reviews: int = param(
        3, "reviews", "consecutive reviews as a low performer after which accountability "
        "removes a provider", ge=1, le=1000,
    )
    low_performer_min_tenure: float = param(
        12.0, "months", "tenure before which a provider is never counted as a low performer "
        "(still learning: parity comes after 8 to 12 months)", ge=0, le=600,
    )
    low_performer_margin: float = param(
        0.015, "quality [0, 1]", "a seasoned provider whose mean delivered quality is this far "
        "below the mean of the unit's seasoned providers also counts as a low performer", ge=0,
        le=1,
    )

class RecoverySection(Section):
    """Complaints and service recovery."""

    on_spot_base: float = param(
        0.2, "probability", "chance of recovery on the spot without empowerment", ge=0, le=1
    )
    on_spot_gain: float = param(
        0.75, "probability", "added chance of recovery on the spot at full empowerment", ge=0,
        le=1,
    )
    escalation_days: float = param(
        7.0, "days", "delay of an escalated complaint", ge=0, le=365
    )
    escalation_success: float = param(
        0.5, "probability", "chance that an escalated complaint is resolved", ge=0, le=1
    )
    quick_score: float = param(
        0.9, "score [0, 1]", "reliability score of a failure recovered on the spot", ge=0, le=1
    )
    escalated_score: float = param(
        0.3, "score [0, 1]", "reliability score of a failure resolved after escalation", ge=0,
        le=1,
    )
    double_deviation: float = param(
        0.05, "satisfaction points", "extra satisfaction loss when a complaint is not resolved",
        ge=0, le=1,
    )
    paradox: bool = param(
        False, "switch", "recovery paradox: a quick recovery of a first failure lifts "
        "satisfaction above the no-failure level (never after a second failure)",
    )
    paradox_bonus: float = param(
        0.08, "satisfaction points", "size of the recovery paradox when switched on", ge=0, le=1
    )
    compensation: float = param(
        25.0, "money", "compensation paid per recovered complaint", ge=0, le=1e6
    )

    escalation_delay_scale_days: float = param(
        28.0, "days", "an escalated complaint's responsiveness is divided by 1 + escalation_days "
        "/ this (a week's escalation costs a fifth of responsiveness by default)", gt=0,
        le=3650,
    )
    major_share: float = param(
        0.2, "share", "share of failures that are major problems (TARP 1986: problems with a "
        "large loss, against minor ones of a few dollars)", ge=0, le=1,
    )
    grievance_minor: float = param(
        0.3, "per year", "defection hazard a minor problem that leaves the customer dissatisfied "
        "adds while unrecovered: a critical incident (Keaveney 1995; TARP 1986)", ge=0, le=50,
    )
    grievance_major: float = param(
        0.8, "per year", "the same for a major problem", ge=0, le=50,
    )
    grievance_months: float = param(
        3.0, "months", "time constant over which a grievance fades", gt=0, le=600,
    )
    grievance_threshold: float = param(
        0.6, "satisfaction [0, 1]", "a problem leaves the customer dissatisfied (a critical "
        "incident with a grievance, counted in the repurchase ladder) when their cumulative "
        "satisfaction, had the problem not been recovered, falls below this", ge=0, le=1,
    )
    grievance_unresolved: float = param(
        1.0, "share", "share of the grievance left after a complaint that was not resolved",
        ge=0, le=2,
    )
    grievance_resolved: float = param(
        0.5, "share", "share of the grievance left after a complaint resolved after escalation",
        ge=0, le=1,
    )
    grievance_quick: float = param(
        0.0, "share", "share of the grievance left after a complaint put right on the spot",
        ge=0, le=1,
    )
    unprompted_gain: float = param(
        0.15, "probability", "chance, at full empowerment (pro rata below), that a provider "
        "notices a failure the customer does not complain about and puts it right on the spot "
        "(Bowen & Lawler 1992; Hart, Heskett & Sasser 1990)", ge=0, le=1,
    )

class EncounterSection(Section):
    """The service encounter: weights of the five dimensions and what drives them."""

    weight_reliability: float = param(0.32, "weight", "SERVQUAL weight of reliability", ge=0, le=1)
    weight_responsiveness: float = param(
        0.22, "weight", "SERVQUAL weight of responsiveness", ge=0, le=1
    )
    weight_competency: float = param(0.19, "weight", "weight of competency", ge=0, le=1)
    weight_empathy: float = param(0.16, "weight", "weight of empathy", ge=0, le=1)
    weight_valued: float = param(0.11, "weight", "weight of feeling valued", ge=0, le=1)
    valued_base: float = param(
        0.35, "score [0, 1]", "feeling valued in a plain encounter", ge=0, le=1
    )
    valued_bond: float = param(
        0.3, "score per bond", "feeling valued added by a full bond with the provider", ge=0, le=1
    )
    valued_proactive: float = param(
        0.2, "score", "feeling valued added by proactive attention", ge=0, le=1
    )
    valued_accommodated: float = param(
        0.1, "score", "feeling valued added when a special request is accommodated", ge=0, le=1
    )
    valued_refusal: float = param(
        0.3, "score", "feeling valued lost when a special request is refused ('we don't do "
        "this')", ge=0, le=1,
    )
    special_request_time: float = param(
        0.3, "ratio", "extra service time of an accommodated special request", ge=0, le=10
    )
    special_request_error: float = param(
        0.03, "probability", "extra provider-error risk of an accommodated special request",
        ge=0, le=1,
    )
    proactive_time: float = param(
        0.15, "ratio", "extra service time of proactive attention", ge=0, le=10
    )
    proactive_prevention: float = param(
        0.5, "share", "share of the customer's next process and customer-error failure risk "
        "that proactive attention prevents", ge=0, le=1,
    )
    bond_gain: float = param(
        0.15, "share per visit", "share of the remaining gap to a full bond gained per visit "
        "with one's own provider (twice that with proactive attention)", ge=0, le=1,
    )
    recognition: float = param(
        0.5, "share", "bond a pseudo-relationship customer feels when served again by the "
        "provider of the last visit", ge=0, le=1,
    )
    pseudo_promise: float = param(
        0.3, "score", "raised expectation of feeling valued that a pseudo-relationship "
        "promises", ge=0, le=1,
    )
    bond_efficiency: float = param(
        0.25, "share", "share of service time and provider-error risk saved when a provider "
        "serves their own customer at a full bond (they know the customer; Gutek)", ge=0, le=0.9,
    )
    relationship_patience: float = param(
        6.0, "ratio", "how many times more patient and tolerant of waiting a customer is when "
        "waiting for their own provider (relationship service)", ge=1, le=100,
    )
    relationship_cover_minutes: float = param(
        5.0, "minutes", "how long a relationship customer waits for their own provider "
        "before a free colleague covers the visit (without the bond: the colleague does not "
        "know them); 0 means never covered", ge=0, le=10_000,
    )
    follow_provider: float = param(
        0.25, "probability per bond", "chance, times the bond, that a relationship customer "
        "follows a provider who leaves", ge=0, le=1,
    )
    proactive_bond_factor: float = param(
        2.0, "ratio", "how many times faster the bond grows in an encounter with proactive "
        "attention (relationship service; Gutek 1995)", ge=1, le=100,
    )

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> EncounterSection:
        total = sum(self.weights)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the five weight_* values must sum to 1 (they sum to {total:g})")
        return self

    @property
    def weights(self) -> tuple[float, float, float, float, float]:
        """(reliability, responsiveness, competency, empathy, valued)."""
        return (self.weight_reliability, self.weight_responsiveness, self.weight_competency,
                self.weight_empathy, self.weight_valued)


class SatisfactionSection(Section):
    """From perceived quality to satisfaction, expectation and recommendation."""

    positive_weight: float = param(
        0.3, "ratio", "weight of positive disconfirmation (quality above expectation)", ge=0,
        le=5,
    )
    negative_weight: float = param(
        1.5, "ratio", "weight of negative disconfirmation (weighs more: Anderson & Sullivan)",
        ge=0, le=5,
    )
    smoothing: float = param(
        0.4, "share", "weight of the latest encounter in a new customer's cumulative "
        "satisfaction", gt=0, le=1
    )
    anchor_years: float = param(
        0.4, "years", "tenure at which the weight of the latest encounter has halved: weight = "
        "smoothing / (1 + tenure / anchor_years), so the past weighs more the longer a "
        "customer stays (Bolton 1998); 0 = the weight never falls", ge=0, le=100,
    )
    expectation_adaptation: float = param(
        0.15, "share", "share of the gap to experienced quality that expectation closes per "
        "visit", ge=0, le=1,
    )
    recommend_intercept: float = param(
        -1.0, "points", "likelihood to recommend = intercept + slope x satisfaction + noise",
        ge=-20, le=20,
    )
    recommend_slope: float = param(12.0, "points per unit", "see recommend_intercept", ge=0, le=50)
    recommend_noise: float = param(
        1.5, "points", "sd of the noise in the likelihood to recommend (lasting and per-rating "
        "together, see recommend_persistence)", ge=0, le=10
    )
    recommend_persistence: float = param(
        0.8, "share", "share of the variance of recommend_noise that is each customer's own "
        "lasting offset, drawn at acquisition and kept; the rest is drawn anew at every rating, "
        "so a promoter tends to stay a promoter (Reichheld 2003); 0 = all noise per rating",
        ge=0, le=1,
    )
    dissatisfied_threshold: float = param(
        0.5, "satisfaction [0, 1]", "encounter satisfaction below which a failed encounter "
        "counts as dissatisfying (the dissatisfaction-by-source KPI; Goodman 2009)", ge=0,
        le=1,
    )


class MarketSection(Section):
    """The market the organization competes in."""

    competition: float = param(
        0.5, "share", "competition intensity: 0 sheltered, 1 fiercely contested", ge=0, le=1
    )
    offer_rate: float = param(
        2.5, "per year", "rival offers per customer per year at competition 1", ge=0, le=365
    )
    rival_quality: float = param(
        0.45, "utility", "attractiveness of a rival offer at competition 0", ge=0, le=2
    )
    rival_quality_gain: float = param(
        0.55, "utility", "added attractiveness of rival offers at competition 1", ge=0, le=2
    )
    switching_cost: float = param(
        0.25, "utility", "cost of switching in a sheltered market (falls to 0 at competition 1)",
        ge=0, le=2,
    )
    bond_value: float = param(
        0.15, "utility per bond", "value of a full bond with one's own provider in the choice",
        ge=0, le=2,
    )
    tenure_value: float = param(
        0.15, "utility", "value of habit after five or more years as a customer (Reichheld's "
        "loyalty effect), pro rata below", ge=0, le=2,
    )
    choice_scale: float = param(
        0.05, "utility", "scale of the logit choice between staying and switching", gt=0, le=2
    )
    expectation_drift: float = param(
        0.02, "per year", "rise of expectations per year at competition 1", ge=0, le=1
    )
    tenure_horizon_years: float = param(
        5.0, "years", "tenure at which the habit of staying is worth the full tenure_value "
        "(Reichheld 1996), pro rata below", gt=0, le=100,
    )


class GrowthSection(Section):
    """Acquisition: paid, by referral, and lost to negative word of mouth."""

    paid_per_month: float = param(
        100.0, "customers per month", "customers acquired by marketing before word of mouth",
        ge=0, le=1e6,
    )
    referral_intent: float = param(
        0.15, "per promoter per month", "referral intentions a promoter forms", ge=0, le=100
    )
    referral_action: float = param(
        0.4, "share", "share of intended referrals that are acted on (Kumar et al. 2007)",
        ge=0, le=1,
    )
    referral_conversion: float = param(
        0.13, "share", "share of referred prospects who become customers (Kumar et al. 2007)",
        ge=0, le=1,
    )
    positive_wom: float = param(
        0.5, "per promoter per month", "positive word-of-mouth conversations a promoter has",
        ge=0, le=100,
    )
    negative_wom: float = param(
        0.3, "per detractor per month", "negative word-of-mouth conversations a detractor has",
        ge=0, le=100,
    )
    wom_deterrence: float = param(
        0.05, "prospects per conversation", "paid acquisitions lost per negative conversation",
        ge=0, le=100,
    )


class MoneySection(Section):
    """Revenue and costs."""

    currency: str = param(
        "", "text", "currency label printed with money amounts, e.g. EUR or $: up to 8 "
        "characters, no spaces (none by default: amounts are plain numbers); it changes no "
        "number", pattern=LABEL_PATTERN,
    )
    revenue_per_visit: float = param(8.5, "money", "revenue per served visit", ge=0, le=1e6)
    premium_factor: float = param(
        2.0, "ratio", "revenue of a premium customer's visit relative to a standard one",
        ge=0, le=100,
    )
    wage_per_month: float = param(4500.0, "money per month", "wage of a provider", ge=0, le=1e7)
    training_cost: float = param(
        600.0, "money per month", "cost per provider of training at intensity 1", ge=0, le=1e7
    )
    hiring_cost: float = param(3000.0, "money", "cost of hiring a provider", ge=0, le=1e7)
    reliability_cost: float = param(
        500.0, "money per month", "cost of reliability r is this x r / (1 - r): rising "
        "steeply towards 1 (split among units by their share of customers); about 10 % of "
        "revenue at the default reliability (cost of conformance: Crosby 1979; Schiffauerova "
        "& Thomson 2006)", ge=0, le=1e7,
    )
    acquisition_cost: float = param(
        150.0, "money", "marketing spend per paid acquisition", ge=0, le=1e7
    )
    reliability_cap: float = param(
        0.999, "share", "reliability above which its cost rises no more (keeps r / (1 - r) "
        "finite at r = 1)", gt=0, lt=1,
    )
    giveaway_share: float = param(
        0.02, "share of revenue", "share of a visit's revenue that empowered providers give "
        "away at full empowerment, pro rata below (Bowen & Lawler 1992: give-aways)", ge=0,
        le=1,
    )
    empowerment_training_cost: float = param(
        800.0, "money per month", "cost per provider of the selection and training that full "
        "empowerment needs; it rises with the square of empowerment (Bowen & Lawler 1992: "
        "high involvement needs the largest investment in people)", ge=0, le=1e7,
    )


class UnitSection(Section):
    """One unit (branch) of the organization, with local variations of policy."""

    name: str = param("unit", "text", "name of the unit")
    share: float = param(1.0, "weight", "relative share of customers served by the unit", gt=0,
                         le=1e6)
    providers: int | None = param(
        None, "providers", "providers of the unit (default: providers.count)", ge=1, le=10_000
    )
    reliability: float | None = param(None, "share", "local reliability", ge=0, le=1)
    empowerment: float | None = param(None, "share", "local empowerment", ge=0, le=1)
    internal_service_quality: float | None = param(
        None, "quality [0, 1]", "local internal service quality", ge=0, le=1
    )
    flexibility: float | None = param(None, "share", "local flexibility", ge=0, le=1)
    proactivity: float | None = param(None, "share", "local proactivity", ge=0, le=1)
    training: float | None = param(None, "intensity [0, 1]", "local training", ge=0, le=1)

    @field_validator("name", mode="after")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        problem = name_problem(value)
        if problem is None and value.lower() in RESERVED_UNIT_NAMES:
            problem = "is reserved for the whole organization in the per-unit tables"
        if problem is not None:
            raise ValueError(f"the unit name {problem}; allowed: {SAFE_NAME_RULE}, not 'all'")
        return value


class SurgeSection(Section):
    """A temporary rise in demand (for corner cutting and eroding standards)."""

    start_years: float = param(0.0, "years", "when the surge starts", ge=0, le=100)
    months: float = param(0.0, "months", "how long it lasts; 0 = no surge", ge=0, le=1200)
    factor: float = param(1.0, "ratio", "visit rate multiplier during the surge", ge=0, le=20)


class ScenarioParameters(Section):
    """All parameters of a scenario (the resolved file, less its name and description)."""

    run: RunSection = RunSection()
    queue: QueueSection = QueueSection()
    customers: CustomersSection = CustomersSection()
    providers: ProvidersSection = ProvidersSection()
    organization: OrganizationSection = OrganizationSection()
    recovery: RecoverySection = RecoverySection()
    encounter: EncounterSection = EncounterSection()
    satisfaction: SatisfactionSection = SatisfactionSection()
    market: MarketSection = MarketSection()
    growth: GrowthSection = GrowthSection()
    money: MoneySection = MoneySection()
    surge: SurgeSection = SurgeSection()
    units: tuple[UnitSection, ...] = Field(
        (), description="units (branches) of the organization; none means one unit",
        json_schema_extra={"unit": "list of tables"}, strict=False,  # a TOML array of tables
    )


    @model_validator(mode="after")
    def _unit_names_distinct(self) -> ScenarioParameters:
        names = [unit.name for unit in self.units]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(
                f"units: the name {', '.join(map(repr, repeated))} is given to more than one "
                "unit; allowed: a distinct name for each unit (the per-unit tables are keyed by it)"
            )
        return self

    @model_validator(mode="after")
    def _warmup_within_horizon(self) -> ScenarioParameters:
        if self.run.mode == "behaviour" and self.run.warmup_years >= self.run.years:
            raise ValueError(
                f"run.warmup_years ({self.run.warmup_years:g}) must be shorter than run.years "
                f"({self.run.years:g})"
            )
        return self


SECTIONS: dict[str, type[Section]] = {
    name: info.annotation  # type: ignore[misc]
    for name, info in ScenarioParameters.model_fields.items()
    if name != "units"
}
SECTIONS["units"] = UnitSection
