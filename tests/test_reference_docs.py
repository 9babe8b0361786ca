"""The parameter reference in docs/ is generated from the schema and must match it."""

from pathlib import Path

from sim.scenario.reference import render_reference
from sim.scenario.schema import SECTIONS

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"


def test_docs_scenarios_md_is_up_to_date() -> None:
    assert DOC.read_text() == render_reference(), (
        "docs/scenarios.md is stale: run python -m sim.scenario.reference > docs/scenarios.md"
    )


def test_every_parameter_appears_in_the_reference() -> None:
    text = render_reference()
    for section, model in SECTIONS.items():
        for key in model.model_fields:
            assert f"`{section}.{key}`" in text
