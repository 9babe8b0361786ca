"""The scenario reference, generated from the schema so that it cannot drift.

``python -m sim.scenario.reference > docs/reference/parameters.md`` regenerates it; a
test fails when the committed file differs from what the schema says.

``python -m sim.scenario.reference --model docs/background/model.md`` regenerates, in
place, the parameter tables of the model description: every block

    <!-- params: section.key section.key ... -->
    (table)
    <!-- /params -->

gets a table of the named parameters with the same columns and rows as the
reference.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from sim.scenario.loader import _describe_allowed
from sim.scenario.schema import SECTIONS

HEADER = """# Scenario parameters

Generated from the schema (`sim/scenario/schema.py`) by
`python -m sim.scenario.reference > docs/reference/parameters.md`; do not edit by hand.

A scenario file is TOML. Besides the sections below it may have `name`
(default: the file name), `description` (what it tests and which direction of
effect is expected) and `extends` (a path, relative to the file, of a
scenario whose keys it inherits and overrides; `name` and `description` are
not inherited). Any key can also be set on the command line with
`--set section.key=value`, with the same validation. How to write one:
[Write a scenario file](../how-to/write-a-scenario-file.md); what each
parameter does in the simulation: [the model](../background/model.md).
"""

TABLE_HEAD = ("| key | unit | default | allowed | meaning |", "|---|---|---|---|---|")

PARAMS_BLOCK = re.compile(
    r"^(?P<open><!-- params:(?P<keys>[^>\n]*?)-->)(?P<body>.*?)^(?P<close><!-- /params -->)",
    re.DOTALL | re.MULTILINE,
)
_OPENING = re.compile(r"^<!-- params:", re.MULTILINE)


def _default(info: FieldInfo) -> Any:
    return info.get_default(call_default_factory=True)


def parameter_row(section: str, key: str) -> str:
    """One table row (key, unit, default, allowed, meaning) of parameter ``section.key``."""
    model = SECTIONS[section]
    info = model.model_fields[key]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    default = json.dumps(_default(info))
    allowed = _describe_allowed(model, key)
    desc = (info.description or "").replace("|", "\\|")
    return f"| `{section}.{key}` | {extra.get('unit', '')} | `{default}` | {allowed} | {desc} |"


def parameter_table(keys: Sequence[str]) -> str:
    """A markdown table of the parameters ``keys`` (each ``section.key``), in that order."""
    lines = list(TABLE_HEAD)
    for name in keys:
        section, _, key = name.partition(".")
        if section not in SECTIONS or key not in SECTIONS[section].model_fields:
            raise ValueError(f"unknown scenario parameter {name!r} in a params block")
        lines.append(parameter_row(section, key))
    return "\n".join(lines)


def render_reference() -> str:
    """Markdown: one table per section, one row per parameter."""
    lines = [HEADER]
    for section, model in SECTIONS.items():
        doc = (model.__doc__ or "").strip().splitlines()[0]
        lines.append(f"## `[{section}]`\n\n{doc}\n")
        lines.extend(TABLE_HEAD)
        for key in model.model_fields:
            lines.append(parameter_row(section, key))
        lines.append("")
    return "\n".join(lines)


def documented_parameters(text: str) -> list[str]:
    """Every ``section.key`` named in the params blocks of ``text``, in order of appearance."""
    return [key for match in PARAMS_BLOCK.finditer(text) for key in match["keys"].split()]


def render_model_doc(text: str) -> str:
    """``text`` with the table of every params block regenerated from the schema."""

    def block(match: re.Match[str]) -> str:
        if _OPENING.search(match["body"]):
            raise ValueError(f"params block {match['open']!r} has no <!-- /params --> before the "
                             "next block")
        table = parameter_table(match["keys"].split())
        return f"{match['open']}\n{table}\n{match['close']}"

    opened = len(_OPENING.findall(text))
    rendered, blocks = PARAMS_BLOCK.subn(block, text)
    if blocks != opened:
        raise ValueError("a <!-- params: ... --> block has no closing <!-- /params -->")
    return rendered


def main(argv: Sequence[str] | None = None) -> int:
    """Print the scenario reference, or (``--model FILE``) regenerate FILE's tables in place."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.scenario.reference",
        description="Print docs/reference/parameters.md, or regenerate the parameter tables of a "
                    "file.",
    )
    parser.add_argument(
        "--model", metavar="FILE", type=Path,
        help="rewrite the <!-- params: ... --> blocks of FILE (e.g. docs/background/model.md) "
             "in place",
    )
    args = parser.parse_args(argv)
    if args.model is None:
        print(render_reference(), end="")
        return 0
    text = args.model.read_text(encoding="utf-8")
    updated = render_model_doc(text)
    if updated != text:
        args.model.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
