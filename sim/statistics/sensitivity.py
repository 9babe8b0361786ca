"""Sensitivity of a sweep's KPIs to its factors, with intervals that include replication noise.

Works on a tidy results frame: one row per (design point, replication) with the
columns ``point`` (the design index), ``replication``, one column per factor
(named by its parameter path) and one per KPI.  Every index is computed from
the per-point means of the replications, with the estimator that suits the
design:

- ``sobol``: first-order and total Sobol' indices ``S1`` and ``ST`` of SALib's
  ``sobol.analyze`` (Saltelli et al. 2010; Jansen's total-effect estimator), on
  a Saltelli design without second-order terms;
- ``morris``: SALib's ``morris.analyze``: ``mu_star`` (mean absolute elementary
  effect, per unit of the factor's range scaled to [0, 1]; Campolongo et al.
  2007), ``mu`` (its signed mean) and ``sigma`` (spread: interactions or
  non-linearity; Morris 1991);
- ``factorial``: ``main_effect``, the share of the variance of the point means
  explained by a factor's level means (the correlation ratio eta² of a
  one-way ANOVA: sum over levels of n_level (level mean - grand mean)² over
  the total sum of squares; for a balanced factorial this is the variance of
  the level means over the variance of the point means).  What the shares
  leave to 1 is interactions;
- ``lhs``: ``SRC2``, the squared standardized regression coefficient of a
  linear regression of the point means on all factors (Saltelli et al. 2008,
  ch. 1.2.5).  For independent factors the SRC2 sum to the regression's R², so
  a sum well below 1 warns that the response is not linear.

Intervals ``low`` and ``high`` (2.5 and 97.5 percentiles) come from a bootstrap
over replications: within each point its replications are resampled with
replacement and averaged, and the analysis is run again, so they show how far
replication noise moves each index (SALib's own ``conf``, where it gives one,
resamples the design points instead and ignores that noise).  With a single
replication per point they are NaN.  Noise also biases some indices (Sobol'
counts it as interaction, raising every ST), and the resampled means carry it
once more, so an interval can sit beside its estimate rather than around it:
read a wide or shifted interval, and a large ``noise_share``, as a call for
more replications.

``noise_share`` is the share of the variance of the point means that is
replication noise rather than the factors::

    noise_share = mean over points of (s_i² / n_i) / var(point means)

with ``s_i²`` the variance (ddof 1) of the KPI across the ``n_i`` replications
of point ``i`` (points with n_i >= 2) and ``var`` the variance (ddof 1) of
the point means across the design.  Since E[var(point means)] = var(true
means) + mean(sigma_i² / n_i), it estimates noise / (signal + noise); by
sampling error it can exceed 1 when the factors do nothing.

``conf`` is SALib's 95 % half-width of ``S1``, ``ST`` and ``mu_star``: a
bootstrap over the design points (the N base rows of a Saltelli design, the
trajectories of a Morris design), the sampling error of the design itself.
Sobol' indices obey constraints that their estimators need not: 0 <= S1 <=
ST <= 1 and S1 summed over the factors <= 1 (Saltelli et al. 2008, ch. 4).
An index that breaks one beyond its interval (S1 + conf < 0; S1 - conf above
ST + conf; ST - conf > 1; the S1 sum, less the sum of their half-widths, above
1, the sum of the half-widths bounding the sum's) is an artefact of too few
samples: :func:`violations` lists them, the column ``invalid`` names the
constraint an index breaks (empty if none) and ``samples_needed`` the base
sample N that would bring the error to :data:`TARGET_HALF_WIDTH`::

    N_needed = N x (max(half-width, excess) / TARGET_HALF_WIDTH)²

rounded up to a power of 2 and at least 2 N, since the error of Saltelli's
estimators shrinks as 1 / sqrt(N) (Saltelli et al. 2010); ``excess`` is how
far the estimate lies outside its valid range (the error is at least that,
whatever ``conf`` says); :func:`precision_message` applies the same rule to the
widest half-width of a table, valid or not.  Morris indices have no such check: mu_star >= |mu|
and sigma >= 0 hold by construction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

MORRIS_LEVELS = 4
"""Grid levels of the Morris design; must equal the sampler's ``num_levels``."""

