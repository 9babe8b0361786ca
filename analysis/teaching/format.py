"""How the teaching pages show numbers: KPI labels with units, values, Markdown tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sim import kpis


@dataclass(frozen=True)
class Display:
    """How one KPI is shown: its label, its unit, and the factor from stored to shown."""

    label: str
    unit: str
    scale: float = 1.0
    digits: int = 1


PERCENT = 100.0
#: stored unit -> shown unit of every KPI the pages use (the pages show shares in per cent;
#: every key is a KPI of the registry, sim/kpis.py, tests/test_kpis.py)
DISPLAY: dict[str, Display] = {
    "retention_rate": Display("retention", "% per year", PERCENT),
    "promoter_share": Display("promoter share", "%", PERCENT),
    "promoter_conversion": Display("promoter conversion", "%", PERCENT),
    "satisfaction_index": Display("satisfaction index", "0-100"),
    "nps": Display("NPS", "points"),
    "failure_rate": Display("failure rate", "% of encounters", PERCENT),
    "complaint_share": Display("complaints per failure", "%", PERCENT, 2),
    "recovery_rate": Display("complaints recovered", "%", PERCENT),
    "repurchase_by_outcome.did_not_complain": Display("did not complain", "% repurchase",
                                                      PERCENT),
    "repurchase_by_outcome.complained_unresolved": Display("complained, unresolved",
                                                           "% repurchase", PERCENT),
    "repurchase_by_outcome.resolved": Display("resolved after escalation", "% repurchase",
                                              PERCENT),
    "repurchase_by_outcome.resolved_quickly": Display("resolved on the spot", "% repurchase",
                                                      PERCENT),
    "profit": Display("profit", "thousand money per year", 0.001),
    "revenue": Display("revenue", "thousand money per year", 0.001),
    "mean_wait": Display("mean wait", "minutes", 60.0, 2),
    "p_wait": Display("probability of waiting", "%", PERCENT),
    "utilisation": Display("utilisation", "% of provider time", PERCENT),
    "provider_turnover": Display("provider turnover", "per year", 1.0, 2),
    "provider_job_satisfaction": Display("provider job satisfaction", "0-1", 1.0, 3),
    "mean_competency": Display("mean competency", "0-1", 1.0, 3),
    "mean_quality": Display("encounter quality", "0-1", 1.0, 3),
    "defections_by_reason.followed_provider": Display("defections following a provider",
                                                      "customers", 1.0, 1),
    "standard_minutes": Display("time standard", "minutes per customer", 1.0, 1),
    "quality_factor": Display("quality factor", "0-1", 1.0, 3),
}


def display(kpi: str) -> Display:
    """How ``kpi`` is shown (by-unit KPIs as their KPI; other KPIs with the label and unit of
    the KPI registry, sim/kpis.py, in the stored unit)."""
    if kpi in DISPLAY:
        return DISPLAY[kpi]
    short = kpi.rsplit(".", 1)[-1]
    if kpi.startswith("by_unit.") and short in DISPLAY:
        return DISPLAY[short]
    name = kpis.label(kpi)
    return Display(name[:1].lower() + name[1:], kpis.unit(kpi), 1.0, 3)


def label(kpi: str) -> str:
    """``label (unit)``, as in table rows and axis titles."""
    d = display(kpi)
    return f"{d.label} ({d.unit})" if d.unit else d.label


def value(kpi: str, x: float, signed: bool = False) -> str:
    """``x`` (in the stored unit) in the shown unit, rounded as the pages show it."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    d = display(kpi)
    shown = x * d.scale
    text = f"{shown:+,.{d.digits}f}" if signed else f"{shown:,.{d.digits}f}"
    return text.replace("-", "\u2212")  # a real minus sign


def interval(kpi: str, low: float, high: float, signed: bool = False) -> str:
    """A 95 % interval in the shown unit: ``[low, high]`` (``signed`` for differences)."""
    return f"[{value(kpi, low, signed)}, {value(kpi, high, signed)}]"


def difference_unit(kpi: str) -> str:
    """The unit of a difference of ``kpi``: percentage points for shares."""
    return display(kpi).unit.replace("%", "percentage points", 1)


def shown(kpi: str, x: float) -> float:
    """``x`` in the shown unit (for figures)."""
    return x * display(kpi).scale


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]],
                   align: str | None = None) -> str:
    """A GitHub-flavoured Markdown table; ``align`` like ``"lrr"`` (default: first column left,
    the others right)."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join(marks[a] for a in align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
