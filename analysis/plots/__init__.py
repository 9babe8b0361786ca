"""The figures of a results directory, made with seaborn (docs/figures.md).

Each figure is a function of the tidy tables of :func:`analysis.load` (and the
manifest) that returns a :class:`matplotlib.figure.Figure`, or None when the
results do not support it.  :func:`all_figures` makes every supported one,
with its file name and caption; :func:`write_figures` saves them (``spc plot``).
Nothing here touches matplotlib's global state: no backend is chosen and no
figure is registered with ``pyplot``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.errors import ResultsError

FORMATS = ("png", "svg", "pdf")
"""File formats ``write_figures`` accepts."""

Figures = list[tuple[str, str, Figure]]
Makers = list[tuple[str, str, Callable[[], Figure | None]]]
Progress = Callable[[Makers], Iterable[tuple[str, str, Callable[[], Figure | None]]]]
"""A progress hook of :func:`write_figures`: takes the makers and yields them back as each
figure is drawn and saved (``spc plot`` shows a tqdm bar)."""


def _captions(manifest: dict[str, Any]) -> dict[str, str]:
    from analysis.plots.results import kind

    what = {"compare": "scenario", "sweep": "design point"}.get(kind(manifest), "scenario")
    return {
        "kpis_over_time": (
            f"KPIs at each review over simulated time, one line per {what}: the mean over "
            "replications with its 95 % Student-t interval across replications (band; none "
            "with a single replication or more than four lines). The grey span is the "
            "warm-up, excluded from the summary statistics. Money is per review period."),
        "nps_shares_over_time": (
            "Promoters (last rating 9-10), passives (7-8) and detractors (0-6) among the "
            f"active customers who have rated, at each review, stacked; one panel per {what}, "
            "the mean over replications. The three shares sum to 1."),
        "promoter_conversion_by_cohort": (
            "Promoter conversion: for each acquisition cohort (paid and referral customers "
            "acquired at one review), the share who have ever rated 9-10 by the end of the "
            "run, against how long they had been customers by then. Mean over replications "
            "with the 95 % t-interval. The initial population is not shown."),
        "comparison_forest": (
            "Paired differences (other scenario minus base) of headline KPIs with their 95 % "
            "intervals, on common random numbers, the decision's objective (profit by "
            "default) first; each panel's title gives the base scenario's level. Colour "
            "gives the verdict (an interval that excludes zero is better or worse in the "
            "KPI's direction)."),
        "satisfaction_retention": (
            "Lines: the model's own satisfaction-retention response (sim/model/loyalty.py, "
            "retention_by_satisfaction) with the scenario's parameters: expected one-year "
            "retention of a customer at a constant satisfaction, with no bond or tenure, at "
            "several competition intensities (Jones & Sasser 1995). Markers: the simulated "
            f"mean satisfaction index / 100 and annual retention of each {what} (95 % "
            "interval over replications), a population average with bonds and tenure, so it "
            "need not lie on a line. The curves are computed, not measured. Dots (results "
            "written with --panel): the simulated customers by satisfaction decile at a review "
            "at least a year before the end, the share still a customer a year later (95 % "
            "Wilson interval; a customer counts once per review)."),
        "kpis_by_unit": (
            f"The KPIs of each unit (branch) of the organization after the warm-up, one bar "
            f"per unit and {what}: the mean over replications with its 95 % t-interval, "
            "kept inside the KPI's range. Money is per year."),
        "failure_sources": (
            "Where failures come from: the share of failed encounters caused by processes, "
            "providers and customers (bars: mean over replications with 95 % t-intervals), "
            "and among the failures that left the customer dissatisfied (encounter "
            "satisfaction below 0.5; markers), after the warm-up."),
        "complaints_recovery": (
            "Left: failures per encounter, complaints per failure and complaints recovered. "
            "Right: the repurchase ladder, the share of customers whose minor problem left "
            "them dissatisfied who are still customers 12 months later (TARP 1986), by what "
            "became of the problem. Means over replications with 95 % t-intervals."),
        "sweep_response": (
            "Each analysed KPI against each factor of the sweep: dots are design points (mean "
            "over replications), the line the mean over the points at each level of the "
            "factor (quantile bins for sampled designs), averaging over the other factors."),
        "sensitivity_indices": (
            "Sensitivity indices of each KPI to each factor (sim/experiment/design.py, "
            "sim/statistics/sensitivity.py) with SALib's 95 % interval over design points "
            "(black error bars: S1, ST, mu*), the 2.5-97.5 % bootstrap interval over "
            "replications (grey lines) and, hatched, Sobol' indices outside their valid range "
            "beyond their interval, where the results have them; the noise share in each "
            "title is the part of the variance of the point means that is replication "
            "noise."),
    }


def figure_makers(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]) -> Makers:
    """(file stem, caption, maker) for every figure the results may support, in reading
    order, without drawing any: a maker returns the figure, or None when the results do
    not support it after all.  ``spc report`` uses it to draw only the figures that
    ``spc plot`` has not saved.

    ``tables`` as returned by :func:`analysis.load`; ``manifest`` the whole parsed
    ``manifest.json`` (its nested fields give warm-ups, parameters and the sweep)."""
    from analysis.plots import comparison, failures, loyalty, sweep, time, units
    from analysis.plots.results import factor_label_pair, sweep_factors

    captions = _captions(manifest)
    periods = tables.get("periods")
    cohorts = tables.get("cohorts")
    makers: list[tuple[str, Callable[[], Figure | None]]] = []
    if periods is not None and not periods.empty:
        makers += [
            ("kpis_over_time", lambda: time.kpis_over_time(periods, manifest, tables)),
            ("nps_shares_over_time",
             lambda: time.nps_shares_over_time(periods, manifest, tables)),
        ]
        if cohorts is not None and not cohorts.empty:
            makers.append(("promoter_conversion_by_cohort",
                           lambda: time.promoter_conversion_by_cohort(
                               cohorts, periods, manifest, tables)))
    if "comparisons" in tables:
        comps = tables["comparisons"]
        makers.append(("comparison_forest", lambda: comparison.comparison_forest(comps,
                                                                                manifest)))
    makers += [
        ("kpis_by_unit", lambda: units.kpis_by_unit(tables, manifest)),
        ("satisfaction_retention", lambda: loyalty.satisfaction_retention(tables, manifest)),
        ("failure_sources", lambda: failures.failure_sources(tables, manifest)),
        ("complaints_recovery", lambda: failures.complaints_recovery(tables, manifest)),
    ]
    if "design" in tables:
        makers.append(("sweep_response", lambda: sweep.sweep_response(tables, manifest)))
        for pair in sweep.factor_pairs(sweep_factors(manifest, tables)):
            stem = "sweep_heatmap_" + "_".join(factor_label_pair(pair))
            captions[stem] = (
                f"Each analysed KPI over {pair[0]} (columns) and {pair[1]} (rows): the mean of "
                "the design points' means in each cell, averaged over any other factor "
                "(quantile bins for sampled designs).")
            makers.append((stem, partial(sweep.sweep_heatmap, tables, manifest, pair)))
    if "sensitivity" in tables:
        sens = tables["sensitivity"]
        makers.append(("sensitivity_indices", lambda: sweep.sensitivity_indices(sens)))
    # the answer of a calibration or an optimization comes before the generic figures
    if "candidates" in tables and isinstance(manifest.get("optimize"), dict):
        from analysis.plots import optimize

        captions[optimize.STEM] = optimize.CAPTION
        makers.insert(0, (optimize.STEM, lambda: optimize.optimize_history(
            tables["candidates"], tables["summary"], manifest["optimize"])))
        if len(manifest["optimize"].get("objectives", ())) > 1:  # several objectives
            captions[optimize.PARETO_STEM] = optimize.PARETO_CAPTION
            makers.insert(1, (optimize.PARETO_STEM, lambda: optimize.optimize_pareto(
                tables["candidates"], manifest["optimize"])))
    if "predictive" in tables and isinstance(manifest.get("calibrate"), dict):
        from analysis.plots import calibration

        captions[calibration.STEM] = calibration.CAPTION
        makers.insert(0, (calibration.STEM, lambda: calibration.calibration_bands(
            tables["predictive"], manifest["calibrate"])))
    return [(stem, captions.get(stem, ""), make) for stem, make in makers]


def all_figures(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]) -> Figures:
    """(file stem, caption, figure) for every figure the results support, in reading order
    (see :func:`figure_makers`)."""
    out: Figures = []
    for stem, caption, make in figure_makers(tables, manifest):
        fig = make()
        if fig is not None:
            out.append((stem, caption, fig))
    return out


def parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"png,svg"`` -> ``("png", "svg")``; anything else than :data:`FORMATS` is refused."""
    items = text.split(",") if isinstance(text, str) else list(text)
    formats = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in items if f.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        given = ",".join(str(i) for i in items)
        raise ResultsError(f"--format {given!r}: unknown format "
                           f"{', '.join(bad) or '(none)'}; allowed: a comma-separated list of "
                           f"{', '.join(FORMATS)}")
    return formats


