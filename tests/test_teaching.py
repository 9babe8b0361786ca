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
    "01_erlang_c": {
        "rho_0.70.mean_wait.mean": 0.07065776220364824,
        "rho_0.70.mean_wait.ci_low": 0.05938917950312371,
        "rho_0.70.mean_wait.ci_high": 0.08192634490417276,
        "rho_0.70.mean_wait.exact": 0.07391040529460513,
        "rho_0.70.p_wait.mean": 0.21911460985731984,
        "rho_0.70.p_wait.ci_low": 0.2020046457791025,
        "rho_0.70.p_wait.ci_high": 0.2362245739355372,
        "rho_0.70.p_wait.exact": 0.2217312158838154,
        "rho_0.80.mean_wait.mean": 0.1994998284777814,
        "rho_0.80.mean_wait.ci_low": 0.16263486451915626,
        "rho_0.80.mean_wait.ci_high": 0.2363647924364065,
        "rho_0.80.mean_wait.exact": 0.20459007539822177,
        "rho_0.80.p_wait.mean": 0.40343441950845177,
        "rho_0.80.p_wait.ci_low": 0.37606843562276915,
        "rho_0.80.p_wait.ci_high": 0.4308004033941344,
        "rho_0.80.p_wait.exact": 0.40918015079644354,
        "rho_0.90.mean_wait.mean": 0.6384836319563159,
        "rho_0.90.mean_wait.ci_low": 0.5675828011266092,
        "rho_0.90.mean_wait.ci_high": 0.7093844627860225,
        "rho_0.90.mean_wait.exact": 0.6687315241076972,
        "rho_0.90.p_wait.mean": 0.663655197655874,
        "rho_0.90.p_wait.ci_low": 0.6381377861150658,
        "rho_0.90.p_wait.ci_high": 0.6891726091966822,
        "rho_0.90.p_wait.exact": 0.6687315241076972,
    },
    "02_reliability": {
        "baseline.failure_rate.mean": 0.10219987108096182,
        "reliability_low.failure_rate.mean": 0.17775694599671726,
        "reliability_low.failure_rate.diff": 0.07555707491575545,
        "reliability_low.failure_rate.ci_low": 0.07153550238267328,
        "reliability_low.failure_rate.ci_high": 0.07957864744883761,
        "reliability_high.failure_rate.mean": 0.05621114211852921,
        "reliability_high.failure_rate.diff": -0.04598872896243259,
        "reliability_high.failure_rate.ci_low": -0.04805430176832233,
        "reliability_high.failure_rate.ci_high": -0.04392315615654285,
        "baseline.satisfaction_index.mean": 72.54479134896027,
        "reliability_low.satisfaction_index.mean": 70.49391011889801,
        "reliability_low.satisfaction_index.diff": -2.0508812300622523,
        "reliability_low.satisfaction_index.ci_low": -2.7368842197193475,
        "reliability_low.satisfaction_index.ci_high": -1.3648782404051572,
        "reliability_high.satisfaction_index.mean": 73.6407544874833,
        "reliability_high.satisfaction_index.diff": 1.0959631385230324,
        "reliability_high.satisfaction_index.ci_low": 0.7016834893828532,
        "reliability_high.satisfaction_index.ci_high": 1.4902427876632116,
        "baseline.promoter_share.mean": 0.30631510297123055,
        "reliability_low.promoter_share.mean": 0.2710113421232505,
        "reliability_low.promoter_share.diff": -0.035303760847980085,
        "reliability_low.promoter_share.ci_low": -0.05178871956287083,
        "reliability_low.promoter_share.ci_high": -0.018818802133089337,
        "reliability_high.promoter_share.mean": 0.3263647828452882,
        "reliability_high.promoter_share.diff": 0.020049679874057633,
        "reliability_high.promoter_share.ci_low": 0.006451699259847983,
        "reliability_high.promoter_share.ci_high": 0.033647660488267284,
        "baseline.retention_rate.mean": 0.6701274825893613,
        "reliability_low.retention_rate.mean": 0.6096002875267088,
        "reliability_low.retention_rate.diff": -0.0605271950626525,
        "reliability_low.retention_rate.ci_low": -0.0754248380708779,
        "reliability_low.retention_rate.ci_high": -0.045629552054427105,
        "reliability_high.retention_rate.mean": 0.7047611147799595,
        "reliability_high.retention_rate.diff": 0.0346336321905982,
        "reliability_high.retention_rate.ci_low": 0.027358353246768066,
        "reliability_high.retention_rate.ci_high": 0.04190891113442834,
        "baseline.profit.mean": -18425.17827562678,
        "reliability_low.profit.mean": -15375.739805141988,
        "reliability_low.profit.diff": 3049.4384704847907,
        "reliability_low.profit.ci_low": -2186.927925733713,
        "reliability_low.profit.ci_high": 8285.804866703294,
        "reliability_high.profit.mean": -132560.74933125154,
        "reliability_high.profit.diff": -114135.57105562476,
        "reliability_high.profit.ci_low": -119166.430958717,
        "reliability_high.profit.ci_high": -109104.71115253253,
    },
    "03_recovery_ladder": {
        "baseline.complaint_share.mean": 0.03715757099108443,
        "empowerment_low.complaint_share.mean": 0.03350678742904725,
        "empowerment_low.complaint_share.diff": -0.0036507835620371836,
        "empowerment_low.complaint_share.ci_low": -0.017007257828575793,
        "empowerment_low.complaint_share.ci_high": 0.009705690704501425,
        "empowerment_high.complaint_share.mean": 0.04957377019892528,
        "empowerment_high.complaint_share.diff": 0.012416199207840848,
        "empowerment_high.complaint_share.ci_low": -0.0022168335687705997,
        "empowerment_high.complaint_share.ci_high": 0.027049231984452297,
        "baseline.recovery_rate.mean": 0.7904776090361691,
        "empowerment_low.recovery_rate.mean": 0.6469318386581939,
        "empowerment_low.recovery_rate.diff": -0.14354577037797517,
        "empowerment_low.recovery_rate.ci_low": -0.1841425853718321,
        "empowerment_low.recovery_rate.ci_high": -0.10294895538411825,
        "empowerment_high.recovery_rate.mean": 0.9151563712150598,
        "empowerment_high.recovery_rate.diff": 0.12467876217889065,
        "empowerment_high.recovery_rate.ci_low": 0.03472852427347692,
        "empowerment_high.recovery_rate.ci_high": 0.21462900008430438,
        "baseline.satisfaction_index.mean": 72.54479134896027,
        "empowerment_low.satisfaction_index.mean": 71.965405421647,
        "empowerment_low.satisfaction_index.diff": -0.5793859273132576,
        "empowerment_low.satisfaction_index.ci_low": -1.749191551209535,
        "empowerment_low.satisfaction_index.ci_high": 0.59041969658302,
        "empowerment_high.satisfaction_index.mean": 73.96645007407824,
        "empowerment_high.satisfaction_index.diff": 1.4216587251179575,
        "empowerment_high.satisfaction_index.ci_low": -0.4081583985943431,
        "empowerment_high.satisfaction_index.ci_high": 3.251475848830258,
        "baseline.retention_rate.mean": 0.6701274825893613,
        "empowerment_low.retention_rate.mean": 0.6656503207267154,
        "empowerment_low.retention_rate.diff": -0.004477161862645906,
        "empowerment_low.retention_rate.ci_low": -0.029375782320196834,
        "empowerment_low.retention_rate.ci_high": 0.02042145859490502,
        "empowerment_high.retention_rate.mean": 0.6980322994641863,
        "empowerment_high.retention_rate.diff": 0.02790481687482499,
        "empowerment_high.retention_rate.ci_low": -0.015868007630759497,
        "empowerment_high.retention_rate.ci_high": 0.07167764138040947,
        "baseline.repurchase_by_outcome.did_not_complain.mean": 0.8805879526945231,
        "empowerment_low.repurchase_by_outcome.did_not_complain.mean": 0.8773540029202636,
        "empowerment_high.repurchase_by_outcome.did_not_complain.mean": 0.8886466085124863,
        "pooled.repurchase_by_outcome.did_not_complain.mean": 0.8821961880424243,
        "pooled.repurchase_by_outcome.did_not_complain.ci_low": 0.8738303155674099,
        "pooled.repurchase_by_outcome.did_not_complain.ci_high": 0.8905620605174387,
        "baseline.repurchase_by_outcome.complained_unresolved.mean": 0.8983776844070961,
        "empowerment_low.repurchase_by_outcome.complained_unresolved.mean": 0.8836436877326403,
        "empowerment_high.repurchase_by_outcome.complained_unresolved.mean": 0.8607954545454546,
        "pooled.repurchase_by_outcome.complained_unresolved.mean": 0.880938942228397,
        "pooled.repurchase_by_outcome.complained_unresolved.ci_low": 0.8480464873047833,
        "pooled.repurchase_by_outcome.complained_unresolved.ci_high": 0.9138313971520107,
        "baseline.repurchase_by_outcome.resolved.mean": 0.9112358599200704,
        "empowerment_low.repurchase_by_outcome.resolved.mean": 0.9694706087563232,
        "empowerment_high.repurchase_by_outcome.resolved.mean": 0.95,
        "pooled.repurchase_by_outcome.resolved.mean": 0.9435688228921313,
        "pooled.repurchase_by_outcome.resolved.ci_low": 0.896771367937561,
        "pooled.repurchase_by_outcome.resolved.ci_high": 0.9903662778467016,
        "baseline.repurchase_by_outcome.resolved_quickly.mean": 0.9498947646389849,
        "empowerment_low.repurchase_by_outcome.resolved_quickly.mean": 0.9410980273752012,
        "empowerment_high.repurchase_by_outcome.resolved_quickly.mean": 0.9622547290660906,
        "pooled.repurchase_by_outcome.resolved_quickly.mean": 0.9510825070267591,
        "pooled.repurchase_by_outcome.resolved_quickly.ci_low": 0.9419260936127435,
        "pooled.repurchase_by_outcome.resolved_quickly.ci_high": 0.9602389204407747,
        "baseline.complaints.recovered_quickly": 0.5994897959183674,
        "baseline.complaints.recovered_escalated": 0.20918367346938777,
        "baseline.complaints.unresolved": 0.1913265306122449,
        "empowerment_low.complaints.recovered_quickly": 0.2886297376093295,
        "empowerment_low.complaints.recovered_escalated": 0.36151603498542273,
        "empowerment_low.complaints.unresolved": 0.3498542274052478,
        "empowerment_high.complaints.recovered_quickly": 0.8719851576994434,
        "empowerment_high.complaints.recovered_escalated": 0.04638218923933209,
        "empowerment_high.complaints.unresolved": 0.08163265306122448,
    },
    "04_competition": {
        "competition_0.1.reliability_0.85.satisfaction_index": 66.55742835300842,
        "competition_0.1.reliability_0.85.retention_rate": 0.6090314913844326,
        "competition_0.1.reliability_0.85.promoter_share": 0.21467418315663497,
        "competition_0.1.reliability_0.93.satisfaction_index": 68.07145388978249,
        "competition_0.1.reliability_0.93.retention_rate": 0.6586859688195991,
        "competition_0.1.reliability_0.93.promoter_share": 0.23399388471800692,
        "competition_0.1.reliability_0.98.satisfaction_index": 69.33999260812084,
        "competition_0.1.reliability_0.98.retention_rate": 0.7058501913613997,
        "competition_0.1.reliability_0.98.promoter_share": 0.254535862408802,
        "competition_0.5.reliability_0.85.satisfaction_index": 68.2654811932318,
        "competition_0.5.reliability_0.85.retention_rate": 0.5420439844760673,
        "competition_0.5.reliability_0.85.promoter_share": 0.2363888738946158,
        "competition_0.5.reliability_0.93.satisfaction_index": 69.88821889778423,
        "competition_0.5.reliability_0.93.retention_rate": 0.5953096812988575,
        "competition_0.5.reliability_0.93.promoter_share": 0.2598845113555429,
        "competition_0.5.reliability_0.98.satisfaction_index": 71.0614825789764,
        "competition_0.5.reliability_0.98.retention_rate": 0.6316715542521995,
        "competition_0.5.reliability_0.98.promoter_share": 0.2701952082863161,
        "competition_0.9.reliability_0.85.satisfaction_index": 71.33342911569689,
        "competition_0.9.reliability_0.85.retention_rate": 0.30848329048843187,
        "competition_0.9.reliability_0.85.promoter_share": 0.2708130865892218,
        "competition_0.9.reliability_0.93.satisfaction_index": 73.70137036240517,
        "competition_0.9.reliability_0.93.retention_rate": 0.38757861635220126,
        "competition_0.9.reliability_0.93.promoter_share": 0.3105211430498654,
        "competition_0.9.reliability_0.98.satisfaction_index": 74.99325597312715,
        "competition_0.9.reliability_0.98.retention_rate": 0.40655249441548774,
        "competition_0.9.reliability_0.98.promoter_share": 0.3324143910091408,
        "competition_0.1.slope": 3.4730986773812034,
        "competition_0.1.retention_mean": 0.6578558838551437,
        "competition_0.5.slope": 3.2103044915135484,
        "competition_0.5.retention_mean": 0.5896750733423747,
        "competition_0.9.slope": 2.7610504812773513,
        "competition_0.9.retention_mean": 0.36753813375204025,
    },
    "05_cops": {
        "cops_encounter.mean_wait.mean": 0.016551744566499767,
        "cops_relationship.mean_wait.mean": 0.12063190838377298,
        "cops_relationship.mean_wait.diff": 0.10408016381727322,
        "cops_relationship.mean_wait.ci_low": 0.07533136462711995,
        "cops_relationship.mean_wait.ci_high": 0.1328289630074265,
        "cops_pseudo_relationship.mean_wait.mean": 0.015351051298592528,
        "cops_pseudo_relationship.mean_wait.diff": -0.0012006932679072368,
        "cops_pseudo_relationship.mean_wait.ci_low": -0.002356611699397079,
        "cops_pseudo_relationship.mean_wait.ci_high": -4.477483641739479e-05,
        "cops_encounter.satisfaction_index.mean": 72.54479134896027,
        "cops_relationship.satisfaction_index.mean": 74.73862811366837,
        "cops_relationship.satisfaction_index.diff": 2.193836764708106,
        "cops_relationship.satisfaction_index.ci_low": 1.5256303789408792,
        "cops_relationship.satisfaction_index.ci_high": 2.8620431504753325,
        "cops_pseudo_relationship.satisfaction_index.mean": 71.52406937850671,
        "cops_pseudo_relationship.satisfaction_index.diff": -1.020721970453561,
        "cops_pseudo_relationship.satisfaction_index.ci_low": -1.4576579644084684,
        "cops_pseudo_relationship.satisfaction_index.ci_high": -0.5837859764986538,
        "cops_encounter.promoter_conversion.mean": 0.7265066604879388,
        "cops_relationship.promoter_conversion.mean": 0.7193655622081064,
        "cops_relationship.promoter_conversion.diff": -0.007141098279832309,
        "cops_relationship.promoter_conversion.ci_low": -0.03919372639262463,
        "cops_relationship.promoter_conversion.ci_high": 0.024911529832960015,
        "cops_pseudo_relationship.promoter_conversion.mean": 0.6863119092164268,
        "cops_pseudo_relationship.promoter_conversion.diff": -0.0401947512715119,
        "cops_pseudo_relationship.promoter_conversion.ci_low": -0.05805980228210121,
        "cops_pseudo_relationship.promoter_conversion.ci_high": -0.02232970026092258,
        "cops_encounter.retention_rate.mean": 0.6701274825893613,
        "cops_relationship.retention_rate.mean": 0.7496348493537005,
        "cops_relationship.retention_rate.diff": 0.07950736676433917,
        "cops_relationship.retention_rate.ci_low": 0.007359096273927224,
        "cops_relationship.retention_rate.ci_high": 0.15165563725475112,
        "cops_pseudo_relationship.retention_rate.mean": 0.6520704184157938,
        "cops_pseudo_relationship.retention_rate.diff": -0.018057064173567478,
        "cops_pseudo_relationship.retention_rate.ci_low": -0.026131320947240876,
        "cops_pseudo_relationship.retention_rate.ci_high": -0.009982807399894081,
        "cops_encounter.defections_by_reason.followed_provider.mean": 0.0,
        "cops_relationship.defections_by_reason.followed_provider.mean": 74.0,
        "cops_relationship.defections_by_reason.followed_provider.diff": 74.0,
        "cops_relationship.defections_by_reason.followed_provider.ci_low": -63.011613284519825,
        "cops_relationship.defections_by_reason.followed_provider.ci_high": 211.01161328451983,
        "cops_pseudo_relationship.defections_by_reason.followed_provider.mean": 0.0,
        "cops_pseudo_relationship.defections_by_reason.followed_provider.diff": 0.0,
        "cops_pseudo_relationship.defections_by_reason.followed_provider.ci_low": 0.0,
        "cops_pseudo_relationship.defections_by_reason.followed_provider.ci_high": 0.0,
        "cops_encounter.profit.mean": -18425.17827562678,
        "cops_relationship.profit.mean": -6487.244440728551,
        "cops_relationship.profit.diff": 11937.933834898227,
        "cops_relationship.profit.ci_low": -9937.647838496174,
        "cops_relationship.profit.ci_high": 33813.51550829263,
        "cops_pseudo_relationship.profit.mean": -29287.699853229016,
        "cops_pseudo_relationship.profit.diff": -10862.521577602238,
        "cops_pseudo_relationship.profit.ci_low": -15471.83842603656,
        "cops_pseudo_relationship.profit.ci_high": -6253.2047291679155,
    },
    "06_encounter_kinds": {
        "encounter_first_kind.utilisation.mean": 0.44656097163494934,
        "encounter_second_kind.utilisation.mean": 0.45468035573960186,
        "encounter_second_kind.utilisation.diff": 0.00811938410465253,
        "encounter_second_kind.utilisation.ci_low": 0.0038645597386786825,
        "encounter_second_kind.utilisation.ci_high": 0.012374208470626378,
        "encounter_third_kind.utilisation.mean": 0.4899006334907748,
        "encounter_third_kind.utilisation.diff": 0.043339661855825454,
        "encounter_third_kind.utilisation.ci_low": 0.025836057967812614,
        "encounter_third_kind.utilisation.ci_high": 0.06084326574383829,
        "encounter_first_kind.mean_wait.mean": 0.015357654678603932,
        "encounter_second_kind.mean_wait.mean": 0.01660391706986264,
        "encounter_second_kind.mean_wait.diff": 0.0012462623912587057,
        "encounter_second_kind.mean_wait.ci_low": 0.0005566227595752451,
        "encounter_second_kind.mean_wait.ci_high": 0.0019359020229421662,
        "encounter_third_kind.mean_wait.mean": 0.01979918934567434,
        "encounter_third_kind.mean_wait.diff": 0.004441534667070407,
        "encounter_third_kind.mean_wait.ci_low": 0.003278021690846797,
        "encounter_third_kind.mean_wait.ci_high": 0.005605047643294017,
        "encounter_first_kind.failure_rate.mean": 0.10531716074274801,
        "encounter_second_kind.failure_rate.mean": 0.10852431274574395,
        "encounter_second_kind.failure_rate.diff": 0.0032071520029959347,
        "encounter_second_kind.failure_rate.ci_low": 0.0002503656548173928,
        "encounter_second_kind.failure_rate.ci_high": 0.0061639383511744765,
        "encounter_third_kind.failure_rate.mean": 0.08240015111879039,
        "encounter_third_kind.failure_rate.diff": -0.022917009623957624,
        "encounter_third_kind.failure_rate.ci_low": -0.026832406190238828,
        "encounter_third_kind.failure_rate.ci_high": -0.01900161305767642,
        "encounter_first_kind.satisfaction_index.mean": 72.22340072749783,
        "encounter_second_kind.satisfaction_index.mean": 72.33643210969915,
        "encounter_second_kind.satisfaction_index.diff": 0.11303138220131359,
        "encounter_second_kind.satisfaction_index.ci_low": 0.007945689929343525,
        "encounter_second_kind.satisfaction_index.ci_high": 0.21811707447328366,
        "encounter_third_kind.satisfaction_index.mean": 73.46880317161606,
        "encounter_third_kind.satisfaction_index.diff": 1.2454024441182234,
        "encounter_third_kind.satisfaction_index.ci_low": 0.5446513588129733,
        "encounter_third_kind.satisfaction_index.ci_high": 1.9461535294234735,
        "encounter_first_kind.promoter_conversion.mean": 0.7093357354561722,
        "encounter_second_kind.promoter_conversion.mean": 0.6961564741246968,
        "encounter_second_kind.promoter_conversion.diff": -0.0131792613314754,
        "encounter_second_kind.promoter_conversion.ci_low": -0.040045091505644545,
        "encounter_second_kind.promoter_conversion.ci_high": 0.01368656884269374,
        "encounter_third_kind.promoter_conversion.mean": 0.7293911978575063,
        "encounter_third_kind.promoter_conversion.diff": 0.020055462401333934,
        "encounter_third_kind.promoter_conversion.ci_low": -0.0127975959464365,
        "encounter_third_kind.promoter_conversion.ci_high": 0.05290852074910437,
        "encounter_first_kind.retention_rate.mean": 0.6693947892222218,
        "encounter_second_kind.retention_rate.mean": 0.6631908406330215,
        "encounter_second_kind.retention_rate.diff": -0.006203948589200398,
        "encounter_second_kind.retention_rate.ci_low": -0.014945571039769028,
        "encounter_second_kind.retention_rate.ci_high": 0.0025376738613682327,
        "encounter_third_kind.retention_rate.mean": 0.673926713282398,
        "encounter_third_kind.retention_rate.diff": 0.004531924060176107,
        "encounter_third_kind.retention_rate.ci_low": -0.01436666861242417,
        "encounter_third_kind.retention_rate.ci_high": 0.023430516732776383,
        "encounter_first_kind.profit.mean": -18244.586133629142,
        "encounter_second_kind.profit.mean": -23683.094336096314,
        "encounter_second_kind.profit.diff": -5438.508202467172,
        "encounter_second_kind.profit.ci_low": -10730.504616856811,
        "encounter_second_kind.profit.ci_high": -146.5117880775315,
        "encounter_third_kind.profit.mean": -22577.97255101688,
        "encounter_third_kind.profit.diff": -4333.386417387737,
        "encounter_third_kind.profit.ci_low": -10132.587455652974,
        "encounter_third_kind.profit.ci_high": 1465.8146208774997,
    },
    "07_turnover": {
        "baseline.provider_job_satisfaction.mean": 0.6154371352006799,
        "high_turnover.provider_job_satisfaction.mean": 0.48338083259489145,
        "high_turnover.provider_job_satisfaction.diff": -0.1320563026057885,
        "high_turnover.provider_job_satisfaction.ci_low": -0.139065822772954,
        "high_turnover.provider_job_satisfaction.ci_high": -0.12504678243862297,
        "baseline.provider_turnover.mean": 0.2970595829301788,
        "high_turnover.provider_turnover.mean": 0.9674803764908421,
        "high_turnover.provider_turnover.diff": 0.6704207935606633,
        "high_turnover.provider_turnover.ci_low": 0.1492275189878075,
        "high_turnover.provider_turnover.ci_high": 1.1916140681335192,
        "baseline.mean_competency.mean": 0.9506883072713594,
        "high_turnover.mean_competency.mean": 0.8889899498867914,
        "high_turnover.mean_competency.diff": -0.0616983573845681,
        "high_turnover.mean_competency.ci_low": -0.10879673074748736,
        "high_turnover.mean_competency.ci_high": -0.014599984021648853,
        "baseline.failure_rate.mean": 0.10260061444208339,
        "high_turnover.failure_rate.mean": 0.10565856428973247,
        "high_turnover.failure_rate.diff": 0.0030579498476490893,
        "high_turnover.failure_rate.ci_low": 0.0016406128095171732,
        "high_turnover.failure_rate.ci_high": 0.004475286885781005,
        "baseline.mean_quality.mean": 0.8024921701530311,
        "high_turnover.mean_quality.mean": 0.7699393758062651,
        "high_turnover.mean_quality.diff": -0.032552794346765855,
        "high_turnover.mean_quality.ci_low": -0.043713743960829325,
        "high_turnover.mean_quality.ci_high": -0.021391844732702385,
        "baseline.satisfaction_index.mean": 72.48553582333112,
        "high_turnover.satisfaction_index.mean": 68.8205606098542,
        "high_turnover.satisfaction_index.diff": -3.6649752134769216,
        "high_turnover.satisfaction_index.ci_low": -5.919655126987896,
        "high_turnover.satisfaction_index.ci_high": -1.4102952999659464,
        "baseline.retention_rate.mean": 0.6677545332733498,
        "high_turnover.retention_rate.mean": 0.5660849110086928,
        "high_turnover.retention_rate.diff": -0.1016696222646568,
        "high_turnover.retention_rate.ci_low": -0.17180327761077963,
        "high_turnover.retention_rate.ci_high": -0.03153596691853397,
        "baseline.profit.mean": -23195.487408800127,
        "high_turnover.profit.mean": -51205.637723805536,
        "high_turnover.profit.diff": -28010.15031500541,
        "high_turnover.profit.ci_low": -47802.269290494376,
        "high_turnover.profit.ci_high": -8218.031339516441,
    },
    "08_demand_surge": {
        "steady.utilisation.mean": 0.44095242006080343,
        "demand_surge.utilisation.mean": 0.4415062918773313,
        "demand_surge.utilisation.diff": 0.0005538718165279122,
        "demand_surge.utilisation.ci_low": -0.025608248765188937,
        "demand_surge.utilisation.ci_high": 0.02671599239824476,
        "steady.mean_wait.mean": 0.014655167690832426,
        "demand_surge.mean_wait.mean": 0.01929383890594225,
        "demand_surge.mean_wait.diff": 0.004638671215109822,
        "demand_surge.mean_wait.ci_low": 0.0035135758195709867,
        "demand_surge.mean_wait.ci_high": 0.005763766610648657,
        "steady.mean_quality.mean": 0.8063527293091853,
        "demand_surge.mean_quality.mean": 0.7992009888004716,
        "demand_surge.mean_quality.diff": -0.007151740508713866,
        "demand_surge.mean_quality.ci_low": -0.011645932560629452,
        "demand_surge.mean_quality.ci_high": -0.0026575484567982807,
        "steady.satisfaction_index.mean": 73.26759759403829,
        "demand_surge.satisfaction_index.mean": 72.38303153728263,
        "demand_surge.satisfaction_index.diff": -0.8845660567556664,
        "demand_surge.satisfaction_index.ci_low": -1.334399266587034,
        "demand_surge.satisfaction_index.ci_high": -0.43473284692429887,
        "steady.retention_rate.mean": 0.6942355052269413,
        "demand_surge.retention_rate.mean": 0.6425991505854918,
        "demand_surge.retention_rate.diff": -0.05163635464144961,
        "demand_surge.retention_rate.ci_low": -0.07820993437729011,
        "demand_surge.retention_rate.ci_high": -0.025062774905609115,
        "steady.profit.mean": -21823.48164603226,
        "demand_surge.profit.mean": -19142.56053350887,
        "demand_surge.profit.diff": 2680.9211125233924,
        "demand_surge.profit.ci_low": -7159.7085742217405,
        "demand_surge.profit.ci_high": 12521.550799268525,
        "steady.before.utilisation": 0.5081899977134287,
        "steady.before.standard_minutes": 24.975049468498185,
        "steady.before.quality_factor": 0.9990019787399274,
        "steady.before.satisfaction_index": 71.16202413353322,
        "steady.during.utilisation": 0.4898578975140642,
        "steady.during.standard_minutes": 24.975049468498185,
        "steady.during.quality_factor": 0.9990019787399274,
        "steady.during.satisfaction_index": 71.49409878111054,
        "steady.after.utilisation": 0.4238283119096026,
        "steady.after.standard_minutes": 24.975049468498185,
        "steady.after.quality_factor": 0.9990019787399272,
        "steady.after.satisfaction_index": 73.97525672574722,
        "demand_surge.before.utilisation": 0.5081899977134287,
        "demand_surge.before.standard_minutes": 24.975049468498185,
        "demand_surge.before.quality_factor": 0.9990019787399274,
        "demand_surge.before.satisfaction_index": 71.16202413353322,
        "demand_surge.during.utilisation": 0.6468179189149444,
        "demand_surge.during.standard_minutes": 24.729095683239176,
        "demand_surge.during.quality_factor": 0.9711969543825427,
        "demand_surge.during.satisfaction_index": 66.23252224890234,
        "demand_surge.after.utilisation": 0.3773176100251521,
        "demand_surge.after.standard_minutes": 24.6027161159777,
        "demand_surge.after.quality_factor": 0.984108644639108,
        "demand_surge.after.satisfaction_index": 74.3694195801496,
    },
    "09_unit_variability": {
        "flagship.satisfaction_index.mean": 77.24682591208537,
        "standard.satisfaction_index.mean": 72.86858022324557,
        "struggling.satisfaction_index.mean": 69.04513593432696,
        "flagship-struggling.satisfaction_index.diff": 8.201689977758392,
        "flagship.retention_rate.mean": 0.7801507195848432,
        "standard.retention_rate.mean": 0.693086886909739,
        "struggling.retention_rate.mean": 0.5714426124834626,
        "flagship-struggling.retention_rate.diff": 0.20870810710138066,
        "flagship.failure_rate.mean": 0.06500374876368398,
        "standard.failure_rate.mean": 0.10378397372372958,
        "struggling.failure_rate.mean": 0.15200396011293615,
        "flagship-struggling.failure_rate.diff": -0.0870002113492522,
        "flagship.provider_turnover.mean": 0.0,
        "standard.provider_turnover.mean": 0.26071428571428573,
        "struggling.provider_turnover.mean": 0.40274335005323403,
        "flagship-struggling.provider_turnover.diff": -0.40274335005323403,
        "flagship.profit.mean": -34799.208333333256,
        "standard.profit.mean": -11507.644569471668,
        "struggling.profit.mean": -29776.77509028973,
        "flagship-struggling.profit.diff": -5022.433243043524,
        "variance_share.among_units": 0.07637059322585239,
        "variance_share.among_providers": 0.00644757779416169,
        "variance_share.within_providers": 0.917181828979986,
        "flagship.encounter_quality.mean": 0.8417121961166606,
        "standard.encounter_quality.mean": 0.8061154050111606,
        "struggling.encounter_quality.mean": 0.7640370615699102,
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
