"""Output analysis of replicated runs: intervals, paired comparisons, warm-up, replications.

Pure functions on the stored tables (``summary``: one row per replication,
``periods``: one row per review period and replication); nothing here imports
the simulation.  Sources: Law (2015), *Simulation Modeling and Analysis*, 5th
ed. (t intervals, paired-t, common random numbers); White (1997) and White,
Cobb & Spratt (2000) (MSER-5 warm-up); Hoad, Robinson & Davies (2010), JORS
61(11) 1632-1644 (the replication algorithm).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.kpis import IDENTIFIERS, Direction, is_outcome, is_setting, lookup, summary_kpis
from sim.kpis import direction as kpi_direction
from sim.statistics.intervals import difference_bounds, t_interval, within

#: columns of the output tables that identify a row, never KPIs (``sim.kpis.IDENTIFIERS``)
ID_COLUMNS = IDENTIFIERS

#: direction of each KPI of the run summary (both modes; nested entries as ``name.sub``):
#: True = higher is better, from the KPI registry ``sim/kpis.py``.  Choices worth
#: knowing: mixes (``failures_by_source.*``, ``dissatisfaction_by_source.*``) and
#: defection counts are lower is better; ``complaint_share`` (complaints per failure) is
#: HIGHER is better: a failure that is voiced can be recovered and feeds failure
#: learning, and complainers are the loyal ones (Goodman 2009, TARP).
HIGHER_IS_BETTER: dict[str, bool] = {
    name: kpi.direction is Direction.HIGHER
    for name, kpi in summary_kpis().items() if kpi.direction is not Direction.NEITHER
}

#: KPIs deliberately left without a direction (verdicts say "higher"/"lower"): more
#: passives or a busier desk are neither good nor bad in themselves, demand and paid
#: acquisitions are inputs bought or given, ``warmup_years`` is a setting.
DIRECTION_FREE = frozenset(
    name for name, kpi in summary_kpis().items() if kpi.direction is Direction.NEITHER
)

NO_DIFFERENCE = "no clear difference"


def direction(kpi: str) -> bool | None:
    """True if higher is better, False if lower is better, None if the KPI has no direction.

    The direction is the KPI registry's (``sim.kpis``); per-unit KPIs
    (``by_unit.<unit>.<kpi>``) take the direction of ``<kpi>``.
    """
    better = kpi_direction(kpi)
    return None if better is Direction.NEITHER else better is Direction.HIGHER


def kpi_bounds(kpi: str) -> tuple[float, float]:
    """The range ``kpi`` can take, from the KPI registry (unbounded if unknown)."""
    entry = lookup(kpi, "summary")
    return entry.bounds if entry is not None else (-math.inf, math.inf)


def verdict(kpi: str, low: float, high: float) -> str:
    """The verdict on other - base: better/worse if its interval excludes 0, for an outcome
    KPI; higher/lower for a mix share, a diagnostic or a KPI without a direction (a mix
    share falls when another rises, so it is not good or bad in itself).

    The paired-t decision of Law (2015) section 10.2.1, read through the KPI's direction.
    """
    if not low > 0.0 and not high < 0.0:  # also NaN bounds: no evidence
        return NO_DIFFERENCE
    up = low > 0.0
    better_up = direction(kpi) if is_outcome(kpi) else None
    if better_up is None:
        return "higher" if up else "lower"
    return "better" if up == better_up else "worse"


def kpi_columns(frame: pd.DataFrame) -> list[str]:
    """The numeric, non-identifying columns of a summary table, in table order.

    Identifying columns are :data:`ID_COLUMNS`; booleans and text are not KPIs, and
    neither are settings (:func:`is_setting`, such as ``warmup_years``).
    """
    return [c for c in frame.columns
            if c not in ID_COLUMNS and pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c]) and not is_setting(c)]


def summarise_replications(
    summary: pd.DataFrame, kpis: list[str] | None = None, confidence: float = 0.95
) -> pd.DataFrame:
    """One row per KPI: the mean over replications with its Student-t interval (NaNs dropped),
    truncated to the KPI's range (:func:`sim.statistics.intervals.within`).

    The fixed-sample-size procedure of Law (2015) section 9.4.1, via ``sim.statistics.intervals``.
    """
    names = kpi_columns(summary) if kpis is None else list(kpis)
    _require_columns(summary, names, "summary")
    rows = []
    for kpi in names:
        iv = within(t_interval(summary[kpi].to_numpy(dtype=float), confidence),
                    kpi_bounds(kpi))
        rows.append({"kpi": kpi, "mean": iv.mean, "ci_low": iv.low, "ci_high": iv.high,
                     "n": iv.n})
    return pd.DataFrame(rows, columns=["kpi", "mean", "ci_low", "ci_high", "n"])


def paired_comparison(
    base: pd.DataFrame,
    other: pd.DataFrame,
    kpis: list[str] | None = None,
    confidence: float = 0.95,
    on: str = "replication",
) -> pd.DataFrame:
    """Paired-t intervals of other - base per KPI, replications matched on ``on`` (CRN),
    truncated to the range a difference of the KPI can take.

    Law (2015) section 10.2.1 (paired-t) and section 11.2 (common random numbers).

    Replication i of both scenarios used the same seeds, so the pairs are
    positively correlated and the interval of their differences is narrower
    than two independent samples would give.  ``crn_ratio`` estimates by how
    much: ``sqrt(var(d) / (var(a) + var(b)))`` is the ratio of the paired
    half-width to the half-width of the same n with independent seeds (same t
    quantile, ``var(mean d) = (var a + var b - 2 cov) / n`` against
    ``(var a + var b) / n``); below 1 common random numbers helped.  Pairs where
    either value is NaN are dropped KPI by KPI.
    """
    a = _by_replication(base, on, "base")
    b = _by_replication(other, on, "other")
    if kpis is None:
        theirs = set(kpi_columns(other))
        names = [k for k in kpi_columns(base) if k in theirs]
    else:
        names = list(kpis)
    _require_columns(base, names, "base")
    _require_columns(other, names, "other")
    common = a.index.intersection(b.index).sort_values()
    if common.empty:
        raise ValueError(f"base and other have no {on!r} in common: nothing to pair")
    a, b = a.loc[common], b.loc[common]
    rows = []
    for kpi in names:
        x = a[kpi].to_numpy(dtype=float)
        y = b[kpi].to_numpy(dtype=float)
        keep = ~(np.isnan(x) | np.isnan(y))
        x, y = x[keep], y[keep]
        iv = within(t_interval(y - x, confidence), difference_bounds(kpi_bounds(kpi)))
        rows.append({
            "kpi": kpi,
            "base_mean": float(x.mean()) if x.size else math.nan,
            "other_mean": float(y.mean()) if y.size else math.nan,
            "diff": iv.mean,
            "ci_low": iv.low,
            "ci_high": iv.high,
            "verdict": verdict(kpi, iv.low, iv.high),
            "crn_ratio": crn_ratio(x, y),
            "n": iv.n,
        })
    return pd.DataFrame(rows, columns=["kpi", "base_mean", "other_mean", "diff", "ci_low",
                                       "ci_high", "verdict", "crn_ratio", "n"])


def crn_ratio(base: np.ndarray, other: np.ndarray) -> float:
    """Paired half-width over the independent-seeds half-width: sqrt(var(d)/(var(a)+var(b))).

    The variance-reduction estimate of common random numbers (Law 2015, section 11.2).
    """
    if base.size < 2:
        return math.nan
    independent = float(base.var(ddof=1) + other.var(ddof=1))
    if independent == 0.0:
        return math.nan
    return math.sqrt(float((other - base).var(ddof=1)) / independent)


def mser(series: np.ndarray | Sequence[float], batch: int = 5) -> int:
    """Warm-up truncation point (in observations, a multiple of ``batch``) by MSER-``batch``.

    White (1997), Simulation 69(6); White, Cobb & Spratt (2000), Proc. WSC, 755-760.

    The series is cut into ``k`` batch means ``Z`` (a trailing partial batch is
    ignored); the truncation ``d`` (in batches) minimises
    ``sum((Z[d:] - mean(Z[d:]))**2) / (k - d)**2``, the squared standard error
    of the truncated mean, over ``d <= k // 2`` (larger ``d`` are not trusted);
    ties go to the smaller ``d``.
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    x = np.asarray(series, dtype=float)
    if x.ndim != 1:
        raise ValueError("the series must be one-dimensional")
    if np.isnan(x).any():
        raise ValueError("the series holds NaN values; MSER needs every observation")
    k = x.size // batch
    if k < 2:
        return 0
    z = x[:k * batch].reshape(k, batch).mean(axis=1)
    z = z - z.mean()  # shift-invariant statistic; centring keeps the sums exact
    kept = np.arange(k, 0, -1, dtype=float)  # k - d for d = 0 .. k-1
    s1 = np.cumsum(z[::-1])[::-1]
    s2 = np.cumsum((z * z)[::-1])[::-1]
    sse = np.maximum(s2 - s1 * s1 / kept, 0.0)
    statistic = sse / kept**2
    return int(np.argmin(statistic[: k // 2 + 1])) * batch


def detect_warmup(
    periods: pd.DataFrame,
    kpis: list[str],
    time_column: str = "t_start_days",
    group: str = "replication",
    batch: int = 5,
    unit: str | None = "all",
) -> float:
    """Warm-up length in ``time_column`` units: MSER on each KPI's mean over replications.

    White, Cobb & Spratt (2000) applied to the replication-averaged series (Law 2015, 9.5.1).

    Periods are matched across replications by the ``period`` column (or their
    position within ``group``); when the table has a ``unit`` column only the
    rows of ``unit`` are used ("all": the whole organization).  Leading periods
    where a KPI is undefined in every replication count as warm-up.  The result
    is the largest truncation over the KPIs, as the start time of the first
    period kept (the first period's start when nothing is cut).
    """
    frame = periods
    if unit is not None and "unit" in frame.columns:
        frame = frame[frame["unit"] == unit]
    _require_columns(frame, [time_column, *kpis], "periods")
    if frame.empty:
        raise ValueError("no period rows to analyse")
    if "period" in frame.columns:
        position = frame["period"]
    else:
        _require_columns(frame, [group], "periods")
        position = frame.groupby(group, sort=False).cumcount()
    means = frame[[time_column, *kpis]].groupby(position.to_numpy()).mean().sort_index()
    cut = 0
    for kpi in kpis:
        values = means[kpi].to_numpy(dtype=float)
        defined = np.flatnonzero(~np.isnan(values))
        if defined.size == 0:
            raise ValueError(f"KPI {kpi!r} is undefined in every period")
        lead = int(defined[0])
        if np.isnan(values[lead:]).any():
            raise ValueError(f"KPI {kpi!r} is undefined in some period after its first value")
        cut = max(cut, lead + mser(values[lead:], batch))
    return float(means[time_column].iloc[cut])


class ReplicationPlanner:
    """How many more replications a relative precision needs: the replication algorithm.

    Hoad, Robinson & Davies (2010), JORS 61(11) 1632-1644 (confidence intervals + look-ahead).

    At ``n`` replications the precision of a KPI is ``d_n = half-width / |mean|``
    of its t interval (the absolute half-width when the mean is exactly 0,
    e.g. a count that never happens).  ``Nsol`` is the first ``n >=
    min_replications`` from which ``d_n <= precision`` has held ever since; the
    KPI is settled when it has also held for the look-ahead of ``f(Nsol)``
    further replications, with the paper's ``kLimit`` rule ``f(n) = look_ahead``
    for ``n <= 100`` and ``ceil(look_ahead * n / 100)`` above.  A relapse resets
    ``Nsol``.  All KPIs must settle; the budget ``max_replications`` is never
    exceeded.  Replications where a KPI is NaN do not count for that KPI.
    """

    def __init__(
        self,
        precision: float,
        kpis: Sequence[str],
        *,
        max_replications: int,
        min_replications: int = 3,
        look_ahead: int = 5,
        confidence: float = 0.95,
    ) -> None:
        if not precision > 0.0:
            raise ValueError(f"precision must be positive, got {precision}")
        if not kpis:
            raise ValueError("name at least one KPI")
        if min_replications < 2:
            raise ValueError("min_replications must be at least 2 (a t interval needs two)")
        if max_replications < min_replications:
            raise ValueError("max_replications must be at least min_replications")
        if look_ahead < 0:
            raise ValueError("look_ahead must be non-negative")
        if not 0.0 < confidence < 1.0:
            raise ValueError("confidence must be in (0, 1)")
        self.precision = precision
        self.kpis = list(kpis)
        self.max_replications = max_replications
        self.min_replications = min_replications
        self.look_ahead = look_ahead
        self.confidence = confidence
        self._n = 0
        self._achieved: dict[str, float] = {}
        self._solution: dict[str, int | None] = {}
        self._settled: dict[str, bool] = {}

    def look_ahead_for(self, n: int) -> int:
        """Replications beyond ``Nsol = n`` over which the precision must hold.

        The ``kLimit`` rule of Hoad, Robinson & Davies (2010): constant up to 100, then 5 %.
        """
        return self.look_ahead if n <= 100 else math.ceil(self.look_ahead * n / 100)

    def precision_path(self, values: np.ndarray) -> np.ndarray:
        """``d_i`` for i = 1..len(values) (NaN at 1): relative half-width of the cumulative mean.

        The confidence-interval method of Hoad, Robinson & Davies (2010), section 3.
        """
        x = np.asarray(values, dtype=float)
        m = x.size
        if m == 0:
            return np.empty(0)
        i = np.arange(1, m + 1, dtype=float)
        c = x - x.mean()
        s1, s2 = np.cumsum(c), np.cumsum(c * c)
        mean = x.mean() + s1 / i
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.maximum(s2 - s1 * s1 / i, 0.0) / (i - 1)
            half = stats.t.ppf(0.5 + self.confidence / 2.0, i - 1) * np.sqrt(var / i)
            d = np.where(mean == 0.0, half, half / np.abs(mean))
        d[0] = np.nan
        return np.asarray(d, dtype=float)

    def needed(self, results: pd.DataFrame) -> int:
        """How many more replications to run given the completed ones (0: done or out of budget).

        The sequential rule of Hoad, Robinson & Davies (2010), one request at a time.
        """
        _require_columns(results, self.kpis, "results")
        rows = results.sort_values("replication") if "replication" in results.columns \
            else results
        n = len(rows)
        self._n = n
        requests = [self.min_replications - n]
        for kpi in self.kpis:
            values = rows[kpi].to_numpy(dtype=float)
            values = values[~np.isnan(values)]
            requests.append(self._request(kpi, values))
        return max(0, min(max(requests), self.max_replications - n))

    def _request(self, kpi: str, values: np.ndarray) -> int:
        m = values.size
        d = self.precision_path(values)
        self._achieved[kpi] = float(d[-1]) if m else math.nan
        ok = d <= self.precision
        ok[: self.min_replications - 1] = False
        if m < self.min_replications or not ok[-1]:
            self._solution[kpi] = None
            self._settled[kpi] = False
            return max(1, self.min_replications - m)
        failed = np.flatnonzero(~ok)
        solution = int(failed[-1]) + 2  # the replication count just after the last failure
        target = solution + self.look_ahead_for(solution)
        self._solution[kpi] = solution
        self._settled[kpi] = m >= target
        return max(0, target - m)

    def report(self) -> dict[str, Any]:
        """The state after the last :meth:`needed`: n, precision reached, whether it held.

        ``met`` is the settling of every KPI (target held through the look-ahead) within budget.
        """
        settled = [self._settled.get(k, False) for k in self.kpis]
        solutions = [self._solution.get(k) for k in self.kpis]
        return {
            "n": self._n,
            "target": self.precision,
            "precision": {k: self._achieved.get(k, math.nan) for k in self.kpis},
            "solution": {k: self._solution.get(k) for k in self.kpis},
            "n_solution": max(s for s in solutions if s is not None) if all(settled) else None,
            "met": all(settled),
            "budget_reached": self._n >= self.max_replications,
        }


def _by_replication(frame: pd.DataFrame, on: str, label: str) -> pd.DataFrame:
    _require_columns(frame, [on], label)
    if frame[on].duplicated().any():
        raise ValueError(f"{label} has repeated {on!r} values: one row per replication needed")
    return frame.set_index(on)


def _require_columns(frame: pd.DataFrame, names: Sequence[str], label: str) -> None:
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise ValueError(f"{label} has no column(s) {missing}")
