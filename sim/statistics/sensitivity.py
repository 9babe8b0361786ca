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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
           "n_points", "replications")

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
    return pd.DataFrame(rows, columns=list(COLUMNS))
