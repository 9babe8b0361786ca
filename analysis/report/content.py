"""The sections of the report: what was run, the KPIs, the verdicts, the sensitivity.

Every function reads a :class:`~analysis.report.study.Study` and returns a
:class:`~analysis.report.document.Section` of plain text; the statistics are
those of ``sim.statistics.output_analysis`` (Student-t intervals over replications,
paired-t comparisons), recomputed from the stored summary table.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.report.document import (
    Cell,
    Estimate,
    Figure,
    Folded,
    Inline,
    Link,
    Section,
    Table,
    Verbatim,
    interval,
    number,
    value_text,
)
from analysis.report.study import Study, scenario_run
from sim import kpis as kpis_registry
from sim.experiment.runner import MAIN_KPIS
from sim.statistics.output_analysis import ID_COLUMNS, summarise_replications

#: rows of a design shown in the report before the rest is left to the tables
MAX_POINTS = 60


def parameter_unit(key: str) -> str:
    """The unit of scenario parameter ``section.key`` from the schema ('' if unknown)."""
    from sim.scenario.schema import SECTIONS

    section, _, name = key.partition(".")
    model = SECTIONS.get(section)
    info = model.model_fields.get(name) if model is not None else None
    extra = info.json_schema_extra if info is not None else None
    return str(extra.get("unit", "")) if isinstance(extra, dict) else ""


def first_paragraph(text: str | None) -> str:
    """The first paragraph of a description, on one line."""
    block = (text or "").strip().split("\n\n")[0]
    return " ".join(block.split())


def override_keys(scenario: dict[str, Any]) -> list[str]:
    """The parameters set by ``--set`` (or a sweep's ``overrides``), each once, in order."""
    keys: list[str] = []
    for item in scenario.get("overrides") or []:
        key = str(item).partition("=")[0].strip()
        if key and key not in keys:
            keys.append(key)
    return keys


def file_parameters(scenario: dict[str, Any]) -> dict[str, Any]:
    """The parameters of the scenario file as it reads today, without the overrides
    ({} if it cannot be read: moved, edited into an invalid state, another machine)."""
    from sim.errors import UserError
    from sim.scenario import load_scenario

    path = scenario.get("path")
    if not path:
        return {}
    try:
        return load_scenario(path).flat()
    except (UserError, OSError, ValueError):
        return {}


def ordered_kpis(names: Sequence[str]) -> list[str]:
    """The headline KPIs first (``sim.experiment.runner.MAIN_KPIS``), then the rest in the
    KPI registry's order."""
    return kpis_registry.registry_order(names, MAIN_KPIS)


def kpi_intervals(summary: pd.DataFrame, kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """``summarise_replications`` of one scenario's (or point's) rows, headline KPIs first."""
    table = summarise_replications(summary, None if kpis is None else list(kpis))
    order = ordered_kpis(list(table["kpi"]))
    return table.set_index("kpi").loc[order].reset_index()


def source_root() -> Path:
    """The source checkout the package runs from (where docs/ lives)."""
    return Path(__file__).resolve().parents[2]


def doc_link(name: str, folder: Path) -> Inline:
    """A link to the documentation page ``name`` (e.g. ``model.md``) of this checkout,
    found wherever docs/ keeps it, relative to ``folder`` (where the report is written)
    so that the report names no absolute path; plain text if there is no docs/ or no
    relative path to it (another drive)."""
    docs = source_root() / "docs"
    found = sorted(docs.rglob(name)) if docs.is_dir() else []
    shown = found[0].relative_to(source_root()).as_posix() if found else f"docs/{name}"
    if not found:
        return shown
    try:
        href = os.path.relpath(found[0].resolve(), Path(folder).resolve())
    except ValueError:  # no relative path between two drives
        return shown
    return Link(shown, Path(href).as_posix())


def slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)


# -- what was run -----------------------------------------------------------------------------
def scenarios_table(study: Study) -> Table:
    seeds = study.root_seeds()
    done = study.replications()
    rows = []
    for s in study.scenarios:
        name = s["name"]
        rows.append((name, first_paragraph(s.get("description")) or "(no description)",
                     str(s.get("path") or "(built in Python)"), str(s.get("hash", ""))[:12],
                     value_text(seeds.get(name)), number(done.get(name, 0))))
    return Table(("scenario", "description", "file", "hash", "root seed", "replications"),
                 tuple(rows), "The scenarios run (hash: SHA-256 of the resolved parameters).",
                 ident="scenarios")


def overrides_table(study: Study, scenario: dict[str, Any], ident: str, caption: str) -> Table:
    """The overridden parameters of ``scenario``: the file's value and the value run."""
    ran = study.flat(scenario)
    in_file = file_parameters(scenario)
    rows = tuple((key, parameter_unit(key), value_text(in_file[key]) if key in in_file else "n/a",
                  value_text(ran.get(key))) for key in override_keys(scenario))
    return Table(("parameter", "unit", "scenario file", "as run"), rows, caption, ident=ident)


def differences(study: Study) -> dict[str, dict[str, Any]]:
    """``{other: {key: [base value, other value]}}``: the manifest's record of a
    comparison, or computed from the resolved parameters."""
    recorded = study.manifest.get("differences")
    if isinstance(recorded, dict) and set(recorded) == {s["name"] for s in study.scenarios[1:]}:
        return recorded
    base = study.flat(study.base)
    out = {}
    for other in study.scenarios[1:]:
        theirs = study.flat(other)
        out[other["name"]] = {k: [base.get(k), v] for k, v in theirs.items() if base.get(k) != v}
    return out


def differences_table(study: Study) -> Table:
    rows = []
    for name, diff in differences(study).items():
        for key, pair in diff.items():
            a, b = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            rows.append((name, key, parameter_unit(key), value_text(a), value_text(b)))
    base = study.base["name"]
    return Table(("scenario", "parameter", "unit", f"{base} (base)", "this scenario"), tuple(rows),
                 f"The inputs in which each scenario differs from the base, {base}.",
                 ident="differences")


def factors_table(study: Study) -> Table:
    rows = []
    for f in study.sweep.get("factors") or []:
        path = str(f.get("path"))
        levels = f.get("levels")
        rows.append((path, parameter_unit(path), str(f.get("kind", "")),
                     value_text(levels) if levels else "n/a",
                     value_text(f.get("low")), value_text(f.get("high"))))
    return Table(("parameter", "unit", "kind", "levels", "low", "high"), tuple(rows),
                 "The factors of the sweep: the parameters varied from the base scenario.",
                 ident="factors")


def design_table(study: Study) -> Table:
    points = study.plan.get("points") or []
    names = sorted({k for p in points for k in p})
    rows = tuple((str(i), *(value_text(p.get(k)) for k in names))
                 for i, p in enumerate(points[:MAX_POINTS]))
    more = f" (the first {MAX_POINTS} of {len(points)})" if len(points) > MAX_POINTS else ""
    return Table(("point", *names), rows, f"The design points{more}.", ident="design")


def settings_table(study: Study) -> Table:
    """Seeds, replications, warm-up, run length and where it ran."""
    m = study.manifest
    run = scenario_run(study.base)
    seeds = sorted({value_text(v) for v in study.root_seeds().values()})
    rows: list[tuple[str, str]] = [
        ("experiment", study.kind),
        ("root seed", ", ".join(seeds)),
        ("replications", replications_text(study)),
        ("warm-up", warmup_text(study)),
        ("run length", f"{value_text(run.get('years'))} years per replication (review period "
                       f"{number(run.get('review_days'))} days)"),
        ("mode", str(run.get("mode", "behaviour"))),
    ]
    if "executor" in m:
        workers = m.get("workers")
        rows.append(("executor", f"{m['executor']} ({value_text(workers)} "
                                 f"worker{'' if workers == 1 else 's'})"))
    if "wall_seconds" in m:
        rows.append(("wall time", f"{number(m['wall_seconds'])} s"))
    rows += [("results", str(study.directory)), ("results written", study.created())]
    return Table(("setting", "value"), tuple(rows), "How it was run.", ident="settings",
                 numeric=False)


def replications_text(study: Study) -> str:
    done = sorted(set(study.replications().values()))
    text = " / ".join(str(n) for n in done) + (" per design point" if study.kind == "sweep"
                                                else " per scenario")
    if study.plan.get("replications") == "auto":
        planner = study.manifest.get("replication_planner") or {}
        text += (f", chosen by the sequential procedure of Hoad, Robinson & Davies (2010): "
                 f"95 % intervals of {', '.join(study.plan.get('kpis') or [])} within "
                 f"{number(study.plan.get('precision'))} of their means, at most "
                 f"{value_text(study.plan.get('budget'))}")
        reached = planner.get("precision") if isinstance(planner, dict) else None
        if isinstance(reached, dict):
            text += "; relative half-widths reached: " + ", ".join(
                f"{k} {number(v)}" for k, v in reached.items())
            text += "; target met" if planner.get("met") else "; target NOT met within the budget"
    else:
        text += f" (fixed; requested {value_text(study.requested_replications())})"
    return text


def warmup_text(study: Study) -> str:
    years = scenario_run(study.base).get("warmup_years")
    if scenario_run(study.base).get("mode") == "queue":
        return "none (queue mode summarises every period)"
    days = float(years) * 365.0 if isinstance(years, int | float) else float("nan")
    text = f"{number(days)} days ({value_text(years)} years)"
    if "warmup_chosen_days" in study.manifest:
        return text + ", chosen by MSER-5 (White 1997) on a pilot without warm-up"
    if study.plan.get("warmup") is not None:
        return text + ", set with --warmup"
    if "run.warmup_years" in override_keys(study.base):
        how = "by the sweep's overrides" if study.kind == "sweep" else "with --set"
        return text + f", set {how} (run.warmup_years)"
    return text + ", the scenario's run.warmup_years (chosen by the author)"


def what_was_run(study: Study) -> Section:
    sec = Section("What was run", "what-was-run")
    base = study.base
    command = study.manifest.get("command")
    if isinstance(command, list):
        sec.text("Command: ", " ".join(str(c) for c in command))
    sec.blocks.append(scenarios_table(study))
    if study.kind == "compare":
        sec.text("Every scenario ran on the same replication seeds (common random numbers), so "
                 "each difference in this report is paired replication by replication.")
        sec.blocks.append(differences_table(study))
    if study.kind == "sweep":
        spec = study.sweep
        sec.text(f"Sweep {spec.get('name', '')} ({spec.get('path', '')}): "
                 f"{spec.get('design', '')} design, {len(study.plan.get('points') or [])} "
                 f"design points on the base scenario {base['name']}; every point ran on the "
                 "same replication seeds. ", first_paragraph(spec.get("description")))
        sec.blocks.append(factors_table(study))
        sec.blocks.append(Folded("The design points", (design_table(study),)))
    if override_keys(base):
        how = "by the sweep's overrides" if study.kind == "sweep" else "with --set"
        whose = "every scenario" if study.kind == "compare" else base["name"]
        sec.blocks.append(overrides_table(
            study, base, "overrides",
            f"Parameters set {how} for {whose}: the value in the scenario file (as the file "
            "reads now) and the value run."))
    else:
        sec.text("No parameter was overridden: the scenario files ran as written.")
    sec.blocks.append(settings_table(study))
    sec.blocks.append(Verbatim("manifest.json", json.dumps(study.manifest, indent=2,
                                                           sort_keys=True)))
    return sec


# -- results ----------------------------------------------------------------------------------
def kpi_section(study: Study, folder: Path) -> Section:
    """The KPIs with their intervals; ``folder`` is where the report is written (for the
    link to the KPI reference)."""
    sec = Section("Key performance indicators", "kpis")
    sec.text("Mean over replications with its 95 % Student-t interval (Law 2015, section "
             "9.4.1; sim.statistics.output_analysis.summarise_replications); n is the number of "
             "replications with a value. Definitions and units: ", doc_link("kpis.md", folder),
             ".")
    if study.kind == "sweep":
        sec.blocks.extend(sweep_kpi_tables(study))
        return sec
    if study.kind == "run":
        sec.text("One replication: no interval can be given. Run with --replications to get "
                 "one.", style="note")
    sec.blocks.append(kpi_table(study))
    return sec


def kpi_table(study: Study) -> Table:
    """KPI | mean and 95 % interval of each scenario | n | unit: one row per KPI (units from
    the KPI registry, sim/kpis.py).  One scenario gets a mean and an interval column;
    several get one column each, the interval under the mean, so that the table fits a
    screen's width."""
    summary = study.summary
    names = [s["name"] for s in study.scenarios if (summary["scenario"] == s["name"]).any()]
    per = {name: kpi_intervals(summary[summary["scenario"] == name]).set_index("kpi")
           for name in names}
    kpis = ordered_kpis([k for k in per[names[0]].index
                         if all(k in t.index for t in per.values())])
    money_label = currency(study)
    rows = []
    for kpi in kpis:
        cells: list[Cell] = [kpi]
        for name in names:
            r = per[name].loc[kpi]
            mean, iv = number(r["mean"]), interval(r["ci_low"], r["ci_high"])
            cells += [mean, iv] if len(names) == 1 else [Estimate(mean, iv)]
        counts = dict.fromkeys(str(int(per[n].loc[kpi, "n"])) for n in names)
        rows.append((*cells, ", ".join(counts),
                     kpis_registry.money_unit(kpis_registry.unit(kpi, "summary"), money_label)))
    columns = ["mean", "95 % interval"] if len(names) == 1 else names
    done = study.replications()
    how = "" if len(names) == 1 else " Each cell: the mean, and under it the 95 % interval."
    return Table(("KPI", *columns, "n", "unit"), tuple(rows),
                 "KPIs over " + ", ".join(f"{done.get(n, 0)} replication(s) of {n}" for n in names)
                 + "." + how, ident="kpis")


def plus_minus(mean: float, low: float, high: float) -> Estimate:
    """``mean ± half-width`` of a symmetric interval, the half-width under the mean (the
    mean alone without one)."""
    half = number((high - low) / 2.0)
    return Estimate(number(mean), "" if half == "n/a" else f"± {half}")


#: the most columns (design point, factors and KPIs) of one table of a sweep's KPIs: more
#: would not fit a page 1,280 pixels wide, so the KPIs go on in another table
SWEEP_COLUMNS = 10


def sweep_kpi_tables(study: Study) -> list[Table]:
    """The sweep's KPIs per design point (mean ± half-width), in as few tables as keep
    each within :data:`SWEEP_COLUMNS` columns (the KPIs shared evenly), each with the
    point and factors."""
    summary = study.summary
    kpis = ordered_kpis([k for k in study.sweep.get("kpis") or [] if k in summary.columns])
    points = study.plan.get("points") or []
    factors = sorted({k for p in points for k in p})
    cells: list[tuple[Cell, ...]] = []
    for point, group in summary.groupby("point", sort=True):
        ivs = kpi_intervals(group, kpis).set_index("kpi")
        i = int(point)
        where = points[i] if i < len(points) else {}
        cells.append((str(i), *(value_text(where.get(f)) for f in factors),
                      *(plus_minus(ivs.loc[k, "mean"], ivs.loc[k, "ci_low"],
                                   ivs.loc[k, "ci_high"]) for k in kpis)))
        if len(cells) >= MAX_POINTS:
            break
    more = f" (the first {MAX_POINTS} points; all are in the summary table)" \
        if summary["point"].nunique() > MAX_POINTS else ""
    room = max(2, SWEEP_COLUMNS - 1 - len(factors))
    per_table = -(-len(kpis) // -(-len(kpis) // room)) if kpis else room  # balanced
    tables = []
    for start in range(0, max(len(kpis), 1), per_table):
        shown = range(1 + len(factors) + start, 1 + len(factors) + start + per_table)
        tables.append(Table(
            ("point", *factors, *kpis[start:start + per_table]),
            tuple((*row[:1 + len(factors)], *(row[i] for i in shown if i < len(row)))
                  for row in cells),
            f"The sweep's KPIs per design point: mean ± half-width of the 95 % interval{more}"
            + (f"; KPIs {start + 1} to {min(start + per_table, len(kpis))} of {len(kpis)}."
               if len(kpis) > per_table else "."),
            ident="kpis-sweep" if start == 0 else f"kpis-sweep-{start // per_table + 1}"))
    return tables


def currency(study: Study) -> str:
    """The base scenario's currency label (``money.currency``; none in older results)."""
    money = study.base.get("parameters", {}).get("money") or {}
    return str(money.get("currency") or "")


def decision_section(study: Study, headline: Figure | None = None) -> Section | None:
    """The decision summary of a comparison, first in the report: the ranking on the
    objective under the constraints, as the ``headline`` figure (if any), a table and
    plain words, in that order, so that the first screen answers which scenario wins,
    by how much and how sure."""
    from sim.statistics.decision import decision_lines, format_amount

    table = study.tables.get("decision")
    if table is None or table.empty:
        return None
    meta = study.manifest.get("decision") or {}
    objective = str(table["objective"].iloc[0])
    constraints = meta.get("constraints") or []
    base = str(study.base["name"])
    label = currency(study)
    sec = Section("Decision", "decision")
    name = kpis_registry.label(objective, "summary").lower()
    name = name if name == objective.replace("_", " ") else f"{name} ({objective})"
    unit = kpis_registry.money_unit(kpis_registry.unit(objective, "summary"), label)
    sec.text(f"The scenarios ranked on {name}, in {unit}"
             + (f", under the constraints {', '.join(constraints)}" if constraints else "")
             + "; best first.")
    if headline is not None:
        sec.blocks.append(headline)
    rows = []
    for r in table.itertuples():
        is_base = r.scenario == base
        rows.append((str(r.rank), str(r.scenario),
                     format_amount(objective, r.mean, False, label),
                     "(base)" if is_base else format_amount(objective, r.diff, True, label),
                     "" if is_base else f"{r.diff_pct:+.0f} %",
                     "" if is_base else f"{format_amount(objective, r.ci_low, True, label)} to "
                                        f"{format_amount(objective, r.ci_high, True, label)}",
                     f"{r.p_best:.2f}",
                     ("met" if r.meets_constraints else f"fails {r.violated}")
                     if constraints else "none set"))
    sec.blocks.append(Table(
        ("rank", "scenario", objective, "vs base", "%", "95 % interval", "P(best)",
         "constraints"), tuple(rows),
        "Differences from the base, paired over replications on common random numbers, with "
        "95 % paired-t intervals (Law 2015); P(best): the probability of being best.",
        ident="decision"))
    for line in decision_lines(table, study.tables["summary"], base, currency=label):
        sec.text(line)
    sec.text(f"P(best): {meta.get('method', 'paired bootstrap over replications')} (Efron & "
             "Tibshirani 1993).", style="note")
    return sec


def comparison_section(study: Study) -> Section | None:
    comp = study.tables.get("comparisons")
    if comp is None or comp.empty:
        return None
    comp = comp[~comp["kpi"].isin(ID_COLUMNS)]  # older runs paired the 'point' column too
    sec = Section("Comparisons with the base", "comparisons")
    label = currency(study)
    sec.text("Paired differences (scenario minus base) over replications that shared their "
             "random numbers, with 95 % paired-t intervals (Law 2015, section 10.2.1). The "
             "verdict is better or worse when the interval excludes 0, read through whether "
             "higher is better for the KPI (its direction in the KPI reference), for outcome "
             "KPIs only; mix shares, diagnostics and KPIs without a direction get higher or "
             "lower; otherwise no clear difference. The counts are over outcome KPIs. "
             "CRN: the paired half-width relative to independent "
             "seeds (below 1: common random numbers narrowed the interval).")
    for name, rows in comp.groupby("scenario", sort=False):
        order = ordered_kpis(list(rows["kpi"]))
        rows = rows.set_index("kpi").loc[order].reset_index()
        outcomes = rows[[kpis_registry.is_outcome(k) for k in rows["kpi"]]]
        counts = outcomes["verdict"].value_counts()
        sec.text(f"{name} against {study.base['name']}, over its {len(outcomes)} outcome "
                 "KPIs: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + ".")
        sec.blocks.append(Table(
            ("KPI", "base", str(name), "difference", "95 % interval", "CRN", "verdict", "unit"),
            tuple((r.kpi + (" †" if kpis_registry.survivors(r.kpi) else ""),
                   number(r.base_mean), number(r.other_mean), number(r.diff),
                   interval(r.ci_low, r.ci_high), number(r.crn_ratio), str(r.verdict),
                   kpis_registry.money_unit(kpis_registry.unit(r.kpi, "summary"), label))
                  for r in rows.itertuples()),
            f"{name} minus {study.base['name']}, {number(int(rows['n'].max()))} pairs. "
            f"†: {kpis_registry.SURVIVOR_NOTE}.",
            ident=f"comparison-{slug(str(name))}", marked_column=6))
    return sec


def sensitivity_section(study: Study) -> Section | None:
    sens = study.tables.get("sensitivity")
    if sens is None or sens.empty:
        return None
    sec = Section("Sensitivity", "sensitivity")
    sec.text("Sensitivity indices of the sweep's KPIs to its factors, from the per-point means "
             "of the replications (sim.statistics.sensitivity), with SALib's 95 % half-width "
             "over design points (± conf: S1, ST, mu_star) and 95 % bootstrap intervals over "
             "replications; noise_share is the part of the variance of the point means that "
             "is replication noise.")
    from sim.statistics.sensitivity import mark_invalid, precision_message, violations

    for line in [v.message() + "." for v in violations(sens)] + [precision_message(sens)]:
        if line:
            sec.text(line, style="note")
    sec.blocks.append(Table(
        ("KPI", "factor", "index", "value", "± conf", "95 % interval", "noise share",
         "points", "replications", "invalid"),
        tuple((str(r["kpi"]), str(r["factor"]), str(r["index"]), number(r["value"]),
               number(r.get("conf")), interval(r.get("low"), r.get("high")),
               number(r.get("noise_share")), number(r.get("n_points")),
               number(r.get("replications")), str(r.get("invalid") or ""))
              for r in mark_invalid(sens).to_dict("records")),
        "Sensitivity indices (main_effect: share of the variance of the point means; S1/ST: "
        "Sobol' first-order and total; mu_star/sigma: Morris; SRC2: squared standardized "
        "regression coefficient). invalid: the constraint (0 ≤ S1 ≤ ST ≤ 1, S1 summing "
        "to at most 1) a Sobol' index breaks beyond its interval.", ident="sensitivity"))
    return sec


def optimize_section(study: Study) -> Section | None:
    """The policy ``spc optimize`` chose, with its statement, first in an optimization's
    report: the candidates it certified and the KPIs of the chosen one."""
    record = study.manifest.get("optimize")
    candidates = study.tables.get("candidates")
    if not isinstance(record, dict) or candidates is None or candidates.empty:
        return None
    sec = Section("Chosen policy", "chosen")
    objective = str(record.get("objective", ""))
    chosen = ", ".join(f"{k} = {value_text(v)}"
                       for k, v in (record.get("chosen_params") or {}).items())
    sec.text(f"Chosen: {chosen}. {record.get('statement', '')}.")
    sec.text(f"Method: {record.get('method', '')}; search: {record.get('sampler', '')}. "
             "The chosen policy is the scenario file chosen.toml beside these results.",
             style="note")
    levers = list(record.get("chosen_params") or {})
    unit = kpis_registry.money_unit(kpis_registry.unit(objective, "summary"), currency(study))
    rows = []
    for r in candidates.sort_values("mean", ascending=not record.get("maximize", True)
                                    ).to_dict("records"):
        if not r.get("certified"):
            continue
        outcome = ("chosen" if r.get("chosen") else
                   f"eliminated after {int(r['eliminated_at'])} replications"
                   if pd.notna(r.get("eliminated_at")) else "")
        rows.append((str(r["candidate"]), *(value_text(r[k]) for k in levers),
                     str(int(r["n"])), number(r["mean"]), outcome))
    sec.blocks.append(Table(
        ("candidate", *levers, "replications", f"{objective} ({unit})", "outcome"),
        tuple(rows), f"The candidates certified, best mean first; {objective} is the mean "
        "over all their replications, on common random numbers.", ident="candidates"))
    pareto = pareto_table(record, levers)
    if pareto is not None:
        sec.blocks.append(pareto)
    point = int(record.get("chosen", -1))
    summary = study.summary
    rows_chosen = summary[summary["point"] == point] if "point" in summary else summary[:0]
    if not rows_chosen.empty:
        label = currency(study)
        table = kpi_intervals(rows_chosen)
        sec.blocks.append(Table(
            ("KPI", "mean", "95 % interval", "n", "unit"),
            tuple((str(r.kpi), number(r.mean), interval(r.ci_low, r.ci_high), str(int(r.n)),
                   kpis_registry.money_unit(kpis_registry.unit(str(r.kpi), "summary"), label))
                  for r in table.itertuples()),
            f"The KPIs of the chosen policy over its {len(rows_chosen)} replications, with 95 % "
            "Student-t intervals.", ident="chosen-kpis"))
    return sec


def pareto_table(record: dict[str, Any], levers: list[str]) -> Table | None:
    """With several objectives, the Pareto set of ``spc optimize``: each feasible candidate
    that no other feasible one dominates, with its lever values and search means, best on
    the first objective first; None with one objective."""
    objectives = [str(k) for k in record.get("objectives") or []]
    front = record.get("pareto") or []
    if len(objectives) < 2 or not front:
        return None
    first = objectives[0]
    chosen = record.get("chosen")
    rows = tuple(
        (str(p["candidate"]), *(value_text(p["params"].get(k)) for k in levers),
         *(number(p["search_means"].get(k, math.nan)) for k in objectives),
         "chosen" if p["candidate"] == chosen else "")
        for p in sorted(front, key=lambda p: p["search_means"][first],
                        reverse=bool(record.get("maximize", True))))
    return Table(
        ("candidate", *levers, *objectives, ""), rows,
        f"The Pareto set on {', '.join(objectives)}: the {len(front)} feasible candidates that "
        "no other feasible one dominates (at least as good on every objective, better on "
        f"one), on the search means over the same {record.get('n0', '?')} replications "
        "(common random numbers). It describes the trade-off; the search and the "
        f"certification used {first} alone.", ident="pareto")


def calibrate_section(study: Study) -> Section | None:
    """What ``spc calibrate`` learnt, first in a calibration's report: each parameter's
    prior and posterior 90 % intervals and how much the data narrowed them, the parameters
    the data cannot identify, and the misspecification check."""
    record = study.manifest.get("calibrate")
    intervals = study.tables.get("intervals")
    if not isinstance(record, dict) or intervals is None or intervals.empty:
        return None
    sec = Section("Calibration", "calibration")
    kpis = ", ".join(str(k) for k in record.get("kpis") or [])
    sec.text(f"Calibrated {len(intervals)} parameter(s) to {record.get('points', '?')} "
             f"observed points ({kpis}) by approximate Bayesian computation (ABC-SMC, pyabc): "
             f"{record.get('generations', '?')} generations of {record.get('population', '?')} "
             f"particles, {record.get('simulations', '?')} simulations. The scenario file at "
             "the posterior median is calibrated.toml beside these results.")
    unidentified = list(record.get("unidentified") or [])
    if unidentified:
        share = float(record.get("identified_narrowing", 0.2))
        sec.text(f"The data cannot identify {', '.join(unidentified)}: their 90 % interval "
                 f"narrowed by less than {share:.0%}; read their posterior as the prior.",
                 style="warning")
    if record.get("misfit"):
        sec.text(str(record["misfit"]), style="warning")
    sec.text(f"Observed points outside the posterior-predictive 90 % band: "
             f"{float(record.get('outside_90_share', float('nan'))):.0%}; outside the 99 % "
             f"band: {float(record.get('outside_99_share', float('nan'))):.0%}; predictive "
             f"p-value of the distance {number(record.get('predictive_p_value'))}.",
             style="note")
    sec.blocks.append(Table(
        ("parameter", "prior", "prior 90 %", "posterior 90 %", "median", "narrowed",
         "identified"),
        tuple((str(r["parameter"]), str(r["prior"]),
               interval(r["prior_low"], r["prior_high"]),
               interval(r["posterior_low"], r["posterior_high"]),
               number(r["posterior_median"]), f"{float(r['narrowing']):.0%}",
               "yes" if r["identified"] else "no")
              for r in intervals.to_dict("records")),
        "Prior and posterior 90 % intervals of each fitted parameter; narrowed: 1 - the "
        "ratio of their widths.", ident="calibration-intervals"))
    return sec
