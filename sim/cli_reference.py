"""The command-line and KPI references, generated so that they cannot drift.

``python -m sim.cli_reference > docs/reference/cli.md`` regenerates the first
from the ``spc`` parser, ``python -m sim.cli_reference --kpis >
docs/reference/kpis.md`` the second from the KPI registry (``sim/kpis.py``); a
test fails when a committed file differs from what the code says. Every
command and nested subcommand gets its usage line and a table of its
arguments. The text is built from the parser's actions, not from argparse's
own help formatter, so that it does not depend on the terminal's width or on
the Python version's help layout.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence

from sim import kpis as registry

HEADER = """# Command-line reference

Generated from the parser of `spc` (`sim.cli.build_parser()`) by
`python -m sim.cli_reference > docs/reference/cli.md`; do not edit by hand.
`python -m sim` is the same as `spc`. `spc COMMAND --help` prints the same
information in the terminal.

Every error in what you give (a file, a key, a value, a results directory)
ends with one message on stderr and exit code 2; a replication that fails
gives exit code 1 after the others have completed.
"""

WIDTH = 88


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _description(parser: argparse.ArgumentParser) -> str:
    """The parser's description as argparse prints it (``%(prog)s`` expanded)."""
    text = parser.description or ""
    if "%(prog)" in text:
        text = text % {"prog": parser.prog}
    return " ".join(text.split())


def walk(parser: argparse.ArgumentParser, name: str | None = None, summary: str = "",
         ) -> Iterator[tuple[str, str, str, argparse.ArgumentParser]]:
    """Every (command line, one-line help, description, parser): the parser first, then
    its subcommands depth first in the order they were added."""
    name = name or parser.prog
    description = _description(parser)
    yield name, summary or description, description or summary, parser
    sub = _subcommands(parser)
    if sub is None:
        return
    helps = {choice.dest: _help(choice, parser.prog) for choice in sub._choices_actions}
    seen: set[int] = set()
    for command, child in sub.choices.items():
        if id(child) in seen:  # an alias of a command already listed
            continue
        seen.add(id(child))
        yield from walk(child, f"{name} {command}", helps.get(command, ""))


def _metavar(action: argparse.Action) -> str:
    if isinstance(action, argparse._SubParsersAction):
        return "COMMAND" if action.metavar is None else str(action.metavar)
    if action.metavar is not None:
        return action.metavar if isinstance(action.metavar, str) else " ".join(action.metavar)
    if action.choices is not None:
        return "{" + ",".join(str(c) for c in action.choices) + "}"
    return action.dest if not action.option_strings else action.dest.upper()


def _with_values(action: argparse.Action, flag: str) -> str:
    """``flag`` followed by the values it takes, as in a usage line."""
    if action.nargs == 0:
        return flag
    metavar = _metavar(action)
    nargs = action.nargs
    if nargs is None:
        values = metavar
    elif nargs == "?":
        values = f"[{metavar}]"
    elif nargs == "*":
        values = f"[{metavar} ...]"
    elif nargs == "+":
        values = f"{metavar} [{metavar} ...]"
    elif nargs == argparse.REMAINDER:
        values = "..."
    elif nargs == argparse.PARSER:
        values = f"{metavar} ..."
    elif isinstance(nargs, int):
        values = " ".join([metavar] * nargs)
    else:
        values = metavar
    return f"{flag} {values}".strip()


def _usage_token(action: argparse.Action) -> str:
    if not action.option_strings:
        return _with_values(action, "")
    token = _with_values(action, action.option_strings[0])
    return token if action.required else f"[{token}]"


def _wrap(words: Sequence[str], indent: int) -> str:
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > WIDTH:
            lines.append(line)
            line = " " * indent + word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def usage(name: str, parser: argparse.ArgumentParser) -> str:
    """``usage: spc run [-h] [--seed SEED] ... [scenario]``, wrapped at 88 columns."""
    visible = [a for a in parser._actions if a.help != argparse.SUPPRESS]
    optionals = [_usage_token(a) for a in visible if a.option_strings]
    positionals = [_usage_token(a) for a in visible if not a.option_strings]
    return _wrap([f"usage: {name}", *optionals, *positionals], indent=len("usage: ") + 4)


