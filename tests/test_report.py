"""``spc report``: a self-contained page whose numbers are the computed ones.

Tiny results directories (a few simulated months, 200 customers) are made once
per module: replications, a comparison with a description full of markup, a
single run and a two-point sweep.
"""

from __future__ import annotations

import base64
import math
import os
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import analysis
from analysis.plots.comparison import VERDICT_COLOURS
from analysis.report import load_study, report_figures, write_report
from analysis.report.document import Figure
from analysis.report.figures import HEADLINE, png_dpi
from analysis.report.headline import headline_figure
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


def no_figures(study: object, progress: object = None) -> list[object]:
    return []


#: reports made with their figures (figures cost seconds; the others test text and numbers)
WITH_FIGURES = ("compare", "sweep")


@pytest.fixture(scope="module")
def compare_figures(dirs: dict[str, Path]) -> list[Figure]:
    """The comparison's figures, rendered once for the HTML and the Markdown report."""
    return report_figures(load_study(dirs["compare"]))


@pytest.fixture(scope="module")
def pages(dirs: dict[str, Path], compare_figures: list[Figure]) -> dict[str, tuple[str, Page]]:
    out = {}
    for name in ("reps", "compare", "sweep", "single"):
        with pytest.MonkeyPatch.context() as mp:
            if name == "compare":
                mp.setattr("analysis.report.report_figures", lambda s, p=None: compare_figures)
            elif name not in WITH_FIGURES:
                mp.setattr("analysis.report.report_figures", no_figures)
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


# -- the answer first, links, figures ---------------------------------------------------------
def test_the_decision_and_its_figure_open_the_report(pages: dict[str, tuple[str, Page]]) -> None:
    page = pages["compare"][1]
    sections = [a["id"] for t, a in page.tags if t == "section"]
    assert sections == ["decision", "figures", "kpis", "comparisons", "what-was-run",
                        "stress-des"]  # the answers before what was run
    order = [a.get("id") for t, a in page.tags if t in ("section", "figure", "table")]
    decision = order[order.index("decision"):order.index("figures")]
    assert decision == ["decision", f"figure-{HEADLINE}", "decision"], decision  # then table
    first = [a["id"] for t, a in pages["reps"][1].tags if t == "section"]
    assert first == ["kpis", "figures", "what-was-run", "stress-des"]  # no decision: the KPIs


def test_headline_figure_draws_the_decision_with_the_comparisons_verdict(
        dirs: dict[str, Path]) -> None:
    tables = analysis.load(dirs["compare"])
    decision = tables["decision"]
    fig = headline_figure(decision, "baseline")
    assert fig is not None
    lines = {line.get_gid(): line for line in fig.axes[0].get_lines() if line.get_gid()}
    row = decision.set_index("scenario").loc["reliable"]
    interval = lines["interval reliable"]
    assert list(interval.get_xdata()) == [row["ci_low"], row["ci_high"]]
    assert list(lines["difference reliable"].get_xdata()) == [row["diff"]]
    ranks = {name: int(r) for name, r in zip(decision["scenario"], decision["rank"], strict=True)}
    assert lines["interval reliable"].get_ydata()[0] == ranks["reliable"] - 1  # best on top
    assert list(lines["base baseline"].get_xdata()) == [0.0]
    comp = tables["comparisons"].set_index(["scenario", "kpi"]).loc[("reliable", "profit")]
    assert interval.get_color() == VERDICT_COLOURS[comp["verdict"]]  # as the table says


@pytest.mark.parametrize("name", ["reps", "compare", "sweep", "single"])
def test_links_are_relative_and_lead_to_the_documentation(
        dirs: dict[str, Path], pages: dict[str, tuple[str, Page]], name: str) -> None:
    links = [a["href"] for t, a in pages[name][1].tags if t == "a" and a.get("href")]
    docs = [h for h in links if h and not h.startswith("#")]
    assert docs, "the report links to the KPI reference and the model description"
    for href in docs:
        assert href is not None and "://" not in href and not href.startswith(("/", "file:"))
        assert (dirs[name] / href).resolve().is_file(), href


