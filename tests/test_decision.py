"""The decision summary of a comparison (sim.statistics.decision and ``spc compare``): the
ranking on an objective under constraints, paired differences, the probability of being best
from a paired bootstrap, and the plain-language lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.statistics.decision import (
    Constraint,
    decision_lines,
    decision_table,
    format_amount,
    parse_constraint,
    probability_best,
)
from sim.statistics.intervals import t_interval


def _summary(values: dict[str, list[float]], **other: dict[str, list[float]]) -> pd.DataFrame:
    """A summary table: ``profit`` per scenario and replication (and other KPIs)."""
    rows = []
    for name, profits in values.items():
        for r, v in enumerate(profits):
            row = {"scenario": name, "replication": r, "profit": v}
            for kpi, per_scenario in other.items():
                row[kpi] = per_scenario[name][r]
            rows.append(row)
    return pd.DataFrame(rows)


# -- constraints -------------------------------------------------------------------------
def test_constraints_parse_both_directions() -> None:
    assert parse_constraint("retention_rate>=0.8") == Constraint("retention_rate", ">=", 0.8)
    assert parse_constraint(" mean_wait <= 0.1 ") == Constraint("mean_wait", "<=", 0.1)
    assert str(parse_constraint("nps>=-5")) == "nps>=-5"
    assert parse_constraint("nps>=10").holds(10.0) and not parse_constraint("nps<=10").holds(11)


@pytest.mark.parametrize("text", ["retention_rate>0.8", "retention_rate=0.8", ">=0.8",
                                  "retention_rate>=high", "retention_rate>=nan",
                                  "retention_rate>=inf", "a b>=1"])
def test_bad_constraints_say_what_is_allowed(text: str) -> None:
    with pytest.raises(ValueError, match=r"KPI>=VALUE|not a number|finite"):
        parse_constraint(text)


# -- the probability of being best ---------------------------------------------------------
def test_a_scenario_better_in_every_replication_is_best_with_probability_one() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(100.0, 30.0, 8)
    values = np.vstack([base, base + 1.0, base - 1.0])  # CRN: the noise is shared
    p = probability_best(values, True, np.random.default_rng(2))
    assert p.tolist() == [0.0, 1.0, 0.0]
    assert probability_best(values, False, np.random.default_rng(2)).tolist() == [0, 0, 1]


def test_the_bootstrap_keeps_the_pairing_of_common_random_numbers() -> None:
    """Shared noise far larger than the difference: paired, the better scenario wins every
    resample; resampled independently it would win only about half of them."""
    noise = np.random.default_rng(3).normal(0.0, 100.0, 10)
    values = np.vstack([noise, noise + 0.5])
    assert probability_best(values, True, np.random.default_rng(4))[1] == 1.0


def test_probabilities_match_the_sampling_distribution_of_the_difference() -> None:
    """Two scenarios whose paired difference has mean d and standard error se: the
    bootstrap's P(best) is close to the normal approximation Phi(d / se)."""
    from scipy import stats

    diffs = np.random.default_rng(5).normal(0.4, 1.0, 40)
    values = np.vstack([np.zeros(40), diffs])
    p = probability_best(values, True, np.random.default_rng(6), resamples=20_000)
    expected = stats.norm.cdf(diffs.mean() / (diffs.std(ddof=0) / np.sqrt(40)))
    assert p.sum() == pytest.approx(1.0)
    assert p[1] == pytest.approx(expected, abs=0.02)


def test_constraints_remove_scenarios_from_the_race() -> None:
    values = np.array([[10.0, 11.0, 12.0], [20.0, 21.0, 22.0], [15.0, 15.0, 15.0]])
    retention = np.array([[0.9, 0.9, 0.9], [0.5, 0.6, 0.55], [0.85, 0.86, 0.84]])
    rule = (Constraint("retention_rate", ">=", 0.8), retention)
    p = probability_best(values, True, np.random.default_rng(7), [rule])
    assert p.tolist() == [0.0, 0.0, 1.0]
    nobody = (Constraint("retention_rate", ">=", 0.99), retention)
    assert probability_best(values, True, np.random.default_rng(7), [nobody]).sum() == 0.0


# -- the table and its lines ---------------------------------------------------------------
def test_decision_table_ranks_and_gives_paired_differences() -> None:
    summary = _summary({"base": [100.0, 120.0, 90.0], "a": [130.0, 150.0, 125.0],
                        "b": [95.0, 118.0, 80.0]},
                       retention_rate={"base": [0.8, 0.8, 0.8], "a": [0.7, 0.72, 0.71],
                                       "b": [0.82, 0.81, 0.83]})
    table = decision_table(summary, "base", ["base", "a", "b"], "profit",
                           np.random.default_rng(8))
    assert list(table["scenario"]) == ["a", "base", "b"] and list(table["rank"]) == [1, 2, 3]
    a = table.set_index("scenario").loc["a"]
    ci = t_interval([30.0, 30.0, 35.0])
    assert (a["diff"], a["ci_low"], a["ci_high"]) == pytest.approx((ci.mean, ci.low, ci.high))
    assert a["diff_pct"] == pytest.approx(100 * ci.mean / (310 / 3))
    assert a["p_best"] == 1.0 and bool(a["meets_constraints"])
    ruled = decision_table(summary, "base", ["base", "a", "b"], "profit",
                           np.random.default_rng(8), [parse_constraint("retention_rate>=0.75")])
    assert list(ruled["scenario"]) == ["base", "b", "a"]
    assert ruled.iloc[2]["violated"] == "retention_rate>=0.75"
    assert ruled["p_best"].tolist() == [1.0, 0.0, 0.0]


