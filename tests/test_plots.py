"""The figures (analysis.plots) and ``spc plot``, on real results of tiny simulations.

One module-scoped fixture runs a replicated run, a comparison, a small
factorial sweep over reliability and competition and a replicated run of the
three-unit organization (a few hundred customers, half a year, sequentially),
and builds their figures once; the tests read the values back out of the
figures' artists and hold them against the tables.
"""

from __future__ import annotations

import itertools
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

import analysis
from analysis.plots import all_figures
from analysis.plots.comparison import (
    VERDICT_COLOURS,
    comparison_forest,
    forest_order,
    forest_rows,
)
from analysis.plots.failures import SOURCES, complaints_recovery
from analysis.plots.loyalty import GRID, loyalty_parameters
from analysis.plots.results import read_manifest
from analysis.plots.style import DISTINCT, PALETTE, colours, title, wrap
from analysis.plots.units import kpis_by_unit
from sim import kpis
from sim.cli import main
from sim.experiment.runner import MAIN_KPIS
from sim.model.loyalty import retention_by_satisfaction
from sim.statistics.decision import difference_unit, format_amount
from sim.statistics.intervals import t_interval, within
from sim.statistics.output_analysis import kpi_bounds

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--set", "run.years=0.5", "--set", "run.warmup_years=0.1",
        "--set", "customers.initial=300", "--set", "providers.count=2",
        "--set", "growth.paid_per_month=20"]
SWEEP = """
name = "tiny_factorial"
base = "{base}"
design = "factorial"
replications = 2
kpis = ["retention_rate", "nps", "profit"]
overrides = ["run.years=0.5", "run.warmup_years=0.1", "customers.initial=300",
             "providers.count=2", "growth.paid_per_month=20"]

[factors]
"organization.reliability" = {{ levels = [0.88, 0.96] }}
"market.competition" = {{ levels = [0.2, 0.8] }}
"""