INDICES: dict[str, tuple[str, ...]] = {
    "sobol": ("S1", "ST"),
    "morris": ("mu_star", "mu", "sigma"),
    "factorial": ("main_effect",),
    "lhs": ("SRC2",),
}
"""The indices each design gives."""

COLUMNS = ("kpi", "factor", "index", "value", "conf", "low", "high", "noise_share",
           "n_points", "replications", "invalid", "samples_needed")

TARGET_HALF_WIDTH = 0.05
"""The half-width (a share of variance) :data:`samples_needed <COLUMNS>` aims for."""

Estimates = dict[str, tuple[np.ndarray, np.ndarray | None]]
"""Index name -> (one value per factor, SALib's confidence half-width or None)."""


class DesignLike(Protocol):
    """What the analysis needs of a sweep: its design and its factors' names (in order)."""

    @property
    def design(self) -> str: ...

    @property
    def factor_names(self) -> tuple[str, ...]: ...


def _design_of(spec_like: DesignLike | Mapping[str, Any]) -> tuple[str, list[str]]:
    """``(design, factor names)`` of a sweep spec or of its JSON record (a mapping)."""
    if isinstance(spec_like, Mapping):
        factors = spec_like.get("factor_names") or spec_like["factors"]
        if isinstance(factors, Mapping):
            return str(spec_like["design"]), [str(f) for f in factors]
        names = [f if isinstance(f, str) else f["path"] for f in factors]
        return str(spec_like["design"]), names
    return str(spec_like.design), list(spec_like.factor_names)


def _problem(names: Sequence[str]) -> dict[str, Any]:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def _sobol(names: Sequence[str], resamples: int, seed: int) -> Callable[..., Estimates]:
    problem = _problem(names)

    def estimate(y: np.ndarray, x: pd.DataFrame) -> Estimates:
        si = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                   num_resamples=resamples, seed=seed)
        return {"S1": (np.asarray(si["S1"]), np.asarray(si["S1_conf"])),
                "ST": (np.asarray(si["ST"]), np.asarray(si["ST_conf"]))}

    return estimate


def _morris(names: Sequence[str], resamples: int, seed: int) -> Callable[..., Estimates]:
    problem = _problem(names)

    def estimate(y: np.ndarray, x: pd.DataFrame) -> Estimates:
        si = morris_analyze.analyze(problem, x.to_numpy(dtype=float), y,
                                    num_resamples=resamples, num_levels=MORRIS_LEVELS,
                                    seed=seed)
        return {"mu_star": (np.ma.filled(si["mu_star"], np.nan),
                            np.ma.filled(si["mu_star_conf"], np.nan)),
                "mu": (np.ma.filled(si["mu"], np.nan), None),
                "sigma": (np.asarray(si["sigma"]), None)}

    return estimate


def main_effects(y: np.ndarray, x: pd.DataFrame) -> np.ndarray:
    """Each factor's correlation ratio eta²: between-level over total sum of squares."""
    total = float(np.sum((y - y.mean()) ** 2))
    out = []
    for name in x.columns:
        level = pd.factorize(x[name])[0]
        count = np.bincount(level)
        level_mean = np.bincount(level, weights=y) / count
        out.append(float(np.sum(count * (level_mean - y.mean()) ** 2)) / total)
    return np.array(out)


def squared_src(y: np.ndarray, x: pd.DataFrame) -> np.ndarray:
    """Squared standardized regression coefficients of a linear fit of ``y`` on ``x``."""
    values = x.to_numpy(dtype=float)
    sd_x = values.std(axis=0)
    design = np.column_stack([np.ones(len(y)), values - values.mean(axis=0)])
    coef = np.linalg.lstsq(design, y, rcond=None)[0][1:]
    return np.asarray((coef * sd_x / y.std()) ** 2)


