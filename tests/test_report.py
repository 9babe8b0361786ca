"""``spc report``: a self-contained page whose numbers are the computed ones.

Tiny results directories (a few simulated months, 200 customers) are made once
per module: replications, a comparison with a description full of markup, a
single run and a two-point sweep.
"""

from __future__ import annotations

import base64
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import analysis
from analysis.report import load_study, render_figures
from analysis.report.document import Figure
from sim.cli import main
from sim.experiment.executors import SequentialExecutor
from sim.experiment.runner import run_comparison, run_replications, run_sweep
from sim.kpis import SURVIVOR_KPIS
from sim.scenario import load_scenario
from sim.statistics.output_analysis import summarise_replications

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
TINY = ["run.years=0.5", "run.warmup_years=0.1", "customers.initial=200", "providers.count=2"]
NASTY = 'Reliable & <b>bold</b> "quoted" <script>alert(1)</script>'


# -- reading the page back --------------------------------------------------------------------
class Page(HTMLParser):
    """Every tag with its attributes, the text of <style>, and tables by id as text cells."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_style = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "style":
            self._in_style = True
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        if tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        if tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def table(self, ident: str) -> pd.DataFrame:
        head, *rows = self.tables[ident]
        return pd.DataFrame(rows, columns=head)


def numbers(cell: str) -> list[float]:
    """The numbers of a cell as printed (thousands separators allowed)."""
    return [float(x.replace(",", "")) for x in re.findall(r"-?[\d,]*\.?\d+(?:e[-+]?\d+)?", cell)]


def close(printed: float, value: float) -> bool:
    """Equal to the 4 significant digits (or whole units) the report prints."""
    return math.isclose(printed, value, rel_tol=1e-3, abs_tol=0.51 if abs(value) >= 1000 else 0)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("report")
    ex = SequentialExecutor()
    base = load_scenario(BASELINE, TINY)
    run_replications(base, root / "reps", 3, ex)
    other_file = root / "reliable.toml"
    other_file.write_text(
        f'name = "reliable"\ndescription = {NASTY!r}\nextends = "{BASELINE.as_posix()}"\n\n'
        "[organization]\nreliability = 0.98\n")
    run_comparison(base, [load_scenario(other_file, TINY)], root / "compare", 2, ex)
    sweep_file = root / "sweep.toml"
    sweep_file.write_text(
        f'name = "tiny_sweep"\nbase = "{BASELINE.as_posix()}"\ndesign = "factorial"\n'
        'replications = 2\nkpis = ["retention_rate", "nps"]\n'
        f"overrides = {TINY!r}\n\n"
        '[factors]\n"organization.empowerment" = { levels = [0.2, 0.8] }\n'.replace("'", '"'))
    run_sweep(sweep_file, root / "sweep", ex)
    single = ["run", str(BASELINE), *(a for kv in TINY for a in ("--set", kv)),
              "--out", str(root / "single"), "--quiet"]
    assert main(single) == 0
    return {"reps": root / "reps", "compare": root / "compare", "sweep": root / "sweep",
            "single": root / "single", "other_file": other_file}


def no_figures(tables: object, manifest: object) -> list[object]:
    return []


#: reports made with their figures (figures cost seconds; the others test text and numbers)
WITH_FIGURES = ("compare", "sweep")


@pytest.fixture(scope="module")
def compare_figures(dirs: dict[str, Path]) -> list[Figure]:
    """The comparison's figures, rendered once for the HTML and the Markdown report."""
    study = load_study(dirs["compare"])
    return render_figures(study.tables, study.manifest)


@pytest.fixture(scope="module")
def pages(dirs: dict[str, Path], compare_figures: list[Figure]) -> dict[str, tuple[str, Page]]:
    out = {}
    for name in ("reps", "compare", "sweep", "single"):
        with pytest.MonkeyPatch.context() as mp:
            if name == "compare":
                mp.setattr("analysis.report.render_figures", lambda t, m: compare_figures)
            elif name not in WITH_FIGURES:
                mp.setattr("analysis.report.render_figures", no_figures)
            assert main(["report", str(dirs[name]), "--quiet"]) == 0
        text = (dirs[name] / "report.html").read_text(encoding="utf-8")
        out[name] = (text, Page(text))
    return out