class Results:
    """A results directory with its tables, manifest and figures (by file stem)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tables = analysis.load(path)
        self.manifest = read_manifest(path)
        self.figures = {stem: fig for stem, _caption, fig in
                        all_figures(self.tables, self.manifest)}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Results]:
    root = tmp_path_factory.mktemp("plots")
    sweep_file = root / "tiny.toml"
    sweep_file.write_text(SWEEP.format(base=(ROOT / "scenarios" / "baseline.toml").as_posix()))
    seq = ["--executor", "sequential", "--quiet"]
    runs = {
        "run": ["run", "scenarios/baseline.toml", *TINY, "--replications", "3"],
        "compare": ["compare", "scenarios/baseline.toml", "scenarios/reliability_high.toml",
                    "scenarios/empowerment_high.toml", *TINY, "--replications", "3"],
        "sweep": ["sweep", str(sweep_file)],
        "units": ["run", "scenarios/units.toml", *TINY, "--replications", "2", "--panel"],
    }
    out = {}
    for name, args in runs.items():
        assert main([*args, *seq, "--out", str(root / name)]) == 0
        out[name] = Results(root / name)
    # a plain run: no experiment plan in its manifest, no shards
    assert main(["run", "scenarios/baseline.toml", *TINY, "--quiet", "--out",
                 str(root / "single")]) == 0
    out["single"] = Results(root / "single")
    return out


def by_gid(fig: Figure, gid: str) -> list[Any]:
    """Every artist of ``fig`` whose gid is ``gid``."""
    return list(fig.findobj(lambda a: a.get_gid() == gid))


def axes_titled(fig: Figure, title: str) -> Any:
    return next(ax for ax in fig.axes if ax.get_title() == title)


# -- which figures ---------------------------------------------------------------------------
def test_each_kind_of_results_gets_the_figures_its_tables_support(made: dict[str, Results]):
    common = {"kpis_over_time", "nps_shares_over_time", "promoter_conversion_by_cohort",
              "satisfaction_retention", "failure_sources", "complaints_recovery"}
    assert set(made["single"].figures) == common
    assert set(made["run"].figures) == common
    assert set(made["compare"].figures) == common | {"comparison_forest"}
    assert set(made["sweep"].figures) == common | {
        "sweep_response", "sweep_heatmap_reliability_competition", "sensitivity_indices"}
    assert set(made["units"].figures) == common | {"kpis_by_unit"}  # three units


def test_figures_that_need_a_missing_table_are_skipped(made: dict[str, Results]):
    r = made["compare"]
    tables = {k: v for k, v in r.tables.items() if k not in ("periods", "comparisons")}
    stems = {stem for stem, _c, _f in all_figures(tables, r.manifest)}
    assert stems == {"satisfaction_retention", "failure_sources", "complaints_recovery"}
    assert all_figures({}, {}) == []


def test_building_figures_leaves_matplotlib_global_state_alone(made: dict[str, Results]):
    import matplotlib.pyplot as plt

    backend = matplotlib.get_backend()
    settings = {k: str(v) for k, v in matplotlib.rcParams.items()}
    all_figures(made["run"].tables, made["run"].manifest)
    assert plt.get_fignums() == []  # no figure registered with pyplot
    assert matplotlib.get_backend() == backend
    assert {k: str(v) for k, v in matplotlib.rcParams.items()} == settings  # style stayed inside


# -- KPIs over time ----------------------------------------------------------------------------
def test_kpi_band_is_the_t_interval_across_replications_and_contains_the_mean(
        made: dict[str, Results]):
    r = made["run"]
    fig = r.figures["kpis_over_time"]
    periods = r.tables["periods"]
    periods = periods[periods["unit"] == "all"]
    for kpi in ("active_customers", "satisfaction_index", "mean_wait"):
        (line,) = by_gid(fig, f"{kpi} mean baseline")
        (band,) = by_gid(fig, f"{kpi} band baseline")
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        vertices = band.get_paths()[0].vertices
        for t_end, values in periods.groupby("t_end_days")[kpi]:
            xm = t_end / (365.0 / 12.0)  # half a year: months
            i = int(np.argmin(abs(x - xm)))
            assert x[i] == pytest.approx(xm)
            iv = within(t_interval(values.to_numpy(float)), kpis.lookup(kpi, "periods").bounds)
            assert iv.n == 3
            assert y[i] == pytest.approx(iv.mean)
            at = vertices[np.isclose(vertices[:, 0], xm), 1]
            assert at.min() == pytest.approx(iv.low) and at.max() == pytest.approx(iv.high)
            assert at.min() <= y[i] <= at.max()


def test_a_single_run_has_lines_without_bands(made: dict[str, Results]):
    r = made["single"]
    fig = r.figures["kpis_over_time"]
    (line,) = by_gid(fig, "nps mean baseline")
    periods = r.tables["periods"]
    assert list(line.get_ydata()) == pytest.approx(list(periods["nps"]))
    assert not fig.findobj(lambda a: " band " in str(a.get_gid()))
    warmup = r.manifest["scenario"]["parameters"]["run"]["warmup_years"]
    assert len(by_gid(fig, f"warm-up {warmup!r}")) == 9


def test_warmup_span_matches_the_manifest(made: dict[str, Results]):
    r = made["run"]
    manifest = json.loads((r.path / "manifest.json").read_text())
    warmup = manifest["scenario"]["parameters"]["run"]["warmup_years"]
    assert warmup == pytest.approx(0.1)
    spans = by_gid(r.figures["kpis_over_time"], f"warm-up {warmup!r}")
    assert len(spans) == 9  # one per panel
    for span in spans:
        x0, x1 = span.get_path().transformed(span.get_patch_transform()).vertices[:, 0][[0, 2]]
        assert (min(x0, x1), max(x0, x1)) == pytest.approx((0.0, warmup * 12.0))


# -- promoter shares and cohorts ------------------------------------------------------------
def test_stacked_shares_sum_to_one_and_are_the_replication_means(made: dict[str, Results]):
    r = made["compare"]
    fig = r.figures["nps_shares_over_time"]
    periods = r.tables["periods"]
    for scenario in ("baseline", "reliability_high", "empowerment_high"):
        layers = by_gid(fig, f"shares {scenario}")
        assert len(layers) == 3
        top = layers[-1].get_paths()[0].vertices
        rows = periods[(periods["scenario"] == scenario) & (periods["unit"] == "all")]
        means = rows.groupby("t_end_days")["promoter_share"].mean()
        bottom = layers[0].get_paths()[0].vertices
        for t_end, promoters in means.items():
            at = np.isclose(top[:, 0], t_end / (365.0 / 12.0))
            assert top[at, 1].max() == pytest.approx(1.0)  # promoters + passives + detractors
            at = np.isclose(bottom[:, 0], t_end / (365.0 / 12.0))
            assert bottom[at, 1].max() == pytest.approx(promoters)


def test_cohort_conversion_curve_pools_channels_by_cohort_size(made: dict[str, Results]):
    r = made["run"]
    fig = r.figures["promoter_conversion_by_cohort"]
    (line,) = by_gid(fig, "promoter_conversion mean baseline")
    cohorts = r.tables["cohorts"]
    first = cohorts[(cohorts["cohort"] == 0) & (cohorts["channel"] != "initial")]
    per_rep = first.groupby("replication").apply(
        lambda g: (g["acquired"] * g["promoter_conversion"]).sum() / g["acquired"].sum(),
        include_groups=False)
    # cohort 0 joined at the first review: the longest tenure, the last point of the line
    order = np.argsort(line.get_xdata())
    assert np.asarray(line.get_ydata())[order][-1] == pytest.approx(per_rep.mean())
    assert ((np.asarray(line.get_ydata()) >= 0) & (np.asarray(line.get_ydata()) <= 1)).all()


# -- comparison forest ------------------------------------------------------------------------
def panels(fig: Figure) -> list[Axes]:
    """The visible panels of ``fig`` in reading order (row by row)."""
    return [ax for ax in fig.axes if ax.get_visible()]


def test_forest_draws_one_interval_per_kpi_and_scenario_as_in_the_table(made: dict[str, Results]):
    r = made["compare"]
    comparisons = r.tables["comparisons"]
    bogus = comparisons.iloc[[0]].assign(kpi="point", diff=99.0, ci_low=98.0, ci_high=100.0)
    fig = comparison_forest(pd.concat([comparisons, bogus]), r.manifest)
    assert fig is not None
    rows = forest_rows(comparisons, manifest=r.manifest)
    defined = comparisons[comparisons["kpi"].isin(
        {"retention_rate", "promoter_share", "nps", "satisfaction_index", "promoter_conversion",
         "failure_rate", "complaint_share", "recovery_rate", "mean_wait", "provider_turnover",
         "profit", "clv"})].groupby("kpi")["diff"].apply(lambda d: d.notna().any())
    assert set(rows["kpi"]) == set(defined[defined].index)  # KPIs with a finite difference
    assert len(rows) == defined.sum() * 2  # for two scenarios against the base
    intervals = fig.findobj(lambda a: str(a.get_gid()).startswith("interval "))
    assert len(intervals) == rows["diff"].notna().sum()
    assert not [a for a in intervals if " point " in a.get_gid()]
    assert "Point" not in [ax.get_title() for ax in fig.axes]
    for row in rows[rows["diff"].notna()].itertuples():
        (line,) = by_gid(fig, f"interval {row.kpi} {row.scenario}")
        (dot,) = by_gid(fig, f"difference {row.kpi} {row.scenario}")
        factor, shown = difference_unit(row.kpi)  # the terms of the panel's title
        assert list(line.get_xdata()) == pytest.approx([factor * row.ci_low,
                                                        factor * row.ci_high])
        assert list(dot.get_xdata()) == pytest.approx([factor * row.diff])
        assert line.axes.get_xlabel() == f"difference ({shown})"
        assert matplotlib.colors.to_rgb(line.get_color()) == \
            pytest.approx(to_rgb(VERDICT_COLOURS[row.verdict]))
        assert line.axes.get_title().split("\n")[0] == title(row.kpi)  # the KPI's own panel
        zero = [ln for ln in line.axes.get_lines() if list(ln.get_xdata()) == [0, 0]]
        assert zero  # the zero line
        low, high = kpi_bounds(row.kpi)  # a difference stays within plus or minus the range
        assert -(high - low) <= row.ci_low <= row.ci_high <= high - low


def test_forest_starts_with_profit_and_titles_each_panel_with_the_base_level(
        made: dict[str, Results]):
    r = made["compare"]
    fig = r.figures["comparison_forest"]
    rows = forest_rows(r.tables["comparisons"], manifest=r.manifest)
    shown = list(dict.fromkeys(rows["kpi"]))
    assert r.manifest["decision"]["objective"] == "profit"
    assert shown[:5] == ["profit", *MAIN_KPIS]  # the objective, then compare's headline
    assert shown == kpis.registry_order(shown, ["profit", *MAIN_KPIS])
    titles = [ax.get_title().split("\n") for ax in panels(fig)]
    assert [t[0] for t in titles] == [title(k) for k in shown]  # row by row, in that order
    for kpi, lines in zip(shown, titles, strict=True):
        base = rows.loc[rows["kpi"] == kpi, "base_mean"].iloc[0]
        assert lines[1] == f"baseline: {format_amount(kpi, base, signed=False)}"
    assert titles[0][1].endswith("k/yr")  # profit: money per year, in thousands
    # the axis says the difference in the title's terms: percentage points, minutes
    by_kpi = dict(zip(shown, panels(fig), strict=True))
    assert by_kpi["retention_rate"].get_xlabel() == "difference (percentage points)"
    assert by_kpi["mean_wait"].get_xlabel() == "difference (minutes)"


def test_forest_names_the_scenarios_currency(made: dict[str, Results]):
    import copy

    r = made["compare"]
    manifest = copy.deepcopy(r.manifest)
    manifest["plan"]["scenarios"][0]["parameters"]["money"]["currency"] = "EUR"
    fig = comparison_forest(r.tables["comparisons"], manifest)
    assert fig is not None
    profit = panels(fig)[0]
    assert profit.get_title().endswith("k EUR/yr")
    assert profit.get_xlabel() == "difference (EUR per year)"


def test_forest_order_follows_the_decision_objective_and_constraints(made: dict[str, Results]):
    r = made["compare"]
    manifest = {**r.manifest, "decision": {"objective": "failure_rate",
                                           "constraints": ["clv>=0", "nps>=10"]}}
    shown = list(dict.fromkeys(forest_rows(r.tables["comparisons"], manifest=manifest)["kpi"]))
    assert shown[:3] == ["failure_rate", "clv", "nps"]
    assert shown[3:6] == ["retention_rate", "promoter_share", "satisfaction_index"]
    assert shown.index("profit") > shown.index("satisfaction_index")
    assert forest_order(["clv", "profit", "nps"], {}) == ["profit", "nps", "clv"]


@pytest.mark.parametrize("text", [
    "competition_intense", "reliability_high", "a_very_long_scenario_name_with_parts",
    "supercalifragilisticexpialidocious and more", "Dissatisfying failures (encounter "
    "satisfaction < 0.5)", "x", "double__underscore_name"])
def test_labels_break_only_at_spaces_and_after_underscores(text: str):
    lines = wrap(text, 12).split("\n")
    rebuilt = lines[0]
    for line in lines[1:]:
        rebuilt += line if rebuilt.endswith("_") else " " + line
    assert rebuilt == text  # no character lost, none added, so no word cut
    for line in lines:  # a line is only over the width if it cannot be broken
        assert len(line) <= 12 or (" " not in line and "_" not in line.rstrip("_"))


def test_forest_scenario_labels_keep_their_words(made: dict[str, Results]):
    fig = made["compare"].figures["comparison_forest"]
    labels = [t.get_text() for t in panels(fig)[0].get_yticklabels()]
    assert [lab.replace("_\n", "_") for lab in labels] == \
        ["reliability_high", "empowerment_high"]


# -- satisfaction and retention ---------------------------------------------------------------
def test_retention_curves_are_the_models_and_fall_with_competition(made: dict[str, Results]):
    r = made["sweep"]
    fig = r.figures["satisfaction_retention"]
    params = loyalty_parameters(r.manifest["plan"]["scenario"])
    assert params is not None
    curves = {}
    for line in fig.findobj(lambda a: str(a.get_gid()).startswith("model competition ")):
        c = float(line.get_gid().rsplit(" ", 1)[1])
        curves[c] = np.asarray(line.get_ydata(), float)
        assert curves[c] == pytest.approx(retention_by_satisfaction(GRID, c, params))
    assert {0.1, 0.2, 0.5, 0.8, 0.9} <= set(curves)  # the sweep's levels are drawn too
    levels = sorted(curves)
    for low, high in itertools.pairwise(levels):
        assert (curves[high] <= curves[low] + 1e-12).all()
    # Jones & Sasser: at satisfaction 0.7 the sheltered market keeps far more than the intense
    i = int(np.argmin(abs(GRID - 0.7)))
    assert curves[0.1][i] - curves[0.9][i] > 0.5
    markers = fig.findobj(lambda a: str(a.get_gid()).startswith("simulated "))
    assert len({m.get_gid() for m in markers}) == 4  # one per design point


# -- failures and complaints ------------------------------------------------------------------
def test_failure_sources_is_one_panel_bars_for_all_markers_for_dissatisfying(
        made: dict[str, Results]):
    r = made["compare"]
    fig = r.figures["failure_sources"]
    (ax,) = panels(fig)  # not two near-identical panels
    summary = r.tables["summary"]
    for scenario in ("baseline", "reliability_high", "empowerment_high"):
        bars = sorted((b for b in ax.patches if b.get_gid() == f"bars {scenario}"),
                      key=lambda b: b.get_x())
        marks = sorted(by_gid(fig, f"dissatisfying {scenario}"),
                       key=lambda m: m.get_xdata()[0])
        rows = summary[summary["scenario"] == scenario]
        assert [b.get_height() for b in bars] == \
            pytest.approx([rows[f"failures_by_source.{s}"].mean() for s in SOURCES])
        assert [m.get_ydata()[0] for m in marks] == \
            pytest.approx([rows[f"dissatisfaction_by_source.{s}"].mean() for s in SOURCES])
        assert [m.get_xdata()[0] for m in marks] == \
            pytest.approx([b.get_x() + b.get_width() / 2 for b in bars])  # on its own bar


def error_bar_ends(ax: Axes) -> list[float]:
    """The y values of every error bar on a bar panel (seaborn's interval lines, which have
    no gid, and errorbar containers' line collections)."""
    ends = [float(y) for line in ax.get_lines() if line.get_gid() is None
            for y in np.asarray(line.get_ydata(), float) if np.isfinite(y)]
    for coll in ax.collections:
        if isinstance(coll, LineCollection):
            ends += [float(y) for seg in coll.get_segments() for y in seg[:, 1]]
    return ends


def test_error_bars_stay_within_the_kpis_bounds(made: dict[str, Results]):
    for name in ("compare", "units", "run"):
        figures = made[name].figures
        for stem in ("failure_sources", "complaints_recovery", "satisfaction_retention"):
            for ax in panels(figures[stem]):
                assert all(0.0 <= y <= 1.0 for y in error_bar_ends(ax)), (name, stem)
    fig = made["units"].figures["kpis_by_unit"]
    by_title = {title(k, summary=True): k for k in kpis.UNIT_SUMMARY}
    for ax in panels(fig):
        low, high = kpi_bounds(by_title[ax.get_title()])
        ends = error_bar_ends(ax)
        assert ends and all(low <= y <= high for y in ends), ax.get_title()


def test_a_recovery_interval_that_would_pass_1_is_cut_at_1(made: dict[str, Results]):
    r = made["compare"]
    summary = r.tables["summary"].copy()
    base = summary["scenario"] == "baseline"
    summary.loc[base, "recovery_rate"] = [1.0, 0.7, 1.0]  # mean 0.9, t-interval past 1
    assert t_interval([1.0, 0.7, 1.0]).high > 1.0
    fig = complaints_recovery({**r.tables, "summary": summary}, r.manifest)
    assert fig is not None
    ends = error_bar_ends(panels(fig)[0])
    assert max(ends) == pytest.approx(1.0)
    assert min(ends) >= 0.0
    truncated = within(t_interval([1.0, 0.7, 1.0]), (0.0, 1.0))
    assert any(y == pytest.approx(truncated.low) for y in ends)


# -- palette ----------------------------------------------------------------------------------
# Machado, Oliveira & Fernandes (2009): full dichromacy as a matrix on linear sRGB.
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])


