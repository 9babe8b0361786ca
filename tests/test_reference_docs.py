"""The documentation in docs/ matches the code: the parameter reference and the model's
parameter tables are generated from the schema, and every output of a run is defined."""

from collections.abc import Iterable
from pathlib import Path

import pytest

from sim.model.system import EVENT_COLUMNS, RunResult, simulate
from sim.output import flat_kpis
from sim.scenario import load_scenario
from sim.scenario.reference import (
    documented_parameters,
    main,
    parameter_row,
    render_model_doc,
    render_reference,
)
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


# -- docs/model.md: one section per mechanism, parameter tables generated from the schema ----
MODEL_DOC = DOC.parent / "model.md"
KPI_DOC = DOC.parent / "kpis.md"
ROOT = DOC.parent.parent


def test_docs_model_md_parameter_tables_are_up_to_date() -> None:
    text = MODEL_DOC.read_text()
    assert documented_parameters(text), "docs/model.md has no <!-- params: ... --> block"
    assert render_model_doc(text) == text, (
        "docs/model.md is stale: run python -m sim.scenario.reference --model docs/model.md"
    )


def test_every_parameter_appears_in_a_model_doc_block() -> None:
    documented = set(documented_parameters(MODEL_DOC.read_text()))
    missing = [
        f"{section}.{key}"
        for section, model in SECTIONS.items()
        if section not in ("run", "queue")
        for key in model.model_fields
        if f"{section}.{key}" not in documented
    ]
    assert not missing, f"parameters in no params block of docs/model.md: {missing}"


def test_render_model_doc_regenerates_a_stale_block() -> None:
    stale = (
        "# Title\n\nProse naming `<!-- params: ... -->` inline is left alone.\n\n"
        "<!-- params: providers.training market.competition -->\n"
        "| key | unit | default | allowed | meaning |\n|---|---|---|---|---|\n"
        "| `providers.training` | old | `0.1` | old | old |\n"
        "<!-- /params -->\n\nAfter.\n"
    )
    fresh = render_model_doc(stale)
    lines = fresh.splitlines()
    start = lines.index("<!-- params: providers.training market.competition -->")
    assert lines[start + 1 : start + 5] == [
        "| key | unit | default | allowed | meaning |",
        "|---|---|---|---|---|",
        parameter_row("providers", "training"),
        parameter_row("market", "competition"),
    ]
    assert lines[start + 5] == "<!-- /params -->"
    assert fresh.startswith("# Title\n\nProse naming `<!-- params: ... -->` inline")
    assert fresh.endswith("<!-- /params -->\n\nAfter.\n")
    assert render_model_doc(fresh) == fresh
    # the reference and the model doc share one row format
    assert parameter_row("providers", "training") in render_reference()


def test_render_model_doc_rejects_unknown_keys_and_unclosed_blocks() -> None:
    with pytest.raises(ValueError, match=r"providers\.no_such_key"):
        render_model_doc("<!-- params: providers.no_such_key -->\n<!-- /params -->\n")
    with pytest.raises(ValueError, match="closing"):
        render_model_doc("<!-- params: providers.training -->\nno end\n")


def test_model_doc_command_rewrites_the_file_in_place(tmp_path: Path) -> None:
    path = tmp_path / "model.md"
    path.write_text("Intro.\n\n<!-- params: money.hiring_cost -->\n<!-- /params -->\n")
    assert main(["--model", str(path)]) == 0
    assert path.read_text() == (
        "Intro.\n\n<!-- params: money.hiring_cost -->\n"
        "| key | unit | default | allowed | meaning |\n|---|---|---|---|---|\n"
        f"{parameter_row('money', 'hiring_cost')}\n<!-- /params -->\n"
    )


# -- docs/kpis.md: every output of a run is defined ------------------------------------------
@pytest.fixture(scope="module")
def behaviour_run() -> RunResult:
    scenario = load_scenario(
        str(ROOT / "scenarios" / "baseline.toml"),
        ["run.years=0.3", "run.warmup_years=0.1", "customers.initial=200", "providers.count=2"],
    )
    return simulate(scenario)


@pytest.fixture(scope="module")
def queue_run() -> RunResult:
    return simulate(load_scenario(str(ROOT / "scenarios" / "validation" / "mmc.toml"),
                                  ["run.years=0.02"]))


def _undocumented(names: Iterable[str]) -> list[str]:
    """The names that docs/kpis.md does not mention (as `name`)."""
    text = KPI_DOC.read_text()
    return [name for name in names if f"`{name}`" not in text]


def test_every_behaviour_summary_kpi_is_documented(behaviour_run: RunResult) -> None:
    names = list(behaviour_run.summary) + list(flat_kpis(behaviour_run.summary))
    assert any("." in name for name in names)  # nested KPIs are checked entry by entry
    assert not _undocumented(names), "KPIs missing from docs/kpis.md"


def test_every_queue_summary_kpi_is_documented(queue_run: RunResult) -> None:
    assert queue_run.summary
    assert not _undocumented(queue_run.summary), "queue KPIs missing from docs/kpis.md"


def test_every_period_column_is_documented(behaviour_run: RunResult, queue_run: RunResult) -> None:
    columns = {name for row in behaviour_run.periods + queue_run.periods for name in row}
    assert "moved_promoter_to_detractor" in columns and "quits" in columns
    assert not _undocumented(sorted(columns)), "period columns missing from docs/kpis.md"


def test_every_cohort_and_event_column_is_documented(behaviour_run: RunResult) -> None:
    cohort_columns = list(behaviour_run.tables["cohorts"][0])
    assert not _undocumented(cohort_columns), "cohort columns missing from docs/kpis.md"
    assert not _undocumented(EVENT_COLUMNS), "event columns missing from docs/kpis.md"
