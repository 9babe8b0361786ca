"""The report as one self-contained HTML page, or as Markdown with figure files.

The HTML page needs nothing but itself: styles inline, figures as base64 data
URIs (PNG, or SVG read back from ``spc plot``), no script, no web font, no
external stylesheet; its layout fits a window 1,280 pixels wide without
scrolling sideways (tables break long words, figures shrink to the page).  Every
piece of text passes through :func:`html.escape`; the Markdown escapes its own
punctuation so that a KPI name like ``failures_by_source.process`` stays as
written.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable

from analysis.report.document import (
    AUTHOR,
    Block,
    Cell,
    Estimate,
    Figure,
    Inline,
    Link,
    Paragraph,
    Report,
    Table,
    Verbatim,
)

CSS = """
:root { color-scheme: light; --ink: #1d2329; --muted: #5b6670; --rule: #d5dbe1;
        --band: #f4f6f8; --accent: #1f5f99; --good: #1d7a3a; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
             Arial, sans-serif; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 14px; border-bottom: 1px solid var(--rule); }
h1 { font-size: 1.5em; line-height: 1.25; margin: 0 0 2px; }
h2 { font-size: 1.3em; margin: 32px 0 8px; padding-bottom: 4px;
     border-bottom: 2px solid var(--accent); }
main > section:first-child > h2 { margin-top: 14px; }
.subtitle { color: var(--muted); margin: 0 0 4px; }
nav ol { display: flex; flex-wrap: wrap; gap: 2px 18px; padding: 0; margin: 0 0 8px;
         list-style: none; }
