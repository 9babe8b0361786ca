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
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "erlang"
    args = ["--out", str(out), "--executor", "sequential", "--quiet"]
    assert main(["experiment", "run", "1", *args]) == 0
    first = (out / "results.md").read_text()
    assert (out / "figure.png").is_file() and (out / "manifest.json").is_file()
    # the results page is the docs page's generated part, pointing at its own figure
    page = generated_part(page_path(find_experiment("1")).read_text())
    assert page is not None
    assert first == page.replace("figures/01_erlang_c.png", "figure.png")

    # an existing results directory is refused, untouched, without --force
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert main(["experiment", "run", "01_erlang_c", *args]) == 2
    assert "already exists" in capsys.readouterr().err
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before

    assert main(["experiment", "run", "01_erlang_c", *args, "--force"]) == 0
    assert (out / "results.md").read_text() == first

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
        'baseline.failure_rate.mean': 0.10225020122267454,
        'reliability_low.failure_rate.mean': 0.17737315187091218,
        'reliability_low.failure_rate.diff': 0.07512295064823767,
        'reliability_low.failure_rate.ci_low': 0.06932382219017744,
        'reliability_low.failure_rate.ci_high': 0.0809220791062979,
        'reliability_high.failure_rate.mean': 0.05641283538819599,
        'reliability_high.failure_rate.diff': -0.04583736583447855,
        'reliability_high.failure_rate.ci_low': -0.0468744607578553,
        'reliability_high.failure_rate.ci_high': -0.044800270911101794,
        'baseline.satisfaction_index.mean': 72.0179251999162,
        'reliability_low.satisfaction_index.mean': 70.2273034164798,
        'reliability_low.satisfaction_index.diff': -1.790621783436407,
        'reliability_low.satisfaction_index.ci_low': -2.2828989430549065,
        'reliability_low.satisfaction_index.ci_high': -1.2983446238179077,
        'reliability_high.satisfaction_index.mean': 73.17130151764646,
        'reliability_high.satisfaction_index.diff': 1.1533763177302454,
        'reliability_high.satisfaction_index.ci_low': 0.9423821601849468,
        'reliability_high.satisfaction_index.ci_high': 1.364370475275544,
        'baseline.promoter_share.mean': 0.29234863183281434,
        'reliability_low.promoter_share.mean': 0.258968175175051,
        'reliability_low.promoter_share.diff': -0.03338045665776337,
        'reliability_low.promoter_share.ci_low': -0.047995333249479064,
        'reliability_low.promoter_share.ci_high': -0.018765580066047668,
        'reliability_high.promoter_share.mean': 0.31203552888698477,
        'reliability_high.promoter_share.diff': 0.01968689705417044,
        'reliability_high.promoter_share.ci_low': 0.011004699911857761,
        'reliability_high.promoter_share.ci_high': 0.02836909419648312,
        'baseline.retention_rate.mean': 0.6745980201571941,
        'reliability_low.retention_rate.mean': 0.6166009262616117,
        'reliability_low.retention_rate.diff': -0.05799709389558244,
        'reliability_low.retention_rate.ci_low': -0.06718997015496428,
        'reliability_low.retention_rate.ci_high': -0.04880421763620061,
        'reliability_high.retention_rate.mean': 0.7050500173776489,
        'reliability_high.retention_rate.diff': 0.030451997220454913,
        'reliability_high.retention_rate.ci_low': 0.016193144480941155,
        'reliability_high.retention_rate.ci_high': 0.04471084995996867,
        'baseline.profit.mean': -16884.67065013564,
        'reliability_low.profit.mean': -16598.251231870134,
        'reliability_low.profit.diff': 286.41941826550465,
        'reliability_low.profit.ci_low': -5796.587198156016,
        'reliability_low.profit.ci_high': 6369.426034687025,
        'reliability_high.profit.mean': -131670.1574336344,
        'reliability_high.profit.diff': -114785.48678349877,
        'reliability_high.profit.ci_low': -119854.01617177745,
        'reliability_high.profit.ci_high': -109716.95739522009,
    },
    '03_recovery_ladder': {
        'baseline.complaint_share.mean': 0.039061534186822636,
        'empowerment_low.complaint_share.mean': 0.032564863475659934,
        'empowerment_low.complaint_share.diff': -0.006496670711162699,
        'empowerment_low.complaint_share.ci_low': -0.015078379060236433,
        'empowerment_low.complaint_share.ci_high': 0.002085037637911037,
        'empowerment_high.complaint_share.mean': 0.04608580410514438,
        'empowerment_high.complaint_share.diff': 0.007024269918321745,
        'empowerment_high.complaint_share.ci_low': -0.003953180345228386,
        'empowerment_high.complaint_share.ci_high': 0.018001720181871878,
        'baseline.recovery_rate.mean': 0.7383954350195341,
        'empowerment_low.recovery_rate.mean': 0.6329386388536501,
        'empowerment_low.recovery_rate.diff': -0.10545679616588402,
        'empowerment_low.recovery_rate.ci_low': -0.13544978643984742,
        'empowerment_low.recovery_rate.ci_high': -0.0754638058919206,
        'empowerment_high.recovery_rate.mean': 0.9343987636645552,
        'empowerment_high.recovery_rate.diff': 0.19600332864502118,
        'empowerment_high.recovery_rate.ci_low': 0.09164530407215211,
        'empowerment_high.recovery_rate.ci_high': 0.30036135321789026,
        'baseline.satisfaction_index.mean': 72.0179251999162,
        'empowerment_low.satisfaction_index.mean': 71.33441152589579,
        'empowerment_low.satisfaction_index.diff': -0.6835136740204177,
        'empowerment_low.satisfaction_index.ci_low': -1.7986259658094343,
        'empowerment_low.satisfaction_index.ci_high': 0.43159861776859887,
        'empowerment_high.satisfaction_index.mean': 73.35118634818086,
        'empowerment_high.satisfaction_index.diff': 1.333261148264647,
        'empowerment_high.satisfaction_index.ci_low': -0.06733327952914703,
        'empowerment_high.satisfaction_index.ci_high': 2.733855576058441,
        'baseline.retention_rate.mean': 0.6745980201571941,
        'empowerment_low.retention_rate.mean': 0.6712370818597406,
        'empowerment_low.retention_rate.diff': -0.0033609382974534308,
        'empowerment_low.retention_rate.ci_low': -0.04320274298000613,
        'empowerment_low.retention_rate.ci_high': 0.036480866385099266,
        'empowerment_high.retention_rate.mean': 0.6988290514108367,
        'empowerment_high.retention_rate.diff': 0.024231031253642565,
        'empowerment_high.retention_rate.ci_low': -0.018062679190002658,
        'empowerment_high.retention_rate.ci_high': 0.06652474169728778,
        'baseline.repurchase_by_outcome.did_not_complain.mean': 0.8893334946074982,
        'empowerment_low.repurchase_by_outcome.did_not_complain.mean': 0.884962491101184,
        'empowerment_high.repurchase_by_outcome.did_not_complain.mean': 0.894789595929854,
        'pooled.repurchase_by_outcome.did_not_complain.mean': 0.889695193879512,
        'pooled.repurchase_by_outcome.did_not_complain.ci_low': 0.8821169691888743,
        'pooled.repurchase_by_outcome.did_not_complain.ci_high': 0.8972734185701498,
        'baseline.repurchase_by_outcome.complained_unresolved.mean': 0.9237663680510806,
        'empowerment_low.repurchase_by_outcome.complained_unresolved.mean': 0.9331680313689309,
        'empowerment_high.repurchase_by_outcome.complained_unresolved.mean': 0.9098739495798319,
        'pooled.repurchase_by_outcome.complained_unresolved.mean': 0.9222694496666146,
        'pooled.repurchase_by_outcome.complained_unresolved.ci_low': 0.8949302218863343,
        'pooled.repurchase_by_outcome.complained_unresolved.ci_high': 0.9496086774468949,
        'baseline.repurchase_by_outcome.resolved.mean': 0.9354365677895089,
        'empowerment_low.repurchase_by_outcome.resolved.mean': 0.937111801242236,
        'empowerment_high.repurchase_by_outcome.resolved.mean': 0.9772727272727273,
        'pooled.repurchase_by_outcome.resolved.mean': 0.949940365434824,
        'pooled.repurchase_by_outcome.resolved.ci_low': 0.9178452029477069,
        'pooled.repurchase_by_outcome.resolved.ci_high': 0.982035527921941,
        'baseline.repurchase_by_outcome.resolved_quickly.mean': 0.9570287277638189,
        'empowerment_low.repurchase_by_outcome.resolved_quickly.mean': 0.9566650853889942,
        'empowerment_high.repurchase_by_outcome.resolved_quickly.mean': 0.9598562604779795,
        'pooled.repurchase_by_outcome.resolved_quickly.mean': 0.9578500245435975,
        'pooled.repurchase_by_outcome.resolved_quickly.ci_low': 0.9472705748075009,
        'pooled.repurchase_by_outcome.resolved_quickly.ci_high': 0.9684294742796941,
        'baseline.complaints.recovered_quickly': 0.537712895377129,
        'baseline.complaints.recovered_escalated': 0.2116788321167883,
        'baseline.complaints.unresolved': 0.25060827250608275,
        'empowerment_low.complaints.recovered_quickly': 0.28486646884273,
        'empowerment_low.complaints.recovered_escalated': 0.35311572700296734,
        'empowerment_low.complaints.unresolved': 0.3620178041543027,
        'empowerment_high.complaints.recovered_quickly': 0.8767395626242545,
        'empowerment_high.complaints.recovered_escalated': 0.05168986083499006,
        'empowerment_high.complaints.unresolved': 0.07157057654075547,
    },
    '04_competition': {
        'competition_0.1.reliability_0.85.satisfaction_index': 65.71334543108013,
        'competition_0.1.reliability_0.85.retention_rate': 0.6307588981411174,
        'competition_0.1.reliability_0.85.promoter_share': 0.199398701927772,
        'competition_0.1.reliability_0.93.satisfaction_index': 67.24021690630542,
        'competition_0.1.reliability_0.93.retention_rate': 0.6766393088291482,
        'competition_0.1.reliability_0.93.promoter_share': 0.22389659324878725,
        'competition_0.1.reliability_0.98.satisfaction_index': 68.26584121620759,
        'competition_0.1.reliability_0.98.retention_rate': 0.7012776402727409,
        'competition_0.1.reliability_0.98.promoter_share': 0.24380065328281628,
        'competition_0.5.reliability_0.85.satisfaction_index': 67.68006080968651,
        'competition_0.5.reliability_0.85.retention_rate': 0.5380764220764771,
        'competition_0.5.reliability_0.85.promoter_share': 0.21795058278056997,
        'competition_0.5.reliability_0.93.satisfaction_index': 69.11872296905568,
        'competition_0.5.reliability_0.93.retention_rate': 0.5930394508066934,
        'competition_0.5.reliability_0.93.promoter_share': 0.2392856454338761,
        'competition_0.5.reliability_0.98.satisfaction_index': 70.37708300433326,
        'competition_0.5.reliability_0.98.retention_rate': 0.6198498979235554,
        'competition_0.5.reliability_0.98.promoter_share': 0.25915108644646506,
        'competition_0.9.reliability_0.85.satisfaction_index': 70.8107798297567,
        'competition_0.9.reliability_0.85.retention_rate': 0.30256512674119285,
        'competition_0.9.reliability_0.85.promoter_share': 0.25061211469686745,
        'competition_0.9.reliability_0.93.satisfaction_index': 73.03386790183589,
        'competition_0.9.reliability_0.93.retention_rate': 0.35074522380242057,
        'competition_0.9.reliability_0.93.promoter_share': 0.29530883930822915,
        'competition_0.9.reliability_0.98.satisfaction_index': 74.69566204248946,
        'competition_0.9.reliability_0.98.retention_rate': 0.37722299913304586,
        'competition_0.9.reliability_0.98.promoter_share': 0.3209455156910632,
        'competition_0.1.slope': 2.781457886078238,
        'competition_0.1.retention_mean': 0.6695586157476688,
        'competition_0.5.slope': 3.05070745956666,
        'competition_0.5.retention_mean': 0.5836552569355753,
        'competition_0.9.slope': 1.935192323754038,
        'competition_0.9.retention_mean': 0.34351111655888644,
    },
    '05_cops': {
        'cops_encounter.mean_wait.mean': 0.01625269289778423,
        'cops_relationship.mean_wait.mean': 0.11842683441403948,
        'cops_relationship.mean_wait.diff': 0.10217414151625526,
        'cops_relationship.mean_wait.ci_low': 0.07543267337974927,
        'cops_relationship.mean_wait.ci_high': 0.12891560965276125,
        'cops_pseudo_relationship.mean_wait.mean': 0.014839881228187721,
        'cops_pseudo_relationship.mean_wait.diff': -0.0014128116695965097,
        'cops_pseudo_relationship.mean_wait.ci_low': -0.0018412813824321694,
        'cops_pseudo_relationship.mean_wait.ci_high': -0.00098434195676085,
        'cops_encounter.satisfaction_index.mean': 72.0179251999162,
        'cops_relationship.satisfaction_index.mean': 73.97210347100625,
        'cops_relationship.satisfaction_index.diff': 1.95417827109004,
        'cops_relationship.satisfaction_index.ci_low': 1.2435300945986274,
        'cops_relationship.satisfaction_index.ci_high': 2.6648264475814525,
        'cops_pseudo_relationship.satisfaction_index.mean': 70.92750738071533,
        'cops_pseudo_relationship.satisfaction_index.diff': -1.0904178192008835,
        'cops_pseudo_relationship.satisfaction_index.ci_low': -1.27968433869127,
        'cops_pseudo_relationship.satisfaction_index.ci_high': -0.9011512997104971,
        'cops_encounter.promoter_conversion.mean': 0.2308673522659721,
        'cops_relationship.promoter_conversion.mean': 0.33458725182863114,
        'cops_relationship.promoter_conversion.diff': 0.10371989956265909,
        'cops_relationship.promoter_conversion.ci_low': 0.01868184072110271,
        'cops_relationship.promoter_conversion.ci_high': 0.18875795840421547,
        'cops_pseudo_relationship.promoter_conversion.mean': 0.2520833333333333,
        'cops_pseudo_relationship.promoter_conversion.diff': 0.02121598106736127,
        'cops_pseudo_relationship.promoter_conversion.ci_low': -0.13482306707316452,
        'cops_pseudo_relationship.promoter_conversion.ci_high': 0.17725502920788708,
        'cops_encounter.retention_rate.mean': 0.6745980201571941,
        'cops_relationship.retention_rate.mean': 0.7417166566625515,
        'cops_relationship.retention_rate.diff': 0.06711863650535746,
        'cops_relationship.retention_rate.ci_low': 0.0013957134374546348,
        'cops_relationship.retention_rate.ci_high': 0.13284155957326027,
        'cops_pseudo_relationship.retention_rate.mean': 0.6492525487293057,
        'cops_pseudo_relationship.retention_rate.diff': -0.025345471427888344,
        'cops_pseudo_relationship.retention_rate.ci_low': -0.03791411115487969,
        'cops_pseudo_relationship.retention_rate.ci_high': -0.012776831700896999,
        'cops_encounter.defections_by_reason.followed_provider.mean': 0.0,
        'cops_relationship.defections_by_reason.followed_provider.mean': 73.0,
        'cops_relationship.defections_by_reason.followed_provider.diff': 73.0,
        'cops_relationship.defections_by_reason.followed_provider.ci_low': -61.63791604107632,
        'cops_relationship.defections_by_reason.followed_provider.ci_high': 207.63791604107632,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.mean': 0.0,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.diff': 0.0,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.ci_low': 0.0,
        'cops_pseudo_relationship.defections_by_reason.followed_provider.ci_high': 0.0,
        'cops_encounter.profit.mean': -16884.67065013564,
        'cops_relationship.profit.mean': -2984.8359292444075,
        'cops_relationship.profit.diff': 13899.834720891231,
        'cops_relationship.profit.ci_low': 3420.4389914216918,
        'cops_relationship.profit.ci_high': 24379.23045036077,
        'cops_pseudo_relationship.profit.mean': -27208.324853229016,
        'cops_pseudo_relationship.profit.diff': -10323.654203093378,
        'cops_pseudo_relationship.profit.ci_low': -14188.228496129897,
        'cops_pseudo_relationship.profit.ci_high': -6459.079910056859,
    },
    '06_encounter_kinds': {
        'encounter_first_kind.utilisation.mean': 0.4450897503241341,
        'encounter_second_kind.utilisation.mean': 0.45283033413731005,
        'encounter_second_kind.utilisation.diff': 0.007740583813175925,
        'encounter_second_kind.utilisation.ci_low': 0.002106927145373684,
        'encounter_second_kind.utilisation.ci_high': 0.013374240480978166,
        'encounter_third_kind.utilisation.mean': 0.49025154152440337,
        'encounter_third_kind.utilisation.diff': 0.045161791200269266,
        'encounter_third_kind.utilisation.ci_low': 0.02668796656242391,
        'encounter_third_kind.utilisation.ci_high': 0.06363561583811463,
        'encounter_first_kind.mean_wait.mean': 0.015151089993505035,
        'encounter_second_kind.mean_wait.mean': 0.016055559698955148,
        'encounter_second_kind.mean_wait.diff': 0.0009044697054501091,
        'encounter_second_kind.mean_wait.ci_low': 0.0001389529615387011,
        'encounter_second_kind.mean_wait.ci_high': 0.0016699864493615172,
        'encounter_third_kind.mean_wait.mean': 0.01972188577706005,
        'encounter_third_kind.mean_wait.diff': 0.0045707957835550116,
        'encounter_third_kind.mean_wait.ci_low': 0.002709509406207503,
        'encounter_third_kind.mean_wait.ci_high': 0.00643208216090252,
        'encounter_first_kind.failure_rate.mean': 0.10601360551812089,
        'encounter_second_kind.failure_rate.mean': 0.1081085138862655,
        'encounter_second_kind.failure_rate.diff': 0.0020949083681446046,
        'encounter_second_kind.failure_rate.ci_low': 0.0005308728896711433,
        'encounter_second_kind.failure_rate.ci_high': 0.003658943846618066,
        'encounter_third_kind.failure_rate.mean': 0.08333553398796126,
        'encounter_third_kind.failure_rate.diff': -0.022678071530159636,
        'encounter_third_kind.failure_rate.ci_low': -0.026918413456970703,
        'encounter_third_kind.failure_rate.ci_high': -0.01843772960334857,
        'encounter_first_kind.satisfaction_index.mean': 71.89743040497741,
        'encounter_second_kind.satisfaction_index.mean': 71.97240765310099,
        'encounter_second_kind.satisfaction_index.diff': 0.0749772481235702,
        'encounter_second_kind.satisfaction_index.ci_low': -0.30317302848990196,
        'encounter_second_kind.satisfaction_index.ci_high': 0.4531275247370424,
        'encounter_third_kind.satisfaction_index.mean': 72.91781957319684,
        'encounter_third_kind.satisfaction_index.diff': 1.020389168219424,
        'encounter_third_kind.satisfaction_index.ci_low': 0.4486911432051327,
        'encounter_third_kind.satisfaction_index.ci_high': 1.592087193233715,
        'encounter_first_kind.promoter_conversion.mean': 0.1757382930925429,
        'encounter_second_kind.promoter_conversion.mean': 0.18061189993238674,
        'encounter_second_kind.promoter_conversion.diff': 0.004873606839843843,
        'encounter_second_kind.promoter_conversion.ci_low': -0.048913500192603876,
        'encounter_second_kind.promoter_conversion.ci_high': 0.05866071387229156,
        'encounter_third_kind.promoter_conversion.mean': 0.2298669467787115,
        'encounter_third_kind.promoter_conversion.diff': 0.05412865368616857,
        'encounter_third_kind.promoter_conversion.ci_low': -0.0005369150399501324,
        'encounter_third_kind.promoter_conversion.ci_high': 0.10879422241228728,
        'encounter_first_kind.retention_rate.mean': 0.6707834494673158,
        'encounter_second_kind.retention_rate.mean': 0.6672017733562555,
        'encounter_second_kind.retention_rate.diff': -0.003581676111060361,
        'encounter_second_kind.retention_rate.ci_low': -0.015756836713410306,
        'encounter_second_kind.retention_rate.ci_high': 0.008593484491289582,
        'encounter_third_kind.retention_rate.mean': 0.6728059796639155,
        'encounter_third_kind.retention_rate.diff': 0.002022530196599648,
        'encounter_third_kind.retention_rate.ci_low': -0.023921322447312873,
        'encounter_third_kind.retention_rate.ci_high': 0.027966382840512168,
        'encounter_first_kind.profit.mean': -17912.418749517135,
        'encounter_second_kind.profit.mean': -22931.043749517135,
        'encounter_second_kind.profit.diff': -5018.625,
        'encounter_second_kind.profit.ci_low': -15292.67672153351,
        'encounter_second_kind.profit.ci_high': 5255.426721533509,
        'encounter_third_kind.profit.mean': -20797.693769537145,
        'encounter_third_kind.profit.diff': -2885.27502002001,
        'encounter_third_kind.profit.ci_low': -12079.525149542565,
        'encounter_third_kind.profit.ci_high': 6308.975109502546,
    },
    '07_turnover': {
        'baseline.provider_job_satisfaction.mean': 0.6154371352006799,
        'high_turnover.provider_job_satisfaction.mean': 0.48372997323648637,
        'high_turnover.provider_job_satisfaction.diff': -0.13170716196419355,
        'high_turnover.provider_job_satisfaction.ci_low': -0.13874686239275702,
        'high_turnover.provider_job_satisfaction.ci_high': -0.12466746153563008,
        'baseline.provider_turnover.mean': 0.29705850669017986,
        'high_turnover.provider_turnover.mean': 0.9674724700962954,
        'high_turnover.provider_turnover.diff': 0.6704139634061157,
        'high_turnover.provider_turnover.ci_low': 0.14922181964716352,
        'high_turnover.provider_turnover.ci_high': 1.1916061071650679,
        'baseline.mean_competency.mean': 0.9506883072713594,
        'high_turnover.mean_competency.mean': 0.8889899498867914,
        'high_turnover.mean_competency.diff': -0.0616983573845681,
        'high_turnover.mean_competency.ci_low': -0.10879673074748736,
        'high_turnover.mean_competency.ci_high': -0.014599984021648853,
        'baseline.failure_rate.mean': 0.10289719544707455,
        'high_turnover.failure_rate.mean': 0.10560606324625109,
        'high_turnover.failure_rate.diff': 0.0027088677991765273,
        'high_turnover.failure_rate.ci_low': 0.00032090121624136136,
        'high_turnover.failure_rate.ci_high': 0.005096834382111693,
        'baseline.mean_quality.mean': 0.8024040638435826,
        'high_turnover.mean_quality.mean': 0.769807264358108,
        'high_turnover.mean_quality.diff': -0.03259679948547487,
        'high_turnover.mean_quality.ci_low': -0.04404755041046884,
        'high_turnover.mean_quality.ci_high': -0.021146048560480905,
        'baseline.satisfaction_index.mean': 71.94098668894871,
        'high_turnover.satisfaction_index.mean': 68.35580957576079,
        'high_turnover.satisfaction_index.diff': -3.585177113187927,
        'high_turnover.satisfaction_index.ci_low': -5.73324270552169,
        'high_turnover.satisfaction_index.ci_high': -1.4371115208541645,
        'baseline.retention_rate.mean': 0.6756147590782794,
        'high_turnover.retention_rate.mean': 0.5800936537793665,
        'high_turnover.retention_rate.diff': -0.09552110529891293,
        'high_turnover.retention_rate.ci_low': -0.1669646521329696,
        'high_turnover.retention_rate.ci_high': -0.024077558464856263,
        'baseline.profit.mean': -21021.104783292005,
        'high_turnover.profit.mean': -50419.14161422956,
        'high_turnover.profit.diff': -29398.036830937548,
        'high_turnover.profit.ci_low': -48307.3821794041,
        'high_turnover.profit.ci_high': -10488.691482470997,
    },
    '08_demand_surge': {
        'steady.utilisation.mean': 0.4417577517532841,
        'demand_surge.utilisation.mean': 0.4469045495991231,
        'demand_surge.utilisation.diff': 0.005146797845839032,
        'demand_surge.utilisation.ci_low': -0.01807876630392305,
        'demand_surge.utilisation.ci_high': 0.028372361995601114,
        'steady.mean_wait.mean': 0.014374402753753112,
        'demand_surge.mean_wait.mean': 0.019213853057133388,
        'demand_surge.mean_wait.diff': 0.004839450303380276,
        'demand_surge.mean_wait.ci_low': 0.0037041302888248494,
        'demand_surge.mean_wait.ci_high': 0.005974770317935703,
        'steady.mean_quality.mean': 0.8063419388825315,
        'demand_surge.mean_quality.mean': 0.7988963355826876,
        'demand_surge.mean_quality.diff': -0.00744560329984395,
        'demand_surge.mean_quality.ci_low': -0.012319724946559515,
        'demand_surge.mean_quality.ci_high': -0.002571481653128385,
        'steady.satisfaction_index.mean': 72.74911162039112,
        'demand_surge.satisfaction_index.mean': 71.76863230782442,
        'demand_surge.satisfaction_index.diff': -0.980479312566704,
        'demand_surge.satisfaction_index.ci_low': -1.1167309208348661,
        'demand_surge.satisfaction_index.ci_high': -0.8442277042985418,
        'steady.retention_rate.mean': 0.6956169234012344,
        'demand_surge.retention_rate.mean': 0.6448811124419185,
        'demand_surge.retention_rate.diff': -0.05073581095931587,
        'demand_surge.retention_rate.ci_low': -0.06494593963522252,
        'demand_surge.retention_rate.ci_high': -0.03652568228340921,
        'steady.profit.mean': -17900.428795285843,
        'demand_surge.profit.mean': -12702.553074129755,
        'demand_surge.profit.diff': 5197.875721156088,
        'demand_surge.profit.ci_low': -4972.470725998743,
        'demand_surge.profit.ci_high': 15368.222168310918,
        'steady.before.utilisation': 0.5043585590279478,
        'steady.before.standard_minutes': 24.975049468498185,
        'steady.before.quality_factor': 0.9990019787399274,
        'steady.before.satisfaction_index': 70.77448527074357,
        'steady.during.utilisation': 0.4878173610893586,
        'steady.during.standard_minutes': 24.975049468498185,
        'steady.during.quality_factor': 0.9990019787399274,
        'steady.during.satisfaction_index': 70.96794677511905,
        'steady.after.utilisation': 0.4257346491894471,
        'steady.after.standard_minutes': 24.975049468498185,
        'steady.after.quality_factor': 0.9990019787399272,
        'steady.after.satisfaction_index': 73.44905667660159,
        'demand_surge.before.utilisation': 0.5043585590279478,
        'demand_surge.before.standard_minutes': 24.975049468498185,
        'demand_surge.before.quality_factor': 0.9990019787399274,
        'demand_surge.before.satisfaction_index': 70.77448527074357,
        'demand_surge.during.utilisation': 0.6502801196711664,
        'demand_surge.during.standard_minutes': 24.72674364335464,
        'demand_surge.during.quality_factor': 0.9700732187366425,
        'demand_surge.during.satisfaction_index': 65.75766170415841,
        'demand_surge.after.utilisation': 0.383949926154468,
        'demand_surge.after.standard_minutes': 24.598278051979193,
        'demand_surge.after.quality_factor': 0.9839311220791677,
        'demand_surge.after.satisfaction_index': 73.69463457334328,
    },
    '09_unit_variability': {
        'flagship.satisfaction_index.mean': 76.41068430853173,
        'standard.satisfaction_index.mean': 72.43053889866059,
        'struggling.satisfaction_index.mean': 68.55240890333205,
        'flagship-struggling.satisfaction_index.diff': 7.85827540519967,
        'flagship.retention_rate.mean': 0.7805364469543712,
        'standard.retention_rate.mean': 0.6886839082225429,
        'struggling.retention_rate.mean': 0.5910922319237089,
        'flagship-struggling.retention_rate.diff': 0.18944421503066222,
        'flagship.failure_rate.mean': 0.06537868577932145,
        'standard.failure_rate.mean': 0.10422029154596517,
        'struggling.failure_rate.mean': 0.14949035793225757,
        'flagship-struggling.failure_rate.diff': -0.08411167215293615,
        'flagship.provider_turnover.mean': 0.0,
        'standard.provider_turnover.mean': 0.26071428571428573,
        'struggling.provider_turnover.mean': 0.40274335005323403,
        'flagship-struggling.provider_turnover.diff': -0.40274335005323403,
        'flagship.profit.mean': -36642.708333333256,
        'standard.profit.mean': -14180.019569471668,
        'struggling.profit.mean': -30338.90009028973,
        'flagship-struggling.profit.diff': -6303.808243043524,
        'variance_share.among_units': 0.07423883093889386,
        'variance_share.among_providers': 0.007119075055509722,
        'variance_share.within_providers': 0.9186420940055964,
        'flagship.encounter_quality.mean': 0.8414145091383746,
        'standard.encounter_quality.mean': 0.805987818331243,
        'struggling.encounter_quality.mean': 0.7648411104133901,
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
