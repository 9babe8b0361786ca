"""The scenario reference, generated from the schema so that it cannot drift.

``python -m sim.scenario.reference > docs/scenarios.md`` regenerates it; a
test fails when the committed file differs from what the schema says.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.fields import FieldInfo

from sim.scenario.loader import _describe_allowed
from sim.scenario.schema import SECTIONS

HEADER = """# Scenario parameters

Generated from the schema (`sim/scenario/schema.py`) by
`python -m sim.scenario.reference > docs/scenarios.md`; do not edit by hand.

A scenario file is TOML. Besides the sections below it may have `name`
(default: the file name), `description` (what it tests and which direction of
effect is expected) and `extends` (a path, relative to the file, of a
scenario whose keys it inherits and overrides; `name` and `description` are
not inherited). Any key can also be set on the command line with
`--set section.key=value`, with the same validation.
"""


def _default(info: FieldInfo) -> Any:
    return info.get_default(call_default_factory=True)


def render_reference() -> str:
    """Markdown: one table per section, one row per parameter."""
    lines = [HEADER]
    for section, model in SECTIONS.items():
        doc = (model.__doc__ or "").strip().splitlines()[0]
        lines.append(f"## `[{section}]`\n\n{doc}\n")
        lines.append("| key | unit | default | allowed | meaning |")
        lines.append("|---|---|---|---|---|")
        for key, info in model.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            default = json.dumps(_default(info))
            allowed = _describe_allowed(model, key)
            desc = (info.description or "").replace("|", "\\|")
            lines.append(
                f"| `{section}.{key}` | {extra.get('unit', '')} | `{default}` | {allowed} | {desc} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(render_reference(), end="")