def _help(action: argparse.Action, prog: str) -> str:
    """The action's help with argparse's ``%(default)s``-style fields expanded."""
    text = action.help or ""
    params = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
    params["prog"] = prog
    if params.get("choices") is not None:
        params["choices"] = ", ".join(str(c) for c in params["choices"])
    try:
        text = text % params
    except (KeyError, TypeError, ValueError):
        pass
    return " ".join(text.split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def argument_rows(parser: argparse.ArgumentParser) -> list[str]:
    """Markdown table rows, one per argument: how to write it and what it means."""
    rows = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, argparse._SubParsersAction):
            form = _metavar(action)
            meaning = "one of: " + ", ".join(f"`{c}`" for c in action.choices)
        elif action.option_strings:
            form = ", ".join(_with_values(action, flag) for flag in action.option_strings)
            meaning = _help(action, parser.prog)
        else:
            form = _with_values(action, "")
            meaning = _help(action, parser.prog)
        rows.append(f"| `{_cell(form)}` | {_cell(meaning)} |")
    return rows


def render_cli_reference(parser: argparse.ArgumentParser | None = None) -> str:
    """Markdown: for the parser and every (nested) subcommand, its usage and arguments."""
    if parser is None:
        from sim.cli import build_parser

        parser = build_parser()
    commands = list(walk(parser))
    lines = [HEADER, "| command | what it does |", "|---|---|"]
    for name, summary, _, _ in commands[1:]:
        anchor = name.replace(" ", "-")
        lines.append(f"| [`{name}`](#{anchor}) | {_cell(summary)} |")
    lines.append("")
    for name, _, description, sub in commands:
        lines.append(f"## {name}\n")
        if description:
            lines.append(f"{description}\n")
        lines.append(f"```text\n{usage(name, sub)}\n```\n")
        lines.extend(["| argument | meaning |", "|---|---|", *argument_rows(sub), ""])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the command-line reference (docs/reference/cli.md), or with ``--kpis`` the KPI
    reference (docs/reference/kpis.md)."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.cli_reference",
        description="Print docs/reference/cli.md, generated from the parser of spc.",
    )
    parser.add_argument("--kpis", action="store_true",
                        help="print docs/reference/kpis.md instead, from the KPI registry")
    args = parser.parse_args(argv)
    print(render_kpi_reference() if args.kpis else render_cli_reference(), end="")
    return 0


# -- docs/reference/kpis.md: generated from the KPI registry ---------------------------------
KPI_HEADER = """# Outputs: the run summary, the period table, cohorts, events and the panel

Generated from the KPI registry (`sim/kpis.py`) by
`python -m sim.cli_reference --kpis > docs/reference/kpis.md`; do not edit by hand.
The figures, the report, the verdicts of `spc compare` and the checks of KPI
names (sweep files, `--kpis`, the `kpis` argument of the Python API) read the
same registry.

Every output of a run, with its definition and unit. A run writes (see
`sim/output.py`):

{tables}

The writer adds `scenario` and `replication` to every table, and `seed` to
the summary; nested summary entries are flattened to `name.sub` (for example
`failures_by_source.process`).

Units: times are in **hours** unless the name says otherwise (`_days`,
`_minutes`, `_per_hour`); shares are in [0, 1]; satisfaction, expectation,
competency, quality and the five dimension scores are in [0, 1] (unit `0-1`);
money is in the scenario's money unit. A share with an empty denominator is
NaN. The mechanisms behind the numbers are in [the model](../background/model.md).

The columns of the tables below:

* **label**: the name figures and the report show;
* **range**: the values the KPI can take (NaN aside). Confidence intervals of a
  KPI's mean (`spc run -r`, the report, the figures) and of a paired difference
  (`spc compare`) are Student-t intervals truncated to this range (for a
  difference, to minus and plus its width): the true value lies in the range, so
  truncation never drops it, and no interval shows an impossible value such as a
  share above 1 or a negative wait;
* **better**: the direction read by the verdicts of `spc compare` (a difference
  of an outcome whose interval excludes 0 is *better* or *worse*); a KPI marked
  `—` has no direction, and its verdict says *higher* or *lower*, as does the
  verdict of a mix share or a diagnostic (they have a direction only for
  figures);
* **†** after a KPI's name: computed on the customers still active, the
  survivors (`promoter_share`, `passive_share`, `detractor_share`, `nps`,
  `satisfaction_index`, `share_not_satisfied`, and their period columns): when
  dissatisfied customers leave, as under fiercer competition, these can rise
  although no customer is treated better (Jones & Sasser 1995). Whole-base
  `retention_rate` and the cohort KPIs (`cohort_retention`,
  `promoter_conversion`) count the leavers too; `spc compare` and the report
  mark survivor KPIs the same way;
* **kind**: *outcome* (a result with a direction), *mix share* (a share of a
  mix, such as the sources of failures), *diagnostic* (a count or a level that
  explains the outcomes), *setting* (an input repeated for reference, neither
  summarised nor compared) or *identifier* (names a row, never a KPI).
"""