def _estimator(design: str, names: Sequence[str], resamples: int,
               seed: int) -> Callable[..., Estimates]:
    if design == "sobol":
        return _sobol(names, resamples, seed)
    if design == "morris":
        return _morris(names, resamples, seed)
    if design == "factorial":
        return lambda y, x: {"main_effect": (main_effects(y, x), None)}
    if design == "lhs":
        return lambda y, x: {"SRC2": (squared_src(y, x), None)}
    raise ValueError(f"unknown design {design!r}: factorial, lhs, sobol or morris")


def _check_points(design: str, points: np.ndarray, k: int) -> None:
    """Sobol' and Morris need every point of the design, in order."""
    if design not in ("sobol", "morris"):
        return
    block = k + 2 if design == "sobol" else k + 1
    if not np.array_equal(points, np.arange(len(points))) or len(points) % block:
        raise ValueError(
            f"a {design} analysis needs every design point 0..n-1 with n a multiple of "
            f"{block} (got {len(points)} points)"
        )


def _replicates(results: pd.DataFrame, kpi: str, points: np.ndarray) -> np.ndarray:
    """The KPI's valid values, one row per point, padded with NaN to the most replications."""
    valid = results.loc[results[kpi].notna(), ["point", kpi]]
    row = pd.Categorical(valid["point"], categories=points).codes
    column = valid.groupby("point").cumcount().to_numpy()
    matrix = np.full((len(points), int(column.max(initial=0)) + 1), np.nan)
    matrix[row, column] = valid[kpi].to_numpy(dtype=float)
    return matrix


def noise_share(replicates: np.ndarray) -> float:
    """Share of the variance of the point means that is replication noise (see module doc)."""
    counts = np.sum(~np.isnan(replicates), axis=1)
    means = np.nanmean(replicates, axis=1) if replicates.size else np.array([])
    several = counts >= 2
    if not several.any() or len(means) < 2:
        return float("nan")
    within = np.nanvar(replicates[several], axis=1, ddof=1) / counts[several]
    between = float(np.var(means, ddof=1))
    return float(np.mean(within) / between) if between > 0 else float("nan")


def _safe(estimate: Callable[..., Estimates], y: np.ndarray, x: pd.DataFrame) -> Estimates | None:
    """The estimates, or None when the means are not all finite or do not vary."""
    if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
        return None
    return estimate(y, x)


