"""The report as a document: sections of paragraphs, tables, figures and verbatim text.

The content (``analysis.report.content``, ``analysis.report.stress``) builds a
:class:`Report` of plain strings; the renderers (``analysis.report.render``)
turn it into HTML or Markdown and do all the escaping, so no content function
ever writes markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

#: what the report says where only the author knows the answer (STRESS-DES items)
AUTHOR = "to be completed by the author"


@dataclass(frozen=True)
class Link:
    """A hyperlink inside a paragraph or a table cell."""

    text: str
    href: str


Inline = str | Link


@dataclass(frozen=True)
class Estimate:
    """A mean and its interval in one table cell (the HTML puts the interval on a second,
    smaller line, so that a table of several scenarios keeps one column each)."""

    mean: str
    interval: str


#: a table cell: text, a link, text and links in a row, or an estimate
Cell = Inline | tuple[Inline, ...] | Estimate


@dataclass(frozen=True)
class Paragraph:
    """Running text; ``parts`` are strings and links, joined without separators."""

    parts: tuple[Inline, ...]
    style: str = ""  # "" or "warning" or "note"


@dataclass(frozen=True)
class Table:
    """A table of text cells; ``ident`` becomes the HTML id (tests find tables by it)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    ident: str = ""
    #: index of a column of verdicts or statuses, styled by their text
    marked_column: int | None = None
    #: right-align the cells that are numbers
    numeric: bool = True


@dataclass(frozen=True)
class Figure:
    """A rendered figure: its image (PNG or SVG bytes), a file-safe name, a caption and
    the size (CSS pixels) at which the page shows it."""

    name: str
    caption: str
    data: bytes
    width: int
    height: int
    #: the image's file suffix: ``png`` or ``svg``
    suffix: str = "png"

    @property
    def mime(self) -> str:
        return "image/svg+xml" if self.suffix == "svg" else "image/png"


@dataclass(frozen=True)
class Verbatim:
    """Preformatted text (the manifest), shown folded under ``summary``."""

    summary: str
    text: str


@dataclass(frozen=True)
class Folded:
    """Blocks shown folded under ``summary`` (long tables)."""

    summary: str
    blocks: tuple[Block, ...]


Block = Paragraph | Table | Figure | Verbatim | Folded


@dataclass
class Section:
    title: str
    ident: str
    blocks: list[Block] = field(default_factory=list)

    def text(self, *parts: Inline, style: str = "") -> None:
        self.blocks.append(Paragraph(tuple(parts), style))


@dataclass
class Report:
    title: str
    subtitle: str
    sections: list[Section] = field(default_factory=list)


def number(value: Any) -> str:
    """A number as the report prints it: 4 significant digits, thousands separated,
    no exponent below 10^15; ``n/a`` for NaN or missing; other values as text."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        if value != 0.0 and abs(value) >= 1000.0:
            return f"{value:,.0f}"
        if value != 0.0 and abs(value) < 1e-3:
            return f"{value:.3e}"
        return f"{value:.4g}"
    try:  # numpy scalars
        return number(value.item())
    except AttributeError:
        return str(value)


def interval(low: Any, high: Any) -> str:
    """``[low, high]``, or ``n/a`` when either bound is missing (one replication)."""
    a, b = number(low), number(high)
    return "n/a" if "n/a" in (a, b) else f"[{a}, {b}]"


def value_text(value: Any) -> str:
    """A parameter value as written in a scenario file: numbers in full, booleans as
    true/false, lists and tables spelled out, missing as n/a."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    return number(value) if isinstance(value, float) or value is None else str(value)