def marker_images() -> tuple[bytes, bytes]:
    """A small figure as PNG (150 dpi, as spc plot saves) and SVG: what a saved figure is."""
    import io

    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(2, 1))
    fig.text(0.5, 0.5, "saved by spc plot")
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=150)
    fig.savefig(svg, format="svg")
    return png.getvalue(), svg.getvalue()


def test_saved_figures_are_reused_and_only_missing_or_stale_ones_drawn(
        dirs: dict[str, Path], compare_figures: list[Figure], tmp_path: Path) -> None:
    results = tmp_path / "compare"
    shutil.copytree(dirs["compare"], results)  # file times kept
    stems = [f.name for f in compare_figures if f.name != HEADLINE]
    missing, stale, svg_only = "satisfaction_retention", "failure_sources", "complaints_recovery"
    assert {missing, stale, svg_only} <= set(stems)
    png, svg = marker_images()
    folder = results / "figures"
    folder.mkdir()
    for stem in stems:
        if stem == svg_only:
            (folder / f"{stem}.svg").write_bytes(svg)
        elif stem != missing:
            (folder / f"{stem}.png").write_bytes(png)
    older = (results / "manifest.json").stat().st_mtime - 60
    os.utime(folder / f"{stale}.png", (older, older))  # drawn before the results changed
    seen: list[str] = []

    def progress(steps: list[Any]) -> Iterator[Any]:
        for step in steps:
            seen.append(step[0])
            yield step

    out = write_report(results, tmp_path / "r.html", progress=progress)
    # one step per figure the results may support (kpis_by_unit draws nothing for one
    # unit), the headline first; every figure shown is among them, in their order
    assert seen[0] == HEADLINE and [s for s in seen if s in stems] == stems
    assert set(seen) - set(stems) <= {HEADLINE, "kpis_by_unit"}
    shown: dict[str, dict[str, str | None]] = {}  # figure name: its image's attributes
    figure = ""
    for tag, attrs in Page(out.read_text(encoding="utf-8")).tags:
        figure = str(attrs["id"]).removeprefix("figure-") if tag == "figure" else figure
        if tag == "img":
            shown[figure] = attrs
    assert list(shown) == [HEADLINE, *stems]
    for stem in stems:
        kind, data = str(shown[stem]["src"]).split(",", 1)
        image = base64.b64decode(data)
        if stem in (missing, stale):
            assert kind == "data:image/png;base64" and image != png, stem  # drawn
            assert round(png_dpi(image) or 0) == 110
        elif stem == svg_only:
            assert kind == "data:image/svg+xml;base64" and image == svg
            assert shown[stem]["width"] == "220"  # 2 inches at the report's 110 dpi
        else:
            assert kind == "data:image/png;base64" and image == png, stem  # read back
            assert shown[stem]["width"] == "220"  # 300 pixels at 150 dpi: 2 inches
    # saved again, as spc plot would: now every one is read back, and the Markdown report
    # copies them as they are, SVG included
    for stem in (missing, stale):
        (folder / f"{stem}.png").write_bytes(png)
    md = write_report(results, tmp_path / "r.md", "md")
    assert (tmp_path / "r_figures" / f"{missing}.png").read_bytes() == png
    assert (tmp_path / "r_figures" / f"{svg_only}.svg").read_bytes() == svg
    assert (tmp_path / "r_figures" / f"{stems[0]}.png").read_bytes() == png
    assert f"r_figures/{svg_only}.svg" in md.read_text()


