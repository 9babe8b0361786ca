"""The figures (analysis.plots) and ``spc plot``, on real results of tiny simulations.

One module-scoped fixture runs a replicated run, a comparison and a small
factorial sweep over reliability and competition (a few hundred customers,
half a year, sequentially), and builds their figures once; the tests read the
values back out of the figures' artists and hold them against the tables.
"""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import analysis
from analysis.plots import all_figures
from analysis.plots.comparison import VERDICT_COLOURS, comparison_forest, forest_rows
from analysis.plots.failures import SOURCES
from analysis.plots.loyalty import GRID, loyalty_parameters
from analysis.plots.results import read_manifest
from analysis.plots.style import title
from sim import kpis
from sim.cli import main
from sim.model.loyalty import retention_by_satisfaction
from sim.statistics.intervals import t_interval, within

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
def test_forest_draws_one_interval_per_kpi_and_scenario_as_in_the_table(made: dict[str, Results]):
    r = made["compare"]
    comparisons = r.tables["comparisons"]
    bogus = comparisons.iloc[[0]].assign(kpi="point", diff=99.0, ci_low=98.0, ci_high=100.0)
    fig = comparison_forest(pd.concat([comparisons, bogus]), r.manifest)
    assert fig is not None
    rows = forest_rows(comparisons)
    assert len(rows) == 12 * 2  # the headline KPIs, for two scenarios against the base
    intervals = fig.findobj(lambda a: str(a.get_gid()).startswith("interval "))
    assert len(intervals) == len(rows)
    assert not [a for a in intervals if " point " in a.get_gid()]
    assert "Point" not in [ax.get_title() for ax in fig.axes]
    for row in rows.itertuples():
        (line,) = by_gid(fig, f"interval {row.kpi} {row.scenario}")
        (dot,) = by_gid(fig, f"difference {row.kpi} {row.scenario}")
        # a KPI undefined in a tiny run (no complaints: no recovery rate) draws NaN, as in
        # the table
        assert list(line.get_xdata()) == pytest.approx([row.ci_low, row.ci_high], nan_ok=True)
        assert list(dot.get_xdata()) == pytest.approx([row.diff], nan_ok=True)
        assert matplotlib.colors.to_rgb(line.get_color()) == \
            pytest.approx(VERDICT_COLOURS[row.verdict])
        assert line.axes.get_title() == title(row.kpi)  # the KPI's own panel
        zero = [ln for ln in line.axes.get_lines() if list(ln.get_xdata()) == [0, 0]]
        assert zero  # the zero line


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
def test_failure_source_bars_are_the_mean_shares(made: dict[str, Results]):
    r = made["compare"]
    ax = axes_titled(r.figures["failure_sources"], "All failures")
    summary = r.tables["summary"]
    for scenario in ("baseline", "reliability_high", "empowerment_high"):
        bars = [b for b in ax.patches if b.get_gid() == f"bars {scenario}"]
        rows = summary[summary["scenario"] == scenario]
        expected = [rows[f"failures_by_source.{s}"].mean() for s in SOURCES]
        assert [b.get_height() for b in sorted(bars, key=lambda b: b.get_x())] == \
            pytest.approx(expected)


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
        assert spans == pytest.approx(sorted(zip(rows["value"] - rows["conf"],
                                                 rows["value"] + rows["conf"], strict=True)))
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