def _linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def lab(colour: Any, vision: np.ndarray | None = None) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour, as seen with ``vision`` (a dichromacy matrix)."""
    linear = _linear(np.asarray(to_rgb(colour), float))
    if vision is not None:
        linear = np.clip(vision @ linear, 0.0, 1.0)
    xyz = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                    [0.0193339, 0.1191920, 0.9503041]]) @ linear / [0.95047, 1.0, 1.08883]
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ciede2000(lab1: Any, lab2: Any) -> float:
    """The CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), kL = kC = kH = 1."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p, h2p = math.degrees(math.atan2(b1, a1p)) % 360, math.degrees(math.atan2(b2, a2p)) % 360
    dh = 0.0 if c1p * c2p == 0 else h2p - h1p - 360 * (h2p - h1p > 180) + 360 * (h2p - h1p < -180)
    d_hp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar, c_barp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_bar - 30)) + 0.24 * math.cos(math.radians(2 * h_bar))
         + 0.32 * math.cos(math.radians(3 * h_bar + 6))
         - 0.20 * math.cos(math.radians(4 * h_bar - 63)))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_barp, 1 + 0.015 * c_barp * t
    r_t = (-2 * math.sqrt(c_barp ** 7 / (c_barp ** 7 + 25 ** 7))
           * math.sin(math.radians(60 * math.exp(-(((h_bar - 275) / 25) ** 2)))))
    dl, dc, dhh = (l2 - l1) / s_l, (c2p - c1p) / s_c, d_hp / s_h
    return math.sqrt(dl ** 2 + dc ** 2 + dhh ** 2 + r_t * dc * dhh)


