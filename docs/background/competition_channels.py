"""Draw docs/background/figures/competition_channels.png: how competition intensity acts on
the default market, with a fixed staff and with service-level staffing.

Run from a checkout: ``python docs/background/competition_channels.py [--replications R]``.
Each point is the mean over R replications (common random numbers across competition
levels and staffing rules); bars are 95 % t intervals over replications.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from analysis.plots.style import heading, label, new_figure, styled
from sim.model.system import simulate
from sim.scenario import load_scenario
from sim.statistics.intervals import t_interval

LEVELS = (0.1, 0.3, 0.5, 0.7, 0.9)
RULES = {"fixed staff of 8": [],
         "service-level staffing": ["organization.adaptive_staffing=true",
                                    'organization.staffing_rule="service_level"']}
PANELS = ("retention_rate", "promoter_conversion", "promoter_share", "nps", "mean_wait",
          "abandon_share")
OUT = Path(__file__).parent / "figures" / "competition_channels.png"


def run(job: tuple[str, float, int]) -> dict[str, float]:
    """One replication of the default market at one competition level and staffing rule."""
    rule, competition, replication = job
    overrides = [f"market.competition={competition}", *RULES[rule]]
    summary = simulate(load_scenario("scenarios/baseline.toml", overrides), replication).summary
    return {k: float(summary[k]) for k in PANELS}


@styled
def draw(results: dict[tuple[str, float], list[dict[str, float]]]):  # type: ignore[no-untyped-def]
    """Six panels, one per KPI, competition on the x axis, one line per staffing rule."""
    fig, axes = new_figure(2, 3)
    for ax, kpi in zip(axes.flat, PANELS, strict=True):
        for rule in RULES:
            means, lows, highs = [], [], []
            for level in LEVELS:
                values = np.array([r[kpi] for r in results[(rule, level)]])
                ci = t_interval(values)
                means.append(ci.mean)
                lows.append(ci.mean - ci.low)
                highs.append(ci.high - ci.mean)
            ax.errorbar(LEVELS, means, yerr=[lows, highs], marker="o", capsize=3, label=rule)
        ax.set_xlabel("competition intensity")
        ax.set_ylabel(label(kpi, summary=True))
    axes.flat[0].legend(fontsize="small")
    heading(fig, "Competition's channels in the default market: retention and the cohort's "
                 "promoter conversion fall with either staffing rule; congestion (waits, "
                 "abandonment) appears only with a fixed staff")
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replications", type=int, default=3)
    args = parser.parse_args()
    jobs = [(rule, level, r) for rule in RULES for level in LEVELS
            for r in range(args.replications)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        out = list(pool.map(run, jobs))
    results: dict[tuple[str, float], list[dict[str, float]]] = {}
    for (rule, level, _), summary in zip(jobs, out, strict=True):
        results.setdefault((rule, level), []).append(summary)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    draw(results).savefig(OUT, dpi=110)
    print(OUT)


if __name__ == "__main__":
    main()
