"""Output analysis: t intervals, paired comparisons under CRN, MSER-5 warm-up, Hoad replications.

Every check uses fixed numpy seeds, so it is deterministic; the statistical
ones (coverage, the replication algorithm's stopping point) compare against
analytic values with margins several standard errors wide.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.model.encounter import SOURCES
from sim.model.loyalty import REASONS
from sim.model.population import OUTCOMES
from sim.statistics.intervals import t_interval
from sim.statistics.output_analysis import (
    DIRECTION_FREE,
    HIGHER_IS_BETTER,
    ReplicationPlanner,
    detect_warmup,
    direction,
    kpi_columns,
    mser,
    paired_comparison,
    summarise_replications,
)

KPIS_SOURCE = Path(__file__).resolve().parent.parent / "sim" / "model" / "kpis.py"

# --------------------------------------------------------------------------- directions


def _summary_kpi_names() -> set[str]:
    """Every KPI name the two run summaries return, nested ones flattened as ``name.sub``."""
    nested = {
        "defections_by_reason": REASONS,
        "failures_by_source": SOURCES[1:],
        "dissatisfaction_by_source": SOURCES[1:],
        "repurchase_by_outcome": OUTCOMES,
        "repurchase_by_outcome_major": OUTCOMES,
        "acquired_by_channel": ("paid", "referral"),
    }
    tree = ast.parse(KPIS_SOURCE.read_text())
    names: set[str] = set()
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef) and fn.name in ("behaviour_summary", "queue_summary"):
            returned = [n.value for n in ast.walk(fn)
                        if isinstance(n, ast.Return) and isinstance(n.value, ast.Dict)]
            for key in max(returned, key=lambda d: len(d.keys)).keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    subs = nested.get(key.value)
                    names.update([f"{key.value}.{s}" for s in subs] if subs else [key.value])
    assert {"retention_rate", "arrival_rate_per_hour"} <= names  # the parse found both
    return names


def test_every_summary_kpi_has_a_decided_direction() -> None:
    undecided = _summary_kpi_names() - set(HIGHER_IS_BETTER) - DIRECTION_FREE
    assert not undecided, f"decide the direction of {sorted(undecided)}"
    assert not set(HIGHER_IS_BETTER) & DIRECTION_FREE


@pytest.mark.parametrize(("kpi", "expected"), [
    ("retention_rate", True), ("nps", True), ("profit", True), ("clv", True),
    ("repurchase_by_outcome.resolved", True), ("satisfaction_index", True),
    ("complaint_share", True),  # a documented choice: voiced failures can be recovered
    ("cost", False), ("mean_wait", False), ("annual_defection", False),
    ("defections_by_reason.rival_offer", False), ("failures_by_source.process", False),
    ("detractor_share", False), ("provider_turnover", False), ("defected", False),
    ("by_unit.flagship.nps", True), ("by_unit.struggling.mean_wait", False),
    ("passive_share", None), ("utilisation", None), ("something_new", None),
])
def test_direction(kpi: str, expected: bool | None) -> None:
    assert direction(kpi) is expected


# --------------------------------------------------------------------------- intervals


def test_summary_intervals_match_scipy_and_skip_ids_and_nans() -> None:
    data = [12.1, 9.8, 11.4, 10.2, 13.0, 8.7, 10.9]
    frame = pd.DataFrame({
        "scenario": "baseline", "replication": range(8), "seed": range(100, 108),
        "profit": [*data, math.nan], "cost": np.arange(8.0),
    })
    out = summarise_replications(frame).set_index("kpi")
    assert list(out.index) == ["profit", "cost"]
    sem = stats.sem(data)
    low, high = stats.t.interval(0.95, len(data) - 1, loc=np.mean(data), scale=sem)
    assert out.loc["profit", "n"] == 7
    assert out.loc["profit", "mean"] == pytest.approx(np.mean(data))
    assert out.loc["profit", "ci_low"] == pytest.approx(low)
    assert out.loc["profit", "ci_high"] == pytest.approx(high)
    low90, _ = stats.t.interval(0.90, 7, loc=3.5, scale=stats.sem(np.arange(8.0)))
    out90 = summarise_replications(frame, ["cost"], confidence=0.90)
    assert out90["ci_low"].iloc[0] == pytest.approx(low90)


def test_t_interval_covers_the_true_mean_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(20260101)
    samples = rng.normal(3.0, 2.0, size=(10, 2000))  # 2000 KPIs of 10 replications each
    frame = pd.DataFrame(samples, columns=[f"k{j}" for j in range(2000)])
    out = summarise_replications(frame)
    covered = ((out["ci_low"] <= 3.0) & (3.0 <= out["ci_high"])).mean()
    assert 0.93 <= covered <= 0.97


# --------------------------------------------------------------------------- paired comparison


def _pair(effects: dict[str, float], n: int = 30, seed: int = 7) -> tuple[pd.DataFrame, ...]:
    """Two scenarios under common random numbers: a large shared replication effect."""
    rng = np.random.default_rng(seed)
    base: dict[str, np.ndarray] = {"replication": np.arange(n)}
    other: dict[str, np.ndarray] = {"replication": np.arange(n)}
    for kpi, effect in effects.items():
        shared = 50.0 + rng.normal(0.0, 5.0, n)
        base[kpi] = shared + rng.normal(0.0, 0.5, n)
        other[kpi] = shared + effect + rng.normal(0.0, 0.5, n)
    return pd.DataFrame(base), pd.DataFrame(other)


def test_paired_verdicts_follow_each_kpis_direction() -> None:
    base, other = _pair({
        "profit": 2.0, "cost": 2.0, "mean_wait": -2.0, "nps": -2.0,
        "something_new": 2.0, "something_else": -2.0, "retention_rate": 0.0,
    })
    out = paired_comparison(base, other).set_index("kpi")
    assert out["verdict"].to_dict() == {
        "profit": "better", "cost": "worse", "mean_wait": "better", "nps": "worse",
        "something_new": "higher", "something_else": "lower",
        "retention_rate": "no clear difference",
    }
    d = other["profit"] - base["profit"]
    iv = t_interval(d.to_numpy())
    assert out.loc["profit", "diff"] == pytest.approx(iv.mean)
    assert out.loc["profit", "ci_low"] == pytest.approx(iv.low)
    assert out.loc["profit", "base_mean"] == pytest.approx(base["profit"].mean())
    assert out.loc["profit", "other_mean"] == pytest.approx(other["profit"].mean())
    assert (out["n"] == 30).all()


def test_only_outcomes_get_verdicts_and_settings_are_not_compared() -> None:
    """A mix share falls when another share rises: it gets higher/lower, not worse; the
    warm-up chosen is a setting of the run, not a result."""
    base, other = _pair({"failures_by_source.process": -2.0, "failures_by_source.customer": 2.0,
                         "utilisation": 2.0, "failure_rate": -2.0, "warmup_years": 0.0})
    out = paired_comparison(base, other).set_index("kpi")
    assert out["verdict"].to_dict() == {
        "failures_by_source.process": "lower", "failures_by_source.customer": "higher",
        "utilisation": "higher", "failure_rate": "better"}
    assert "warmup_years" not in kpi_columns(base)
    assert "warmup_years" not in set(summarise_replications(base)["kpi"])


def test_intervals_stay_inside_the_kpis_range() -> None:
    """Turnover cannot be negative, a share not above 1: the t interval is truncated there
    (it still contains every value the untruncated interval contained that is possible)."""
    frame = pd.DataFrame({"replication": range(3),
                          "provider_turnover": [0.0, 0.05, 0.6],
                          "recovery_rate": [0.99, 1.0, 0.9],
                          "profit": [-5.0, 0.0, 40.0]})
    out = summarise_replications(frame).set_index("kpi")
    raw = {k: t_interval(frame[k].to_numpy()) for k in ("provider_turnover", "recovery_rate",
                                                        "profit")}
    assert raw["provider_turnover"].low < 0.0 and raw["recovery_rate"].high > 1.0
    assert out.loc["provider_turnover", "ci_low"] == 0.0
    assert out.loc["provider_turnover", "ci_high"] == pytest.approx(raw["provider_turnover"].high)
    assert out.loc["recovery_rate", "ci_high"] == 1.0
    assert out.loc["profit", "ci_low"] == pytest.approx(raw["profit"].low)  # unbounded
    # a difference of shares lies in [-1, 1]
    base = pd.DataFrame({"replication": range(3), "recovery_rate": [0.0, 0.0, 0.0]})
    other = pd.DataFrame({"replication": range(3), "recovery_rate": [0.2, 1.0, 0.9]})
    diff = paired_comparison(base, other).iloc[0]
    assert diff["ci_high"] == 1.0 and diff["ci_low"] < 0.7


def test_pairs_are_matched_on_the_replication_not_the_row_order() -> None:
    base, other = _pair({"profit": 1.0})
    shuffled = other.sample(frac=1.0, random_state=3)
    extra = pd.DataFrame({"replication": [99], "profit": [1e6]})  # no partner: ignored
    other_rows = pd.concat([shuffled, extra], ignore_index=True)
    out = paired_comparison(base, other_rows)
    ordered = paired_comparison(base, other)
    assert out["n"].iloc[0] == 30
    assert out["ci_low"].iloc[0] == pytest.approx(ordered["ci_low"].iloc[0])
    assert out["verdict"].iloc[0] == "better"


def test_pairs_with_a_missing_value_are_dropped() -> None:
    base, other = _pair({"profit": 1.0})
    other.loc[3, "profit"] = math.nan
    assert paired_comparison(base, other)["n"].iloc[0] == 29


def test_repeated_replications_are_refused() -> None:
    base, other = _pair({"profit": 1.0})
    with pytest.raises(ValueError, match="repeated"):
        paired_comparison(pd.concat([base, base]), other)


def test_crn_ratio_is_small_for_correlated_pairs_and_one_for_independent_ones() -> None:
    base, other = _pair({"profit": 1.0})
    correlated = paired_comparison(base, other)["crn_ratio"].iloc[0]
    # sd of d = 0.5 * sqrt(2); var a + var b = 2 * (25 + 0.25)
    assert correlated == pytest.approx(math.sqrt(0.5 / 50.5), rel=0.4)
    assert correlated < 0.3
    rng = np.random.default_rng(11)
    n = 4000
    a = pd.DataFrame({"replication": np.arange(n), "profit": rng.normal(10, 2, n)})
    b = pd.DataFrame({"replication": np.arange(n), "profit": rng.normal(10, 2, n)})
    assert paired_comparison(a, b)["crn_ratio"].iloc[0] == pytest.approx(1.0, abs=0.05)


# --------------------------------------------------------------------------- MSER-5


def _mser_by_definition(x: np.ndarray, batch: int) -> int:
    k = x.size // batch
    z = x[:k * batch].reshape(k, batch).mean(axis=1)
    values = [np.sum((z[d:] - z[d:].mean()) ** 2) / (k - d) ** 2 for d in range(k // 2 + 1)]
    return int(np.argmin(values)) * batch


@pytest.mark.parametrize(("size", "batch"), [(1000, 5), (1003, 5), (240, 1), (97, 4)])
def test_mser_matches_its_definition(size: int, batch: int) -> None:
    rng = np.random.default_rng(size)
    x = 1e6 + np.where(np.arange(size) < size // 8, 5.0, 0.0) + rng.normal(0, 1, size)
    assert mser(x, batch) == _mser_by_definition(x, batch)
    assert mser(x, batch) % batch == 0


def test_mser_truncates_near_the_end_of_a_transient() -> None:
    i = np.arange(1000)
    exponential = np.where(i < 100, 10.0 * np.exp(-5.0 * i / 100), 0.0)
    linear = np.where(i < 100, 10.0 * (1.0 - i / 100), 0.0)
    cuts_exp, cuts_lin = [], []
    for seed in range(20):
        noise = np.random.default_rng(seed).normal(0.0, 1.0, 1000)
        cuts_exp.append(mser(exponential + noise))
        cuts_lin.append(mser(linear + noise))
    # the exponential falls below half a noise sd at 60: cut where bias ~ standard error
    assert all(40 <= c <= 130 for c in cuts_exp)
    assert 50 <= np.median(cuts_exp) <= 80
    assert all(80 <= c <= 200 for c in cuts_lin)
    assert 90 <= np.median(cuts_lin) <= 110


def test_mser_keeps_a_stationary_series_whole() -> None:
    cuts = [mser(np.random.default_rng(seed).normal(5.0, 1.0, 1000)) for seed in range(40)]
    assert np.median(cuts) == 0
    assert np.mean(np.array(cuts) <= 25) >= 0.85
    assert mser(np.full(100, 3.0)) == 0


def test_mser_refuses_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        mser(np.array([1.0, math.nan, 2.0] * 10))


def _periods(seed: int = 5, reps: int = 20, n_periods: int = 120) -> pd.DataFrame:
    """Monthly periods of ``reps`` replications: ``nps`` warms up over ~30 periods, ``cost`` not."""
    rng = np.random.default_rng(seed)
    frames = []
    for rep in range(reps):
        p = np.arange(n_periods)
        frames.append(pd.DataFrame({
            "scenario": "baseline", "replication": rep, "period": p, "unit": "all",
            "t_start_days": 30.0 * p, "t_end_days": 30.0 * (p + 1),
            "nps": 0.3 - 0.4 * np.exp(-p / 8.0) + rng.normal(0.0, 0.05, n_periods),
            "cost": 1000.0 + rng.normal(0.0, 20.0, n_periods),
        }))
    return pd.concat(frames, ignore_index=True)


def test_detect_warmup_finds_the_transient_in_time_units() -> None:
    periods = _periods()
    nps = detect_warmup(periods, ["nps"])
    # the averaged transient (0.4 e^{-p/8}) sinks below its noise (0.05/sqrt 20) near p = 29
    assert 20 * 30.0 <= nps <= 40 * 30.0
    assert nps % (5 * 30.0) == 0  # a whole number of MSER-5 batches of 30-day periods
    assert detect_warmup(periods, ["cost"]) <= 10 * 30.0 < nps
    assert detect_warmup(periods, ["cost", "nps"]) == nps  # the largest over the KPIs


def test_detect_warmup_ignores_row_order_and_single_units() -> None:
    periods = _periods()
    expected = detect_warmup(periods, ["nps"])
    units = periods.assign(unit="flagship", nps=periods["nps"] + 50.0 * (periods["period"] > 60))
    mixed = pd.concat([periods, units]).sample(frac=1.0, random_state=1)
    assert detect_warmup(mixed, ["nps"]) == expected
    no_period = periods.drop(columns=["period", "unit"])
    assert detect_warmup(no_period, ["nps"]) == expected


def test_detect_warmup_counts_leading_undefined_periods_as_warmup() -> None:
    periods = _periods()
    periods.loc[periods["period"] < 7, "cost"] = math.nan
    assert detect_warmup(periods, ["cost"]) >= 7 * 30.0


# --------------------------------------------------------------------------- Hoad et al.


def _run_planner(planner: ReplicationPlanner, draw: np.ndarray) -> tuple[list[int], int]:
    """Feed ``draw`` to the planner in the amounts it asks for; the requests and n used."""
    requests: list[int] = []
    n = 0
    while (more := planner.needed(pd.DataFrame({"replication": np.arange(n),
                                                "profit": draw[:n]}))) > 0:
        requests.append(more)
        n += more
    return requests, n


def test_look_ahead_is_the_klimit_rule() -> None:
    planner = ReplicationPlanner(0.05, ["profit"], max_replications=1000)
    assert [planner.look_ahead_for(n) for n in (3, 100, 101, 200, 250)] == [5, 5, 6, 10, 13]


def test_planner_stops_near_the_analytic_number_of_replications() -> None:
    cv, precision = 0.1, 0.05
    expected = next(n for n in range(3, 1000)
                    if stats.t.ppf(0.975, n - 1) * cv / math.sqrt(n) <= precision)
    assert expected == 18
    solutions = []
    for seed in range(80):
        draw = np.random.default_rng(seed).normal(100.0, 100.0 * cv, 400)
        planner = ReplicationPlanner(precision, ["profit"], max_replications=400)
        requests, n = _run_planner(planner, draw)
        report = planner.report()
        assert report["met"] and not report["budget_reached"]
        assert report["precision"]["profit"] <= precision
        # the precision held from the solution through the five look-ahead replications
        assert n == report["n_solution"] + 5
        assert requests[0] == 3 and requests[-1] <= 5 and 5 in requests
        solutions.append(report["n_solution"])
    assert 16 <= np.median(solutions) <= 20


def test_planner_asks_for_the_look_ahead_and_restarts_after_a_relapse() -> None:
    planner = ReplicationPlanner(0.05, ["profit"], max_replications=100)
    frame = pd.DataFrame({"replication": [0, 1, 2], "profit": [100.0, 100.1, 99.9]})
    assert planner.needed(frame.iloc[:2]) == 1  # up to min_replications first
    assert planner.needed(frame) == 5
    assert planner.report()["solution"] == {"profit": 3}
    assert not planner.report()["met"]
    relapse = pd.DataFrame({"replication": [3, 4], "profit": [100.0, 150.0]})
    assert planner.needed(pd.concat([frame, relapse])) == 1
    assert planner.report()["solution"] == {"profit": None}


def test_planner_waits_for_the_slowest_kpi() -> None:
    rng = np.random.default_rng(2)
    rows = pd.DataFrame({"replication": np.arange(200), "easy": rng.normal(100, 1, 200),
                         "hard": rng.normal(100, 15, 200)})
    planner = ReplicationPlanner(0.05, ["easy", "hard"], max_replications=200)
    n = 0
    while (more := planner.needed(rows.iloc[:n])) > 0:
        n += more
    report = planner.report()
    assert report["solution"]["easy"] == 3
    assert report["n_solution"] == report["solution"]["hard"] > 20
    assert n == report["solution"]["hard"] + 5


def test_planner_never_exceeds_the_budget() -> None:
    draw = np.random.default_rng(3).normal(100.0, 20.0, 100)
    planner = ReplicationPlanner(0.001, ["profit"], max_replications=12)
    requests, n = _run_planner(planner, draw)
    assert n == 12 and sum(requests) == 12
    report = planner.report()
    assert report["budget_reached"] and not report["met"]
    assert report["precision"]["profit"] > 0.001


def test_planner_uses_the_absolute_half_width_for_a_zero_mean() -> None:
    planner = ReplicationPlanner(0.05, ["defections_by_reason.followed_provider"],
                                 max_replications=50)
    rows = pd.DataFrame({"replication": np.arange(8),
                         "defections_by_reason.followed_provider": np.zeros(8)})
    assert planner.needed(rows.iloc[:3]) == 5
    assert planner.needed(rows) == 0
    assert planner.report()["met"]
    assert planner.report()["precision"]["defections_by_reason.followed_provider"] == 0.0


def test_identifying_columns_are_not_compared_as_kpis() -> None:
    summary = pd.DataFrame({"scenario": ["a"] * 3, "point": [0, 0, 0], "replication": [0, 1, 2],
                            "seed": [5, 6, 7], "nps": [10.0, 12.0, 11.0]})
    assert kpi_columns(summary) == ["nps"]
    table = paired_comparison(summary, summary.assign(nps=summary["nps"] + 1.0))
    assert list(table["kpi"]) == ["nps"]
    assert table["diff"].tolist() == [1.0]
