"""The teaching experiments: same seed, same numbers, and pages that show them.

Each experiment runs once per test session with its published settings on the
sequential executor; its headline numbers must equal the pinned values below
(a change to the model that moves them is noticed here: review the experiment's
page, regenerate it with ``spc experiment run N --docs``, and update the pins
with ``python tests/test_teaching.py``), and its committed page must be what the
generator makes from the same run.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest
from test_calibration import BANDS

from analysis.teaching import build_report, index_markdown
from analysis.teaching.pages import DOCS_DIR, generated_part, page_path
from analysis.teaching.results import Results
from sim.cli import main
from sim.experiment.design import load_sweep
from sim.experiment.teaching import SCALED_COPY, find_experiment, list_experiments, run_teaching
from sim.scenario import load_scenario

NAMES = ["01_erlang_c", "02_reliability", "03_recovery_ladder", "04_competition", "05_cops",
         "06_encounter_kinds", "07_turnover", "08_demand_surge", "09_unit_variability"]

_RUNS: dict[str, Any] = {}


def report_of(name: str, root: Path) -> Any:
    """The experiment's report, from one run per session (sequential executor)."""
    if name not in _RUNS:
        spec = find_experiment(name)
        out = root / name
        if not (out / "manifest.json").is_file():  # (the command test may have made it)
            run_teaching(spec, out)
        _RUNS[name] = build_report(spec, out)
    return _RUNS[name]


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("teaching")


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# -- the experiments and their pages -------------------------------------------------------
def test_the_nine_experiments_in_order() -> None:
    specs = list_experiments()
    assert [s.name for s in specs] == NAMES
    assert [s.number for s in specs] == list(range(1, 10))
    for spec in specs:
        assert page_path(spec).is_file(), f"{spec.name}: no page in {DOCS_DIR}"
        assert (DOCS_DIR / "figures" / f"{spec.name}.png").is_file()


def test_the_behaviour_experiments_run_on_the_scaled_copy_of_the_default_market() -> None:
    """Every experiment on customers' behaviour spells out the teaching market's overrides,
    and they are the default market's values scaled: customers and paid acquisitions x 0.4,
    the desk's durations, the amounts per event and learning per complaint x 2.5 (a change
    of a default that the copy does not follow is caught here)."""
    default = load_scenario("scenarios/baseline.toml").flat()
    for key, text in (o.split("=", 1) for o in SCALED_COPY):
        factor = 0.4 if key in ("customers.initial", "growth.paid_per_month") else 2.5
        assert float(text) == pytest.approx(factor * default[key]), key
    for spec in list_experiments():
        if spec.name == "01_erlang_c":  # queue mode: no customers' behaviour
            continue
        overrides = (load_sweep(spec.sweep_path()).overrides if spec.kind == "sweep"
                     else spec.overrides)
        assert set(SCALED_COPY) <= set(overrides), spec.name


def test_the_small_market_files_are_the_scaled_copy(tmp_path: Path) -> None:
    """`scenarios/small_market.toml`, and the tutorial's copy of it that the reader writes,
    resolve to the teaching market: the default market with the scaled copy's overrides and
    the same horizon."""
    from test_docs_commands import parse_steps

    steps = parse_steps(Path("docs/tutorial/first-study.md").read_text())
    content = next(s.content for s in steps if s.file == "small_market.toml")
    (tmp_path / "scenarios").symlink_to(Path("scenarios").resolve(), target_is_directory=True)
    (tmp_path / "small_market.toml").write_text(content)
    copy = load_scenario("scenarios/baseline.toml",
                         [*SCALED_COPY, "run.years=1.5", "run.warmup_years=0.5"]).flat()
    assert load_scenario(tmp_path / "small_market.toml").flat() == copy
    assert load_scenario("scenarios/small_market.toml").flat() == copy


def test_the_teaching_market_is_profitable_and_within_the_published_bands(
        runs_root: Path) -> None:
    """The scaled copy's baseline (experiment 2, four replications of one measured year)
    makes a profit and lands in the calibration bands of the full market; provider turnover
    is left out: 8 providers quit about twice in a year, too few for a 10-point band."""
    report_of("02_reliability", runs_root)
    summary = Results.read(runs_root / "02_reliability").summary
    base = summary[summary["scenario"] == "baseline"]
    assert base["profit"].mean() > 0.0
    for kpi, low, high, source in BANDS:
        if kpi != "provider_turnover":
            assert low <= base[kpi].mean() <= high, (kpi, base[kpi].mean(), source)


@pytest.mark.parametrize("name", NAMES)
def test_headline_numbers_are_pinned(name: str, runs_root: Path) -> None:
    headline = report_of(name, runs_root).finding.headline
    pinned = PINNED[name]
    moved = {k: v for k, v in headline.items() if k not in pinned or not _same(v, pinned[k])}
    missing = sorted(set(pinned) - set(headline))
    assert not moved and not missing, (
        f"{name}: headline numbers moved ({len(moved)} changed, missing {missing}); if the "
        f"model change is intended, regenerate the page (spc experiment run {name} --docs), "
        f"review its text, and pin the new numbers:\n{headline!r}")