def write_figures(directory: str | Path, out: str | Path | None = None,
                  formats: Sequence[str] = ("png", "svg"),
                  progress: Progress | None = None) -> list[Path]:
    """Save every figure the results in ``directory`` support to ``out`` (default
    ``directory/figures``) as ``STEM.FORMAT``; the paths written. Only files of those
    names in ``out`` are replaced. ``progress`` (see :data:`Progress`) follows the figures."""
    from analysis import load
    from analysis.plots.results import read_manifest

    root = Path(directory)
    if not root.is_dir():
        raise ResultsError(f"{root}: no such results directory; give a directory written by "
                           "spc run, compare or sweep")
    formats = parse_formats(formats)
    target = Path(out) if out is not None else root / "figures"
    if target.exists() and not target.is_dir():
        raise ResultsError(f"{target}: exists and is not a directory; give --out a directory")
    manifest = read_manifest(root)
    tables = load(root)
    makers = figure_makers(tables, manifest)
    written: list[Path] = []
    with _lock_if_inside(root, target):
        for stem, caption, make in (progress(makers) if progress else makers):
            fig = make()  # drawn and saved one at a time: the progress shows both
            if fig is not None:
                written += _save_figures([(stem, caption, fig)], target, formats)
    if not written:
        raise ResultsError(f"{root}: nothing to plot (no summary, periods or cohorts table; "
                           "an interrupted run can be completed with --resume)")
    return written


def _lock_if_inside(root: Path, target: Path) -> Any:
    """The results directory's lock while figures are written into it (nothing to lock
    when they go elsewhere)."""
    import contextlib

    from sim.results.lock import ResultsLock, command_line

    resolved = target.resolve()
    if resolved == root.resolve() or root.resolve() in resolved.parents:
        return ResultsLock(root, command_line())
    return contextlib.nullcontext()


def _save_figures(figures: Figures, target: Path, formats: Sequence[str]) -> list[Path]:
    """Every figure in every format, each written atomically (a temporary file renamed)."""
    from sim.results.files import atomic_write

    written = []
    for stem, _caption, fig in figures:
        for fmt in formats:
            path = target / f"{stem}.{fmt}"
            metadata: dict[str, Any] = {"Date": None} if fmt in ("svg", "pdf") else {}
            atomic_write(path, partial(_savefig, fig, fmt=fmt, metadata=metadata))
            written.append(path)
    return written


def _savefig(fig: Figure, tmp: Path, fmt: str, metadata: dict[str, Any]) -> None:
    fig.savefig(tmp, format=fmt, dpi=150, metadata=metadata)