WARMUP = """## The warm-up

`run.warmup_years` (behaviour mode only) excludes the start of the run from
the summary. Most KPIs are computed from the **periods after the warm-up**:
the periods whose start is at or after the end of the warm-up (if there is
none, the last period). The others use a cohort, the whole run or the final
state, as the column *window* of the table below says:

* **after warm-up**: from the periods after the warm-up (totals, ratios of
  totals, or means weighted by period length);
* **cohort**: the customers active at the end of the warm-up, followed to the
  end of the run;
* **whole run**: all customers or all periods, warm-up included;
* **end**: the state at the end of the run.

Queue mode has no warm-up: its summary uses every period.
"""

AFTER_BEHAVIOUR = """The waiting KPIs (`utilisation`, `mean_wait`, `p_wait`, `abandon_share`,
`share_within_target`, `encounters`, `served`) are those of the queue summary
below, computed over the periods after the warm-up.

### Per unit

With more than one unit (`[[units]]`), the summary also has, for each unit
and each KPI below, the column `by_unit.<unit name>.<kpi>`: the same KPI
computed from that unit's period rows and customers (`retention_rate` and
`cohort_retention`: the unit's customers). A per-unit KPI has the label,
unit, range and direction of its KPI.
"""

QUEUE = """## Run summary, queue mode

`sim.model.kpis.queue_summary`, over every period (no warm-up).
"""

PERIODS = """## The period table

One row per review period (`run.review_days`; the last period ends at the
horizon). In behaviour mode with more than one unit there is also one row per
unit and period, labelled with the unit's name in `unit`; the organization's
row is labelled `all`. Counts are over the period; levels ("at the end") are
taken at the review, after the review's defections, acquisitions and
provider updates.
"""

COHORTS = """## The cohorts table (behaviour mode)

One row per acquisition cohort and channel, from the population at the end of
the run (whole run; no warm-up filter).
"""

EVENTS = """## The events table (encounter log)

One row per served visit (visits given up in the queue are not logged),
written only when the run records events (`spc run --events`).
"""

PANEL = """## The customers and panel tables (customer-level output)

Written only when the run is asked for them (`--panel` of `spc run`, with or
without `--replications`, of `spc compare` and of `spc sweep`; `panel=True` in
the Python API), behaviour mode; in comparisons and sweeps each row carries
its `scenario`, `point` and `replication`.
`customers` has one row per customer ever present; `panel` one row per
active customer at each review, so that the panel's rows at a review number
the organization's `active_customers` of that period. Recording them takes no
random draws: every other table is the same with or without `--panel`.
"""

OUTPUT_TABLES = (
    ("summary", "run (scenario, replication)",
     "`sim.model.kpis.behaviour_summary` or `sim.model.kpis.queue_summary`"),
    ("periods", "review period (and unit, when there are several)",
     "`sim.model.kpis.chain_row` and `sim.model.recording.Recorder.close_period`"),
    ("cohorts", "acquisition cohort and channel (behaviour mode)",
     "`sim.model.kpis.cohort_table`"),
    ("events", "served visit (only with `spc run --events`)",
     "`sim.model.encounter_stages.encounter_outcome`, columns `sim.model.system.EVENT_COLUMNS`"),
    ("customers", "customer ever present (only with `--panel`)",
     "`sim.model.panel.customers_table`"),
    ("panel", "active customer and review (only with `--panel`)",
     "`sim.model.panel.PanelRecorder`"),
)
"""The tables a run writes: name, one row per, built by."""