# -- self-contained and escaped ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["reps", "compare", "sweep", "single"])
def test_html_needs_nothing_but_itself(pages: dict[str, tuple[str, Page]], name: str) -> None:
    _text, page = pages[name]
    assert not [t for t, _ in page.tags if t in ("script", "iframe", "object", "embed")]
    for tag, attrs in page.tags:
        for key in ("src", "href", "srcset", "data"):
            value = (attrs.get(key) or "").strip().lower()
            if tag == "a" and key == "href":
                continue  # a link the reader may follow is not a resource the page loads
            assert not value.startswith(("http:", "https:", "//")), (tag, key, value)
        if tag == "link":
            assert (attrs.get("href") or "").startswith("data:"), attrs
    assert not re.search(r"@import|url\(", " ".join(page.styles))
    images = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert bool(images) == (name in WITH_FIGURES)
    for src in images:
        assert src is not None and src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_text_is_escaped(pages: dict[str, tuple[str, Page]]) -> None:
    text, page = pages["compare"]
    assert "<script>" not in text and "<b>bold" not in text
    assert "Reliable &amp; &lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot; &lt;script&gt;" in text
    described = page.table("scenarios").set_index("scenario").loc["reliable", "description"]
    assert described == NASTY  # the reader sees exactly what the author wrote


# -- the numbers ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["reps", "compare"])
def test_kpi_table_holds_the_computed_intervals(dirs: dict[str, Path],
                                                pages: dict[str, tuple[str, Page]],
                                                name: str) -> None:
    summary = analysis.load(dirs[name])["summary"]
    shown = pages[name][1].table("kpis").set_index("KPI")
    scenarios = list(dict.fromkeys(summary["scenario"]))
    for i, scenario in enumerate(scenarios):
        expected = summarise_replications(summary[summary["scenario"] == scenario])
        assert set(shown.index) == set(expected["kpi"])
        mean_col, ci_col = shown.columns[2 * i], shown.columns[2 * i + 1]
        for row in expected.itertuples():
            if math.isnan(row.mean):  # undefined in every replication (a short run closes no
                # 12-month repurchase horizon)
                assert shown.loc[row.kpi, mean_col] == "n/a", row.kpi
                continue
            assert close(numbers(shown.loc[row.kpi, mean_col])[0], row.mean), row.kpi
            if math.isnan(row.ci_low):  # fewer than two replications with a value
                assert shown.loc[row.kpi, ci_col] == "n/a"
                continue
            low, high = numbers(shown.loc[row.kpi, ci_col])
            assert close(low, row.ci_low) and close(high, row.ci_high), row.kpi
            assert low <= numbers(shown.loc[row.kpi, mean_col])[0] <= high


def test_single_run_has_means_and_no_intervals(dirs: dict[str, Path],
                                              pages: dict[str, tuple[str, Page]]) -> None:
    summary = analysis.load(dirs["single"])["summary"]
    shown = pages["single"][1].table("kpis").set_index("KPI")
    assert close(numbers(shown.loc["retention_rate", "mean"])[0],
                 float(summary["retention_rate"].iloc[0]))
    assert set(shown["95 % interval"]) == {"n/a"}


def test_comparison_verdicts_are_the_stored_ones_without_point(
        dirs: dict[str, Path], pages: dict[str, tuple[str, Page]]) -> None:
    comp = analysis.load(dirs["compare"])["comparisons"]
    shown = pages["compare"][1].table("comparison-reliable")
    marked = {k for k in shown["KPI"] if k.endswith(" †")}  # computed on the survivors
    assert marked == {f"{k} †" for k in SURVIVOR_KPIS}
    shown = shown.assign(KPI=shown["KPI"].str.removesuffix(" †")).set_index("KPI")
    assert "point" not in shown.index
    stored = comp[comp["kpi"] != "point"].set_index("kpi")
    assert set(shown.index) == set(stored.index)
    assert (shown["verdict"] == stored.loc[shown.index, "verdict"]).all()
    for kpi in ("retention_rate", "failure_rate"):
        low, high = numbers(shown.loc[kpi, "95 % interval"])
        assert close(low, stored.loc[kpi, "ci_low"]) and close(high, stored.loc[kpi, "ci_high"])


def test_differences_list_exactly_what_differs(dirs: dict[str, Path],
                                               pages: dict[str, tuple[str, Page]]) -> None:
    page = pages["compare"][1]
    diff = page.table("differences")
    assert list(diff["parameter"]) == ["organization.reliability"]
    assert list(diff["scenario"]) == ["reliable"]
    assert numbers(diff.iloc[0, 3]) == [0.93] and numbers(diff.iloc[0, 4]) == [0.98]
    for name in ("compare", "reps", "single"):  # the --set overrides, with both values
        over = pages[name][1].table("overrides").set_index("parameter")
        assert list(over.index) == [kv.split("=")[0] for kv in TINY]
        assert numbers(over.loc["customers.initial", "as run"]) == [200]
        assert numbers(over.loc["customers.initial", "scenario file"]) == [5000]


