"""``spc export``: the tables of a results directory as one Excel workbook (openpyxl).

A strategist's spreadsheet, not a dump: each sheet is one table with a bold, frozen header
and a filter, every KPI row names its unit (money with the scenario's currency label, from
the KPI registry), KPIs come in the registry's order (headline first), and numbers keep
Excel's precision (openpyxl writes 16 significant digits) under a readable number format.
The sheets, as far as the results have them:

``decision``     the ranking of a comparison (``spc compare``), first;
``comparisons``  paired differences from the base with their 95 % intervals and verdicts;
``kpis``         each scenario's KPI means with 95 % intervals (not for sweeps,
                 optimizations and calibrations, whose design points share a name);
``sensitivity``  a sweep's sensitivity indices with their confidence intervals;
``candidates``, ``trials``  the policies ``spc optimize`` examined and its proposals;
``intervals``, ``posterior``, ``predictive``  ``spc calibrate``'s prior and posterior
                 intervals, posterior sample and posterior-predictive bands;
``replications`` the ``summary`` table: one row per scenario, design point and replication;
``units``        every KPI of the workbook with its unit and definition;
``about``        what was run: kind, scenarios, seeds, replications, version, directory.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim import kpis as registry
from sim.errors import ResultsError, UserError
from sim.results.files import atomic_write_bytes
from sim.results.layout import EXPORT_FORMATS
from sim.results.lock import lock_if_inside

if TYPE_CHECKING:  # the report package imports matplotlib and scipy.stats: only when used,
    # so that importing this module for a workbook stays light
    from analysis.report.study import Study

#: the file formats (defined in the results layout, which ``spc``'s parser reads)
FORMATS = EXPORT_FORMATS
#: the workbook's name in the results directory (``sim.results.layout.SPC_FILES``)
DEFAULT_NAME = "results.xlsx"

MONEY_FORMAT = "#,##0"
SHARE_FORMAT = "0.0000"
NUMBER_FORMAT = "#,##0.####"
#: widest column, in characters
MAX_WIDTH = 60


def kpi_unit(kpi: str, label: str) -> str:
    """The unit of a summary KPI, money with the currency ``label``."""
    return registry.money_unit(registry.unit(kpi, "summary"), label)


def number_format(kpi: str) -> str:
    """The Excel number format of a KPI's values: money in whole units with thousands
    separators, shares with four decimals, anything else with up to four."""
    unit = registry.unit(kpi, "summary")
    if unit.startswith("money"):
        return MONEY_FORMAT
    if unit.startswith("share"):
        return SHARE_FORMAT
    return NUMBER_FORMAT


def ordered(names: Sequence[str]) -> list[str]:
    """KPI names in the registry's order, headline KPIs first."""
    from sim.experiment.runner import MAIN_KPIS

    return registry.registry_order(names, MAIN_KPIS)


def _by_kpi(table: pd.DataFrame, first: str = "scenario") -> pd.DataFrame:
    """``table`` with its rows grouped by ``first`` (in order of appearance) and its KPIs in
    the registry's order within each group."""
    rank = {k: i for i, k in enumerate(ordered(list(dict.fromkeys(table["kpi"]))))}
    groups = {g: i for i, g in enumerate(dict.fromkeys(table[first]))}
    key = table[first].map(groups) * len(rank) + table["kpi"].map(rank)
    return table.assign(_key=key).sort_values("_key", kind="stable").drop(columns="_key")


def decision_sheet(study: Study, label: str) -> pd.DataFrame | None:
    table = study.tables.get("decision")
    if table is None or table.empty:
        return None
    out = table.copy()
    out["unit"] = [kpi_unit(str(k), label) for k in out["objective"]]
    return out


def comparisons_sheet(study: Study, label: str) -> pd.DataFrame | None:
    table = study.tables.get("comparisons")
    if table is None or table.empty:
        return None
    columns = [c for c in ("scenario", "kpi", "base_mean", "other_mean", "diff", "ci_low",
                           "ci_high", "verdict", "crn_ratio") if c in table.columns]
    out = _by_kpi(table[columns].copy())
    out["unit"] = [kpi_unit(k, label) for k in out["kpi"]]
    out["survivors_only"] = [registry.survivors(k) for k in out["kpi"]]
    return out


def kpis_sheet(study: Study, label: str) -> pd.DataFrame | None:
    """Each scenario's KPI means with 95 % Student-t intervals (bounded KPIs truncated to
    their range, as everywhere in spc)."""
    from sim.statistics.output_analysis import summarise_replications

    summary = study.summary
    if study.kind in ("sweep", "optimize", "calibrate") or summary.empty:
        return None
    frames = []
    for record in study.scenarios:
        rows = summary[summary["scenario"] == record["name"]]
        if not rows.empty:
            frames.append(summarise_replications(rows).assign(scenario=record["name"]))
    if not frames:
        return None
    out = _by_kpi(pd.concat(frames, ignore_index=True))
    out["unit"] = [kpi_unit(k, label) for k in out["kpi"]]
    out["survivors_only"] = [registry.survivors(k) for k in out["kpi"]]
    return out[["scenario", "kpi", "mean", "ci_low", "ci_high", "n", "unit", "survivors_only"]]