@pytest.mark.parametrize("name", NAMES)
def test_page_shows_what_the_package_produces(name: str, runs_root: Path) -> None:
    report = report_of(name, runs_root)
    page = page_path(report.spec).read_text()
    assert generated_part(page) == report.markdown, (
        f"docs/experiments/{name}.md is out of date: spc experiment run {name} --docs")
    rest = page.replace(report.markdown, "")
    assert "## How to read it" in rest and "## Exercises" in rest
    assert "(to be written)" not in rest


def test_index_lists_every_experiment() -> None:
    assert (DOCS_DIR / "index.md").read_text() == index_markdown(list_experiments()), (
        "docs/experiments/index.md is out of date: spc experiment list --docs")


# -- the command ---------------------------------------------------------------------------
def test_list_prints_number_name_and_title(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["experiment", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for number, name in enumerate(NAMES, start=1):
        spec = find_experiment(name)
        assert any(line.split()[:2] == [str(number), name] and spec.title in line
                   for line in lines), name


def test_unknown_experiment_is_a_clear_error(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    for bad in ("10_nothing", "42", "reliability"):
        assert main(["experiment", "run", bad, "--out", str(tmp_path / "x")]) == 2
        err = capsys.readouterr().err
        assert f"no teaching experiment '{bad}'" in err
        assert all(name in err for name in NAMES)
    assert not (tmp_path / "x").exists()


def test_run_by_number_and_by_name_and_out_is_not_overwritten(
        capsys: pytest.CaptureFixture[str], runs_root: Path) -> None:
    """On the session's results of the first experiment (made by the pinned-numbers test
    above, or here by number when it runs alone), so that it is not run once more."""
    out = runs_root / "01_erlang_c"
    args = ["--out", str(out), "--executor", "sequential", "--quiet"]
    if not (out / "manifest.json").is_file():
        assert main(["experiment", "run", "1", *args]) == 0

    # an existing results directory is refused by name, untouched, without --force
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert main(["experiment", "run", "01_erlang_c", *args]) == 2
    assert "already exists" in capsys.readouterr().err
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before

    # by number with --force: run again, the results page is the docs page's generated
    # part, pointing at its own figure
    assert main(["experiment", "run", "1", *args, "--force"]) == 0
    assert (out / "figure.png").is_file() and (out / "manifest.json").is_file()
    page = generated_part(page_path(find_experiment("1")).read_text())
    assert page is not None
    assert (out / "results.md").read_text() == page.replace("figures/01_erlang_c.png",
                                                            "figure.png")

    # --resume re-runs only a lost replication, and --json gives the pinned headline
    shards = sorted((out / "shards").rglob("*.parquet"))
    lost = shards[len(shards) // 2]
    kept = lost.read_bytes()
    lost.unlink()
    capsys.readouterr()
    assert main(["experiment", "run", "1", *args[:-1], "--resume", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["experiment"] == "01_erlang_c" and payload["number"] == 1
    assert payload["headline"] == pytest.approx(PINNED["01_erlang_c"], rel=1e-9)
    assert lost.read_bytes() == kept
    assert sorted((out / "shards").rglob("*.parquet")) == shards


# -- the pinned numbers (python tests/test_teaching.py prints them afresh) ------------------
PINNED: dict[str, dict[str, float]] = {
    '01_erlang_c': {
        'rho_0.70.mean_wait.mean': 0.07065776220364824,
        'rho_0.70.mean_wait.ci_low': 0.05938917950312371,
        'rho_0.70.mean_wait.ci_high': 0.08192634490417276,
        'rho_0.70.mean_wait.exact': 0.07391040529460513,
        'rho_0.70.p_wait.mean': 0.21911460985731984,
        'rho_0.70.p_wait.ci_low': 0.2020046457791025,
        'rho_0.70.p_wait.ci_high': 0.2362245739355372,
        'rho_0.70.p_wait.exact': 0.2217312158838154,
        'rho_0.80.mean_wait.mean': 0.1994998284777814,
        'rho_0.80.mean_wait.ci_low': 0.16263486451915626,
        'rho_0.80.mean_wait.ci_high': 0.2363647924364065,
        'rho_0.80.mean_wait.exact': 0.20459007539822177,
        'rho_0.80.p_wait.mean': 0.40343441950845177,
        'rho_0.80.p_wait.ci_low': 0.37606843562276915,
        'rho_0.80.p_wait.ci_high': 0.4308004033941344,
        'rho_0.80.p_wait.exact': 0.40918015079644354,
        'rho_0.90.mean_wait.mean': 0.6384836319563159,
        'rho_0.90.mean_wait.ci_low': 0.5675828011266092,
        'rho_0.90.mean_wait.ci_high': 0.7093844627860225,
        'rho_0.90.mean_wait.exact': 0.6687315241076972,
        'rho_0.90.p_wait.mean': 0.663655197655874,
        'rho_0.90.p_wait.ci_low': 0.6381377861150658,
        'rho_0.90.p_wait.ci_high': 0.6891726091966822,
        'rho_0.90.p_wait.exact': 0.6687315241076972,
    },
    '02_reliability': {
        'baseline.failure_rate.mean': 0.10258023854448553,
        'reliability_low.failure_rate.mean': 0.1730415273178649,
        'reliability_low.failure_rate.diff': 0.07046128877337937,
        'reliability_low.failure_rate.ci_low': 0.0684347207105459,
        'reliability_low.failure_rate.ci_high': 0.07248785683621284,
        'reliability_high.failure_rate.mean': 0.055794777941152,
        'reliability_high.failure_rate.diff': -0.04678546060333352,
        'reliability_high.failure_rate.ci_low': -0.04956787159250575,
        'reliability_high.failure_rate.ci_high': -0.044003049614161294,
        'baseline.satisfaction_index.mean': 74.2778095417062,
        'reliability_low.satisfaction_index.mean': 72.81593221078931,
        'reliability_low.satisfaction_index.diff': -1.461877330916895,
        'reliability_low.satisfaction_index.ci_low': -1.564140197063584,
        'reliability_low.satisfaction_index.ci_high': -1.3596144647702062,
        'reliability_high.satisfaction_index.mean': 75.2228685471095,
        'reliability_high.satisfaction_index.diff': 0.9450590054032837,
        'reliability_high.satisfaction_index.ci_low': 0.5197952409906357,
        'reliability_high.satisfaction_index.ci_high': 1.3703227698159317,
        'baseline.promoter_share.mean': 0.39072880041809493,
        'reliability_low.promoter_share.mean': 0.3540102386455909,
        'reliability_low.promoter_share.diff': -0.03671856177250411,
        'reliability_low.promoter_share.ci_low': -0.039936702727899474,
        'reliability_low.promoter_share.ci_high': -0.03350042081710875,
        'reliability_high.promoter_share.mean': 0.4193442068917374,
        'reliability_high.promoter_share.diff': 0.02861540647364244,
        'reliability_high.promoter_share.ci_low': 0.019006831115900454,
        'reliability_high.promoter_share.ci_high': 0.038223981831384424,
        'baseline.retention_rate.mean': 0.8366239683626336,
        'reliability_low.retention_rate.mean': 0.7823912210726287,
        'reliability_low.retention_rate.diff': -0.05423274729000496,
        'reliability_low.retention_rate.ci_low': -0.07060352780748558,
        'reliability_low.retention_rate.ci_high': -0.037861966772524354,
        'reliability_high.retention_rate.mean': 0.8656400770031082,
        'reliability_high.retention_rate.diff': 0.02901610864047452,
        'reliability_high.retention_rate.ci_low': 0.021808179031874403,
        'reliability_high.retention_rate.ci_high': 0.036224038249074636,
        'baseline.profit.mean': 154265.0698760271,
        'reliability_low.profit.mean': 112077.63397463356,
        'reliability_low.profit.diff': -42187.43590139353,
        'reliability_low.profit.ci_low': -75188.24886645548,
        'reliability_low.profit.ci_high': -9186.622936331587,
        'reliability_high.profit.mean': -3447.534064907115,
        'reliability_high.profit.diff': -157712.6039409342,
        'reliability_high.profit.ci_low': -169759.32169701456,
        'reliability_high.profit.ci_high': -145665.88618485385,
    },
    '03_recovery_ladder': {
        'baseline.complaint_share.mean': 0.04734451001397926,
        'empowerment_low.complaint_share.mean': 0.03527918274045966,
        'empowerment_low.complaint_share.diff': -0.012065327273519605,
        'empowerment_low.complaint_share.ci_low': -0.02297871972316313,
        'empowerment_low.complaint_share.ci_high': -0.0011519348238760788,
        'empowerment_high.complaint_share.mean': 0.061640030631677334,
        'empowerment_high.complaint_share.diff': 0.014295520617698069,
        'empowerment_high.complaint_share.ci_low': 0.0035566754642932883,
        'empowerment_high.complaint_share.ci_high': 0.02503436577110285,
        'baseline.recovery_rate.mean': 0.8136002548331094,
        'empowerment_low.recovery_rate.mean': 0.6451128095802054,
        'empowerment_low.recovery_rate.diff': -0.16848744525290388,
        'empowerment_low.recovery_rate.ci_low': -0.19362462054426618,
        'empowerment_low.recovery_rate.ci_high': -0.14335026996154157,
        'empowerment_high.recovery_rate.mean': 0.9335145093433137,
        'empowerment_high.recovery_rate.diff': 0.11991425451020435,
        'empowerment_high.recovery_rate.ci_low': 0.06699098439980741,
        'empowerment_high.recovery_rate.ci_high': 0.17283752462060128,
        'baseline.satisfaction_index.mean': 74.2778095417062,
        'empowerment_low.satisfaction_index.mean': 72.75252987480057,
        'empowerment_low.satisfaction_index.diff': -1.5252796669056359,
        'empowerment_low.satisfaction_index.ci_low': -2.7675491440907716,
        'empowerment_low.satisfaction_index.ci_high': -0.2830101897205002,
        'empowerment_high.satisfaction_index.mean': 76.1896638876003,
        'empowerment_high.satisfaction_index.diff': 1.911854345894092,
        'empowerment_high.satisfaction_index.ci_low': 1.0636946282614639,
        'empowerment_high.satisfaction_index.ci_high': 2.76001406352672,
        'baseline.retention_rate.mean': 0.8366239683626336,
        'empowerment_low.retention_rate.mean': 0.8120904554747643,
        'empowerment_low.retention_rate.diff': -0.024533512887869202,
        'empowerment_low.retention_rate.ci_low': -0.05746401465029722,
        'empowerment_low.retention_rate.ci_high': 0.008396988874558815,
        'empowerment_high.retention_rate.mean': 0.8700921716039477,
        'empowerment_high.retention_rate.diff': 0.033468203241314,
        'empowerment_high.retention_rate.ci_low': 0.016220591574289005,
        'empowerment_high.retention_rate.ci_high': 0.05071581490833899,
        'baseline.repurchase_by_outcome.did_not_complain.mean': 0.5405145785320271,
        'empowerment_low.repurchase_by_outcome.did_not_complain.mean': 0.498521333844374,
        'empowerment_high.repurchase_by_outcome.did_not_complain.mean': 0.575221489267941,
        'pooled.repurchase_by_outcome.did_not_complain.mean': 0.5380858005481141,
        'pooled.repurchase_by_outcome.did_not_complain.ci_low': 0.5123956265963516,
        'pooled.repurchase_by_outcome.did_not_complain.ci_high': 0.5637759744998765,
        'baseline.repurchase_by_outcome.complained_unresolved.mean': 0.8333333333333333,
        'empowerment_low.repurchase_by_outcome.complained_unresolved.mean': 0.6613636363636364,
        'empowerment_high.repurchase_by_outcome.complained_unresolved.mean': 0.875,
        'pooled.repurchase_by_outcome.complained_unresolved.mean': 0.7728787878787878,
        'pooled.repurchase_by_outcome.complained_unresolved.ci_low': 0.6410827378321136,
        'pooled.repurchase_by_outcome.complained_unresolved.ci_high': 0.9046748379254621,
        'baseline.repurchase_by_outcome.resolved.mean': 0.9,
        'empowerment_low.repurchase_by_outcome.resolved.mean': 0.7705357142857143,
        'empowerment_high.repurchase_by_outcome.resolved.mean': 1.0,
        'pooled.repurchase_by_outcome.resolved.mean': 0.8682142857142857,
        'pooled.repurchase_by_outcome.resolved.ci_low': 0.7502205260547214,
        'pooled.repurchase_by_outcome.resolved.ci_high': 0.98620804537385,
        'baseline.repurchase_by_outcome.resolved_quickly.mean': 0.7833333333333334,
        'empowerment_low.repurchase_by_outcome.resolved_quickly.mean': 0.7291666666666666,
        'empowerment_high.repurchase_by_outcome.resolved_quickly.mean': 0.7604166666666666,
        'pooled.repurchase_by_outcome.resolved_quickly.mean': 0.7576388888888889,
        'pooled.repurchase_by_outcome.resolved_quickly.ci_low': 0.6344870681442065,
        'pooled.repurchase_by_outcome.resolved_quickly.ci_high': 0.8807907096335712,
        'baseline.complaints.recovered_quickly': 0.5991189427312775,
        'baseline.complaints.recovered_escalated': 0.21145374449339208,
        'baseline.complaints.unresolved': 0.1894273127753304,
        'empowerment_low.complaints.recovered_quickly': 0.30522088353413657,
        'empowerment_low.complaints.recovered_escalated': 0.3373493975903614,
        'empowerment_low.complaints.unresolved': 0.357429718875502,
        'empowerment_high.complaints.recovered_quickly': 0.8741721854304636,
        'empowerment_high.complaints.recovered_escalated': 0.059602649006622516,
        'empowerment_high.complaints.unresolved': 0.06622516556291391,
    },
    '04_competition': {
        'competition_0.1.reliability_0.85.satisfaction_index': 69.75508811868308,
        'competition_0.1.reliability_0.85.retention_rate': 0.8316617405471045,
        'competition_0.1.reliability_0.85.promoter_share': 0.28533596488013463,
        'competition_0.1.reliability_0.93.satisfaction_index': 71.3500598485339,
        'competition_0.1.reliability_0.93.retention_rate': 0.8771896569066768,
        'competition_0.1.reliability_0.93.promoter_share': 0.3217809646237601,
        'competition_0.1.reliability_0.98.satisfaction_index': 71.92921525226275,
        'competition_0.1.reliability_0.98.retention_rate': 0.9098922227712114,
        'competition_0.1.reliability_0.98.promoter_share': 0.34041987775722193,
        'competition_0.5.reliability_0.85.satisfaction_index': 71.47606316342448,
        'competition_0.5.reliability_0.85.retention_rate': 0.7668713008862039,
        'competition_0.5.reliability_0.85.promoter_share': 0.3128463922348761,
        'competition_0.5.reliability_0.93.satisfaction_index': 72.92764097193857,
        'competition_0.5.reliability_0.93.retention_rate': 0.8097160467111567,
        'competition_0.5.reliability_0.93.promoter_share': 0.3506763874825301,
        'competition_0.5.reliability_0.98.satisfaction_index': 73.51836377264755,
        'competition_0.5.reliability_0.98.retention_rate': 0.8379858826263937,
        'competition_0.5.reliability_0.98.promoter_share': 0.37141786091882983,
        'competition_0.9.reliability_0.85.satisfaction_index': 76.88934170897004,
        'competition_0.9.reliability_0.85.retention_rate': 0.23407077935862355,
        'competition_0.9.reliability_0.85.promoter_share': 0.43814912707785353,
        'competition_0.9.reliability_0.93.satisfaction_index': 79.56452012834539,
        'competition_0.9.reliability_0.93.retention_rate': 0.2703030022711836,
        'competition_0.9.reliability_0.93.promoter_share': 0.5042399337653922,
        'competition_0.9.reliability_0.98.satisfaction_index': 81.63521493588958,
        'competition_0.9.reliability_0.98.retention_rate': 0.30237406287077334,
        'competition_0.9.reliability_0.98.promoter_share': 0.5578880243607561,
        'competition_0.1.slope': 3.4398142472553626,
        'competition_0.1.retention_mean': 0.8729145400749975,
        'competition_0.5.slope': 3.3820534652744842,
        'competition_0.5.retention_mean': 0.8048577434079182,
        'competition_0.9.slope': 1.4351757857067196,
        'competition_0.9.retention_mean': 0.26891594816686015,
        'competition_0.1.customers.top_decile': 0.9202069716775599,
        'competition_0.1.customers.middle_deciles': 0.8878011691793741,
        'competition_0.1.customers.bottom_decile': 0.7012527233115469,
        'competition_0.5.customers.top_decile': 0.8891364902506964,
        'competition_0.5.customers.middle_deciles': 0.8231472367082981,
        'competition_0.5.customers.bottom_decile': 0.56991643454039,
        'competition_0.9.customers.top_decile': 0.4904742602351034,
        'competition_0.9.customers.middle_deciles': 0.24434495371875317,
        'competition_0.9.customers.bottom_decile': 0.13371150729335493,
    },
    '05_cops': {
        'cops_encounter.mean_wait.mean': 0.01661417443695364,
        'cops_relationship.mean_wait.mean': 0.11155515613528472,
        'cops_relationship.mean_wait.diff': 0.09494098169833108,
        'cops_relationship.mean_wait.ci_low': 0.08907929196589362,
        'cops_relationship.mean_wait.ci_high': 0.10080267143076854,
        'cops_pseudo_relationship.mean_wait.mean': 0.014448820835504046,
        'cops_pseudo_relationship.mean_wait.diff': -0.0021653536014495955,
        'cops_pseudo_relationship.mean_wait.ci_low': -0.002817854618215841,
        'cops_pseudo_relationship.mean_wait.ci_high': -0.0015128525846833498,
        'cops_encounter.satisfaction_index.mean': 74.2778095417062,
        'cops_relationship.satisfaction_index.mean': 75.293180167864,
        'cops_relationship.satisfaction_index.diff': 1.0153706261577753,
        'cops_relationship.satisfaction_index.ci_low': 0.4293877932959159,
        'cops_relationship.satisfaction_index.ci_high': 1.6013534590196348,
        'cops_pseudo_relationship.satisfaction_index.mean': 72.75145170597395,
        'cops_pseudo_relationship.satisfaction_index.diff': -1.52635783573227,
        'cops_pseudo_relationship.satisfaction_index.ci_low': -1.7530798672779528,
        'cops_pseudo_relationship.satisfaction_index.ci_high': -1.2996358041865872,
        'cops_encounter.promoter_conversion.mean': 0.2707590569292697,
        'cops_relationship.promoter_conversion.mean': 0.3120129350732454,
        'cops_relationship.promoter_conversion.diff': 0.04125387814397572,
        'cops_relationship.promoter_conversion.ci_low': -0.06266105367349711,
        'cops_relationship.promoter_conversion.ci_high': 0.14516880996144857,
        'cops_pseudo_relationship.promoter_conversion.mean': 0.20696575731741973,
        'cops_pseudo_relationship.promoter_conversion.diff': -0.06379329961184999,
        'cops_pseudo_relationship.promoter_conversion.ci_low': -0.20728026456069243,
        'cops_pseudo_relationship.promoter_conversion.ci_high': 0.07969366533699246,
        'cops_encounter.retention_rate.mean': 0.8366239683626336,
        'cops_relationship.retention_rate.mean': 0.8614383582675098,
        'cops_relationship.retention_rate.diff': 0.024814389904876222,
        'cops_relationship.retention_rate.ci_low': -0.004825201277114388,
        'cops_relationship.retention_rate.ci_high': 0.05445398108686683,
        'cops_pseudo_relationship.retention_rate.mean': 0.8049638118776093,
        'cops_pseudo_relationship.retention_rate.diff': -0.03166015648502435,
        'cops_pseudo_relationship.retention_rate.ci_low': -0.044775398111547196,
        'cops_pseudo_relationship.retention_rate.ci_high': -0.018544914858501505,
        'cops_encounter.defections_by_reason.followed_provider.mean': 0.0,
        'cops_relationship.defections_by_reason.followed_provider.mean': 65.0,
        'cops_relationship.defections_by_reason.followed_provider.diff': 65.0,
        'cops_relationship.defections_by_reason.followed_provider.ci_low': -9.363086335651786,
        'cops_relationship.defections_by_reason.followed_provider.ci_high': 139.3630863356518,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.mean': 0.0,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.diff': 0.0,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.ci_low': 0.0,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.ci_high': 0.0,
        'cops_encounter.profit.mean': 154265.0698760271,
        'cops_relationship.profit.mean': 174600.16441345483,
        'cops_relationship.profit.diff': 20335.094537427736,
        'cops_relationship.profit.ci_low': 9173.339016053267,
        'cops_relationship.profit.ci_high': 31496.850058802207,
        'cops_pseudo_relationship.profit.mean': 122171.26670497126,
        'cops_pseudo_relationship.profit.diff': -32093.803171055828,
        'cops_pseudo_relationship.profit.ci_low': -52797.06744096664,
        'cops_pseudo_relationship.profit.ci_high': -11390.53890114502,
    },
    '06_encounter_kinds': {
        'encounter_first_kind.utilisation.mean': 0.5743836847842837,
        'encounter_second_kind.utilisation.mean': 0.5906165382325802,
        'encounter_second_kind.utilisation.diff': 0.01623285344829642,
        'encounter_second_kind.utilisation.ci_low': 0.012393137694768026,
        'encounter_second_kind.utilisation.ci_high': 0.020072569201824812,
        'encounter_third_kind.utilisation.mean': 0.6490264061828235,
        'encounter_third_kind.utilisation.diff': 0.07464272139853978,
        'encounter_third_kind.utilisation.ci_low': 0.07054819352534898,
        'encounter_third_kind.utilisation.ci_high': 0.07873724927173058,
        'encounter_first_kind.mean_wait.mean': 0.014381582606706921,
        'encounter_second_kind.mean_wait.mean': 0.016592819200854647,
        'encounter_second_kind.mean_wait.diff': 0.0022112365941477263,
        'encounter_second_kind.mean_wait.ci_low': 0.0008144066232057673,
        'encounter_second_kind.mean_wait.ci_high': 0.003608066565089685,
        'encounter_third_kind.mean_wait.mean': 0.027353522922748803,
        'encounter_third_kind.mean_wait.diff': 0.012971940316041881,
        'encounter_third_kind.mean_wait.ci_low': 0.009972623829933015,
        'encounter_third_kind.mean_wait.ci_high': 0.015971256802150748,
        'encounter_first_kind.failure_rate.mean': 0.10528083368210493,
        'encounter_second_kind.failure_rate.mean': 0.10862871225037499,
        'encounter_second_kind.failure_rate.diff': 0.0033478785682700477,
        'encounter_second_kind.failure_rate.ci_low': 0.0016897634489052215,
        'encounter_second_kind.failure_rate.ci_high': 0.005005993687634874,
        'encounter_third_kind.failure_rate.mean': 0.08311520586526484,
        'encounter_third_kind.failure_rate.diff': -0.02216562781684008,
        'encounter_third_kind.failure_rate.ci_low': -0.026275802933269428,
        'encounter_third_kind.failure_rate.ci_high': -0.01805545270041073,
        'encounter_first_kind.satisfaction_index.mean': 74.14909348447549,
        'encounter_second_kind.satisfaction_index.mean': 74.1420105661899,
        'encounter_second_kind.satisfaction_index.diff': -0.007082918285597373,
        'encounter_second_kind.satisfaction_index.ci_low': -0.06479018555097672,
        'encounter_second_kind.satisfaction_index.ci_high': 0.05062434897978198,
        'encounter_third_kind.satisfaction_index.mean': 74.67446201104212,
        'encounter_third_kind.satisfaction_index.diff': 0.5253685265666377,
        'encounter_third_kind.satisfaction_index.ci_low': 0.18029411311308646,
        'encounter_third_kind.satisfaction_index.ci_high': 0.870442940020189,
        'encounter_first_kind.promoter_conversion.mean': 0.3113774052798443,
        'encounter_second_kind.promoter_conversion.mean': 0.27926560208790174,
        'encounter_second_kind.promoter_conversion.diff': -0.03211180319194256,
        'encounter_second_kind.promoter_conversion.ci_low': -0.19892451382374096,
        'encounter_second_kind.promoter_conversion.ci_high': 0.13470090743985583,
        'encounter_third_kind.promoter_conversion.mean': 0.3195282161447575,
        'encounter_third_kind.promoter_conversion.diff': 0.008150810864913184,
        'encounter_third_kind.promoter_conversion.ci_low': -0.11452498262257782,
        'encounter_third_kind.promoter_conversion.ci_high': 0.1308266043524042,
        'encounter_first_kind.retention_rate.mean': 0.8347397933881116,
        'encounter_second_kind.retention_rate.mean': 0.8360578302951013,
        'encounter_second_kind.retention_rate.diff': 0.0013180369069896447,
        'encounter_second_kind.retention_rate.ci_low': -0.0061948400774386935,
        'encounter_second_kind.retention_rate.ci_high': 0.008830913891417984,
        'encounter_third_kind.retention_rate.mean': 0.8483293306161921,
        'encounter_third_kind.retention_rate.diff': 0.013589537228080456,
        'encounter_third_kind.retention_rate.ci_low': 0.007971478358447769,
        'encounter_third_kind.retention_rate.ci_high': 0.019207596097713144,
        'encounter_first_kind.profit.mean': 157537.67690851472,
        'encounter_second_kind.profit.mean': 150282.92356552163,
        'encounter_second_kind.profit.diff': -7254.753342993092,
        'encounter_second_kind.profit.ci_low': -17190.560179613698,
        'encounter_second_kind.profit.ci_high': 2681.053493627516,
        'encounter_third_kind.profit.mean': 171263.70654685545,
        'encounter_third_kind.profit.diff': 13726.029638340726,
        'encounter_third_kind.profit.ci_low': 335.2320471987732,
        'encounter_third_kind.profit.ci_high': 27116.82722948268,
    },
    '07_turnover': {
        'baseline.provider_job_satisfaction.mean': 0.6041343586285021,
        'high_turnover.provider_job_satisfaction.mean': 0.4484145628447384,
        'high_turnover.provider_job_satisfaction.diff': -0.15571979578376366,
        'high_turnover.provider_job_satisfaction.ci_low': -0.20073088418418591,
        'high_turnover.provider_job_satisfaction.ci_high': -0.1107087073833414,
        'baseline.provider_turnover.mean': 0.2349159156195295,
        'high_turnover.provider_turnover.mean': 1.3257395861570365,
        'high_turnover.provider_turnover.diff': 1.0908236705375072,
        'high_turnover.provider_turnover.ci_low': 0.7181214377615803,
        'high_turnover.provider_turnover.ci_high': 1.463525903313434,
        'baseline.mean_competency.mean': 0.967550501303163,
        'high_turnover.mean_competency.mean': 0.8621673872482125,
        'high_turnover.mean_competency.diff': -0.1053831140549505,
        'high_turnover.mean_competency.ci_low': -0.12947671694785295,
        'high_turnover.mean_competency.ci_high': -0.08128951116204806,
        'baseline.failure_rate.mean': 0.10210629785276866,
        'high_turnover.failure_rate.mean': 0.10770486265206553,
        'high_turnover.failure_rate.diff': 0.005598564799296858,
        'high_turnover.failure_rate.ci_low': 0.0039451812082596195,
        'high_turnover.failure_rate.ci_high': 0.007251948390334097,
        'baseline.mean_quality.mean': 0.8133791703126719,
        'high_turnover.mean_quality.mean': 0.7643607537214289,
        'high_turnover.mean_quality.diff': -0.049018416591243154,
        'high_turnover.mean_quality.ci_low': -0.05908882161169511,
        'high_turnover.mean_quality.ci_high': -0.0389480115707912,
        'baseline.satisfaction_index.mean': 74.53850528886942,
        'high_turnover.satisfaction_index.mean': 68.95371815011738,
        'high_turnover.satisfaction_index.diff': -5.584787138752023,
        'high_turnover.satisfaction_index.ci_low': -6.604432403123486,
        'high_turnover.satisfaction_index.ci_high': -4.56514187438056,
        'baseline.retention_rate.mean': 0.8392193059224374,
        'high_turnover.retention_rate.mean': 0.7409689430618981,
        'high_turnover.retention_rate.diff': -0.09825036286053922,
        'high_turnover.retention_rate.ci_low': -0.12024082430671953,
        'high_turnover.retention_rate.ci_high': -0.0762599014143589,
        'baseline.profit.mean': 163221.75060391307,
        'high_turnover.profit.mean': 82864.67233679448,
        'high_turnover.profit.diff': -80357.0782671186,
        'high_turnover.profit.ci_low': -98463.63525654835,
        'high_turnover.profit.ci_high': -62250.521277688844,
    },
    '08_demand_surge': {
        'steady.utilisation.mean': 0.5969433915773352,
        'demand_surge.utilisation.mean': 0.5958232111589802,
        'demand_surge.utilisation.diff': -0.0011201804183550435,
        'demand_surge.utilisation.ci_low': -0.04089001215029285,
        'demand_surge.utilisation.ci_high': 0.038649651313582764,
        'steady.mean_wait.mean': 0.01723485761488278,
        'demand_surge.mean_wait.mean': 0.029748984102012762,
        'demand_surge.mean_wait.diff': 0.012514126487129983,
        'demand_surge.mean_wait.ci_low': 0.008330828548203821,
        'demand_surge.mean_wait.ci_high': 0.016697424426056144,
        'steady.mean_quality.mean': 0.8113054430194724,
        'demand_surge.mean_quality.mean': 0.7949309075629758,
        'demand_surge.mean_quality.diff': -0.016374535456496753,
        'demand_surge.mean_quality.ci_low': -0.023633059612730906,
        'demand_surge.mean_quality.ci_high': -0.0091160113002626,
        'steady.satisfaction_index.mean': 74.43170860120367,
        'demand_surge.satisfaction_index.mean': 71.7988849736293,
        'demand_surge.satisfaction_index.diff': -2.6328236275743713,
        'demand_surge.satisfaction_index.ci_low': -3.292928076093566,
        'demand_surge.satisfaction_index.ci_high': -1.9727191790551766,
        'steady.retention_rate.mean': 0.83946472159964,
        'demand_surge.retention_rate.mean': 0.7799886765753541,
        'demand_surge.retention_rate.diff': -0.05947604502428605,
        'demand_surge.retention_rate.ci_low': -0.07751575508234368,
        'demand_surge.retention_rate.ci_high': -0.04143633496622842,
        'steady.profit.mean': 167636.6177175345,
        'demand_surge.profit.mean': 200132.40676269174,
        'demand_surge.profit.diff': 32495.78904515723,
        'demand_surge.profit.ci_low': 19801.93668341451,
        'demand_surge.profit.ci_high': 45189.64140689995,
        'steady.before.utilisation': 0.5778663445187556,
        'steady.before.standard_minutes': 62.50000000000001,
        'steady.before.quality_factor': 1.0,
        'steady.before.satisfaction_index': 73.9584674770325,
        'steady.during.utilisation': 0.5864672894210983,
        'steady.during.standard_minutes': 62.50000000000001,
        'steady.during.quality_factor': 1.0,
        'steady.during.satisfaction_index': 74.22033817170143,
        'steady.after.utilisation': 0.6027490238789333,
        'steady.after.standard_minutes': 62.50000000000001,
        'steady.after.quality_factor': 1.0,
        'steady.after.satisfaction_index': 74.53314881983292,
        'demand_surge.before.utilisation': 0.5778663445187556,
        'demand_surge.before.standard_minutes': 62.50000000000001,
        'demand_surge.before.quality_factor': 1.0,
        'demand_surge.before.satisfaction_index': 73.9584674770325,
        'demand_surge.during.utilisation': 0.7906384946872944,
        'demand_surge.during.standard_minutes': 60.85699556066294,
        'demand_surge.during.quality_factor': 0.9187165068897565,
        'demand_surge.during.satisfaction_index': 68.74609812197747,
        'demand_surge.after.utilisation': 0.5394701953747387,
        'demand_surge.after.standard_minutes': 59.61528242060675,
        'demand_surge.after.quality_factor': 0.953844518729708,
        'demand_surge.after.satisfaction_index': 72.57208227387576,
    },
    '09_unit_variability': {
        'flagship.satisfaction_index.mean': 73.4071061388266,
        'standard.satisfaction_index.mean': 71.32269185436121,
        'struggling.satisfaction_index.mean': 69.4059236488333,
        'flagship-struggling.satisfaction_index.diff': 4.001182489993319,
        'flagship.retention_rate.mean': 0.8433118841185039,
        'standard.retention_rate.mean': 0.7764514212364655,
        'struggling.retention_rate.mean': 0.7243851611307011,
        'flagship-struggling.retention_rate.diff': 0.1189267229878028,
        'flagship.failure_rate.mean': 0.06528849015668514,
        'standard.failure_rate.mean': 0.1061553225137956,
        'struggling.failure_rate.mean': 0.14995314455642084,
        'flagship-struggling.failure_rate.diff': -0.0846646543997357,
        'flagship.provider_turnover.mean': 0.17136051070625347,
        'standard.provider_turnover.mean': 0.5336978646104238,
        'struggling.provider_turnover.mean': 0.3429532744060138,
        'flagship-struggling.provider_turnover.diff': -0.17159276369976034,
        'flagship.profit.mean': 25665.81661050323,
        'standard.profit.mean': 42485.06648737337,
        'struggling.profit.mean': 53375.942375923434,
        'flagship-struggling.profit.diff': -27710.125765420205,
        'variance_share.among_units': 0.05211056455755406,
        'variance_share.among_providers': 0.019420991185678853,
        'variance_share.within_providers': 0.928468444256767,
        'flagship.encounter_quality.mean': 0.8381043913181311,
        'standard.encounter_quality.mean': 0.8077310752777263,
        'struggling.encounter_quality.mean': 0.7783220995616522,
    },
}


if __name__ == "__main__":  # pragma: no cover
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="spc-teaching-"))
    wanted = sys.argv[1:] or NAMES
    print("PINNED: dict[str, dict[str, float]] = {")
    for name in wanted:
        print(f"    {name!r}: {{")
        for key, val in report_of(name, root).finding.headline.items():
            text = "math.nan" if math.isnan(val) else repr(val)
            print(f"        {key!r}: {text},")
        print("    },")
    print("}")


def test_a_misspelt_kpi_in_an_experiment_manifest_fails_before_running(tmp_path: Path) -> None:
    import shutil

    from sim.errors import UserError
    from sim.experiment.teaching import MANIFEST, list_experiments, load_spec

    source = list_experiments()[1].folder
    folder = tmp_path / source.name
    shutil.copytree(source, folder)
    manifest = folder / MANIFEST
    text = manifest.read_text()
    assert '"retention_rate"' in text
    manifest.write_text(text.replace('"retention_rate"', '"retention_rat"', 1))
    with pytest.raises(UserError, match=r"key 'kpis'.*did you mean retention_rate"):
        load_spec(folder)
