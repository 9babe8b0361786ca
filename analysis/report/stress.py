"""The STRESS-DES reporting checklist, answered with what the package knows.

Monks, Currie, Onggo, Robinson, Kunc & Taylor (2019), "Strengthening the
reporting of empirical simulation studies: Introducing the STRESS guidelines",
Journal of Simulation 13(1), 55-67: 20 items in six sections (objectives,
logic, data, experimentation, implementation, code access).  The package
answers the items its manifest, scenario files and documentation settle; the
rest (why the study was made, where its data came from, a diagram) it marks
for the author.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.report.content import (
    doc_link,
    first_paragraph,
    parameter_unit,
    replications_text,
    warmup_text,
)
from analysis.report.document import (
    AUTHOR,
    Folded,
    Inline,
    Section,
    Table,
    number,
    value_text,
)
from analysis.report.study import Study, scenario_run

REFERENCE = ("Monks T, Currie CSM, Onggo BS, Robinson S, Kunc M, Taylor SJE (2019). "
             "Strengthening the reporting of empirical simulation studies: introducing the "
             "STRESS guidelines. Journal of Simulation 13(1), 55-67.")

REPORTED = "reported"
PARTLY = f"in part; rest {AUTHOR}"
OPEN = AUTHOR

#: the variables that set the model's state at time zero (item 4.1)
INITIAL_STATE = ("customers.initial", "customers.satisfaction_initial",
                 "customers.expectation_initial", "providers.count",
                 "providers.job_satisfaction_initial")


def _item(number: str, topic: str, status: str, *parts: Inline) -> tuple[Any, ...]:
    return (number, topic, tuple(parts), status)


def _versions(m: dict[str, Any]) -> str:
    names = ("python", "simpy", "numpy", "pandas", "pyarrow")
    found = [f"{n} {m[n]}" for n in names if m.get(n)]
    return f"spc {m.get('package_version', '?')}; " + ", ".join(found)


def _git(m: dict[str, Any]) -> str:
    git = m.get("git") if isinstance(m.get("git"), dict) else {}
    commit = (git or {}).get("commit")
    if not commit:
        return "no git commit recorded (not run from a git checkout)"
    dirty = " with uncommitted changes" if (git or {}).get("dirty") else ""
    return f"git commit {commit}{dirty}"


def _licence() -> str:
    from importlib import metadata

    try:
        return str(metadata.metadata("spc")["License"] or "not stated")
    except (metadata.PackageNotFoundError, KeyError):
        return "not stated"


def _descriptions(scenarios: Sequence[dict[str, Any]]) -> str:
    return " ".join(f"{s['name']}: {first_paragraph(s.get('description')) or '(no description)'}"
                    for s in scenarios)


def _streams(study: Study) -> str:
    names = study.manifest.get("streams")
    derivation = study.seed_derivation() or (
        "numpy SeedSequence(entropy=root seed, spawn_key=(replication, hash of the stream "
        "name)) per named stream")
    text = (f"Every random draw comes from a named stream, one numpy Generator per mechanism, "
            f"seeded by {derivation}; adding a stream leaves the others unchanged. Root seed(s): "
            + ", ".join(f"{k} {value_text(v)}" for k, v in study.root_seeds().items()) + ".")
    if isinstance(names, list) and names:
        text += f" Streams used: {', '.join(map(str, names))}."
    if study.kind == "compare":
        text += (" Common random numbers: every scenario ran on the same root seed, so "
                 "replication i of each saw the same draws mechanism by mechanism.")
    elif study.kind == "sweep":
        text += (" Common random numbers: every design point ran on the same replication "
                 "seeds.")
    return text


def _workers(n: Any) -> str:
    return "1 worker" if n == 1 else f"{value_text(n)} workers"


def _components(mode: Any, flat: dict[str, Any], model: Inline) -> tuple[Inline, ...]:
    """Item 2.5: entities, activities, resources, queues, entry and exit."""
    servers = f"providers.count = {value_text(flat.get('providers.count'))}"
    if mode == "queue":
        return ("Queue mode, an M/M/c queue with all behaviour off. Entities: arrivals "
                "(Poisson, from an infinite population). Activities: service (exponential). "
                f"Resources: identical servers ({servers}). Queues: one first-come, "
                "first-served queue, with exponential patience if queue.patience_mean is set. "
                "Entry and exit: arrival; departure after service or on giving up. Details: ",
                model, ".")
    return ("Entities: customers (regular and premium) and providers. Activities: visits "
            "and service encounters, complaints and recovery, the organization's periodic "
            "review, hiring and quitting. Resources: the providers of the service desk "
            f"({servers}). Queues: first-come, first-served at the desk, with patience and "
            "abandonment. Entry and exit: customers join by paid acquisition or referral and "
            "leave by defection (dissatisfaction, rival offers, following a provider, other "
            "reasons); providers are hired and quit. Details: ", model, ".")


def checklist(study: Study, folder: Path) -> Table:
    """The STRESS-DES items; links to the documentation relative to ``folder``."""
    m = study.manifest
    base = study.base
    run = scenario_run(base)
    model, kpis = doc_link("model.md", folder), doc_link("kpis.md", folder)
    flat = study.flat(base)
    initial = "; ".join(f"{k} = {value_text(flat[k])}" for k in INITIAL_STATE if k in flat)
    if run.get("mode") == "queue":
        initial = "an empty system (no customer waiting or in service)"
    aims = study.sweep.get("description") if study.kind == "sweep" else None
    if study.kind == "compare":
        aims_text = "Scenarios compared with the base. " + _descriptions(study.scenarios)
    elif aims:
        aims_text = f"Sweep {study.sweep.get('name', '')}: {first_paragraph(aims)}"
    else:
        aims_text = _descriptions(study.scenarios)
    estimation = (f"Replications: {replications_text(study)}. Each KPI: the mean over "
                  "replications with a 95 % Student-t interval.")
    if study.kind == "compare":
        estimation += " Scenarios: paired-t intervals of the differences with the base."
    if study.kind == "sweep":
        estimation += (f" Sensitivity: {study.sweep.get('design', '')} design, indices from "
                       "per-point means with bootstrap intervals over replications.")
    executor = m.get("executor", "sequential (in the calling process)")
    rows = [
        _item("1.1", "Purpose of the model", PARTLY,
              "spc simulates how an organization's policies flow through its providers into "
              "service encounters, customer satisfaction, loyalty, recommendation and "
              "defection, and on to growth and profit (", model, f"). The problem studied and "
              f"the decision informed: {AUTHOR}."),
        _item("1.2", "Model outputs", REPORTED,
              "The run summary's KPIs (under Key performance indicators), each defined with "
              "its unit and window (after warm-up, cohort, whole run, end) in ", kpis,
              "; per-period series in the periods table; acquisition cohorts in the cohorts "
              "table."),
        _item("1.3", "Experimentation aims", PARTLY, aims_text,
              f" Hypotheses and the reasons for these scenarios: {AUTHOR}."),
        _item("2.1", "Base model overview diagram", OPEN,
              f"A diagram of the chain: {AUTHOR} (", model, " describes it in text)."),
        _item("2.2", "Base model logic", REPORTED,
              "The model, mechanism by mechanism, each with its source: ", model, "."),
        _item("2.3", "Scenario logic", REPORTED,
              "Scenarios are the same model with other parameter values; the inputs that "
              "differ are tabled under What was run."),
        _item("2.4", "Algorithms", REPORTED,
              "The sampling and update rules of each mechanism: ", model, ". Statistics: "
              "Student-t and paired-t intervals (Law 2015), MSER-5 warm-up (White 1997), "
              "sequential replications (Hoad, Robinson & Davies 2010)."),
        _item("2.5", "Components", REPORTED, *_components(run.get("mode"), flat, model)),
        _item("3.1", "Data sources", PARTLY,
              "The baseline scenario is calibrated to published figures (", model,
              f", calibration). Sources of any values changed for this study: {AUTHOR}."),
        _item("3.2", "Pre-processing", OPEN, f"Preparation of input data: {AUTHOR}."),
        _item("3.3", "Input parameters", REPORTED,
              "Every resolved parameter of the base scenario, with its unit, is listed below; "
              "other scenarios differ only as tabled under What was run. Ranges and meanings: ",
              doc_link("parameters.md", folder), "."),
        _item("3.4", "Assumptions", PARTLY,
              "The assumptions of each mechanism are stated with it in ", model,
              f". Assumptions of this study: {AUTHOR}."),
        _item("4.1", "Initialisation", REPORTED,
              f"Warm-up: {warmup_text(study)}; statistics exclude it. Initial state: "
              f"{initial}."),
        _item("4.2", "Run length", REPORTED,
              f"{value_text(run.get('years'))} years per replication, reviewed every "
              f"{number(run.get('review_days'))} days; terminating at the horizon."),
        _item("4.3", "Estimation approach", REPORTED, estimation),
        _item("5.1", "Software or programming language", REPORTED,
              f"Python, discrete-event simulation on SimPy: {_versions(m)}."),
        _item("5.2", "Random sampling", REPORTED, _streams(study)),
        _item("5.3", "Model execution", REPORTED,
              "Event-driven, process interaction: the organization, providers and customers "
              "are SimPy processes; simultaneous events in the order of ", model,
              f" (conventions). Replications ran on: {executor}"
              + (f" with {_workers(m['workers'])}" if m.get("workers") else "")
              + "; results are identical whatever runs them."),
        _item("5.4", "System specification", REPORTED,
              f"{m.get('os', 'unknown OS')}, {m.get('cpu', 'unknown CPU')}, "
              f"{value_text(m.get('cpu_count'))} cores"
              + (f"; wall time {float(m['wall_seconds']):.1f} s" if "wall_seconds" in m else "")
              + "."),
        _item("6.1", "Computer model sharing statement", PARTLY,
              f"spc {m.get('package_version', '?')}, {_git(m)}; licence {_licence()}. Where "
              f"the code and these results are published (repository, DOI): {AUTHOR}."),
    ]
    return Table(("item", "topic", "what the package records", "status"), tuple(rows),
                 "STRESS-DES items (Monks et al. 2019).", ident="stress-des-items",
                 marked_column=3, numeric=False)


def parameters_table(study: Study) -> Table:
    flat = study.flat(study.base)
    rows = tuple((key, parameter_unit(key), value_text(value)) for key, value in flat.items())
    return Table(("parameter", "unit", "value"), rows,
                 f"Resolved parameters of {study.base['name']}.", ident="parameters")


def stress_section(study: Study, folder: Path) -> Section:
    """The STRESS-DES checklist and the base's parameters; ``folder``: where the report
    is written."""
    sec = Section("Reporting checklist (STRESS-DES)", "stress-des")
    sec.text("The items of the STRESS-DES guidelines for reporting discrete-event simulation "
             f"studies that the package can answer; the others are marked {AUTHOR}. ",
             REFERENCE)
    sec.blocks.append(checklist(study, folder))
    sec.blocks.append(Folded(f"Item 3.3: every parameter of {study.base['name']}",
                             (parameters_table(study),)))
    return sec