def units_sheet(kpis: Sequence[str], label: str) -> pd.DataFrame:
    rows = []
    for name in ordered(kpis):
        kpi = registry.lookup(name, "summary")
        rows.append({"kpi": name, "unit": kpi_unit(name, label),
                     "definition": kpi.definition if kpi is not None else ""})
    return pd.DataFrame(rows, columns=["kpi", "unit", "definition"])


def about_sheet(study: Study, label: str) -> pd.DataFrame:
    manifest = study.manifest
    rows: list[tuple[str, Any]] = [
        ("kind", study.kind),
        ("scenarios", ", ".join(s["name"] for s in study.scenarios)),
        ("base", study.base["name"]),
        ("replications", ", ".join(f"{k}: {v}" for k, v in study.replications().items())),
        ("root seeds", ", ".join(f"{k}: {v}" for k, v in
                                 (manifest.get("seeds", {}).get("root_seeds") or {}).items())),
        ("currency", label or "(none)"),
        ("spc version", manifest.get("spc_version", "")),
        ("created", manifest.get("created", "")),
        ("results directory", str(study.directory.resolve())),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def sheets(study: Study) -> dict[str, pd.DataFrame]:
    """The workbook's sheets, in order, as DataFrames."""
    from analysis.report.content import currency

    label = currency(study)
    found: dict[str, pd.DataFrame | None] = {
        "decision": decision_sheet(study, label),
        "comparisons": comparisons_sheet(study, label),
        "kpis": kpis_sheet(study, label),
        "sensitivity": study.tables.get("sensitivity"),
        "candidates": study.tables.get("candidates"),
        "trials": study.tables.get("trials"),
        "intervals": study.tables.get("intervals"),
        "posterior": study.tables.get("posterior"),
        "predictive": study.tables.get("predictive"),
        "replications": study.summary,
    }
    out = {name: frame for name, frame in found.items() if frame is not None and not frame.empty}
    kpis = registry.registry_order(
        [k for k in study.summary.columns if registry.lookup(k, "summary") is not None])
    out["units"] = units_sheet(kpis, label)
    out["about"] = about_sheet(study, label)
    return out


def _cell(value: Any) -> Any:
    """A value Excel can hold: NaN and infinities as empty cells, numpy scalars as Python."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def workbook_bytes(study: Study) -> bytes:
    """The workbook of ``study``, as the bytes of an .xlsx file."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    numeric_kpi = set(registry.summary_kpis())
    for name, frame in sheets(study).items():
        sheet = book.create_sheet(name)
        columns = [str(c) for c in frame.columns]
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        kpi_at = next((columns.index(c) for c in ("kpi", "objective") if c in columns), None)
        for record in frame.itertuples(index=False):
            values = [_cell(v) for v in record]
            sheet.append(values)
            kpi = str(values[kpi_at]) if kpi_at is not None else ""
            for column, cell in zip(columns, sheet[sheet.max_row], strict=True):
                if not isinstance(cell.value, float | int) or isinstance(cell.value, bool):
                    continue
                if name == "replications" and column in numeric_kpi:
                    cell.number_format = number_format(column)
                elif kpi and column in ("mean", "base_mean", "other_mean", "diff", "ci_low",
                                        "ci_high"):
                    cell.number_format = number_format(kpi)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, column in enumerate(columns, start=1):
            longest = max([len(column), *(len(str(v)) for v in frame.iloc[:200, index - 1])])
            sheet.column_dimensions[get_column_letter(index)].width = min(longest + 2, MAX_WIDTH)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_workbook(directory: str | Path, out: str | Path | None = None, fmt: str = "xlsx",
                   force: bool = False) -> Path:
    """Write the workbook of results directory ``directory``; returns the file written.

    ``out`` defaults to ``directory/results.xlsx``; an existing file is replaced only with
    ``force``.  Raises :class:`sim.errors.UserError` with one message (a missing or
    unreadable results directory, an occupied destination, an unwritable file)."""
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt}: allowed: {', '.join(FORMATS)}")
    from analysis.report.study import load_study

    study = load_study(directory)
    path = Path(out) if out is not None else study.directory / DEFAULT_NAME
    if path.suffix.lower() != ".xlsx":
        raise UserError(f"--out {path}: an Excel workbook's name ends in .xlsx")
    if path.is_dir():
        raise ResultsError(f"{path}: is a directory; give --out a file name")
    if path.exists() and not force:
        raise ResultsError(f"{path}: already exists; use --force to replace it or --out to "
                           "write it elsewhere")
    data = workbook_bytes(study)
    with lock_if_inside(study.directory, path):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(f"{path.parent}: cannot create the folder "
                               f"({exc.strerror or exc})") from None
        atomic_write_bytes(path, data)
    return path


__all__ = ["DEFAULT_NAME", "FORMATS", "sheets", "workbook_bytes", "write_workbook"]