a { color: var(--accent); }
p { margin: 8px 0; }
p.warning { background: #fdecea; border-left: 4px solid var(--bad); padding: 8px 12px; }
p.note { background: var(--band); border-left: 4px solid var(--muted); padding: 8px 12px; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: 10px 0 18px; }
table { border-collapse: collapse; font-size: 0.92em; max-width: 100%; }
caption { caption-side: top; text-align: left; color: var(--muted); padding: 0 0 6px; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 10px; vertical-align: top;
         text-align: left; overflow-wrap: break-word; }
th { background: var(--band); font-weight: 600; }
th.num, td.num { text-align: right; }
td.num { font-variant-numeric: tabular-nums; overflow-wrap: normal; }
td.iv { white-space: nowrap; }
td .ci { display: block; color: var(--muted); font-size: 0.9em; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
td.better, td.worse { white-space: nowrap; }
td.better { color: var(--good); font-weight: 600; }
td.worse { color: var(--bad); font-weight: 600; }
td.todo { color: var(--bad); }
td.partial { color: #8a5a00; }
figure { margin: 18px 0 26px; max-width: 100%; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 0.92em; margin-top: 4px; }
#decision figure { margin: 8px 0 4px; }
#decision figcaption { font-size: 0.85em; }
#decision .table-wrap { margin: 6px 0 10px; }
details { margin: 10px 0 18px; }
summary { cursor: pointer; color: var(--accent); }
pre { background: var(--band); padding: 10px 12px; font-size: 0.85em; max-height: 480px;
      overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: 0.85em; padding: 28px 24px 40px; }
"""

_NUMBER = r"[-+]?[\d,]*\.?\d+(e[-+]?\d+)?"
#: cells right-aligned and kept on one line: numbers, intervals, mean ± half-width
_NUMERIC = re.compile(rf"^(n/a|{_NUMBER}|\[.*\]|{_NUMBER} ± {_NUMBER})$")


def _mark(text: str) -> str:
    """The style of a verdict or checklist status."""
    if text in ("better", "worse"):
        return text
    if text == AUTHOR:
        return "todo"
    return "partial" if text.startswith("in part") else "plain"


# -- HTML -------------------------------------------------------------------------------------
def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _inline_html(part: Inline) -> str:
    if isinstance(part, Link):
        return f'<a href="{_e(part.href)}">{_e(part.text)}</a>'
    return _e(part)


#: where a long identifier or path may break: after an underscore or a slash, and at a
#: dot between letters (``failures_by_source.process``), never inside a number
_BREAK = re.compile(r"(?<=[_/])(?=\w)|(?<=[A-Za-z]\.)(?=[A-Za-z])")
#: a word this long may widen a table column (shorter ones are left as they are)
LONG_WORD = 16


def _breakable(text: str, shortest: int = LONG_WORD) -> str:
    """Escaped text with ``<wbr>`` where a table cell may break a word of at least
    ``shortest`` characters."""
    return "".join(_BREAK.sub("<wbr>", _e(part)) if len(part) >= shortest else _e(part)
                   for part in re.split(r"(\s+)", text))


def _cell_html(cell: Cell) -> str:
    if isinstance(cell, Estimate):
        if not cell.interval:
            return _e(cell.mean)
        return f'{_e(cell.mean)} <span class="ci">{_e(cell.interval)}</span>'
    parts = cell if isinstance(cell, tuple) else (cell,)
    return "".join(_breakable(p) if isinstance(p, str) else _inline_html(p) for p in parts)


def _numeric(table: Table, i: int, cell: Cell) -> bool:
    """Whether cell ``i`` of a row is a number (right-aligned): an estimate, or text that
    reads as a number, an interval or mean ± half-width (never the first column)."""
    if not table.numeric or i == 0:
        return False
    return isinstance(cell, Estimate) or (isinstance(cell, str) and bool(_NUMERIC.match(cell)))


def _cell_classes(table: Table, i: int, cell: Cell) -> list[str]:
    classes = []
    if _numeric(table, i, cell):
        classes.append("num")
        if isinstance(cell, str) and cell.startswith("["):
            classes.append("iv")  # an interval stays on one line
    if i == table.marked_column and isinstance(cell, str):
        classes.extend(("mark", _mark(cell)))
    return classes


def _table_html(table: Table) -> str:
    ident = f' id="{_e(table.ident)}"' if table.ident else ""
    out = [f'<div class="table-wrap"><table{ident}>']
    if table.caption:
        out.append(f"<caption>{_e(table.caption)}</caption>")
    numeric = [bool(table.rows) and all(_numeric(table, i, row[i]) for row in table.rows)
               for i in range(len(table.columns))]
    heads = (f'<th class="num">{_breakable(c, 0)}</th>' if numeric[i]
             else f"<th>{_breakable(c, 0)}</th>" for i, c in enumerate(table.columns))
    out.append("<thead><tr>" + "".join(heads) + "</tr></thead><tbody>")
    for row in table.rows:
        cells = []
        for i, cell in enumerate(row):
            classes = _cell_classes(table, i, cell)
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{_cell_html(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _figure_html(fig: Figure) -> str:
    data = base64.b64encode(fig.data).decode("ascii")
    return (f'<figure id="figure-{_e(fig.name)}"><img src="data:{fig.mime};base64,{data}" '
            f'width="{fig.width}" height="{fig.height}" alt="{_e(fig.caption)}">'
            f"<figcaption>{_e(fig.caption)}</figcaption></figure>")


def _block_html(block: Block) -> str:
    if isinstance(block, Paragraph):
        cls = f' class="{_e(block.style)}"' if block.style else ""
        return f"<p{cls}>" + "".join(_inline_html(p) for p in block.parts) + "</p>"
    if isinstance(block, Table):
        return _table_html(block)
    if isinstance(block, Figure):
        return _figure_html(block)
    if isinstance(block, Verbatim):
        return (f"<details><summary>{_e(block.summary)}</summary>"
                f"<pre>{_e(block.text)}</pre></details>")
    inner = "\n".join(_block_html(b) for b in block.blocks)
    return f"<details><summary>{_e(block.summary)}</summary>\n{inner}\n</details>"


def to_html(report: Report, footer: str) -> str:
    """The whole page."""
    nav = "".join(f'<li><a href="#{_e(s.ident)}">{_e(s.title)}</a></li>'
                  for s in report.sections)
    body = []
    for sec in report.sections:
        body.append(f'<section id="{_e(sec.ident)}"><h2>{_e(sec.title)}</h2>')
        body.extend(_block_html(b) for b in sec.blocks)
        body.append("</section>")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{_e(report.title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<header><h1>{_e(report.title)}</h1><p class=\"subtitle\">{_e(report.subtitle)}</p>",
        f"<nav><ol>{nav}</ol></nav></header><main>",
        *body,
        f"</main><footer>{_e(footer)}</footer></body></html>",
        "",
    ])


# -- Markdown ---------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def _md(text: str) -> str:
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _inline_md(part: Inline) -> str:
    if isinstance(part, Link):
        return f"[{_md(part.text)}](<{part.href}>)"
    return _md(part)


def _cell_md(cell: Cell) -> str:
    if isinstance(cell, Estimate):
        return f"{_md(cell.mean)} {_md(cell.interval)}".rstrip()
    parts = cell if isinstance(cell, tuple) else (cell,)
    return "".join(_inline_md(p) for p in parts)


def _table_md(table: Table) -> str:
    lines = [f"*{_md(table.caption)}*", ""] if table.caption else []
    lines.append("| " + " | ".join(_md(c) for c in table.columns) + " |")
    lines.append("|" + "---|" * len(table.columns))
    lines.extend("| " + " | ".join(_cell_md(c) for c in row) + " |" for row in table.rows)
    return "\n".join(lines)


def _block_md(block: Block, figure_path: Callable[[Figure], str]) -> str:
    if isinstance(block, Paragraph):
        text = "".join(_inline_md(p) for p in block.parts)
        return f"> {text}" if block.style else text
    if isinstance(block, Table):
        return _table_md(block)
    if isinstance(block, Figure):
        return f"![{_md(block.caption)}]({figure_path(block)})\n\n*{_md(block.caption)}*"
    if isinstance(block, Verbatim):
        return f"**{_md(block.summary)}**\n\n```json\n{block.text}\n```"
    inner = "\n\n".join(_block_md(b, figure_path) for b in block.blocks)
    return f"**{_md(block.summary)}**\n\n{inner}"


def to_markdown(report: Report, footer: str, figure_path: Callable[[Figure], str]) -> str:
    """The report in Markdown; ``figure_path`` gives each figure's relative file path."""
    out = [f"# {_md(report.title)}", "", _md(report.subtitle), ""]
    out.extend(f"{i}. [{_md(s.title)}](#{s.ident})" for i, s in enumerate(report.sections, 1))
    for sec in report.sections:
        out.extend(["", f'<a id="{sec.ident}"></a>', "", f"## {_md(sec.title)}", ""])
        out.append("\n\n".join(_block_md(b, figure_path) for b in sec.blocks))
    out.extend(["", "---", "", _md(footer), ""])
    return "\n".join(out)