_BETTER = {registry.HIGHER: "higher", registry.LOWER: "lower", registry.NEITHER: "—"}


def _kpi_cells(kpi: registry.Kpi, columns: Sequence[str]) -> str:
    """One table row of ``kpi`` with the named columns."""
    cells = {
        "name": f"`{kpi.name}`" + (" †" if kpi.survivors else ""),
        "label": kpi.label,
        "definition": kpi.definition,
        "unit": kpi.unit or "—",
        "range": "—" if kpi.kind is registry.IDENTIFIER else registry.format_bounds(kpi.bounds),
        "better": _BETTER[kpi.direction],
        "kind": kpi.kind.value,
        "window": kpi.window or "—",
    }
    return "| " + " | ".join(_cell(cells[c]) for c in columns) + " |"


def _kpi_table(kpis: Sequence[registry.Kpi], columns: Sequence[str], first: str = "KPI",
               groups: dict[str, str] | None = None) -> list[str]:
    """A Markdown table of ``kpis``; a nested group's row (``groups``) before its entries."""
    header = [first if c == "name" else c for c in columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(columns)]
    seen: set[str] = set()
    for kpi in kpis:
        parent = kpi.name.partition(".")[0]
        if groups and "." in kpi.name and parent not in seen:
            seen.add(parent)
            group = {"name": f"`{parent}`", "definition": groups[parent], "unit": kpi.unit,
                     "window": kpi.window}
            lines.append("| " + " | ".join(_cell(group.get(c, "—")) for c in columns) + " |")
        lines.append(_kpi_cells(kpi, columns))
    return [*lines, ""]


def render_kpi_reference() -> str:
    """Markdown: every column of every output table, from the KPI registry (sim/kpis.py)."""
    summary = ("name", "label", "definition", "unit", "range", "better", "kind")
    tables = registry.TABLES
    header = KPI_HEADER.format(tables="\n".join(
        ["| table | one row per | built by |", "|---|---|---|"]
        + [f"| `{name}` | {row} | {source} |" for name, row, source in OUTPUT_TABLES]))
    lines = [header, "## Identifiers\n",
             "Columns that name a row; never KPIs, never compared.\n",
             "| column | definition |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(text)} |" for name, text in registry.RUN_IDENTIFIERS.items()]
    lines += ["", "The other identifiers (`period`, `unit`, the times, `cohort`, `channel`,",
              "`customer`, `provider`) are in their tables below.", "", WARMUP,
              "## Run summary, behaviour mode\n"]
    lines += _kpi_table(list(tables["summary"].values()), (*summary, "window"),
                        groups=registry.SUMMARY_GROUPS)
    lines.append(AFTER_BEHAVIOUR)
    lines += [f"* `{name}`: {tables['summary'][name].label}" for name in registry.UNIT_SUMMARY]
    lines += ["", QUEUE]
    lines += _kpi_table(list(tables["queue_summary"].values()), summary)
    lines.append(PERIODS)
    for title, part in registry.PERIOD_SECTIONS:
        lines.append(f"### {title}\n")
        lines += _kpi_table(part, ("name", "definition", "unit", "range", "better"), "column")
        if part is registry.PROVIDERS:
            lines += ["(`quits` and `hires` are in the service-desk table above.)", ""]
    lines.append(COHORTS)
    lines += _kpi_table(registry.COHORTS, ("name", "definition", "unit", "range"), "column")
    lines.append(EVENTS)
    lines += _kpi_table(registry.EVENTS, ("name", "definition", "unit", "range"), "column")
    lines.append(PANEL)
    lines += ["### customers\n"]
    lines += _kpi_table(registry.CUSTOMER_TABLE, ("name", "definition", "unit", "range"),
                        "column")
    lines += ["### panel\n"]
    lines += _kpi_table(registry.PANEL, ("name", "definition", "unit", "range"), "column")
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
