"""Figures over simulated time: KPIs by period, promoter shares, conversion by cohort."""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.plots import results
from analysis.plots.results import GROUP
from analysis.plots.style import (
    GREEN,
    GREY,
    MAX_BANDS,
    RED,
    SHADE,
    band_plot,
    compact_ticks,
    drop_legend,
    figure_legend,
    grid,
    heading,
    hide_unused,
    mean_band,
    new_figure,
    styled,
    title,
    unit,
)

PERIOD_KPIS = (
    "active_customers", "defected", "satisfaction_index", "nps", "mean_quality",
    "mean_wait", "utilisation", "provider_job_satisfaction", "profit",
)
"""The period KPIs drawn over time, where the period table has them."""

SHARES = ("promoter_share", "passive_share", "detractor_share")
DAYS_PER_MONTH = 365.0 / 12.0


def time_unit(periods: pd.DataFrame) -> tuple[str, float]:
    """Months for runs up to three years, years beyond: (name, days per unit)."""
    horizon = float(periods["t_end_days"].max()) if len(periods) else 0.0
    return ("months", DAYS_PER_MONTH) if horizon <= 3 * 365.0 + 1e-6 else ("years", 365.0)


def shade_warmup(ax: Axes, manifest: dict[str, Any], days_per_unit: float, horizon: float,
                 over: bool = False) -> None:
    """Grey the warm-up (``run.warmup_years`` of the scenarios run) behind the lines, or
    ``over`` what is drawn (a light veil and a dashed end); if the scenarios differ, each
    distinct warm-up is drawn, overlapping; none beyond ``horizon`` (in time units)."""
    if not results.behaviour_mode(manifest):
        return  # queue mode has no warm-up
    spans = sorted(set(results.warmup_years(manifest).values()) - {0.0})
    for years in spans:
        end = min(years * 365.0 / days_per_unit, horizon)
        if over:
            ax.axvspan(0.0, end, color="white", alpha=0.45, lw=0, zorder=3,
                       gid=f"warm-up {years!r}")
            ax.axvline(end, color="0.2", ls="--", lw=1, zorder=3, label="end of warm-up")
        else:
            ax.axvspan(0.0, end, color=SHADE, alpha=0.6 / len(spans), lw=0, zorder=0,
                       label="warm-up", gid=f"warm-up {years!r}")


def _over(rows: pd.DataFrame, lines: int) -> str:
    """What the lines and bands are, for a title."""
    reps = int(rows.groupby(GROUP)["replication"].nunique().max())
    if reps < 2:
        return ""
    if lines > MAX_BANDS:
        return f"\n(mean over {reps} replications; intervals left out with {lines} lines)"
    return f"\n(mean and 95 % interval over {reps} replications)"


@styled
def kpis_over_time(periods: pd.DataFrame, manifest: dict[str, Any],
                   tables: dict[str, pd.DataFrame] | None = None,
                   kpis: tuple[str, ...] = PERIOD_KPIS) -> Figure | None:
    """Each period KPI over time: the mean over replications per scenario (line) with its
    95 % t-interval across replications (band), the warm-up shaded."""
    rows = results.with_groups(results.organisation_rows(periods), tables or {}, manifest)
    shown = [k for k in kpis if rows is not None and k in rows.columns
             and rows[k].notna().any()]
    if rows is None or not shown:
        return None
    unit_name, per = time_unit(rows)
    rows = rows.assign(time=rows["t_end_days"] / per)
    order = results.group_order(rows, manifest)
    nrows, ncols = grid(len(shown))
    fig, axes = new_figure(nrows, ncols, sharex=True)
    for ax, kpi in zip(axes.flat, shown, strict=False):
        shade_warmup(ax, manifest, per, float(rows["time"].max()))
        band_plot(ax, mean_band(rows, [GROUP, "time"], kpi), "time", order, GROUP, kpi)
        ax.set_title(title(kpi))
        ax.set_ylabel(unit(kpi))
        ax.set_xlim(0, float(rows["time"].max()))
        compact_ticks(ax)
        drop_legend(ax)
    hide_unused(axes, len(shown), f"time ({unit_name})")
    figure_legend(fig, axes.flat[0], ncols=4)
    heading(fig, "KPIs over time, by review period" + _over(rows, len(order)))
    return fig