def _bootstrap_means(replicates: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Point means of resampled replications, one row per draw.

    ``draws`` (B, P, R) are uniform on [0, 1); point ``i`` takes the first n_i
    of its R draws as indices of n_i replications picked with replacement.
    """
    counts = np.sum(~np.isnan(replicates), axis=1)
    index = np.floor(draws * counts[None, :, None]).astype(int)
    rows = np.arange(replicates.shape[0])[None, :, None]
    picked = replicates[rows, index]
    picked[:, np.arange(replicates.shape[1])[None, :] >= counts[:, None]] = np.nan
    return np.asarray(np.nanmean(picked, axis=2))


def sensitivity(
    spec_like: DesignLike | Mapping[str, Any],
    results: pd.DataFrame,
    kpis: Sequence[str],
    bootstrap: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Sensitivity indices of each KPI to each factor, tidy: one row per (kpi, factor, index).

    ``spec_like`` is a :class:`~sim.experiment.design.SweepSpec` or its JSON
    record; ``results`` has one row per (point, replication) with the factor and
    KPI columns.  Columns: kpi, factor, index, value, conf (SALib's, else NaN),
    low and high (bootstrap over replications), noise_share, n_points and
    replications (the fewest valid replications of any point).
    """
    design, names = _design_of(spec_like)
    missing = [c for c in ("point", *names, *kpis) if c not in results.columns]
    if missing:
        raise ValueError(f"results have no column {', '.join(map(repr, missing))} "
                         f"(columns: {', '.join(map(str, results.columns))})")
    points = np.sort(results["point"].unique())
    _check_points(design, points, len(names))
    x = results.groupby("point")[names].first().loc[points].reset_index(drop=True)
    salib_seed = seed + 1  # SALib's sobol.analyze reads a seed of 0 as "no seed"
    main = _estimator(design, names, 100, salib_seed)
    quick = _estimator(design, names, 2, salib_seed)
    rng = np.random.default_rng(seed)
    width = int(results.groupby("point").size().max()) if len(results) else 1
    draws = rng.random((bootstrap, len(points), width))
    rows: list[dict[str, Any]] = []
    for kpi in kpis:
        replicates = _replicates(results, kpi, points)
        counts = np.sum(~np.isnan(replicates), axis=1)
        means = np.nanmean(replicates, axis=1) if counts.all() else np.full(len(points), np.nan)
        estimates = _safe(main, means, x)
        spread: dict[str, list[np.ndarray]] = {}
        if estimates is not None and counts.max() >= 2:
            resampled = _bootstrap_means(replicates, draws[:, :, : replicates.shape[1]])
            for again in (_safe(quick, y, x) for y in resampled):
                for index, (values, _) in (again or {}).items():
                    spread.setdefault(index, []).append(values)
        share = noise_share(replicates)
        template = estimates or {i: (np.full(len(names), np.nan), None) for i in INDICES[design]}
        for index, (values, conf) in template.items():
            sample = np.array(spread.get(index, []))
            for j, factor in enumerate(names):
                low = high = float("nan")
                if len(sample):
                    low, high = (float(v) for v in np.nanpercentile(sample[:, j], [2.5, 97.5]))
                rows.append({
                    "kpi": kpi, "factor": factor, "index": index, "value": float(values[j]),
                    "conf": float(conf[j]) if conf is not None else float("nan"),
                    "low": low, "high": high, "noise_share": share,
                    "n_points": len(points), "replications": int(counts.min()),
                })
    return mark_invalid(pd.DataFrame(rows, columns=list(COLUMNS)))


def samples_needed(samples: int, half_width: float, excess: float = 0.0,
                   target: float = TARGET_HALF_WIDTH) -> int:
    """The base sample N that would bring an index's error to ``target``: ``samples`` x
    (max(half_width, excess) / target)², rounded up to a power of 2, at least 2 x ``samples``
    (the error of Saltelli's estimators shrinks as 1 / sqrt(N))."""
    error = max(half_width, excess)
    wanted = max(2.0 * samples, samples * (error / target) ** 2)
    return int(2 ** math.ceil(math.log2(wanted)))


@dataclass(frozen=True)
class Violation:
    """A Sobol' index (or the sum of a KPI's S1) outside its valid range beyond its interval."""

    kpi: str
    factor: str
    """The factor, or "" for the sum of the S1 over the factors."""
    constraint: str
    """What is broken: ``S1 < 0``, ``S1 > ST``, ``ST > 1`` or ``sum S1 > 1``."""
    estimate: str
    """The estimates and their half-widths, as text."""
    excess: float
    """How far the estimate lies outside its valid range."""
    half_width: float
    """The half-width of the estimate compared (of the difference, for S1 > ST)."""
    samples: int
    """The sweep's base sample N."""
    factors: int
    """The number of factors k (a Saltelli design has N (k + 2) points)."""

    @property
    def indices(self) -> tuple[str, ...]:
        """The indices the constraint involves."""
        return {"S1 < 0": ("S1",), "ST > 1": ("ST",)}.get(self.constraint, ("S1", "ST")) \
            if self.factor else ("S1",)

    @property
    def samples_needed(self) -> int:
        return samples_needed(self.samples, self.half_width, self.excess)

    def message(self) -> str:
        """One line: which index is invalid, why, and about how many samples would do."""
        needed = self.samples_needed
        return (f"{self.kpi}: {self.estimate}: invalid; about N = {needed:,} base samples "
                f"({needed * (self.factors + 2):,} design points; now N = {self.samples:,}) "
                f"would bring its error to ±{TARGET_HALF_WIDTH:g}")


def _half(value: Any) -> float:
    """A half-width, 0 where SALib gave none."""
    return float(value) if value is not None and math.isfinite(float(value)) else 0.0


def _kpi_violations(kpi: str, rows: pd.DataFrame) -> list[Violation]:
    """The violations among one KPI's Sobol' rows (see the module doc)."""
    s1 = rows[rows["index"] == "S1"].set_index("factor")
    st = rows[rows["index"] == "ST"].set_index("factor").reindex(s1.index)
    k = len(s1)
    n = int(rows["n_points"].iloc[0]) // (k + 2)
    found = []

    def add(factor: str, constraint: str, estimate: str, excess: float, half: float) -> None:
        found.append(Violation(kpi, factor, constraint, estimate, excess, half, n, k))

    for factor in s1.index:
        v1, h1 = float(s1.at[factor, "value"]), _half(s1.at[factor, "conf"])
        vt, ht = float(st.at[factor, "value"]), _half(st.at[factor, "conf"])
        if v1 + h1 < 0:
            add(factor, "S1 < 0", f"S1 of {factor} is {v1:.3g} ± {h1:.2g}, below 0 beyond "
                "its interval", -v1, h1)
        if v1 - h1 > vt + ht:
            add(factor, "S1 > ST", f"S1 of {factor} ({v1:.3g} ± {h1:.2g}) exceeds its ST "
                f"({vt:.3g} ± {ht:.2g}) beyond both intervals", v1 - vt, h1 + ht)
        if vt - ht > 1:
            add(factor, "ST > 1", f"ST of {factor} is {vt:.3g} ± {ht:.2g}, above 1 beyond "
                "its interval", vt - 1, ht)
    total = float(s1["value"].sum(min_count=1))
    half = float(sum(_half(c) for c in s1["conf"]))
    if total - half > 1:
        add("", "sum S1 > 1", f"the S1 of the {k} factors sum to {total:.3g} ± {half:.2g}, "
            "above 1 beyond their intervals", total - 1, half)
    return found


def violations(table: pd.DataFrame) -> list[Violation]:
    """The Sobol' indices of a ``sensitivity`` table that break their constraints beyond
    their intervals (none for the other designs), KPI by KPI."""
    sobol = table[table["index"].isin(("S1", "ST"))]
    return [v for kpi, rows in sobol.groupby("kpi", sort=False)
            for v in _kpi_violations(str(kpi), rows)]


def precision_message(table: pd.DataFrame) -> str | None:
    """How precisely a table's Sobol' indices are known: its widest half-width and the base
    sample N that would bring every half-width to :data:`TARGET_HALF_WIDTH` (the rule of
    :func:`samples_needed`); None without Sobol' indices or SALib half-widths."""
    sobol = table[table["index"].isin(("S1", "ST")) & np.isfinite(table["conf"])]
    if sobol.empty:
        return None
    widest = sobol.loc[sobol["conf"].idxmax()]
    half = float(widest["conf"])
    if half <= TARGET_HALF_WIDTH:
        return f"Every S1 and ST is known to within ±{TARGET_HALF_WIDTH:g}."
    k = int(sobol["factor"].nunique())
    n = int(widest["n_points"]) // (k + 2)
    needed = samples_needed(n, half)
    return (f"The widest interval is ±{half:.2g} ({widest['index']} of {widest['factor']} for "
            f"{widest['kpi']}): about N = {needed:,} base samples ({needed * (k + 2):,} design "
            f"points; now N = {n:,}) would bring every half-width to ±{TARGET_HALF_WIDTH:g}.")


def mark_invalid(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``invalid`` (the constraints each index breaks, "; "-joined, empty if
    none) and ``samples_needed`` (the base sample N the worst of them calls for, else NaN)."""
    table = table.assign(invalid="", samples_needed=np.nan)
    for v in violations(table):
        rows = (table["kpi"] == v.kpi) & table["index"].isin(v.indices)
        if v.factor:
            rows &= table["factor"] == v.factor
        table.loc[rows, "invalid"] = [f"{old}; {v.constraint}" if old else v.constraint
                                      for old in table.loc[rows, "invalid"]]
        table.loc[rows, "samples_needed"] = np.fmax(table.loc[rows, "samples_needed"],
                                                    v.samples_needed)
    return table
