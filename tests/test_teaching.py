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

from analysis.teaching import build_report, index_markdown
from analysis.teaching.pages import DOCS_DIR, generated_part, page_path
from sim.cli import main
from sim.experiment.teaching import find_experiment, list_experiments, run_teaching

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
        'baseline.failure_rate.mean': 0.10202270641263794,
        'reliability_low.failure_rate.mean': 0.17877187197941263,
        'reliability_low.failure_rate.diff': 0.0767491655667747,
        'reliability_low.failure_rate.ci_low': 0.0730442999772649,
        'reliability_low.failure_rate.ci_high': 0.08045403115628451,
        'reliability_high.failure_rate.mean': 0.05589398246560426,
        'reliability_high.failure_rate.diff': -0.046128723947033684,
        'reliability_high.failure_rate.ci_low': -0.04773851507934734,
        'reliability_high.failure_rate.ci_high': -0.044518932814720025,
        'baseline.satisfaction_index.mean': 70.03883797544034,
        'reliability_low.satisfaction_index.mean': 68.91598692406691,
        'reliability_low.satisfaction_index.diff': -1.1228510513734342,
        'reliability_low.satisfaction_index.ci_low': -1.4978619516411789,
        'reliability_low.satisfaction_index.ci_high': -0.7478401511056896,
        'reliability_high.satisfaction_index.mean': 70.59211751799468,
        'reliability_high.satisfaction_index.diff': 0.5532795425543569,
        'reliability_high.satisfaction_index.ci_low': 0.17544072268283856,
        'reliability_high.satisfaction_index.ci_high': 0.9311183624258752,
        'baseline.promoter_share.mean': 0.30987472684758205,
        'reliability_low.promoter_share.mean': 0.28288963429732117,
        'reliability_low.promoter_share.diff': -0.026985092550260888,
        'reliability_low.promoter_share.ci_low': -0.037896373071839955,
        'reliability_low.promoter_share.ci_high': -0.01607381202868182,
        'reliability_high.promoter_share.mean': 0.32525077084597465,
        'reliability_high.promoter_share.diff': 0.015376043998392631,
        'reliability_high.promoter_share.ci_low': 0.0064477979478043575,
        'reliability_high.promoter_share.ci_high': 0.024304290048980905,
        'baseline.retention_rate.mean': 0.7555134655255615,
        'reliability_low.retention_rate.mean': 0.6972220707557786,
        'reliability_low.retention_rate.diff': -0.058291394769782984,
        'reliability_low.retention_rate.ci_low': -0.07013238507130858,
        'reliability_low.retention_rate.ci_high': -0.0464504044682574,
        'reliability_high.retention_rate.mean': 0.7909015744995699,
        'reliability_high.retention_rate.diff': 0.03538810897400821,
        'reliability_high.retention_rate.ci_low': 0.023937799905179427,
        'reliability_high.retention_rate.ci_high': 0.04683841804283699,
        'baseline.profit.mean': -9739.809336924707,
        'reliability_low.profit.mean': -13409.870820284501,
        'reliability_low.profit.diff': -3670.061483359794,
        'reliability_low.profit.ci_low': -11102.855234782128,
        'reliability_low.profit.ci_high': 3762.7322680625402,
        'reliability_high.profit.mean': -122348.19955987428,
        'reliability_high.profit.diff': -112608.39022294957,
        'reliability_high.profit.ci_low': -123704.49513132939,
        'reliability_high.profit.ci_high': -101512.28531456976,
    },
    '03_recovery_ladder': {
        'baseline.complaint_share.mean': 0.027769073277429154,
        'empowerment_low.complaint_share.mean': 0.02028347029502989,
        'empowerment_low.complaint_share.diff': -0.007485602982399266,
        'empowerment_low.complaint_share.ci_low': -0.018015491317511158,
        'empowerment_low.complaint_share.ci_high': 0.0030442853527126246,
        'empowerment_high.complaint_share.mean': 0.030324038831353185,
        'empowerment_high.complaint_share.diff': 0.002554965553924032,
        'empowerment_high.complaint_share.ci_low': -0.002102499043939033,
        'empowerment_high.complaint_share.ci_high': 0.0072124301517870965,
        'baseline.recovery_rate.mean': 0.7501826298701298,
        'empowerment_low.recovery_rate.mean': 0.6387001594896332,
        'empowerment_low.recovery_rate.diff': -0.11148247038049672,
        'empowerment_low.recovery_rate.ci_low': -0.1818523991982942,
        'empowerment_low.recovery_rate.ci_high': -0.04111254156269921,
        'empowerment_high.recovery_rate.mean': 0.9061775239566892,
        'empowerment_high.recovery_rate.diff': 0.1559948940865594,
        'empowerment_high.recovery_rate.ci_low': 0.05012048342998926,
        'empowerment_high.recovery_rate.ci_high': 0.2618693047431295,
        'baseline.satisfaction_index.mean': 70.03883797544034,
        'empowerment_low.satisfaction_index.mean': 68.12747830519587,
        'empowerment_low.satisfaction_index.diff': -1.9113596702444653,
        'empowerment_low.satisfaction_index.ci_low': -4.749568337562174,
        'empowerment_low.satisfaction_index.ci_high': 0.9268489970732436,
        'empowerment_high.satisfaction_index.mean': 70.88405816023865,
        'empowerment_high.satisfaction_index.diff': 0.8452201847983147,
        'empowerment_high.satisfaction_index.ci_low': 0.3700380772804367,
        'empowerment_high.satisfaction_index.ci_high': 1.3204022923161927,
        'baseline.retention_rate.mean': 0.7555134655255615,
        'empowerment_low.retention_rate.mean': 0.713547656266083,
        'empowerment_low.retention_rate.diff': -0.04196580925947871,
        'empowerment_low.retention_rate.ci_low': -0.09935075611531453,
        'empowerment_low.retention_rate.ci_high': 0.015419137596357116,
        'empowerment_high.retention_rate.mean': 0.7721831408438032,
        'empowerment_high.retention_rate.diff': 0.016669675318241678,
        'empowerment_high.retention_rate.ci_low': 0.011515066923907732,
        'empowerment_high.retention_rate.ci_high': 0.021824283712575623,
        'baseline.repurchase_by_outcome.did_not_complain.mean': 0.4638665032392566,
        'empowerment_low.repurchase_by_outcome.did_not_complain.mean': 0.4159471819560384,
        'empowerment_high.repurchase_by_outcome.did_not_complain.mean': 0.47531288362126173,
        'pooled.repurchase_by_outcome.did_not_complain.mean': 0.45170885627218554,
        'pooled.repurchase_by_outcome.did_not_complain.ci_low': 0.4160874487006827,
        'pooled.repurchase_by_outcome.did_not_complain.ci_high': 0.4873302638436884,
        'baseline.repurchase_by_outcome.complained_unresolved.mean': 0.8035714285714286,
        'empowerment_low.repurchase_by_outcome.complained_unresolved.mean': 0.4666666666666667,
        'empowerment_high.repurchase_by_outcome.complained_unresolved.mean': 0.0,
        'pooled.repurchase_by_outcome.complained_unresolved.mean': 0.5645502645502645,
        'pooled.repurchase_by_outcome.complained_unresolved.ci_low': 0.2852534431941989,
        'pooled.repurchase_by_outcome.complained_unresolved.ci_high': 0.8438470859063301,
        'baseline.repurchase_by_outcome.resolved.mean': 0.2222222222222222,
        'empowerment_low.repurchase_by_outcome.resolved.mean': 0.4,
        'empowerment_high.repurchase_by_outcome.resolved.mean': 0.0,
        'pooled.repurchase_by_outcome.resolved.mean': 0.2518518518518518,
        'pooled.repurchase_by_outcome.resolved.ci_low': -0.02145234195012341,
        'pooled.repurchase_by_outcome.resolved.ci_high': 0.5251560456538271,
        'baseline.repurchase_by_outcome.resolved_quickly.mean': 0.5166666666666666,
        'empowerment_low.repurchase_by_outcome.resolved_quickly.mean': 0.45833333333333326,
        'empowerment_high.repurchase_by_outcome.resolved_quickly.mean': 0.6861111111111111,
        'pooled.repurchase_by_outcome.resolved_quickly.mean': 0.5537037037037037,
        'pooled.repurchase_by_outcome.resolved_quickly.ci_low': 0.4520733788329895,
        'pooled.repurchase_by_outcome.resolved_quickly.ci_high': 0.6553340285744179,
        'baseline.complaints.recovered_quickly': 0.580952380952381,
        'baseline.complaints.recovered_escalated': 0.19047619047619047,
        'baseline.complaints.unresolved': 0.22857142857142856,
        'empowerment_low.complaints.recovered_quickly': 0.29411764705882354,
        'empowerment_low.complaints.recovered_escalated': 0.35294117647058826,
        'empowerment_low.complaints.unresolved': 0.35294117647058826,
        'empowerment_high.complaints.recovered_quickly': 0.8603988603988604,
        'empowerment_high.complaints.recovered_escalated': 0.05128205128205128,
        'empowerment_high.complaints.unresolved': 0.08831908831908832,
    },
    '04_competition': {
        'competition_0.1.reliability_0.85.satisfaction_index': 62.27710326610687,
        'competition_0.1.reliability_0.85.retention_rate': 0.7249522527760934,
        'competition_0.1.reliability_0.85.promoter_share': 0.1842642384265701,
        'competition_0.1.reliability_0.93.satisfaction_index': 62.84819229068412,
        'competition_0.1.reliability_0.93.retention_rate': 0.7770487010596452,
        'competition_0.1.reliability_0.93.promoter_share': 0.19100293542736776,
        'competition_0.1.reliability_0.98.satisfaction_index': 62.953996794048514,
        'competition_0.1.reliability_0.98.retention_rate': 0.8232193620993153,
        'competition_0.1.reliability_0.98.promoter_share': 0.19853441423498858,
        'competition_0.5.reliability_0.85.satisfaction_index': 65.04953833756603,
        'competition_0.5.reliability_0.85.retention_rate': 0.6180415498308228,
        'competition_0.5.reliability_0.85.promoter_share': 0.21673747863055076,
        'competition_0.5.reliability_0.93.satisfaction_index': 65.84865878685137,
        'competition_0.5.reliability_0.93.retention_rate': 0.6730743607289588,
        'competition_0.5.reliability_0.93.promoter_share': 0.2373648953184014,
        'competition_0.5.reliability_0.98.satisfaction_index': 66.1523636285277,
        'competition_0.5.reliability_0.98.retention_rate': 0.6998873135782503,
        'competition_0.5.reliability_0.98.promoter_share': 0.24546184176828628,
        'competition_0.9.reliability_0.85.satisfaction_index': 73.3533597785382,
        'competition_0.9.reliability_0.85.retention_rate': 0.17980773125570498,
        'competition_0.9.reliability_0.85.promoter_share': 0.3745340011412658,
        'competition_0.9.reliability_0.93.satisfaction_index': 74.98548917511151,
        'competition_0.9.reliability_0.93.retention_rate': 0.1951391172102669,
        'competition_0.9.reliability_0.93.promoter_share': 0.416505430764558,
        'competition_0.9.reliability_0.98.satisfaction_index': 76.46998853093429,
        'competition_0.9.reliability_0.98.retention_rate': 0.2205316076237328,
        'competition_0.9.reliability_0.98.promoter_share': 0.4506199005663094,
        'competition_0.1.slope': 12.715315147958878,
        'competition_0.1.retention_mean': 0.775073438645018,
        'competition_0.5.slope': 7.312722964268434,
        'competition_0.5.retention_mean': 0.6636677413793439,
        'competition_0.9.slope': 1.300594419473709,
        'competition_0.9.retention_mean': 0.1984928186965682,
    },
    '05_cops': {
        'cops_encounter.mean_wait.mean': 0.01929524221227701,
        'cops_relationship.mean_wait.mean': 0.06989112796942255,
        'cops_relationship.mean_wait.diff': 0.05059588575714554,
        'cops_relationship.mean_wait.ci_low': 0.03272337690512818,
        'cops_relationship.mean_wait.ci_high': 0.0684683946091629,
        'cops_pseudo_relationship.mean_wait.mean': 0.017771687824293787,
        'cops_pseudo_relationship.mean_wait.diff': -0.0015235543879832214,
        'cops_pseudo_relationship.mean_wait.ci_low': -0.001910944036333802,
        'cops_pseudo_relationship.mean_wait.ci_high': -0.0011361647396326408,
        'cops_encounter.satisfaction_index.mean': 70.03883797544034,
        'cops_relationship.satisfaction_index.mean': 73.78630162762491,
        'cops_relationship.satisfaction_index.diff': 3.747463652184578,
        'cops_relationship.satisfaction_index.ci_low': 2.8836356347324914,
        'cops_relationship.satisfaction_index.ci_high': 4.611291669636665,
        'cops_pseudo_relationship.satisfaction_index.mean': 69.14086781276251,
        'cops_pseudo_relationship.satisfaction_index.diff': -0.8979701626778365,
        'cops_pseudo_relationship.satisfaction_index.ci_low': -1.2015275076919472,
        'cops_pseudo_relationship.satisfaction_index.ci_high': -0.5944128176637259,
        'cops_encounter.promoter_conversion.mean': 0.2317939398642764,
        'cops_relationship.promoter_conversion.mean': 0.3248917748917749,
        'cops_relationship.promoter_conversion.diff': 0.09309783502749847,
        'cops_relationship.promoter_conversion.ci_low': 0.036094766352738415,
        'cops_relationship.promoter_conversion.ci_high': 0.1501009037022585,
        'cops_pseudo_relationship.promoter_conversion.mean': 0.2627317065581804,
        'cops_pseudo_relationship.promoter_conversion.diff': 0.030937766693904002,
        'cops_pseudo_relationship.promoter_conversion.ci_low': -0.10688329152927983,
        'cops_pseudo_relationship.promoter_conversion.ci_high': 0.16875882491708782,
        'cops_encounter.retention_rate.mean': 0.7555134655255615,
        'cops_relationship.retention_rate.mean': 0.8545647509567741,
        'cops_relationship.retention_rate.diff': 0.09905128543121239,
        'cops_relationship.retention_rate.ci_low': 0.08248748456298037,
        'cops_relationship.retention_rate.ci_high': 0.1156150862994444,
        'cops_pseudo_relationship.retention_rate.mean': 0.7307798570973167,
        'cops_pseudo_relationship.retention_rate.diff': -0.024733608428244847,
        'cops_pseudo_relationship.retention_rate.ci_low': -0.030345093488405934,
        'cops_pseudo_relationship.retention_rate.ci_high': -0.01912212336808376,
        'cops_encounter.defections_by_reason.followed_provider.mean': 0.0,
        'cops_relationship.defections_by_reason.followed_provider.mean': 38.0,
        'cops_relationship.defections_by_reason.followed_provider.diff': 38.0,
        'cops_relationship.defections_by_reason.followed_provider.ci_low': -82.93295960078089,
        'cops_relationship.defections_by_reason.followed_provider.ci_high': 158.9329596007809,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.mean': 0.0,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.diff': 0.0,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.ci_low': 0.0,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.ci_high': 0.0,
        'cops_encounter.profit.mean': -9739.809336924707,
        'cops_relationship.profit.mean': 30859.445057079778,
        'cops_relationship.profit.diff': 40599.254394004485,
        'cops_relationship.profit.ci_low': 34088.047900777834,
        'cops_relationship.profit.ci_high': 47110.46088723114,
        'cops_pseudo_relationship.profit.mean': -20778.28598796428,
        'cops_pseudo_relationship.profit.diff': -11038.476651039571,
        'cops_pseudo_relationship.profit.ci_low': -15057.502844764527,
        'cops_pseudo_relationship.profit.ci_high': -7019.450457314615,
    },
    '06_encounter_kinds': {
        'encounter_first_kind.utilisation.mean': 0.48283476302978784,
        'encounter_second_kind.utilisation.mean': 0.49450800068516254,
        'encounter_second_kind.utilisation.diff': 0.011673237655374688,
        'encounter_second_kind.utilisation.ci_low': 0.008772483361811752,
        'encounter_second_kind.utilisation.ci_high': 0.014573991948937624,
        'encounter_third_kind.utilisation.mean': 0.5349152687556458,
        'encounter_third_kind.utilisation.diff': 0.0520805057258579,
        'encounter_third_kind.utilisation.ci_low': 0.046335955824973456,
        'encounter_third_kind.utilisation.ci_high': 0.057825055626742346,
        'encounter_first_kind.mean_wait.mean': 0.018112444908842198,
        'encounter_second_kind.mean_wait.mean': 0.0191810056214062,
        'encounter_second_kind.mean_wait.diff': 0.0010685607125640005,
        'encounter_second_kind.mean_wait.ci_low': 0.00016106396957134587,
        'encounter_second_kind.mean_wait.ci_high': 0.001976057455556655,
        'encounter_third_kind.mean_wait.mean': 0.024022368195290054,
        'encounter_third_kind.mean_wait.diff': 0.005909923286447856,
        'encounter_third_kind.mean_wait.ci_low': 0.004320998130877386,
        'encounter_third_kind.mean_wait.ci_high': 0.007498848442018326,
        'encounter_first_kind.failure_rate.mean': 0.10475807537858471,
        'encounter_second_kind.failure_rate.mean': 0.10826659115628759,
        'encounter_second_kind.failure_rate.diff': 0.003508515777702871,
        'encounter_second_kind.failure_rate.ci_low': 0.0030601091633060767,
        'encounter_second_kind.failure_rate.ci_high': 0.003956922392099666,
        'encounter_third_kind.failure_rate.mean': 0.08285898801280003,
        'encounter_third_kind.failure_rate.diff': -0.021899087365784692,
        'encounter_third_kind.failure_rate.ci_low': -0.02576584098350921,
        'encounter_third_kind.failure_rate.ci_high': -0.018032333748060174,
        'encounter_first_kind.satisfaction_index.mean': 69.99436203598417,
        'encounter_second_kind.satisfaction_index.mean': 69.84087794243501,
        'encounter_second_kind.satisfaction_index.diff': -0.1534840935491637,
        'encounter_second_kind.satisfaction_index.ci_low': -0.3601730175468262,
        'encounter_second_kind.satisfaction_index.ci_high': 0.053204830448498774,
        'encounter_third_kind.satisfaction_index.mean': 70.13534807517348,
        'encounter_third_kind.satisfaction_index.diff': 0.14098603918931119,
        'encounter_third_kind.satisfaction_index.ci_low': -0.174830190985312,
        'encounter_third_kind.satisfaction_index.ci_high': 0.45680226936393437,
        'encounter_first_kind.promoter_conversion.mean': 0.27682576394729463,
        'encounter_second_kind.promoter_conversion.mean': 0.23535151029136595,
        'encounter_second_kind.promoter_conversion.diff': -0.0414742536559287,
        'encounter_second_kind.promoter_conversion.ci_low': -0.08815302033130731,
        'encounter_second_kind.promoter_conversion.ci_high': 0.005204513019449908,
        'encounter_third_kind.promoter_conversion.mean': 0.24134815216409145,
        'encounter_third_kind.promoter_conversion.diff': -0.0354776117832032,
        'encounter_third_kind.promoter_conversion.ci_low': -0.2402275116554266,
        'encounter_third_kind.promoter_conversion.ci_high': 0.16927228808902023,
        'encounter_first_kind.retention_rate.mean': 0.7546743645311085,
        'encounter_second_kind.retention_rate.mean': 0.7511851873385811,
        'encounter_second_kind.retention_rate.diff': -0.0034891771925273374,
        'encounter_second_kind.retention_rate.ci_low': -0.030315741245038146,
        'encounter_second_kind.retention_rate.ci_high': 0.02333738685998347,
        'encounter_third_kind.retention_rate.mean': 0.7615814805730617,
        'encounter_third_kind.retention_rate.diff': 0.006907116041953237,
        'encounter_third_kind.retention_rate.ci_low': -0.00858634949224685,
        'encounter_third_kind.retention_rate.ci_high': 0.022400581576153322,
        'encounter_first_kind.profit.mean': -11521.058609545114,
        'encounter_second_kind.profit.mean': -14255.269884107547,
        'encounter_second_kind.profit.diff': -2734.2112745624327,
        'encounter_second_kind.profit.ci_low': -7138.312295542637,
        'encounter_second_kind.profit.ci_high': 1669.8897464177717,
        'encounter_third_kind.profit.mean': -10987.21936170278,
        'encounter_third_kind.profit.diff': 533.8392478423339,
        'encounter_third_kind.profit.ci_low': -6123.897589306529,
        'encounter_third_kind.profit.ci_high': 7191.576084991197,
    },
    '07_turnover': {
        'baseline.provider_job_satisfaction.mean': 0.6357006330174139,
        'high_turnover.provider_job_satisfaction.mean': 0.502348503802518,
        'high_turnover.provider_job_satisfaction.diff': -0.13335212921489573,
        'high_turnover.provider_job_satisfaction.ci_low': -0.17649184372703905,
        'high_turnover.provider_job_satisfaction.ci_high': -0.0902124147027524,
        'baseline.provider_turnover.mean': 0.18158517872337684,
        'high_turnover.provider_turnover.mean': 1.113517676452029,
        'high_turnover.provider_turnover.diff': 0.9319324977286523,
        'high_turnover.provider_turnover.ci_low': 0.22798943765433521,
        'high_turnover.provider_turnover.ci_high': 1.6358755578029693,
        'baseline.mean_competency.mean': 0.9755860119130116,
        'high_turnover.mean_competency.mean': 0.8815203527296372,
        'high_turnover.mean_competency.diff': -0.09406565918337419,
        'high_turnover.mean_competency.ci_low': -0.1257426599338577,
        'high_turnover.mean_competency.ci_high': -0.06238865843289069,
        'baseline.failure_rate.mean': 0.10235831435225838,
        'high_turnover.failure_rate.mean': 0.10598761901440235,
        'high_turnover.failure_rate.diff': 0.0036293046621439667,
        'high_turnover.failure_rate.ci_low': 0.001351276535072251,
        'high_turnover.failure_rate.ci_high': 0.005907332789215682,
        'baseline.mean_quality.mean': 0.8083418975600279,
        'high_turnover.mean_quality.mean': 0.7671317357520979,
        'high_turnover.mean_quality.diff': -0.04121016180792997,
        'high_turnover.mean_quality.ci_low': -0.05175834677574502,
        'high_turnover.mean_quality.ci_high': -0.030661976840114916,
        'baseline.satisfaction_index.mean': 70.61079982799465,
        'high_turnover.satisfaction_index.mean': 65.51240331260101,
        'high_turnover.satisfaction_index.diff': -5.098396515393648,
        'high_turnover.satisfaction_index.ci_low': -6.974552082062178,
        'high_turnover.satisfaction_index.ci_high': -3.2222409487251182,
        'baseline.retention_rate.mean': 0.7662558474160616,
        'high_turnover.retention_rate.mean': 0.6480109041172349,
        'high_turnover.retention_rate.diff': -0.11824494329882669,
        'high_turnover.retention_rate.ci_low': -0.1574122016936984,
        'high_turnover.retention_rate.ci_high': -0.07907768490395498,
        'baseline.profit.mean': -9083.392534140332,
        'high_turnover.profit.mean': -47501.939390432024,
        'high_turnover.profit.diff': -38418.54685629169,
        'high_turnover.profit.ci_low': -56844.412264922474,
        'high_turnover.profit.ci_high': -19992.681447660896,
    },
    '08_demand_surge': {
        'steady.utilisation.mean': 0.4854820249958627,
        'demand_surge.utilisation.mean': 0.48663454430093944,
        'demand_surge.utilisation.diff': 0.0011525193050768018,
        'demand_surge.utilisation.ci_low': -0.02938513469887847,
        'demand_surge.utilisation.ci_high': 0.03169017330903207,
        'steady.mean_wait.mean': 0.01784669733056227,
        'demand_surge.mean_wait.mean': 0.02338618518429821,
        'demand_surge.mean_wait.diff': 0.005539487853735938,
        'demand_surge.mean_wait.ci_low': 0.004446465398083323,
        'demand_surge.mean_wait.ci_high': 0.006632510309388552,
        'steady.mean_quality.mean': 0.8047512479605354,
        'demand_surge.mean_quality.mean': 0.7947870099526297,
        'demand_surge.mean_quality.diff': -0.009964238007905662,
        'demand_surge.mean_quality.ci_low': -0.016352764027203932,
        'demand_surge.mean_quality.ci_high': -0.003575711988607391,
        'steady.satisfaction_index.mean': 70.75508172709925,
        'demand_surge.satisfaction_index.mean': 68.89778871273826,
        'demand_surge.satisfaction_index.diff': -1.8572930143609874,
        'demand_surge.satisfaction_index.ci_low': -2.308882400554923,
        'demand_surge.satisfaction_index.ci_high': -1.4057036281670516,
        'steady.retention_rate.mean': 0.7739672479383937,
        'demand_surge.retention_rate.mean': 0.7128929598959397,
        'demand_surge.retention_rate.diff': -0.06107428804245413,
        'demand_surge.retention_rate.ci_low': -0.08454412737543301,
        'demand_surge.retention_rate.ci_high': -0.03760444870947524,
        'steady.profit.mean': -9191.489998983168,
        'demand_surge.profit.mean': -2303.0988925315105,
        'demand_surge.profit.diff': 6888.391106451658,
        'demand_surge.profit.ci_low': 1840.3741558138017,
        'demand_surge.profit.ci_high': 11936.408057089513,
        'steady.before.utilisation': 0.5289147267112889,
        'steady.before.standard_minutes': 24.971866086171268,
        'steady.before.quality_factor': 0.9988746434468505,
        'steady.before.satisfaction_index': 68.80972038069444,
        'steady.during.utilisation': 0.5048391056980538,
        'steady.during.standard_minutes': 24.960484188289414,
        'steady.during.quality_factor': 0.996112174357006,
        'steady.during.satisfaction_index': 69.41405178047225,
        'steady.after.utilisation': 0.4782838900108143,
        'steady.after.standard_minutes': 24.949102290407563,
        'steady.after.quality_factor': 0.9979640916163023,
        'steady.after.satisfaction_index': 71.31734950655408,
        'demand_surge.before.utilisation': 0.5289147267112889,
        'demand_surge.before.standard_minutes': 24.971866086171268,
        'demand_surge.before.quality_factor': 0.9988746434468505,
        'demand_surge.before.satisfaction_index': 68.80972038069444,
        'demand_surge.during.utilisation': 0.6810769604335571,
        'demand_surge.during.standard_minutes': 24.749863012247456,
        'demand_surge.during.quality_factor': 0.9704385973858756,
        'demand_surge.during.satisfaction_index': 64.55758561546614,
        'demand_surge.after.utilisation': 0.42618181738420274,
        'demand_surge.after.standard_minutes': 24.563806529453064,
        'demand_surge.after.quality_factor': 0.9825522611781223,
        'demand_surge.after.satisfaction_index': 70.24001030667151,
    },
    '09_unit_variability': {
        'flagship.satisfaction_index.mean': 75.74163102956277,
        'standard.satisfaction_index.mean': 72.11700549942383,
        'struggling.satisfaction_index.mean': 69.08005958886754,
        'flagship-struggling.satisfaction_index.diff': 6.661571440695237,
        'flagship.retention_rate.mean': 0.8778147775567191,
        'standard.retention_rate.mean': 0.8080311681717439,
        'struggling.retention_rate.mean': 0.695706464260633,
        'flagship-struggling.retention_rate.diff': 0.18210831329608612,
        'flagship.failure_rate.mean': 0.06396598595605973,
        'standard.failure_rate.mean': 0.10334976309821939,
        'struggling.failure_rate.mean': 0.1481993397903144,
        'flagship-struggling.failure_rate.diff': -0.08423335383425466,
        'flagship.provider_turnover.mean': 0.0,
        'standard.provider_turnover.mean': 0.13035714285714287,
        'struggling.provider_turnover.mean': 0.40274346314358966,
        'flagship-struggling.provider_turnover.diff': -0.40274346314358966,
        'flagship.profit.mean': -39493.324333333345,
        'standard.profit.mean': -9514.781144814064,
        'struggling.profit.mean': -16265.491090338244,
        'flagship-struggling.profit.diff': -23227.8332429951,
        'variance_share.among_units': 0.09051114515366321,
        'variance_share.among_providers': 0.006157695046074356,
        'variance_share.within_providers': 0.9033311598002625,
        'flagship.encounter_quality.mean': 0.8592198762680198,
        'standard.encounter_quality.mean': 0.8201699341470167,
        'struggling.encounter_quality.mean': 0.7792028059189039,
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
