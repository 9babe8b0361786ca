"""The report as one self-contained HTML page, or as Markdown with figure files.

The HTML page needs nothing but itself: styles inline, figures as base64 PNG
data URIs, no script, no web font, no external stylesheet.  Every piece of
text passes through :func:`html.escape`; the Markdown escapes its own
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
header { padding-top: 28px; border-bottom: 1px solid var(--rule); }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.3em; margin: 36px 0 8px; padding-bottom: 4px;
     border-bottom: 2px solid var(--accent); }
.subtitle { color: var(--muted); margin: 0 0 12px; }
nav ol { display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 0; margin: 0 0 14px;
         list-style: none; }
a { color: var(--accent); }
p.warning { background: #fdecea; border-left: 4px solid var(--bad); padding: 8px 12px; }
p.note { background: var(--band); border-left: 4px solid var(--muted); padding: 8px 12px; }
.table-wrap { overflow-x: auto; margin: 10px 0 18px; }
table { border-collapse: collapse; font-size: 0.92em; }
caption { caption-side: top; text-align: left; color: var(--muted); padding: 0 0 6px; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 10px; vertical-align: top;
         text-align: left; }
th { background: var(--band); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
td.mark { min-width: 10em; }
td.better, td.worse, td.plain { white-space: nowrap; }
td.better { color: var(--good); font-weight: 600; }
td.worse { color: var(--bad); font-weight: 600; }
td.todo { color: var(--bad); }
td.partial { color: #8a5a00; }
figure { margin: 18px 0 26px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 0.92em; margin-top: 4px; }
details { margin: 10px 0 18px; }
summary { cursor: pointer; color: var(--accent); }
pre { background: var(--band); padding: 10px 12px; overflow-x: auto; font-size: 0.85em;
      max-height: 480px; }
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


def _cell_html(cell: Cell) -> str:
    parts = cell if isinstance(cell, tuple) else (cell,)
    return "".join(_inline_html(p) for p in parts)


def _table_html(table: Table) -> str:
    ident = f' id="{_e(table.ident)}"' if table.ident else ""
    out = [f'<div class="table-wrap"><table{ident}>']
    if table.caption:
        out.append(f"<caption>{_e(table.caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{_e(c)}</th>" for c in table.columns)
               + "</tr></thead><tbody>")
    for row in table.rows:
        cells = []
        for i, cell in enumerate(row):
            classes = []
            if table.numeric and isinstance(cell, str) and i > 0 and _NUMERIC.match(cell):
                classes.append("num")
            if i == table.marked_column and isinstance(cell, str):
                classes.extend(("mark", _mark(cell)))
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{_cell_html(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _figure_html(fig: Figure) -> str:
    data = base64.b64encode(fig.png).decode("ascii")
    return (f'<figure id="figure-{_e(fig.name)}"><img src="data:image/png;base64,{data}" '
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