def test_the_difference_interval_is_the_comparison_tables_one() -> None:
    """A share's paired difference lies in [-1, 1]: the decision's interval is truncated
    there, exactly as paired_comparison's (the comparisons table) is."""
    from sim.statistics.output_analysis import paired_comparison

    summary = _summary({"base": [0.0, 0.0, 0.0], "a": [0.2, 1.0, 0.9]})
    summary = summary.rename(columns={"profit": "retention_rate"})
    table = decision_table(summary, "base", ["base", "a"], "retention_rate",
                           np.random.default_rng(0)).set_index("scenario")
    pair = paired_comparison(summary[summary["scenario"] == "base"],
                             summary[summary["scenario"] == "a"]).iloc[0]
    assert table.loc["a", "ci_high"] == pair["ci_high"] == 1.0
    assert table.loc["a", "ci_low"] == pytest.approx(pair["ci_low"])


def test_objective_must_have_a_direction() -> None:
    summary = _summary({"base": [1.0, 2.0], "a": [2.0, 3.0]})
    summary["warmup_years"] = 1.0
    with pytest.raises(ValueError, match="no better direction"):
        decision_table(summary, "base", ["base", "a"], "warmup_years",
                       np.random.default_rng(0))


def test_plain_lines_give_the_difference_its_interval_and_the_side_kpis() -> None:
    summary = _summary({"base": [100_000.0, 120_000.0, 90_000.0],
                        "a": [130_000.0, 150_000.0, 125_000.0]},
                       retention_rate={"base": [0.80, 0.80, 0.80], "a": [0.81, 0.82, 0.81]},
                       promoter_share={"base": [0.30, 0.31, 0.29], "a": [0.35, 0.35, 0.34]})
    table = decision_table(summary, "base", ["base", "a"], "profit", np.random.default_rng(9))
    lines = decision_lines(table, summary, "base")
    ci = t_interval([30_000.0, 30_000.0, 35_000.0])
    assert lines[0] == (
        f"a: profit +31.7k/yr (+31 %, 95 % interval {ci.low / 1000:,.1f}k/yr to "
        f"{ci.high / 1000:,.1f}k/yr), best with probability 1.00; retention +1.3 pp; "
        "promoters +4.7 pp")
    assert lines[1] == "base (base): profit 103.3k/yr, best with probability 0.00"


def test_amounts_carry_their_units() -> None:
    assert format_amount("profit", 26_800.0) == "+26.8k/yr"
    assert format_amount("retention_rate", 0.013) == "+1.3 pp"
    assert format_amount("retention_rate", 0.85, signed=False) == "85.0 %"
    assert format_amount("mean_wait", 0.05) == "+3.00 min"
    assert format_amount("nps", -2.25) == "-2.2 points"


# -- spc compare ---------------------------------------------------------------------------
SMALL = ["--set", "run.years=0.6", "--set", "run.warmup_years=0.2", "--set",
         "customers.initial=400", "--set", "providers.count=2", "--set",
         "growth.paid_per_month=8"]


