"""``spc export``: a results directory's tables in one Excel workbook (analysis.export).

The workbook is read back with openpyxl and checked against the stored tables: the sheets
and their order, values to Excel's precision, units (money with the currency label), number
formats, the KPI order, and the refusals (an existing file, a wrong name, no results).
One small behaviour-mode comparison (two scenarios, two replications) serves the file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis import load
from sim.cli import main
from sim.experiment.runner import MAIN_KPIS
from sim.kpis import registry_order
from sim.results.layout import is_spc_file

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["customers.initial=300", "providers.count=2", "run.years=0.3",
         "run.warmup_years=0", "money.currency=EUR"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "c"
    args = ["compare", str(ROOT / "scenarios" / "baseline.toml"), "--vary",
            "organization.reliability=0.97", "-r", "2", "--quiet", "--out", str(out)]
    for assignment in SMALL:
        args += ["--set", assignment]
    assert main(args) == 0
    return out


def sheet(path: Path, name: str) -> tuple[list[str], list[tuple[Any, ...]], Any]:
    book = load_workbook(path)
    rows = list(book[name].iter_rows(values_only=True))
    return [str(c) for c in rows[0]], rows[1:], book[name]


def test_the_workbook_holds_the_tables_in_order(
    compared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(compared)]) == 0
    assert capsys.readouterr().out == f"workbook written to {compared / 'results.xlsx'}\n"
    book = load_workbook(compared / "results.xlsx")
    assert book.sheetnames == ["decision", "comparisons", "kpis", "replications", "units",
                               "about"]
    tables = load(compared)
    # the comparisons to Excel's precision (16 significant digits), NaN as an empty cell
    header, rows, _ = sheet(compared / "results.xlsx", "comparisons")
    got = pd.DataFrame(rows, columns=header).set_index(["scenario", "kpi"])
    stored = tables["comparisons"].set_index(["scenario", "kpi"])
    assert set(got.index) == set(stored.index)
    for key in stored.index:
        for column in ("base_mean", "diff", "ci_low", "ci_high"):
            want = float(stored.loc[key, column])
            have = got.loc[key, column]
            if pd.isna(have):  # an empty cell
                assert math.isnan(want), (key, column)
            else:
                assert have == pytest.approx(want, rel=1e-15, abs=0), (key, column)
    # every replication's KPIs, as stored
    header, rows, _ = sheet(compared / "results.xlsx", "replications")
    assert len(rows) == len(tables["summary"]) == 4
    assert header == [str(c) for c in tables["summary"].columns]


def test_kpis_carry_their_units_formats_and_registry_order(compared: Path) -> None:
    path = compared / "results.xlsx"
    if not path.exists():
        assert main(["export", str(compared), "--quiet"]) == 0
    header, rows, ws = sheet(path, "comparisons")
    records = [dict(zip(header, r, strict=True)) for r in rows]
    units = {r["kpi"]: r["unit"] for r in records}
    assert units["profit"] == "EUR per year" and units["retention_rate"] == "share per year"
    kpis = [r["kpi"] for r in records]
    assert kpis == registry_order(kpis, MAIN_KPIS)  # one scenario: the order of the rows
    assert {r["kpi"] for r in records if r["survivors_only"]} >= {"promoter_share", "nps"}
    profit_row = 2 + kpis.index("profit")
    assert ws.cell(profit_row, header.index("diff") + 1).number_format == "#,##0"
    header, rows, _ = sheet(path, "decision")
    assert {r[header.index("unit")] for r in rows} == {"EUR per year"}
    header, rows, _ = sheet(path, "kpis")
    assert rows[0][header.index("scenario")] == "baseline"
    assert all(r[header.index("ci_low")] <= r[header.index("mean")] for r in rows
               if r[header.index("ci_low")] is not None)
    about = dict(sheet(path, "about")[1])
    assert about["kind"] == "compare" and about["currency"] == "EUR"


def test_export_refuses_what_it_cannot_write_and_replaces_only_when_told(
    compared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "book.xlsx"
    assert main(["export", str(compared), "--out", str(target), "--quiet"]) == 0
    before = target.read_bytes()
    for args, says in (
        (["--out", str(target)], "already exists; use --force"),
        (["--out", str(tmp_path / "book.csv")], "name ends in .xlsx"),
        (["--out", str(tmp_path)], "name ends in .xlsx"),
    ):
        capsys.readouterr()
        assert main(["export", str(compared), *args]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and says in err, err
    assert target.read_bytes() == before
    assert main(["export", str(tmp_path / "nothing")]) == 2
    assert "nothing" in capsys.readouterr().err
    assert main(["export", str(compared), "--out", str(target), "--force", "--quiet"]) == 0
    assert load_workbook(target).sheetnames[0] == "decision"
    # the workbook is one of the files spc writes: --force of a new run removes it
    assert is_spc_file(Path("results.xlsx"))