def closest_pair(palette: Any, vision: np.ndarray | None = None) -> float:
    return min(ciede2000(lab(a, vision), lab(b, vision))
               for a, b in itertools.combinations(palette, 2))


@pytest.mark.parametrize(("lab1", "lab2", "expected"), [  # Sharma, Wu & Dalal (2005), table 1
    ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
    ((50, 0, 0), (50, -1, 2), 2.3669),
    ((50, 2.5, 0), (73, 25, -18), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((22.7233, 20.0904, -46.694), (23.0331, 14.973, -42.5619), 2.0373),
])
def test_colour_difference_matches_the_published_pairs(lab1: Any, lab2: Any, expected: float):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert lab("#FFFFFF") == pytest.approx([100.0, 0.0, 0.0], abs=0.01)


def test_palette_keeps_eight_colours_apart_for_colour_blind_readers_too():
    assert DISTINCT == 8 and len(set(PALETTE)) == len(PALETTE) == 10
    for vision in (None, DEUTERANOPIA, PROTANOPIA):
        assert closest_pair(PALETTE[:DISTINCT], vision) > 14.0
    assert closest_pair(PALETTE) > 20.0  # all ten, normal vision
    # the palette it replaces: seaborn's orange and vermillion, scenarios 2 and 4
    old = sns.color_palette("colorblind")[:4]
    assert closest_pair(old) < 20.0 and closest_pair(old, DEUTERANOPIA) < 14.0


def test_figures_draw_scenarios_in_the_palettes_order(made: dict[str, Results]):
    r = made["compare"]
    order = ["baseline", "reliability_high", "empowerment_high"]
    for scenario, colour in zip(order, colours(3), strict=True):
        (line,) = by_gid(r.figures["kpis_over_time"], f"nps mean {scenario}")
        assert to_rgb(line.get_color()) == pytest.approx(colour)
        bars = by_gid(r.figures["failure_sources"], f"bars {scenario}")
        assert bars and all(to_rgb(b.get_facecolor()) == pytest.approx(colour) for b in bars)


# -- no empty panels ---------------------------------------------------------------------------
def has_data(ax: Axes) -> bool:
    """Whether a panel draws any data: a line with a finite point, a bar, a filled area, a
    mesh or scatter in data coordinates (not a reference line, span or empty legend handle)."""
    for line in ax.get_lines():
        if line.get_transform() is ax.transData and isinstance(line, Line2D):
            x = np.asarray(line.get_xdata(), float)
            y = np.asarray(line.get_ydata(), float)
            if (np.isfinite(x) & np.isfinite(y)).any():
                return True
    if any(isinstance(p, Rectangle) and p.get_data_transform() is ax.transData
           and np.isfinite(p.get_height()) for p in ax.patches):
        return True
    return any(len(c.get_paths()) or len(c.get_offsets()) for c in ax.collections)


def test_no_figure_has_an_empty_panel(made: dict[str, Results]):
    for name, r in made.items():
        for stem, fig in r.figures.items():
            for ax in panels(fig):
                assert has_data(ax), (name, stem, ax.get_title())


def test_legends_with_long_labels_fit_in_their_figure(made: dict[str, Results]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for stem, fig in made["sweep"].figures.items():  # design points: long labels
        FigureCanvasAgg(fig).draw()
        box = fig.bbox
        for legend in fig.legends:
            extent = legend.get_window_extent()
            assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, stem


def test_an_undefined_kpi_gets_no_panel_in_the_forest(made: dict[str, Results]):
    r = made["compare"]
    comparisons = r.tables["comparisons"].copy()
    comparisons.loc[comparisons["kpi"] == "nps", ["diff", "ci_low", "ci_high"]] = np.nan
    fig = comparison_forest(comparisons, r.manifest)
    assert fig is not None
    titles = [ax.get_title().split("\n")[0] for ax in panels(fig)]
    assert title("nps") not in titles and title("profit") == titles[0]
    assert all(has_data(ax) for ax in panels(fig))


def test_four_panels_make_a_square_not_a_row_with_blanks(made: dict[str, Results]):
    from analysis.plots.time import nps_shares_over_time

    r = made["compare"]
    periods = r.tables["periods"]
    fourth = periods[periods["scenario"] == "baseline"].assign(scenario="fourth")
    fig = nps_shares_over_time(pd.concat([periods, fourth]), r.manifest, r.tables)
    assert fig is not None
    assert len(fig.axes) == len(panels(fig)) == 4  # 2 x 2: no hidden blank panel


# -- panels by unit ---------------------------------------------------------------------------
def test_kpis_by_unit_are_each_units_means_profit_first(made: dict[str, Results]):
    r = made["units"]
    fig = r.figures["kpis_by_unit"]
    summary = r.tables["summary"]
    units = ["flagship", "standard", "struggling"]  # as in scenarios/units.toml
    titles = [ax.get_title() for ax in panels(fig)]
    assert titles[0] == title("profit", summary=True)
    assert titles[1:5] == [title(k, summary=True) for k in MAIN_KPIS]
    shown = 0
    for kpi in kpis.UNIT_SUMMARY:
        columns = [f"by_unit.{u}.{kpi}" for u in units]
        if summary[columns].isna().all().all():
            continue
        shown += 1
        bars = sorted(by_gid(fig, f"bars {kpi} units"), key=lambda b: b.get_x())
        assert [b.get_height() for b in bars] == \
            pytest.approx([summary[c].mean() for c in columns], nan_ok=True)
        assert [t.get_text() for t in bars[0].axes.get_xticklabels()] == units
    assert shown == len(titles)


def test_single_unit_results_get_no_figure_by_unit(made: dict[str, Results]):
    for name in ("single", "run", "compare", "sweep"):
        assert "kpis_by_unit" not in made[name].figures
        assert kpis_by_unit(made[name].tables, made[name].manifest) is None


# -- sweeps -----------------------------------------------------------------------------------
def test_heatmap_cells_are_the_point_means(made: dict[str, Results]):
    r = made["sweep"]
    fig = r.figures["sweep_heatmap_reliability_competition"]
    ax = axes_titled(fig, "Net promoter score")
    cells = np.asarray(ax.collections[0].get_array()).reshape(2, 2)
    means = r.tables["summary"].groupby(["market.competition", "organization.reliability"])[
        "nps"].mean().unstack()
    expected = means.sort_index(ascending=False).to_numpy()  # high competition on top
    assert cells == pytest.approx(expected)


def test_a_sweep_kpi_undefined_in_every_run_gets_no_panel(made: dict[str, Results]):
    """A KPI with no value in any run (the promoter conversion of a run shorter than a
    cohort's year) used to stop spc plot and spc report with a zero-size array error."""
    from analysis.plots.sweep import sweep_heatmap, sweep_response

    r = made["sweep"]
    kpi = r.manifest["plan"]["sweep"]["kpis"][0]
    tables = {**r.tables, "summary": r.tables["summary"].assign(**{kpi: np.nan})}
    pair = ("organization.reliability", "market.competition")
    for fig in (sweep_heatmap(tables, r.manifest, pair), sweep_response(tables, r.manifest)):
        assert fig is not None
        texts = [t for ax in fig.axes for t in (ax.get_title(), ax.get_ylabel())]
        assert not any(title(kpi) in t for t in texts) and any(texts)


def test_sensitivity_bars_are_the_table_values(made: dict[str, Results]):
    r = made["sweep"]
    fig = r.figures["sensitivity_indices"]
    sens = r.tables["sensitivity"]
    for row in sens.itertuples():
        bars = by_gid(fig, f"index {row.kpi} {row.index}")
        widths = [b.get_width() for b in bars]
        assert row.value == pytest.approx(widths[["organization.reliability",
                                                  "market.competition"].index(row.factor)])


def legend_labels(fig: Figure) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_sensitivity_bootstrap_intervals_are_drawn_and_the_legend_lists_only_them(
        made: dict[str, Results]):
    from analysis.plots.sweep import BOOTSTRAP_LABEL, CONF_LABEL, INVALID_LABEL

    r = made["sweep"]
    fig = r.figures["sensitivity_indices"]
    sens = r.tables["sensitivity"]
    for row in sens.itertuples():
        lines = by_gid(fig, f"bootstrap index {row.kpi} {row.index}")
        spans = [tuple(line.get_xdata()) for line in lines]
        assert (row.low, row.high) in spans
    labels = legend_labels(fig)
    assert BOOTSTRAP_LABEL in labels  # two replications: a factorial has no SALib interval
    assert CONF_LABEL not in labels and INVALID_LABEL not in labels


def test_sobol_error_bars_are_salibs_intervals_and_invalid_indices_are_hatched():
    from analysis.plots.sweep import (
        BOOTSTRAP_LABEL,
        CONF_LABEL,
        INVALID_LABEL,
        sensitivity_indices,
    )
    from sim.statistics.sensitivity import mark_invalid

    factors = ["organization.reliability", "market.competition"]
    sens = mark_invalid(pd.DataFrame(
        [{"kpi": "profit", "factor": f, "index": i, "value": v, "conf": c, "low": np.nan,
          "high": np.nan, "noise_share": np.nan, "n_points": 32}
         for (f, i, v, c) in [(factors[0], "S1", -0.3, 0.2), (factors[1], "S1", 0.7, 0.1),
                              (factors[0], "ST", 0.1, 0.05), (factors[1], "ST", 0.8, 0.1)]]))
    assert list(sens["invalid"]) == ["S1 < 0", "", "", ""]
    fig = sensitivity_indices(sens)
    for index, rows in sens.groupby("index"):
        (bars,) = by_gid(fig, f"conf index profit {index}")
        spans = sorted(tuple(seg[:, 0]) for seg in bars.get_segments())
        expected = sorted(zip(rows["value"] - rows["conf"], rows["value"] + rows["conf"],
                              strict=True))
        # flat lists: pytest 9.2's approx refuses nested structures
        assert [x for span in spans for x in span] == pytest.approx(
            [float(x) for span in expected for x in span])
    hatched = by_gid(fig, "invalid index profit S1")
    assert [b.get_width() for b in hatched] == [-0.3]
    labels = legend_labels(fig)
    assert CONF_LABEL in labels and INVALID_LABEL in labels and BOOTSTRAP_LABEL not in labels


# -- spc plot ---------------------------------------------------------------------------------
def test_spc_plot_writes_png_and_svg_for_every_figure_only_in_figures(
        made: dict[str, Results], capsys: pytest.CaptureFixture[str]):
    r = made["run"]
    before = {p: p.stat().st_mtime_ns for p in r.path.rglob("*")}
    assert main(["plot", str(r.path)]) == 0
    printed = capsys.readouterr().out.split()
    figures = r.path / "figures"
    expected = {figures / f"{stem}.{fmt}" for stem in r.figures for fmt in ("png", "svg")}
    assert {Path(p) for p in printed} == expected
    assert set(figures.iterdir()) == expected
    for path in expected:
        if path.suffix == ".png":
            image = matplotlib.image.imread(path)
            assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 300
        else:
            assert ET.parse(path).getroot().tag.endswith("svg")
    after = {p: p.stat().st_mtime_ns for p in r.path.rglob("*") if figures not in p.parents
             and p != figures}
    assert after == before  # nothing outside the figures directory was touched


def test_spc_plot_out_and_format_on_a_summary_only_directory(
        made: dict[str, Results], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    results = tmp_path / "results"
    results.mkdir()
    for name in ("manifest.json", "summary.parquet"):
        (results / name).write_bytes((made["compare"].path / name).read_bytes())
    out = tmp_path / "figs"
    assert main(["plot", str(results), "--out", str(out), "--format", "svg", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    # without periods, cohorts or comparisons only the summary's figures are drawn
    assert {p.name for p in out.iterdir()} == {
        "satisfaction_retention.svg", "failure_sources.svg", "complaints_recovery.svg"}
    assert not (results / "figures").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["plot", "{missing}"], "{missing}: no such results directory"),
    (["plot", "{empty}"], "{empty}: not a results directory (no manifest.json)"),
    (["plot", "{run}", "--format", "png,gif"], "unknown format gif; allowed"),
    (["plot", "{run}", "--out", "{file}"], "{file}: exists and is not a directory"),
])
def test_spc_plot_bad_input_exits_2_with_one_message(
        made: dict[str, Results], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        args: list[str], message: str):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("keep me")
    names = {"missing": tmp_path / "missing", "empty": tmp_path / "empty",
             "run": made["run"].path, "file": tmp_path / "file"}
    assert main([a.format(**names) for a in args]) == 2
    err = capsys.readouterr().err
    assert message.format(**names) in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert (tmp_path / "file").read_text() == "keep me"