def test_progress_bar_names_each_figure_on_a_terminal_and_is_silent_with_quiet(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl
    import select
    import struct
    import termios

    from sim.cli_plot import figure_progress

    steps = [("kpis_over_time", "", None), ("comparison_forest", "", None)]
    for quiet in (False, True):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        shown = b""
        with open(slave, "w") as terminal:
            monkeypatch.setattr("sys.stderr", terminal)
            assert list(figure_progress(quiet)(steps)) == steps
            terminal.flush()
            while select.select([master], [], [], 0.2)[0]:
                shown += os.read(master, 65536)
        os.close(master)
        text = shown.decode()
        if quiet:
            assert text == ""
        else:
            assert "figures" in text and "kpis_over_time" in text and "2/2" in text


# -- the numbers ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["reps", "compare"])
def test_kpi_table_holds_the_computed_intervals(dirs: dict[str, Path],
                                                pages: dict[str, tuple[str, Page]],
                                                name: str) -> None:
    summary = analysis.load(dirs[name])["summary"]
    shown = pages[name][1].table("kpis").set_index("KPI")
    scenarios = list(dict.fromkeys(summary["scenario"]))
    # one scenario: a mean and an interval column; several: one column each, the interval
    # under the mean in the same cell (so that the table fits the page)
    assert list(shown.columns) == (["mean", "95 % interval", "n", "unit"] if len(scenarios) == 1
                                   else [*scenarios, "n", "unit"])
    for scenario in scenarios:
        expected = summarise_replications(summary[summary["scenario"] == scenario])
        assert set(shown.index) == set(expected["kpi"])
        for row in expected.itertuples():
            if len(scenarios) == 1:
                mean, iv = shown.loc[row.kpi, "mean"], shown.loc[row.kpi, "95 % interval"]
            else:
                mean, _, iv = shown.loc[row.kpi, scenario].partition(" ")
            if math.isnan(row.mean):  # undefined in every replication (a short run closes no
                # 12-month repurchase horizon)
                assert mean == "n/a", row.kpi
                continue
            assert close(numbers(mean)[0], row.mean), row.kpi
            if math.isnan(row.ci_low):  # fewer than two replications with a value
                assert iv == "n/a"
                continue
            low, high = numbers(iv)
            assert close(low, row.ci_low) and close(high, row.ci_high), row.kpi
            assert low <= numbers(mean)[0] <= high


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


def test_a_sweep_with_many_kpis_gets_several_tables_that_fit_the_page(
        dirs: dict[str, Path]) -> None:
    import copy

    from analysis.report.content import SWEEP_COLUMNS, ordered_kpis, sweep_kpi_tables

    study = load_study(dirs["sweep"])
    many = [k for k in study.summary.columns if k in set(SURVIVOR_KPIS) | {
        "retention_rate", "profit", "failure_rate", "mean_wait", "recovery_rate", "clv"}]
    assert len(many) >= 9
    manifest = copy.deepcopy(study.manifest)
    manifest["plan"]["sweep"]["kpis"] = many
    study.manifest = manifest
    tables = sweep_kpi_tables(study)
    assert len(tables) >= 2 and tables[0].ident == "kpis-sweep"
    widths = [len(t.columns) for t in tables]
    assert max(widths) <= SWEEP_COLUMNS and max(widths) - min(widths) <= 1  # shared evenly
    assert all(t.columns[:2] == ("point", "organization.empowerment") for t in tables)
    assert [k for t in tables for k in t.columns[2:]] == ordered_kpis(many)
    assert all(len(t.rows) == 2 and len(r) == len(t.columns) for t in tables for r in t.rows)


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
    monkeypatch.setattr("analysis.report.report_figures", lambda s, p=None: compare_figures)
    out = tmp_path / "notes" / "study.md"
    assert main(["report", str(dirs["compare"]), "--out", str(out), "--quiet"]) == 0
    text = out.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links and all(not Path(link).is_absolute() for link in links)
    for link in links:
        assert (out.parent / link).read_bytes().startswith(b"\x89PNG")
    assert {p.name for p in (tmp_path / "notes" / "study_figures").iterdir()} == \
        {Path(link).name for link in links} == {f"{f.name}.{f.suffix}" for f in compare_figures}
    docs = re.findall(r"\]\(<([^>]+)>\)", text)  # documentation links, relative to notes/
    assert docs and all(not Path(d).is_absolute() and (out.parent / d).resolve().is_file()
                        for d in docs), docs
    outside_code = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # the manifest, verbatim
    assert "<script>" not in outside_code and "&lt;script&gt;" in outside_code
    assert "| retention\\_rate |" in text


# -- refusing -------------------------------------------------------------------------------
def test_an_existing_report_is_kept_without_force(dirs: dict[str, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("analysis.report.report_figures", no_figures)
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