def test_sweep_report_has_design_kpis_and_sensitivity(dirs: dict[str, Path],
                                                      pages: dict[str, tuple[str, Page]]) -> None:
    page = pages["sweep"][1]
    assert list(page.table("factors")["parameter"]) == ["organization.empowerment"]
    kpis = page.table("kpis-sweep")
    assert list(kpis["organization.empowerment"]) == ["0.2", "0.8"]
    summary = analysis.load(dirs["sweep"])["summary"]
    for point, cell in zip(kpis["point"], kpis["retention_rate"], strict=True):
        rows = summary[summary["point"] == int(point)]
        iv = summarise_replications(rows, ["retention_rate"]).iloc[0]
        mean, half = numbers(cell)
        assert close(mean, iv["mean"]) and close(half, (iv["ci_high"] - iv["ci_low"]) / 2)
    sens = page.table("sensitivity")
    assert set(sens["KPI"]) == {"retention_rate", "nps"}
    assert {"± conf", "95 % interval", "invalid"} <= set(sens.columns)


def test_the_sensitivity_section_shows_salibs_conf_and_names_invalid_indices() -> None:
    from analysis.report.content import sensitivity_section
    from analysis.report.document import Paragraph, Table
    from analysis.report.study import Study

    rows = [{"kpi": "nps", "factor": f, "index": i, "value": v, "conf": c, "low": math.nan,
             "high": math.nan, "noise_share": math.nan, "n_points": 32, "replications": 1}
            for f, i, v, c in [("a", "S1", -0.3, 0.2), ("b", "S1", 0.5, 0.1),
                               ("a", "ST", 0.1, 0.05), ("b", "ST", 0.6, 0.1)]]
    study = Study(Path("."), {}, {"sensitivity": pd.DataFrame(rows)}, "sweep", [])
    sec = sensitivity_section(study)
    assert sec is not None
    notes = ["".join(map(str, b.parts)) for b in sec.blocks
             if isinstance(b, Paragraph) and b.style == "note"]
    assert notes == ["nps: S1 of a is -0.3 ± 0.2, below 0 beyond its interval: invalid; about "
                     "N = 512 base samples (2,048 design points; now N = 8) would bring its "
                     "error to ±0.05.",
                     "The widest interval is ±0.2 (S1 of a for nps): about N = 128 base "
                     "samples (512 design points; now N = 8) would bring every half-width to "
                     "±0.05."]
    (table,) = [b for b in sec.blocks if isinstance(b, Table)]
    conf, invalid = table.columns.index("± conf"), table.columns.index("invalid")
    assert [r[conf] for r in table.rows] == ["0.2", "0.1", "0.05", "0.1"]
    assert [r[invalid] for r in table.rows] == ["S1 < 0", "", "", ""]


def test_stress_des_items_all_there_and_unknowns_marked(pages: dict[str, tuple[str, Page]]) \
        -> None:
    items = pages["reps"][1].table("stress-des-items").set_index("item")
    assert list(items.index) == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1",
                                 "3.2", "3.3", "3.4", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3",
                                 "5.4", "6.1"]
    assert items.loc["3.2", "status"] == "to be completed by the author"
    assert items.loc["5.1", "status"] == "reported"
    assert "simpy 4" in items.loc["5.1", "what the package records"]
    assert "model.md" in items.loc["2.2", "what the package records"]
    assert "36.5 days" in items.loc["4.1", "what the package records"]


# -- Markdown ---------------------------------------------------------------------------------
def test_markdown_report_points_at_its_figure_files(dirs: dict[str, Path], tmp_path: Path,
                                                    compare_figures: list[Figure],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("analysis.report.render_figures", lambda t, m: compare_figures)
    out = tmp_path / "notes" / "study.md"
    assert main(["report", str(dirs["compare"]), "--out", str(out), "--quiet"]) == 0
    text = out.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links and all(not Path(link).is_absolute() for link in links)
    for link in links:
        assert (out.parent / link).read_bytes().startswith(b"\x89PNG")
    assert {p.name for p in (tmp_path / "notes" / "study_figures").iterdir()} == \
        {Path(link).name for link in links} == {f"{f.name}.png" for f in compare_figures}
    outside_code = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # the manifest, verbatim
    assert "<script>" not in outside_code and "&lt;script&gt;" in outside_code
    assert "| retention\\_rate |" in text


# -- refusing -------------------------------------------------------------------------------
def test_an_existing_report_is_kept_without_force(dirs: dict[str, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("analysis.report.render_figures", no_figures)
    out = tmp_path / "r.html"
    out.write_text("mine")
    assert main(["report", str(dirs["reps"]), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert out.read_text() == "mine"
    assert "--force" in err and str(out) in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert main(["report", str(dirs["reps"]), "--out", str(out), "--force", "--quiet"]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("make", ["missing", "empty", "garbage_manifest", "no_summary"])
def test_a_missing_or_broken_results_directory_is_one_message_and_exit_2(
        make: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "results"
    if make != "missing":
        target.mkdir()
    if make == "garbage_manifest":
        (target / "manifest.json").write_text("{not json")
    if make == "no_summary":
        (target / "manifest.json").write_text('{"plan": {"kind": "run", "scenario": '
                                              '{"name": "x", "parameters": {}}}}')
    assert main(["report", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spc: error: ") and str(target) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (target / "report.html").exists()