@pytest.mark.parametrize(("option", "message"), [
    (["--objective", "profits"], "--objective: unknown KPI 'profits' (did you mean profit"),
    (["--objective", "warmup_years"], "--objective warmup_years: not an outcome KPI"),
    (["--objective", "passive_share"], "not an outcome KPI with a better direction"),
    (["--constraint", "retention>=0.8"], "--constraint: unknown KPI 'retention'"),
    (["--constraint", "retention_rate=0.8"], "not of the form KPI>=VALUE"),
])
def test_bad_objective_or_constraint_stops_before_anything_runs(
        option: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c"
    code = main(["compare", "scenarios/baseline.toml", "scenarios/empowerment_high.toml",
                 "-r", "2", "--out", str(out), *option])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not out.exists()


def test_compare_opens_with_the_decision_and_stores_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c"
    args = ["compare", "scenarios/baseline.toml", "scenarios/empowerment_high.toml",
            "scenarios/empowerment_low.toml", "-r", "2", "--out", str(out), *SMALL,
            "--constraint", "retention_rate>=0.5"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert text.startswith("Decision: profit (money per year), 2 paired replications, "
                           "constraints retention_rate>=0.5")
    assert text.index("Decision:") < text.index("inputs that differ")
    stored = pd.read_parquet(out / "decision.parquet")
    assert sorted(stored["scenario"]) == ["baseline", "empowerment_high", "empowerment_low"]
    assert stored["p_best"].sum() <= 1.0 + 1e-12
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["decision"]["objective"] == "profit"
    assert manifest["decision"]["constraints"] == ["retention_rate>=0.5"]
    # the report opens with the same decision
    assert main(["report", str(out), "--format", "md"]) == 0
    report = (out / "report.md").read_text()
    first = report.index("\n## ")
    assert report[first:].startswith("\n## Decision\n")
    assert report.index("| rank | scenario | profit |") < report.index("## What was run")
    capsys.readouterr()
    # --resume into the finished comparison runs nothing again: it ranks the stored
    # replications anew on another objective (here as JSON: the decision first, with its
    # lines) and replaces the stored decision; the comparisons are the same numbers
    shards = {p: p.stat().st_mtime_ns for p in (out / "shards").rglob("*.parquet")}
    comparisons = pd.read_parquet(out / "comparisons.parquet")
    assert main([*args, "--resume", "--json", "--objective", "nps"]) == 0
    assert {p: p.stat().st_mtime_ns for p in (out / "shards").rglob("*.parquet")} == shards
    pd.testing.assert_frame_equal(pd.read_parquet(out / "comparisons.parquet"), comparisons)
    assert set(pd.read_parquet(out / "decision.parquet")["objective"]) == {"nps"}
    assert json.loads((out / "manifest.json").read_text())["decision"]["objective"] == "nps"
    payload = json.loads(capsys.readouterr().out)
    assert list(payload)[:3] == ["base", "replications", "decision"]
    ranking = payload["decision"]["ranking"]
    assert payload["decision"]["objective"] == "nps" and len(ranking) == 3
    assert [r["rank"] for r in ranking] == [1, 2, 3]
    means = [r["mean"] for r in ranking if r["meets_constraints"]]
    assert means == sorted(means, reverse=True)
    assert len(payload["decision"]["lines"]) == 3


# -- money: thousands separated, with the scenario's currency label --------------------------
def test_money_carries_the_currency_label() -> None:
    from sim.kpis import money_unit

    assert format_amount("profit", 26_800.0, currency="EUR") == "+26.8k EUR/yr"
    assert format_amount("clv", 312.0, signed=False, currency="$") == "312 $"
    assert format_amount("retention_rate", 0.013, currency="EUR") == "+1.3 pp"  # not money
    assert money_unit("money per year", "EUR") == "EUR per year"
    assert money_unit("money per year") == "money per year"
    assert money_unit("share", "EUR") == "share"


@pytest.mark.parametrize("label", ["E U R", "\x1b[31m", "TOOLONGLABEL", "EUR\n"])
def test_a_bad_currency_label_is_refused_before_anything_runs(
        label: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{Path.cwd() / "scenarios/baseline.toml"}"\n'
                    f'[money]\ncurrency = {json.dumps(label)}\n')
    assert main(["run", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "money.currency" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_compare_prints_money_with_separators_and_the_currency(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "scenarios/baseline.toml", "scenarios/empowerment_high.toml",
                 "-r", "2", "--out", str(tmp_path / "c"), *SMALL,
                 "--set", 'money.currency="EUR"']) == 0
    text = capsys.readouterr().out
    assert text.startswith("Decision: profit (EUR per year)")
    assert "k EUR/yr" in text and "e+0" not in text
    cost = next(line for line in text.splitlines() if line.strip().startswith("cost "))
    assert cost.rstrip().endswith("EUR per year") and "," in cost


def test_runs_print_units_currency_and_survivor_flags(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Replicated or not, the same rows in the same order (one value each without
    --replications): the headline KPIs first, units, the currency, separators and survivor
    flags, settings (the warm-up) left out."""
    args = [*SMALL, "--set", 'money.currency="EUR"']
    assert main(["run", "scenarios/baseline.toml", "--out", str(tmp_path / "one"), *args]) == 0
    one = capsys.readouterr().out.splitlines()
    assert main(["run", "scenarios/baseline.toml", "-r", "2", "--out", str(tmp_path / "two"),
                 *args]) == 0
    two = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"baseline: seed \d+, [\d.]+ years?, [\d.]+ s", one[0])
    assert one[1].split() == ["kpi", "value", "unit"]
    tables = [lines[2:lines.index("")] for lines in (one, two)]
    names = [r.split()[0] for r in tables[0] if not r.startswith("†")]
    assert names == [r.split()[0] for r in tables[1] if not r.startswith("†")]
    assert "warmup_years" not in names
    for lines, rows in zip((one, two), tables, strict=True):
        assert [r.split()[0] for r in rows[:4]] == [  # the headline KPIs first
            "retention_rate", "promoter_share", "satisfaction_index", "nps"]
        profit = next(r for r in rows if r.startswith("profit "))
        assert profit.endswith("EUR per year") and "," in profit and "e+0" not in profit
        assert next(r for r in rows if r.startswith("promoter_share")).startswith(
            "promoter_share †")
        assert lines[lines.index("") - 1].startswith("†: computed on the customers still active")
        # the units in one column, whatever the length of the KPI's name
        assert len({r.rindex("  ") for r in rows if not r.startswith("†")}) == 1
