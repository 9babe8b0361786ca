"""What each teaching experiment reports: its headline numbers, tables and figure.

One function per kind of analysis named in an experiment's manifest
(``analysis = "..."``).  Each reads the stored results, computes the headline
numbers (the numbers pinned by ``tests/test_teaching.py`` and shown on the
experiment's page), formats them as Markdown tables, and names the figure.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.plots.loyalty import panel_retention
from analysis.teaching import figures
from analysis.teaching.format import interval, label, markdown_table, value
from analysis.teaching.results import Results, interval_of, paired, verdict_word
from sim.experiment.teaching import TeachingSpec
from sim.statistics.intervals import within
from sim.statistics.queueing import mmc_mean_wait, mmc_wait_probability

LADDER = ("did_not_complain", "complained_unresolved", "resolved", "resolved_quickly")
"""The repurchase ladder's outcomes, from the lowest repurchase expected to the highest
(TARP 1986)."""


@dataclass
class Finding:
    """What an experiment reports."""

    headline: dict[str, float]
    tables: list[tuple[str, str]]  # (caption, Markdown table)
    figure: Callable[[Path], None]
    caption: str
    notes: list[str] = field(default_factory=list)


def _mean_cell(kpi: str, values: pd.Series) -> str:
    iv = interval_of(values, kpi)
    return f"{value(kpi, iv.mean)} {interval(kpi, iv.low, iv.high)}"


def comparison_numbers(spec: TeachingSpec, res: Results, kpis: tuple[str, ...]
                       ) -> tuple[dict[str, float], str]:
    """Means per scenario and paired differences against the base: the headline numbers and
    the comparison table."""
    summary = res.summary
    names = res.scenario_names()
    base, others = names[0], names[1:]
    headline: dict[str, float] = {}
    header = ["KPI", f"{base} (base)"]
    for other in others:
        header += [other, f"{other} \u2212 base [95 % CI]"]
    rows = []
    for kpi in kpis:
        row = [label(kpi)]
        for name in names:
            iv = interval_of(summary.loc[summary["scenario"] == name, kpi], kpi)
            headline[f"{name}.{kpi}.mean"] = iv.mean
            if name == base:
                row.append(value(kpi, iv.mean))
                continue
            d = paired(summary, base, name, kpi)
            headline[f"{name}.{kpi}.diff"] = d.mean
            headline[f"{name}.{kpi}.ci_low"] = d.low
            headline[f"{name}.{kpi}.ci_high"] = d.high
            row += [value(kpi, iv.mean),
                    f"{value(kpi, d.mean, True)} {interval(kpi, d.low, d.high, True)} "
                    f"{verdict_word(kpi, d.low, d.high)}"]
        rows.append(row)
    return headline, markdown_table(header, rows)


def _paired_frame(res: Results, kpis: tuple[str, ...]) -> pd.DataFrame:
    names = res.scenario_names()
    rows = []
    for other in names[1:]:
        for kpi in kpis:
            d = paired(res.summary, names[0], other, kpi)
            base_mean = interval_of(
                res.summary.loc[res.summary["scenario"] == names[0], kpi]).mean
            rows.append({"scenario": other, "kpi": kpi, "diff": d.mean, "low": d.low,
                         "high": d.high, "base_mean": base_mean,
                         "verdict": verdict_word(kpi, d.low, d.high)})
    return pd.DataFrame(rows)


def compare(spec: TeachingSpec, res: Results) -> Finding:
    """Scenarios against the base on common random numbers, KPI by KPI."""
    headline, table = comparison_numbers(spec, res, spec.kpis)
    names = res.scenario_names()
    return Finding(
        headline,
        [(f"Means over {spec.replications} replications, and paired differences from "
          f"{names[0]} with 95 % intervals and verdicts.", table)],
        partial(figures.forest, _paired_frame(res, spec.kpis), names[0]),
        f"Paired differences from {names[0]} (other \u2212 base, in each KPI's unit) with "
        f"95 % intervals over {spec.replications} replications on common random numbers. "
        "An interval that misses the dashed zero line is a clear difference.",
    )


def chain(spec: TeachingSpec, res: Results) -> Finding:
    """A comparison read along the service-profit chain: relative changes link by link."""
    finding = compare(spec, res)
    frame = _paired_frame(res, spec.kpis)
    finding.figure = partial(figures.chain, frame)
    finding.caption = (
        f"The links of the chain in order, from the providers to the money: each the paired "
        f"difference from {res.scenario_names()[0]} in the KPI's own unit, with its 95 % "
        f"interval over {spec.replications} replications on common random numbers."
    )
    return finding


def erlang_c(spec: TeachingSpec, res: Results) -> Finding:
    """The queue-mode runs against the exact M/M/c results (Erlang C)."""
    summary = res.summary
    params = res.parameters()
    servers = int(params["providers"]["count"])
    mu = float(params["queue"]["service_rate"])
    headline: dict[str, float] = {}
    rows, points = [], []
    for lam, sub in summary.groupby("queue.arrival_rate", sort=True):
        rho = float(lam) / (servers * mu)
        tag = f"rho_{rho:.2f}"
        for kpi, exact in (("mean_wait", mmc_mean_wait(servers, float(lam), mu)),
                           ("p_wait", mmc_wait_probability(servers, float(lam), mu))):
            iv = interval_of(sub[kpi], kpi)
            inside = iv.contains(exact)
            headline.update({f"{tag}.{kpi}.mean": iv.mean, f"{tag}.{kpi}.ci_low": iv.low,
                             f"{tag}.{kpi}.ci_high": iv.high, f"{tag}.{kpi}.exact": exact})
            rows.append([f"{rho:.2f}", label(kpi), value(kpi, exact), value(kpi, iv.mean),
                         interval(kpi, iv.low, iv.high), "yes" if inside else "**no**"])
            points.append({"rho": rho, "kpi": kpi, "mean": iv.mean, "low": iv.low,
                           "high": iv.high, "exact": exact})
    table = markdown_table(
        ["utilisation", "statistic", "Erlang C", "simulated mean", "95 % CI",
         "Erlang C inside?"], rows, "lrrrrc")
    n = int(summary["replication"].nunique())
    return Finding(
        headline,
        [(f"M/M/{servers}, service rate {mu:g} an hour per provider: the mean over {n} "
          "replications of each statistic, its 95 % t interval, and the exact value.", table)],
        partial(figures.erlang_c, pd.DataFrame(points), servers, mu),
        f"Erlang C (lines) and the simulated M/M/{servers} queue (points: mean of {n} "
        "replications with 95 % intervals) at three loads.",
    )


def ladder(spec: TeachingSpec, res: Results) -> Finding:
    """The repurchase ladder by complaint outcome, and what empowerment does to complaints."""
    summary = res.summary
    names = res.scenario_names()
    rungs = [f"repurchase_by_outcome.{o}" for o in LADDER]
    headline, compare_table = comparison_numbers(
        spec, res, tuple(k for k in spec.kpis if k not in rungs))
    rows, pooled_rows = [], []
    for kpi in rungs:
        row = [label(kpi).split(" (")[0]]
        for name in names:
            m = float(summary.loc[summary["scenario"] == name, kpi].mean())
            headline[f"{name}.{kpi}.mean"] = m
            row.append(value(kpi, m))
        pooled = interval_of(summary[kpi], kpi)
        headline[f"pooled.{kpi}.mean"] = pooled.mean
        headline[f"pooled.{kpi}.ci_low"] = pooled.low
        headline[f"pooled.{kpi}.ci_high"] = pooled.high
        row.append(f"{value(kpi, pooled.mean)} {interval(kpi, pooled.low, pooled.high)}")
        rows.append(row)
        pooled_rows.append({"outcome": kpi, "mean": pooled.mean, "low": pooled.low,
                            "high": pooled.high})
    ladder_table = markdown_table(["after a failure that the customer...", *names,
                                   f"all {len(summary)} runs [95 % CI]"], rows)
    order = [headline[f"pooled.{k}.mean"] for k in rungs]
    steps = sum(b > a for a, b in itertools.pairwise(order))
    notes = [f"Pooled over all {len(summary)} runs, {steps} of the ladder's 3 steps go up "
             "in the order TARP found (did not complain < complained, unresolved < resolved "
             "after escalation < resolved on the spot)."]
    outcomes = complaint_outcomes(res)
    for r in outcomes.itertuples():
        headline[f"{r.scenario}.complaints.{r.outcome}"] = float(r.share)
    wide = outcomes.pivot(index="scenario", columns="outcome", values="share").loc[names]
    totals = outcomes.groupby("scenario")["complaints"].first().loc[names]
    outcome_table = markdown_table(
        ["scenario", "complaints (all replications)", "resolved on the spot (%)",
         "resolved after escalation (%)", "unresolved (%)"],
        [[name, f"{int(totals[name])}", f"{100 * wide.loc[name, 'recovered_quickly']:.1f}",
          f"{100 * wide.loc[name, 'recovered_escalated']:.1f}",
          f"{100 * wide.loc[name, 'unresolved']:.1f}"] for name in names])
    return Finding(
        headline,
        [("The repurchase ladder, measured the TARP way: of the customers whose minor "
          "problem left them dissatisfied, the share still a customer 12 months later "
          "(`customers.repurchase_horizon_months`), by what became of the problem; problems "
          "whose 12 months end after the run are left out. Per scenario the mean over "
          "replications; pooled over all runs with a 95 % interval (each scenario alone has "
          "only a few dozen complaints per run, so a rung may rest on a handful of "
          "customers).", ladder_table),
         ("What became of the complaints after the warm-up, all replications together.",
          outcome_table),
         (f"Means over {spec.replications} replications, and paired differences from "
          f"{names[0]} with 95 % intervals and verdicts.", compare_table)],
        partial(figures.ladder, pd.DataFrame(pooled_rows), outcomes, names),
        f"Left: the repurchase ladder, pooled over all {len(summary)} runs (mean with 95 % "
        "interval). Right: what became of the complaints under each level of empowerment.",
        notes,
    )


def complaint_outcomes(res: Results) -> pd.DataFrame:
    """Per scenario, the shares of complaints resolved on the spot, after escalation and not
    at all (periods after the warm-up, all replications)."""
    periods = res.periods
    periods = periods[periods["unit"] == "all"] if "unit" in periods else periods
    rows = []
    for name in res.scenario_names():
        warmup = float(res.parameters(name)["run"]["warmup_years"]) * 365.0
        sub = periods[(periods["scenario"] == name) & (periods["t_start_days"] >= warmup)]
        counts = {k: float(sub[k].sum()) for k in
                  ("recovered_quickly", "recovered_escalated", "unresolved")}
        total = sum(counts.values())
        rows += [{"scenario": name, "outcome": k, "share": v / total if total else np.nan,
                  "complaints": total} for k, v in counts.items()]
    return pd.DataFrame(rows)


def customers_by_decile(res: Results) -> pd.DataFrame:
    """One-year retention of the simulated customers by satisfaction decile, per market
    (competition intensity, its design points pooled): the panel's customers at every review
    at least a year before the end, grouped into deciles of their satisfaction within their
    market, and whether they were still a customer a year later (Wilson intervals).  Empty
    without the panel."""
    if "panel" not in res.tables or "customers" not in res.tables:
        return pd.DataFrame()
    market = res.tables["design"].set_index("point")["market.competition"]

    def by_market(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(scenario=frame["point"].map(market).map(lambda c: f"{c:g}"))

    bands = panel_retention({"panel": by_market(res.tables["panel"]),
                             "customers": by_market(res.tables["customers"])})
    if bands.empty:
        return bands
    bands = bands.rename(columns={"scenario": "competition"})
    bands["decile"] = bands.groupby("competition").cumcount() + 1
    return bands


def competition(spec: TeachingSpec, res: Results) -> Finding:
    """Satisfaction against retention in markets of different competition: each market's
    points (reliability moves satisfaction) and, with the panel, its customers by decile."""
    summary = res.summary
    headline: dict[str, float] = {}
    rows, slopes = [], []
    for (comp, rel), sub in summary.groupby(["market.competition", "organization.reliability"]):
        tag = f"competition_{comp:g}.reliability_{rel:g}"
        cells = [f"{comp:g}", f"{rel:g}"]
        for kpi in spec.kpis:
            m = float(sub[kpi].mean())
            headline[f"{tag}.{kpi}"] = m
            cells.append(value(kpi, m))
        rows.append(cells)
    points = summary.groupby(["market.competition", "organization.reliability"],
                             as_index=False)[list(spec.kpis)].mean()
    for comp, sub in points.groupby("market.competition"):
        # retention points per satisfaction-index point, least squares over reliability levels
        slope = float(np.polyfit(sub["satisfaction_index"], sub["retention_rate"] * 100.0,
                                 1)[0])
        level = float(sub["retention_rate"].mean())
        headline[f"competition_{comp:g}.slope"] = slope
        headline[f"competition_{comp:g}.retention_mean"] = level
        slopes.append([f"{comp:g}", value("retention_rate", level), f"{slope:+.2f}"])
    table = markdown_table(["competition", "reliability", *(label(k) for k in spec.kpis)],
                           rows)
    slope_table = markdown_table(
        ["competition", "mean retention (% per year)",
         "slope (retention points per satisfaction-index point)"], slopes)
    n = int(summary["replication"].nunique())
    tables = [(f"Each design point (mean of {n} replication{'s' if n > 1 else ''}, common "
               "random numbers across points).", table),
              ("Each market's points: the height of its satisfaction-loyalty curve (mean "
               "retention over the three reliability levels) and its slope (least squares "
               "over them).", slope_table)]
    deciles = customers_by_decile(res)
    if not deciles.empty:
        markets = list(dict.fromkeys(deciles["competition"]))
        for comp in markets:
            one = deciles[deciles["competition"] == comp].set_index("decile")["retention"]
            middle = float((one[5] + one[6]) / 2)
            headline[f"competition_{comp}.customers.top_decile"] = float(one[10])
            headline[f"competition_{comp}.customers.middle_deciles"] = middle
            headline[f"competition_{comp}.customers.bottom_decile"] = float(one[1])
        decile_rows = []
        for d in range(1, 11):
            row = [f"{d}"]
            for comp in markets:
                b = deciles[(deciles["competition"] == comp) & (deciles["decile"] == d)].iloc[0]
                row.append(f"{100 * b['satisfaction']:.1f}")
                row.append(f"{100 * b['retention']:.1f} [{100 * b['low']:.1f}, "
                           f"{100 * b['high']:.1f}]")
            decile_rows.append(row)
        gap = {c: headline[f"competition_{c}.customers.top_decile"]
               - headline[f"competition_{c}.customers.middle_deciles"] for c in markets}
        gaps = ["top minus middle (5th-6th)", *itertools.chain.from_iterable(
            ("", f"{100 * gap[c]:+.1f} pp") for c in markets)]
        header = ["satisfaction decile", *itertools.chain.from_iterable(
            (f"competition {c}: mean satisfaction (0-100)",
             f"competition {c}: still a customer a year later (%) [95 % CI]")
            for c in markets)]
        tables.append((
            "The simulated customers themselves (the review panel): at every review at least "
            "a year before the end of the run, each customer's satisfaction decile within "
            "their market (its three reliability levels pooled) and whether they were still a "
            "customer a year later; Wilson 95 % intervals.",
            markdown_table(header, [*decile_rows, gaps])))
    return Finding(
        headline, tables,
        partial(figures.competition, points, deciles),
        "Left: each market's points, process reliability rising with marker size (a "
        "population average: survivors included). Right: the simulated customers by "
        "satisfaction decile, still a customer a year later (95 % Wilson intervals).",
    )


def surge(spec: TeachingSpec, res: Results) -> Finding:
    """A comparison plus the time path of standards, quality and satisfaction by phase."""
    headline, table = comparison_numbers(spec, res, spec.kpis)
    names = res.scenario_names()
    surge_params = res.parameters(names[1])["surge"]
    start = float(surge_params["start_years"]) * 365.0
    end = start + float(surge_params["months"]) * 365.0 / 12.0
    warmup = float(res.parameters(names[1])["run"]["warmup_years"]) * 365.0
    periods = res.periods
    periods = periods[periods["unit"] == "all"] if "unit" in periods else periods
    mid = (periods["t_start_days"] + periods["t_end_days"]) / 2.0
    phase = np.select([mid < warmup, mid < start, mid < end], ["warm-up", "before", "during"],
                      "after")
    periods = periods.assign(phase=phase, day=periods["t_end_days"])
    kpis = ("utilisation", "standard_minutes", "quality_factor", "satisfaction_index")
    rows = []
    for name in names:
        for ph in ("before", "during", "after"):
            sub = periods[(periods["scenario"] == name) & (periods["phase"] == ph)]
            per_rep = sub.groupby("replication")[list(kpis)].mean()
            cells = [name, ph]
            for kpi in kpis:
                iv = interval_of(per_rep[kpi])
                headline[f"{name}.{ph}.{kpi}"] = iv.mean
                cells.append(value(kpi, iv.mean))
            rows.append(cells)
    phase_table = markdown_table(["scenario", "phase", *(label(k) for k in kpis)], rows)
    return Finding(
        headline,
        [(f"Means over {spec.replications} replications of the KPIs after the warm-up, and "
          f"paired differences from {names[0]}.", table),
         (f"By phase: before the surge (day {warmup:.0f} to {start:.0f}), during it (to day "
          f"{end:.0f}) and after it (to the end): period means, averaged over replications.",
          phase_table)],
        partial(figures.surge, periods, kpis, (start, end), warmup),
        "Monthly values (mean of the replications) with and without the surge; the shaded "
        "band is the surge, the dotted line the end of the warm-up.",
    )


def _quality(events: pd.DataFrame, params: dict[str, object]) -> pd.Series:
    weights = params["encounter"]
    assert isinstance(weights, dict)
    dims = ("reliability", "responsiveness", "competency", "empathy", "valued")
    return sum(events[d] * float(weights[f"weight_{d}"]) for d in dims)


def variance_shares(events: pd.DataFrame) -> dict[str, float]:
    """Encounter quality's variance split into among units, among providers within units and
    within providers (one-way nested sums of squares of ``quality``)."""
    q = events["quality"]
    total = float(((q - q.mean()) ** 2).sum())
    unit_mean = events.groupby("unit")["quality"].transform("mean")
    prov_mean = events.groupby(["unit", "provider"])["quality"].transform("mean")
    among_units = float(((unit_mean - q.mean()) ** 2).sum())
    among_providers = float(((prov_mean - unit_mean) ** 2).sum())
    within = float(((q - prov_mean) ** 2).sum())
    return {"among_units": among_units / total, "among_providers": among_providers / total,
            "within_providers": within / total}


def units(spec: TeachingSpec, res: Results) -> Finding:
    """By-unit KPIs, and where encounter quality varies: among units, providers, moments."""
    summary = res.summary
    params = res.parameters()
    names = [u["name"] for u in params["units"]]
    headline: dict[str, float] = {}
    rows = []
    first, last = names[0], names[-1]
    for kpi in spec.kpis:
        row = [label(kpi)]
        for unit in names:
            col = f"by_unit.{unit}.{kpi}"
            iv = interval_of(summary[col], col)
            headline[f"{unit}.{kpi}.mean"] = iv.mean
            row.append(f"{value(kpi, iv.mean)} {interval(kpi, iv.low, iv.high)}")
        d = interval_of(summary[f"by_unit.{first}.{kpi}"] - summary[f"by_unit.{last}.{kpi}"])
        headline[f"{first}-{last}.{kpi}.diff"] = d.mean
        row.append(f"{value(kpi, d.mean, True)} {interval(kpi, d.low, d.high, True)}")
        rows.append(row)
    unit_table = markdown_table(["KPI", *names, f"{first} \u2212 {last} [95 % CI]"], rows)

    events = res.tables["events"]
    warmup_days = float(params["run"]["warmup_years"]) * 365.0
    events = events[events["time_days"] >= warmup_days]
    events = events.assign(quality=_quality(events, params),
                           unit=events["unit"].map(dict(enumerate(names))))
    shares = pd.DataFrame([variance_shares(sub).values() for _, sub in
                           events.groupby("replication")],
                          columns=["among_units", "among_providers", "within_providers"])
    share_rows = []
    words = {"among_units": "among units", "among_providers": "among providers within a unit",
             "within_providers": "within a provider, encounter to encounter"}
    for col, word in words.items():
        iv = within(interval_of(shares[col]), (0.0, 1.0))
        headline[f"variance_share.{col}"] = iv.mean
        text = f"{iv.mean * 100:.1f} % [{iv.low * 100:.1f}, {iv.high * 100:.1f}]"
        share_rows.append([word, text.replace("-", "\u2212")])
    for unit in names:
        iv = interval_of(events[events["unit"] == unit].groupby("replication")["quality"].mean())
        headline[f"{unit}.encounter_quality.mean"] = iv.mean
    share_table = markdown_table(["source of variation in encounter quality",
                                  "share of variance [95 % CI]"], share_rows)
    n = int(summary["replication"].nunique())
    providers = (events.groupby(["replication", "unit", "provider"])["quality"]
                 .agg(["mean", "count"]).reset_index())
    return Finding(
        headline,
        [(f"By-unit KPIs (mean over {n} replications with 95 % interval), and the paired "
          f"difference {first} \u2212 {last} (same replications).", unit_table),
         ("Where encounter quality (the weighted score of the five dimensions, per served "
          "visit after the warm-up) varies: sums of squares split by unit and provider, "
          f"per replication, mean over {n} replications.", share_table)],
        partial(figures.units, summary, names, providers),
        "Left: satisfaction index by unit (mean over replications with 95 % intervals). "
        "Right: mean encounter quality of each provider who served at least 100 visits "
        "after the warm-up (one dot per provider and replication), by unit.",
    )


ANALYSES: dict[str, Callable[[TeachingSpec, Results], Finding]] = {
    "compare": compare,
    "chain": chain,
    "erlang_c": erlang_c,
    "ladder": ladder,
    "competition": competition,
    "surge": surge,
    "units": units,
}


def analyse(spec: TeachingSpec, res: Results) -> Finding:
    """The finding of ``spec``'s analysis on its stored results."""
    try:
        fn = ANALYSES[spec.analysis]
    except KeyError:
        raise ValueError(f"{spec.name}: unknown analysis {spec.analysis!r}; allowed: "
                         f"{', '.join(ANALYSES)}") from None
    return fn(spec, res)


__all__ = ["ANALYSES", "Finding", "analyse", "comparison_numbers", "variance_shares"]