@styled
def nps_shares_over_time(periods: pd.DataFrame, manifest: dict[str, Any],
                         tables: dict[str, pd.DataFrame] | None = None) -> Figure | None:
    """Promoter, passive and detractor shares of the rated active customers over time,
    stacked (they sum to 1), the mean over replications; one panel per scenario."""
    rows = results.with_groups(results.organisation_rows(periods), tables or {}, manifest)
    if rows is None or not set(SHARES) <= set(rows.columns):
        return None
    unit_name, per = time_unit(rows)
    means = (rows.dropna(subset=list(SHARES)).groupby([GROUP, "t_end_days"])[list(SHARES)]
             .mean().reset_index())
    if means.empty:
        return None
    order = results.group_order(means, manifest)
    nrows, ncols = grid(len(order))
    fig, axes = new_figure(nrows, ncols, sharex=True, sharey=True)
    share_colours = (GREEN, GREY, RED)
    for ax, group in zip(axes.flat, order, strict=False):
        one = means[means[GROUP] == group].sort_values("t_end_days")
        ax.stackplot(one["t_end_days"].to_numpy() / per,
                     *(one[s].to_numpy() for s in SHARES),
                     labels=[title(s) for s in SHARES], colors=share_colours, alpha=0.9,
                     gid=f"shares {group}")
        shade_warmup(ax, manifest, per, float(one["t_end_days"].max()) / per, over=True)
        ax.set_title(group)
        ax.set_ylim(0, 1)
        ax.set_xlim(0, float(one["t_end_days"].max()) / per)
        ax.set_ylabel("share of rated customers" if ax in axes[:, 0] else "")
    hide_unused(axes, len(order), f"time ({unit_name})")
    figure_legend(fig, axes.flat[0])
    heading(fig, "Promoters (9-10), passives (7-8) and detractors (0-6) at each review")
    return fig


def cohort_conversion(cohorts: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """Promoter conversion of the customers acquired during the run, per cohort and
    replication: paid and referral pooled (weighted by cohort size), with the cohort's
    time as a customer at the end of the run (``tenure_days``)."""
    acquired = cohorts[(cohorts["channel"] != "initial") & (cohorts["acquired"] > 0)]
    keys = [c for c in ("scenario", "point", "replication") if c in acquired.columns]
    pooled = (acquired.assign(converted=acquired["acquired"] * acquired["promoter_conversion"])
              .groupby([*keys, "cohort"])[["converted", "acquired"]].sum().reset_index())
    pooled["promoter_conversion"] = pooled["converted"] / pooled["acquired"]
    org = results.organisation_rows(periods)
    ends = org.groupby([*keys, "period"])["t_end_days"].first().rename("joined_days")
    horizon = org.groupby(keys)["t_end_days"].max().rename("horizon_days")
    pooled = pooled.merge(ends, left_on=[*keys, "cohort"], right_index=True, how="inner")
    pooled = pooled.merge(horizon, left_on=keys, right_index=True, how="inner")
    pooled["tenure_days"] = pooled["horizon_days"] - pooled["joined_days"]
    return pooled[pooled["tenure_days"] > 0]


@styled
def promoter_conversion_by_cohort(cohorts: pd.DataFrame, periods: pd.DataFrame,
                                  manifest: dict[str, Any],
                                  tables: dict[str, pd.DataFrame] | None = None
                                  ) -> Figure | None:
    """The promoter-conversion curve: the share of each acquisition cohort who have ever
    rated 9-10 by the end of the run, against the cohort's time as a customer by then."""
    if not {"channel", "cohort", "promoter_conversion"} <= set(cohorts.columns):
        return None
    pooled = cohort_conversion(cohorts, periods)
    rows = results.with_groups(pooled, tables or {}, manifest)
    if rows is None or rows.empty:
        return None
    unit_name, per = time_unit(results.organisation_rows(periods))
    rows = rows.assign(tenure=rows["tenure_days"] / per)
    order = results.group_order(rows, manifest)
    fig, axes = new_figure(1, 1, panel=(6.4, 3.8))
    ax = axes[0, 0]
    band_plot(ax, mean_band(rows, [GROUP, "tenure"], "promoter_conversion"), "tenure", order,
              GROUP, "promoter_conversion", marker="o")
    ax.set_xlabel(f"time as a customer at the end of the run ({unit_name})")
    ax.set_ylabel("ever rated 9-10 (share of cohort)")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, None)
    drop_legend(ax)
    figure_legend(fig, ax, ncols=3)
    heading(fig, "Promoter conversion by acquisition cohort (customers acquired in the run)"
                 + _over(rows, len(order)))
    return fig

