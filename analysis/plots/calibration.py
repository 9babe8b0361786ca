"""The figure of ``spc calibrate``: posterior-predictive bands of every observed KPI.

One panel per observed KPI, over the review periods: the posterior-predictive 90 % band
(5 % to 95 % of the simulations at parameter values drawn from the posterior) shaded,
the 99 % band's edges dashed, the predictive median as a line, and the firm's data as
dots (with their standard errors as bars when given).  Dots outside the 99 % band are
red: where the model, at the parameter values the data support, does not reproduce the
firm.  The panel titles say how many points lie outside.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from analysis.plots.style import (
    colours,
    compact_ticks,
    grid,
    heading,
    hide_unused,
    label,
    new_figure,
    styled,
    wrap,
)

STEM = "calibration"
CAPTION = ("Posterior-predictive check of spc calibrate: for each observed KPI, the 90 % "
           "band (shaded) and 99 % band (dashed) of simulations at parameter values drawn "
           "from the posterior, their median (line), and the firm's data (dots, with "
           "standard errors when given; red: outside the 99 % band).")


@styled
def calibration_bands(predictive: pd.DataFrame, record: dict[str, Any]) -> Figure:
    """The panels described in the module text."""
    kpis = list(dict.fromkeys(predictive["kpi"]))
    rows, cols = grid(len(kpis), max_cols=3)
    fig, axes = new_figure(rows, cols, panel=(3.8, 2.8))
    blue, red = colours(2)[:2]
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        part = predictive[predictive["kpi"] == kpi].sort_values("period")
        x = part["period"].to_numpy(int)
        ax.fill_between(x, part["q05"], part["q95"], color=blue, alpha=0.25, lw=0,
                        label="predictive 90 %", gid=f"{kpi} band 90")
        ax.plot(x, part["q005"], color=blue, lw=0.8, ls="--", label="predictive 99 %",
                gid=f"{kpi} band 99")
        ax.plot(x, part["q995"], color=blue, lw=0.8, ls="--", gid=f"{kpi} band 99 high")
        ax.plot(x, part["median"], color=blue, lw=1.5, label="predictive median",
                gid=f"{kpi} median")
        outside = part["outside_99"].astype(bool).to_numpy()
        se = part["se"].to_numpy(float)
        for mask, colour, name in ((~outside, "black", "observed"),
                                   (outside, red, "observed, outside 99 %")):
            if mask.any():
                ax.errorbar(x[mask], part["observed"].to_numpy(float)[mask],
                            yerr=None if pd.isna(se[mask]).all() else se[mask],
                            fmt="o", ms=4, color=colour, capsize=2, label=name, zorder=3,
                            gid=f"{kpi} {name}")
        ax.set_title(wrap(f"{label(kpi)}: {int(outside.sum())} of {len(part)} outside",
                          48), fontsize="medium")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        compact_ticks(ax)
    hide_unused(axes, len(kpis), xlabel="review period")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    for ax in list(axes.flat)[1:len(kpis)]:  # red dots may appear in a later panel only
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3),
               fontsize="small")
    fitted = ", ".join(record.get("posterior_median", {}))
    heading(fig, f"spc calibrate: posterior-predictive check ({fitted})")
    return fig


def write_calibration(directory: str | Path,
                      formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Draw the figure of the results in ``directory`` into ``directory/figures``."""
    from analysis.plots.results import read_manifest

    root = Path(directory)
    manifest = read_manifest(root)
    fmt = manifest.get("format", "parquet")
    path = root / f"predictive.{fmt}"
    predictive = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
    fig = calibration_bands(predictive, manifest["calibrate"])
    target = root / "figures"
    target.mkdir(exist_ok=True)
    paths = []
    for suffix in formats:
        out = target / f"{STEM}.{suffix}"
        fig.savefig(out, metadata={"Software": "spc"} if suffix == "png" else None)
        paths.append(out)
    return paths
