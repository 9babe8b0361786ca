"""Scenario files: the schema, TOML loading, ``extends`` chains, ``--set``, errors and the hash."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from sim.errors import ScenarioError, UserError
from sim.scenario import (
    ScenarioParameters,
    apply_overrides,
    load_scenario,
    parameters_hash,
    scenario_from_dict,
    variants,
)
from sim.scenario.schema import SECTIONS

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
MMC = ROOT / "scenarios" / "validation" / "mmc.toml"

PUBLIC_KEYS = (
    "run.years",
    "run.seed",
    "customers.initial",
    "providers.count",
    "organization.reliability",
    "organization.empowerment",
    "market.competition",
)
SHARES = ("organization.reliability", "organization.empowerment", "market.competition")

# queue mode, so that short horizons are valid whatever behaviour mode's warm-up is
PARENT = """
name = "parent"
description = "the parent scenario"

[run]
mode = "queue"
years = 2.0
seed = 11

[providers]
count = 6
service_time_mean = 15.0

[organization]
reliability = 0.8
empowerment = 0.3
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def value(params: ScenarioParameters, key: str) -> Any:
    section, name = key.split(".")
    return getattr(getattr(params, section), name)


def fields() -> list[tuple[str, str, Any]]:
    return [
        (section, key, info)
        for section, model in SECTIONS.items()
        for key, info in model.model_fields.items()
    ]


def numeric_type(annotation: Any) -> type | None:
    """``int`` or ``float`` for ``int``, ``float``, ``int | None``, ``float | None``; else None."""
    if annotation in (int, float):
        return annotation  # type: ignore[no-any-return]
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    if len(args) == 1 and args[0] in (int, float) and len(annotation.__args__) == 2:
        return args[0]  # type: ignore[no-any-return]
    return None


def toml_text(tree: dict[str, Any]) -> str:
    """Resolved parameters as TOML, every table and key in reverse order, whole floats as ints."""

    def fmt(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return repr(v)

    lines = []
    for section, tables in reversed(list(tree.items())):
        many = isinstance(tables, list)
        for table in tables if many else [tables]:
            lines.append(f"[[{section}]]" if many else f"[{section}]")
            lines += [f"{k} = {fmt(v)}" for k, v in reversed(table.items()) if v is not None]
    return "\n".join(lines) + "\n"


def bounds(info: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for meta in info.metadata:
        for name in ("ge", "gt", "le", "lt"):
            if getattr(meta, name, None) is not None:
                out[name] = getattr(meta, name)
    return out


def refused(
    call: Any, source: str | Path, key: str | None, *allowed: str
) -> ScenarioError:
    """``call()`` raises one ScenarioError naming ``source``, ``key`` and what is allowed."""
    with pytest.raises(ScenarioError) as info:
        call()
    err = info.value
    assert err.source == str(source)
    assert err.key == key
    assert isinstance(err, UserError) and err.exit_code == 2
    text = str(err)
    assert text.startswith(f"{source}: ")
    if key:
        assert f"key '{key}'" in text
    for fragment in allowed:
        assert err.allowed is not None and fragment in err.allowed, (fragment, text)
    return err


# -- the schema ----------------------------------------------------------------------------
def test_schema_sections_are_the_scenario_tables() -> None:
    assert {"run", "queue", "customers", "providers", "organization", "market"} <= set(SECTIONS)
    for name, model in SECTIONS.items():
        assert issubclass(model, BaseModel)
        assert name in ScenarioParameters.model_fields
        assert model.model_config.get("extra") == "forbid", name


def test_top_level_values_that_are_not_sections_are_documented() -> None:
    for name, info in ScenarioParameters.model_fields.items():
        if info.annotation is SECTIONS.get(name):
            continue  # a section: its fields are checked one by one
        extra = info.json_schema_extra
        assert info.description, name
        assert isinstance(extra, dict) and extra.get("unit"), name


@pytest.mark.parametrize(("section", "key", "info"), fields(), ids=lambda v: str(v)[:30])
def test_every_parameter_has_description_unit_and_default(
    section: str, key: str, info: Any
) -> None:
    assert info.description and len(info.description.strip()) > 5, f"{section}.{key}"
    extra = info.json_schema_extra
    assert isinstance(extra, dict) and isinstance(extra.get("unit"), str) and extra["unit"]
    assert not info.is_required(), f"{section}.{key} has no default"


@pytest.mark.parametrize(("section", "key", "info"), fields(), ids=lambda v: str(v)[:30])
def test_every_numeric_parameter_has_a_finite_range_holding_its_default(
    section: str, key: str, info: Any
) -> None:
    if numeric_type(info.annotation) is None:
        assert info.annotation in (bool, str) or "Literal" in str(info.annotation), (
            f"{section}.{key}: a new kind of field ({info.annotation}) needs a range test"
        )
        return
    b = bounds(info)
    assert ("ge" in b) != ("gt" in b), f"{section}.{key}: needs exactly one lower bound"
    assert ("le" in b) != ("lt" in b), f"{section}.{key}: needs exactly one upper bound"
    default = info.get_default()
    if default is None:  # an optional local value: unset means "use the global one"
        return
    assert b.get("ge", default) <= default and b.get("gt", default - 1) < default
    assert default <= b.get("le", default) and default < b.get("lt", default + 1)


def test_numeric_bounds_are_enforced_for_every_numeric_field() -> None:
    # one value just outside each bound is refused, naming the key and the range
    for section, key, info in fields():
        kind = numeric_type(info.annotation)
        if kind is None or section not in ScenarioParameters.model_fields:
            continue
        if getattr(ScenarioParameters.model_fields[section].annotation, "__origin__", None):
            continue  # a list of tables: covered by the [[units]] tests
        b = bounds(info)
        step = 1 if kind is int else 1e-9 * max(1.0, abs(b.get("le", b.get("lt", 1))))
        outside = []
        if "ge" in b:
            outside.append(b["ge"] - step)
        if "gt" in b:
            outside.append(b["gt"])
        if "le" in b:
            outside.append(b["le"] + step)
        if "lt" in b:
            outside.append(b["lt"])
        for bad in outside:
            with pytest.raises(ScenarioError) as err:
                scenario_from_dict({section: {key: kind(bad)}})
            assert err.value.key == f"{section}.{key}"
            assert err.value.allowed and " in " in err.value.allowed


def test_defaults_form_a_valid_scenario() -> None:
    params = ScenarioParameters()
    assert ScenarioParameters.model_validate(params.model_dump()) == params


@pytest.mark.parametrize("key", PUBLIC_KEYS)
def test_public_key_paths_exist(key: str) -> None:
    section, name = key.split(".")
    assert name in SECTIONS[section].model_fields
    assert key in load_scenario(BASELINE).flat()


@pytest.mark.parametrize("key", SHARES)
def test_shares_are_validated_in_zero_one(key: str) -> None:
    for ok in (0, 0.0, 0.25, 1, 1.0):
        assert value(load_scenario(BASELINE, [f"{key}={ok}"]).params, key) == ok
    for bad in ("-0.01", "1.0001", "1.5", "-1"):
        refused(
            lambda bad=bad: load_scenario(BASELINE, [f"{key}={bad}"]),
            f"--set {key}", key, "a number in [0, 1]",
        )
    section, name = key.split(".")
    info = SECTIONS[section].model_fields[name]
    assert bounds(info) == {"ge": 0, "le": 1}


@pytest.mark.parametrize(
    ("key", "good", "bad", "allowed"),
    [
        ("run.years", ["0.01", "100"], ["0", "-1", "100.5"], "a number in (0, 100]"),
        ("run.seed", ["0", str(2**63 - 1)], ["-1", str(2**63), "1.5"], "an integer in [0, "),
        ("customers.initial", ["0", "10000000"], ["-1", "10000001", "2.5"], "an integer in [0, "),
        ("providers.count", ["1", "10000"], ["0", "-3", "10001", "1.5"],
         "an integer in [1, 10000]"),
    ],
)
def test_other_public_keys_are_range_checked(
    key: str, good: list[str], bad: list[str], allowed: str
) -> None:
    for text in good:
        expected = tomllib.loads(f"v = {text}")["v"]
        assert value(load_scenario(MMC, [f"{key}={text}"]).params, key) == expected
    for text in bad:
        refused(
            lambda text=text: load_scenario(MMC, [f"{key}={text}"]),
            f"--set {key}", key, allowed,
        )


def test_parameters_are_frozen() -> None:
    params = load_scenario(BASELINE).params
    with pytest.raises(ValueError):
        params.organization.reliability = 0.1  # type: ignore[misc]


# -- loading and extends -------------------------------------------------------------------
def test_a_file_is_read_as_toml() -> None:
    scenario = load_scenario(BASELINE)
    raw = tomllib.loads(BASELINE.read_text())
    assert scenario.name == "baseline"
    assert scenario.description == raw["description"]
    for section, table in raw.items():
        if isinstance(table, dict):
            for key, val in table.items():
                assert value(scenario.params, f"{section}.{key}") == val
    assert scenario.path == BASELINE.resolve()
    assert scenario.chain == (BASELINE.resolve(),)


def test_missing_keys_take_the_schema_defaults(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path / "tiny.toml", "[run]\nyears = 12.5\n"))
    assert scenario.params.run.years == 12.5
    assert scenario.params.organization == ScenarioParameters().organization
    assert scenario.name == "tiny"  # the file name when the file gives none
    assert scenario.description == ""


def test_extends_deep_merges_and_overrides(tmp_path: Path) -> None:
    write(tmp_path / "parent.toml", PARENT)
    child = write(
        tmp_path / "child.toml",
        'extends = "parent.toml"\n'
        "[organization]\nreliability = 0.95\n"
        "[market]\ncompetition = 0.9\n",
    )
    p = load_scenario(child).params
    assert p.organization.reliability == 0.95  # overridden
    assert p.organization.empowerment == 0.3  # sibling key inherited, not reset to default
    assert p.providers.count == 6 and p.providers.service_time_mean == 15.0  # untouched section
    assert (p.run.years, p.run.seed) == (2.0, 11)
    assert p.market.competition == 0.9  # a section the parent does not have
    assert p.customers == ScenarioParameters().customers  # neither sets it: defaults


def test_name_and_description_are_not_inherited(tmp_path: Path) -> None:
    write(tmp_path / "parent.toml", PARENT)
    bare = load_scenario(write(tmp_path / "bare.toml", 'extends = "parent.toml"\n'))
    assert bare.name == "bare"
    assert bare.description == ""
    own = load_scenario(
        write(
            tmp_path / "own.toml",
            'name = "mine"\ndescription = "why"\nextends = "parent.toml"\n',
        )
    )
    assert (own.name, own.description) == ("mine", "why")
    assert load_scenario(tmp_path / "parent.toml").name == "parent"


def test_a_chain_of_several_files(tmp_path: Path) -> None:
    write(tmp_path / "a.toml", PARENT)
    write(
        tmp_path / "b.toml",
        'name = "b"\nextends = "a.toml"\n[organization]\nreliability = 0.7\n[run]\nyears = 1.0\n',
    )
    write(tmp_path / "c.toml", 'extends = "b.toml"\n[organization]\nempowerment = 0.6\n')
    d = write(tmp_path / "d.toml", 'extends = "c.toml"\n[run]\nyears = 0.5\n')
    scenario = load_scenario(d)
    p = scenario.params
    assert p.run.years == 0.5  # d overrides b overrides a
    assert p.run.seed == 11  # from a, three files up
    assert p.organization.reliability == 0.7  # from b
    assert p.organization.empowerment == 0.6  # from c
    assert p.providers.count == 6  # from a
    assert scenario.name == "d"  # b's name is not inherited through c
    assert scenario.chain == tuple((tmp_path / f"{n}.toml").resolve() for n in "abcd")


def test_extends_is_relative_to_the_extending_file_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "common" / "base.toml", PARENT)
    write(tmp_path / "common" / "mid.toml", 'extends = "base.toml"\n[run]\nyears = 1.5\n')
    leaf = write(tmp_path / "studies" / "x" / "leaf.toml", 'extends = "../../common/mid.toml"\n')
    # decoys where a cwd-relative lookup would find them
    write(tmp_path / "studies" / "x" / "base.toml", "[run]\nseed = 999\n")
    write(tmp_path / "elsewhere" / "base.toml", "[run]\nseed = 998\n")
    write(tmp_path / "elsewhere" / "common" / "mid.toml", "[run]\nseed = 997\n")
    monkeypatch.chdir(tmp_path / "elsewhere")
    p = load_scenario(leaf).params
    assert (p.run.years, p.run.seed, p.providers.count) == (1.5, 11, 6)


def test_extends_the_real_baseline_by_a_relative_path(tmp_path: Path) -> None:
    rel = os.path.relpath(BASELINE, tmp_path)
    child = write(
        tmp_path / "reliable.toml", f'extends = "{rel}"\n[organization]\nreliability = 0.97\n'
    )
    scenario = load_scenario(child)
    base = load_scenario(BASELINE)
    assert scenario.params.organization.reliability == 0.97
    assert scenario.params.model_dump() == base.params.model_copy(
        update={"organization": base.params.organization.model_copy(update={"reliability": 0.97})}
    ).model_dump()


def test_a_child_may_replace_a_parent_value_of_any_type(tmp_path: Path) -> None:
    write(tmp_path / "q.toml", '[run]\nmode = "queue"\n[queue]\narrival_rate = 3.0\n')
    b = write(tmp_path / "b.toml", 'extends = "q.toml"\n[run]\nmode = "behaviour"\n')
    p = load_scenario(b).params
    assert p.run.mode == "behaviour" and p.queue.arrival_rate == 3.0


# -- rejected files ------------------------------------------------------------------------
def test_unknown_top_level_key(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", "bogus = 1\n")
    err = refused(lambda: load_scenario(f), f.resolve(), "bogus", "name, description, extends, run")
    assert "unknown key" in str(err)


def test_unknown_key_inside_a_section(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", "[organization]\nreliabilty = 0.5\n")
    refused(
        lambda: load_scenario(f), f.resolve(), "organization.reliabilty",
        "keys of [organization]: reliability, empowerment", "wait_target",
    )


def test_unknown_section(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", "[marketing]\nbudget = 1\n")
    refused(
        lambda: load_scenario(f), f.resolve(), "marketing",
        "top-level keys: name, description, extends, run", " organization,", " market",
    )


def test_unknown_nested_table_in_a_section(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", "[organization.policy]\nstrict = true\n")
    refused(lambda: load_scenario(f), f.resolve(), "organization.policy", "reliability")


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ('[organization]\nreliability = "high"\n', "organization.reliability",
         "a number in [0, 1]"),
        ("[organization]\nreliability = [0.5]\n", "organization.reliability", "a number in [0, 1]"),
        ("[organization]\nreliability = true\n", "organization.reliability", "a number in [0, 1]"),
        ("[run]\nyears = false\n", "run.years", "a number in (0, 100]"),
        ("[providers]\ncount = 2.5\n", "providers.count", "an integer in [1, 10000]"),
        ("[providers]\ncount = true\n", "providers.count", "an integer in [1, 10000]"),
        ('[providers]\ncount = "four"\n', "providers.count", "an integer"),
        ('[run]\nmode = "fast"\n', "run.mode", "one of 'behaviour', 'queue'"),
        ("run = 3\n", "run", "a table"),
        ("[organization]\nreliability = { a = 1 }\n", "organization.reliability", "a number"),
    ],
)
def test_wrong_type(tmp_path: Path, text: str, key: str, allowed: str) -> None:
    f = write(tmp_path / "s.toml", text)
    err = refused(lambda: load_scenario(f), f.resolve(), key, allowed)
    assert "not accepted" in str(err)


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ("[organization]\nreliability = 1.5\n", "organization.reliability", "a number in [0, 1]"),
        ("[organization]\nempowerment = -0.1\n", "organization.empowerment", "a number in [0, 1]"),
        ("[market]\ncompetition = 2\n", "market.competition", "a number in [0, 1]"),
        ("[providers]\ncount = 0\n", "providers.count", "an integer in [1, 10000]"),
        ("[customers]\ninitial = -5\n", "customers.initial", "an integer in [0, "),
        ("[run]\nyears = 0\n", "run.years", "a number in (0, 100]"),
        ("[run]\nyears = nan\n", "run.years", "a number in (0, 100]"),
        ("[run]\nyears = inf\n", "run.years", "a number in (0, 100]"),
        ("[run]\nseed = -1\n", "run.seed", "an integer in [0, "),
    ],
)
def test_out_of_range(tmp_path: Path, text: str, key: str, allowed: str) -> None:
    f = write(tmp_path / "s.toml", text)
    refused(lambda: load_scenario(f), f.resolve(), key, allowed)


def test_name_and_extends_must_be_strings(tmp_path: Path) -> None:
    f = write(tmp_path / "n.toml", "name = 3\n")
    refused(lambda: load_scenario(f), f.resolve(), "name", "a string")
    g = write(tmp_path / "e.toml", "extends = 3\n")
    refused(lambda: load_scenario(g), g.resolve(), "extends", "a string path")


def test_a_bad_value_in_a_parent_names_the_parent(tmp_path: Path) -> None:
    parent = write(tmp_path / "lib" / "parent.toml", "[organization]\nreliability = 1.5\n")
    write(tmp_path / "lib" / "mid.toml", 'extends = "parent.toml"\n[market]\ncompetition = 0.2\n')
    leaf = write(tmp_path / "leaf.toml", 'extends = "lib/mid.toml"\n[run]\nyears = 1.0\n')
    refused(lambda: load_scenario(leaf), parent.resolve(), "organization.reliability", "[0, 1]")


def test_an_unknown_key_in_a_parent_names_the_parent(tmp_path: Path) -> None:
    parent = write(tmp_path / "parent.toml", "[providers]\ncont = 3\n")
    leaf = write(tmp_path / "leaf.toml", 'extends = "parent.toml"\n')
    refused(lambda: load_scenario(leaf), parent.resolve(), "providers.cont", "count")


def test_a_bad_value_in_the_child_names_the_child(tmp_path: Path) -> None:
    write(tmp_path / "parent.toml", PARENT)
    leaf = write(tmp_path / "leaf.toml", 'extends = "parent.toml"\n[providers]\ncount = 0\n')
    refused(lambda: load_scenario(leaf), leaf.resolve(), "providers.count", "[1, 10000]")


def test_a_child_may_repair_a_parent_value(tmp_path: Path) -> None:
    # validation applies to the resolved scenario, not to each file alone
    write(tmp_path / "parent.toml", "[organization]\nreliability = 1.5\n")
    leaf = write(
        tmp_path / "leaf.toml", 'extends = "parent.toml"\n[organization]\nreliability = 1\n'
    )
    assert load_scenario(leaf).params.organization.reliability == 1.0


def test_extends_cycle(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", 'extends = "b.toml"\n')
    b = write(tmp_path / "b.toml", 'extends = "a.toml"\n')
    err = refused(lambda: load_scenario(a), b.resolve(), "extends", "a chain without cycles")
    assert f"{a.resolve()} -> {b.resolve()} -> {a.resolve()}" in str(err)


def test_extends_cycle_through_another_spelling_of_the_same_path(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "a.toml", 'extends = "../b.toml"\n')
    b = write(tmp_path / "b.toml", 'extends = "./sub/../sub/a.toml"\n')
    refused(lambda: load_scenario(b), (tmp_path / "sub" / "a.toml").resolve(), "extends")


def test_a_file_extending_itself(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", 'extends = "a.toml"\n')
    refused(lambda: load_scenario(a), a.resolve(), "extends", "a chain without cycles")


def test_missing_extends_target(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", 'extends = "nope.toml"\n')
    err = refused(lambda: load_scenario(a), a.resolve(), "extends", "an existing .toml file")
    assert str((tmp_path / "nope.toml").resolve()) in str(err)


def test_missing_scenario_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    err = refused(lambda: load_scenario(missing), missing.resolve(), None, "an existing .toml file")
    assert "not found" in str(err)


def test_a_directory_is_not_a_scenario_file(tmp_path: Path) -> None:
    refused(lambda: load_scenario(tmp_path), tmp_path.resolve(), None, "an existing .toml file")


@pytest.mark.parametrize(
    "content",
    [
        b"[run\nyears = 1\n",
        b"[run]\nyears = \n",
        b"[run]\nyears = 1\nyears = 2\n",
        b"\xff\xfe[run]\n",
    ],
    ids=["table", "value", "duplicate", "not-utf8"],
)
def test_invalid_toml(tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "bad.toml"
    f.write_bytes(content)
    err = refused(lambda: load_scenario(f), f.resolve(), None)
    assert "not valid TOML" in str(err)


def test_invalid_toml_in_a_parent_names_the_parent(tmp_path: Path) -> None:
    parent = write(tmp_path / "parent.toml", "[run\n")
    leaf = write(tmp_path / "leaf.toml", 'extends = "parent.toml"\n')
    err = refused(lambda: load_scenario(leaf), parent.resolve(), None)
    assert "not valid TOML" in str(err)


# -- --set ---------------------------------------------------------------------------------
def test_set_overrides_with_toml_values(tmp_path: Path) -> None:
    write(tmp_path / "parent.toml", PARENT)
    scenario = load_scenario(
        tmp_path / "parent.toml",
        [
            "organization.reliability=0.99",
            "run.years = 0.25",
            "providers.count=9",
            "run.mode=queue",
            'name="renamed"',
        ],
    )
    p = scenario.params
    assert p.organization.reliability == 0.99
    assert p.organization.empowerment == 0.3  # the rest of the section stays
    assert p.run.years == 0.25 and p.run.seed == 11
    assert p.providers.count == 9 and isinstance(p.providers.count, int)
    assert p.run.mode == "queue"
    assert scenario.name == "renamed"
    assert scenario.overrides == (
        "organization.reliability=0.99", "run.years = 0.25", "providers.count=9",
        "run.mode=queue", 'name="renamed"',
    )


def test_set_later_assignment_wins() -> None:
    p = load_scenario(BASELINE, ["run.seed=1", "run.seed=2"]).params
    assert p.run.seed == 2


def test_set_overrides_a_value_from_a_parent(tmp_path: Path) -> None:
    write(tmp_path / "parent.toml", PARENT)
    leaf = write(tmp_path / "leaf.toml", 'extends = "parent.toml"\n')
    assert load_scenario(leaf, ["providers.count=2"]).params.providers.count == 2


@pytest.mark.parametrize(
    ("assignment", "source", "key", "allowed"),
    [
        ("run.years", "--set", "run.years", "e.g. --set run.years=2"),
        ("=1", "--set", "=1", "e.g. --set run.years=2"),
        ("run..years=1", "--set", "run..years", "organization.reliability"),
        ("run.yearz=1", "--set run.yearz", "run.yearz", "keys of [run]: years, seed"),
        ("nosuch.key=1", "--set nosuch.key", "nosuch", "top-level keys"),
        ("organization.reliability=1.5", "--set organization.reliability",
         "organization.reliability", "a number in [0, 1]"),
        ("providers.count=0", "--set providers.count", "providers.count", "[1, 10000]"),
        ("providers.count=abc", "--set providers.count", "providers.count", "an integer"),
        ("providers.count=2.5", "--set providers.count", "providers.count", "an integer"),
        ("organization.reliability=true", "--set organization.reliability",
         "organization.reliability", "a number in [0, 1]"),
        ("organization.reliability=high", "--set organization.reliability",
         "organization.reliability", "a number in [0, 1]"),
        ("run.mode=fast", "--set run.mode", "run.mode", "one of 'behaviour', 'queue'"),
        ("organization=3", "--set organization", "organization", "a table"),
        ("name.x=1", "--set", "name.x", "a key of a scenario section"),
        ("extends=other.toml", "--set", "extends", "a key of a scenario section"),
    ],
)
def test_bad_set(assignment: str, source: str, key: str, allowed: str) -> None:
    refused(lambda: load_scenario(BASELINE, [assignment]), source, key, allowed)


def test_set_error_names_set_even_when_the_file_sets_the_key() -> None:
    # baseline.toml sets organization.reliability; the bad value comes from --set
    refused(
        lambda: load_scenario(BASELINE, ["organization.reliability=7"]),
        "--set organization.reliability", "organization.reliability",
    )


def test_a_file_error_is_not_blamed_on_an_unrelated_set(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", "[providers]\ncount = 0\n")
    refused(lambda: load_scenario(f, ["run.years=1"]), f.resolve(), "providers.count")


def test_with_overrides_validates_the_same_way() -> None:
    base = load_scenario(BASELINE)
    changed = base.with_overrides(["market.competition=0.1"])
    assert changed.params.market.competition == 0.1
    assert base.params.market.competition == 0.5  # the original is untouched
    assert changed.overrides == ("market.competition=0.1",)
    assert changed.hash != base.hash
    refused(
        lambda: apply_overrides(base, ["market.competition=1.1"]),
        "--set market.competition", "market.competition", "[0, 1]",
    )
    refused(
        lambda: base.with_overrides(["market.rivals=3"]), "--set market.rivals", "market.rivals"
    )


def test_scenario_from_dict_validates() -> None:
    sc = scenario_from_dict({"organization": {"reliability": 0.6}}, name="d")
    assert sc.name == "d" and sc.params.organization.reliability == 0.6
    refused(
        lambda: scenario_from_dict({"organization": {"reliability": 2}}),
        "<dict>", "organization.reliability", "[0, 1]",
    )
    refused(lambda: scenario_from_dict({"bogus": 1}), "<dict>", "bogus")


# -- the content hash ----------------------------------------------------------------------
def test_hash_is_sha256_of_the_canonical_parameters() -> None:
    scenario = load_scenario(BASELINE)
    canonical = json.dumps(
        scenario.params.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
    )
    assert scenario.hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert scenario.hash == parameters_hash(scenario.params)


def test_same_parameters_same_hash(tmp_path: Path) -> None:
    base = load_scenario(BASELINE)
    assert load_scenario(BASELINE).hash == base.hash
    # every parameter spelt out (defaults too), another name and description, keys in
    # reverse order, whole numbers written as integers
    text = 'name = "other"\ndescription = "same numbers, other words"\n'
    same = load_scenario(
        write(tmp_path / "same.toml", text + toml_text(base.params.model_dump(mode="json")))
    )
    assert same.name == "other"
    assert same.params == base.params
    assert same.hash == base.hash


def test_explicit_defaults_hash_like_omitted_ones(tmp_path: Path) -> None:
    defaults = ScenarioParameters()
    empty = load_scenario(write(tmp_path / "empty.toml", ""))
    org = defaults.organization
    explicit = load_scenario(
        write(
            tmp_path / "explicit.toml",
            f"[organization]\nreliability = {org.reliability!r}\n"
            f"empowerment = {org.empowerment!r}\n"
            f"[market]\ncompetition = {defaults.market.competition!r}\n",
        )
    )
    assert empty.hash == explicit.hash == parameters_hash(defaults)


def test_changed_parameter_changes_the_hash() -> None:
    base = load_scenario(BASELINE)
    p = base.params
    assignments = [
        # small changes, each to a value the baseline does not have
        f"organization.reliability={p.organization.reliability * 0.999!r}",
        f"run.seed={p.run.seed + 1}",
        f"run.years={p.run.years * 1.0000001!r}",
        f"providers.count={p.providers.count + 1}",
        f"run.mode={'queue' if p.run.mode == 'behaviour' else 'behaviour'}",
        f"queue.arrival_rate={p.queue.arrival_rate + 0.5!r}",  # unused in behaviour mode
    ]
    hashes = {base.hash}
    for assignment in assignments:
        changed = load_scenario(BASELINE, [assignment])
        assert changed.params != p, assignment
        hashes.add(changed.hash)
    assert len(hashes) == len(assignments) + 1


def test_set_to_the_same_value_keeps_the_hash() -> None:
    base = load_scenario(BASELINE)
    same_values = [
        f"organization.reliability={base.params.organization.reliability!r}",
        f"providers.count={base.params.providers.count}",
        f"run.mode={base.params.run.mode}",
    ]
    assert load_scenario(BASELINE, same_values).hash == base.hash
    assert load_scenario(BASELINE, ['name="x"', 'description="y"']).hash == base.hash


def test_an_empty_extension_of_the_baseline_has_the_baseline_hash(tmp_path: Path) -> None:
    rel = os.path.relpath(BASELINE, tmp_path)
    child = load_scenario(
        write(
            tmp_path / "copy.toml",
            f'name = "copy"\ndescription = "nothing new"\nextends = "{rel}"\n',
        )
    )
    base = load_scenario(BASELINE)
    assert child.hash == base.hash
    assert child.name == "copy"
    assert child.chain == (BASELINE.resolve(), (tmp_path / "copy.toml").resolve())
    one_change = load_scenario(
        write(tmp_path / "changed.toml", f'extends = "{rel}"\n[market]\ncompetition = 0.6\n')
    )
    assert one_change.hash != base.hash


def test_queue_mode_scenario_loads() -> None:
    mmc = load_scenario(MMC)
    assert mmc.params.run.mode == "queue"
    assert mmc.params.providers.count == 10
    assert mmc.hash != load_scenario(BASELINE).hash


# -- lists of tables ([[units]]) and switches, where the schema has them ---------------------
def list_sections() -> list[str]:
    return [
        name for name, info in ScenarioParameters.model_fields.items()
        if getattr(info.annotation, "__origin__", None) in (tuple, list)
    ]


def switches() -> list[str]:
    return [f"{s}.{k}" for s, k, info in fields() if info.annotation is bool and s != "units"]


@pytest.mark.skipif(not list_sections(), reason="the schema has no list of tables")
def test_errors_inside_a_list_of_tables_name_the_file_that_set_it(tmp_path: Path) -> None:
    section = list_sections()[0]
    model = SECTIONS[section]
    key = next(k for k, i in model.model_fields.items() if numeric_type(i.annotation) is float)
    info = model.model_fields[key]
    too_big = bounds(info).get("le", bounds(info).get("lt")) * 2 + 1
    parent = write(tmp_path / "parent.toml", f"[[{section}]]\n{key} = {too_big!r}\n")
    leaf = write(tmp_path / "leaf.toml", 'extends = "parent.toml"\n[run]\nseed = 5\n')
    err = refused(lambda: load_scenario(leaf), parent.resolve(), f"{section}.0.{key}")
    assert err.allowed is not None and err.allowed.startswith(("a number in", "an integer in"))
    typo = write(tmp_path / "typo.toml", f"[[{section}]]\n{key}x = 1\n")
    refused(lambda: load_scenario(typo), typo.resolve(), f"{section}.0.{key}x", key)
    boolean = write(tmp_path / "bool.toml", f"[[{section}]]\n{key} = true\n")
    refused(lambda: load_scenario(boolean), boolean.resolve(), f"{section}.0.{key}", "a number")


@pytest.mark.skipif(not switches(), reason="the schema has no true/false switch")
def test_switches_take_true_and_false() -> None:
    for key in switches():
        for flag in (True, False):
            p = load_scenario(BASELINE, [f"{key}={str(flag).lower()}"]).params
            assert value(p, key) is flag


def _shipped_scenarios() -> list[Path]:
    """Every scenario file under scenarios/: not the sweep files (tests/test_design.py),
    the teaching experiments' manifests (tests/test_teaching.py) nor the priors files
    (tests/test_calibrate.py)."""
    import tomllib

    out = []
    for path in sorted((ROOT / "scenarios").rglob("*.toml")):
        data = tomllib.loads(path.read_text())
        if path.name != "experiment.toml" and "design" not in data and "priors" not in data:
            out.append(path)
    return out


def test_the_shipped_scenarios_include_every_folder() -> None:
    folders = {p.parent.relative_to(ROOT / "scenarios").parts[:1] for p in _shipped_scenarios()}
    assert {(), ("validation",), ("experiments",)} <= folders
    assert len(_shipped_scenarios()) >= 30


@pytest.mark.parametrize(
    "path", _shipped_scenarios(), ids=lambda p: str(p.relative_to(ROOT / "scenarios"))
)
def test_every_shipped_scenario_is_valid_and_described(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.description.strip(), f"{path.name}: say what it tests"
    assert scenario.chain[-1] == path.resolve()


# -- strict types, safe names, limits (every bad input: one ScenarioError) ----------------------
@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ('[organization]\nreliability = "0.95"\n', "organization.reliability", "a number"),
        ('[providers]\ncount = "1_0"\n', "providers.count", "an integer"),
        ('[providers]\ncount = "10"\n', "providers.count", "an integer"),
        ("[providers]\ncount = 8.0\n", "providers.count", "an integer"),
        ('[providers]\ncorner_cutting = "yes"\n', "providers.corner_cutting", "true or false"),
        ("[providers]\ncorner_cutting = 1\n", "providers.corner_cutting", "true or false"),
        ("[providers]\ncorner_cutting = 0.0\n", "providers.corner_cutting", "true or false"),
        ('[organization]\nadaptive_staffing = "true"\n', "organization.adaptive_staffing",
         "true or false"),
        ("[[units]]\nname = \"a\"\nproviders = true\n", "units.0.providers", "an integer"),
        ('[[units]]\nname = "a"\nreliability = "0.9"\n', "units.0.reliability", "a number"),
    ],
)
def test_no_coercion_between_text_numbers_and_booleans(
    tmp_path: Path, text: str, key: str, allowed: str
) -> None:
    f = write(tmp_path / "s.toml", text)
    refused(lambda: load_scenario(f), f.resolve(), key, allowed)


def test_set_values_are_toml_a_quoted_number_is_text() -> None:
    p = load_scenario(BASELINE, ["organization.reliability=0.95"]).params
    assert p.organization.reliability == 0.95
    refused(lambda: load_scenario(BASELINE, ['organization.reliability="0.95"']),
            "--set organization.reliability", "organization.reliability", "a number")
    refused(lambda: load_scenario(BASELINE, ["providers.corner_cutting=1"]),
            "--set providers.corner_cutting", "providers.corner_cutting", "true or false")
    refused(lambda: load_scenario(BASELINE, ["providers.count=true"]),
            "--set providers.count", "providers.count", "an integer")


def test_an_integer_is_a_number() -> None:
    assert load_scenario(BASELINE, ["organization.reliability=1"]).params.organization \
        .reliability == 1.0


def _positive_floats() -> list[str]:
    """Every float parameter that must be above zero (it is divided by)."""
    return [f"{s}.{k}" for s, k, info in fields()
            if numeric_type(info.annotation) is float and bounds(info).get("gt") == 0
            and s != "units"]


@pytest.mark.parametrize("key", _positive_floats())
def test_a_positive_parameter_refuses_values_too_small_to_divide_by(key: str) -> None:
    err = refused(lambda: load_scenario(BASELINE, [f"{key}=5e-324"]), f"--set {key}", key)
    assert "too small" in err.problem and "5e-324" in err.problem


def test_huge_values_are_refused_with_a_short_message(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", f"[providers]\ncount = {10**400}\n")
    err = refused(lambda: load_scenario(f), f.resolve(), "providers.count", "an integer in [1, ")
    assert len(str(err)) < 400
    g = write(tmp_path / "g.toml", "[money]\nwage_per_month = 1e308\n")
    refused(lambda: load_scenario(g), g.resolve(), "money.wage_per_month", "a number in [0, ")


@pytest.mark.parametrize(
    "name",
    ["../../x", "a/b", "a\\b", "", " lead", ".hidden", "x" * 65, "nul\x00", "esc\x1b[31m",
     "tab\there", "new\nline", "é"],
)
def test_a_scenario_name_must_be_safe(tmp_path: Path, name: str) -> None:
    literal = json.dumps(name)  # a TOML basic string with the same escapes
    f = write(tmp_path / "s.toml", f"name = {literal}\n")
    err = refused(lambda: load_scenario(f), f.resolve(), "name", "letters, digits")
    assert "\x1b" not in err.problem and "\x00" not in err.problem
    refused(lambda: load_scenario(BASELINE, [f"name={literal}"]), "--set name", "name")


def test_a_safe_name_is_kept_and_an_unsafe_file_name_is_tidied(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", 'name = "Study_2.b+c-1"\n')
    assert load_scenario(f).name == "Study_2.b+c-1"
    g = write(tmp_path / "my study (v2).toml", "")
    assert load_scenario(g).name == "my_study_v2_"
    assert "/" not in load_scenario(g).name


@pytest.mark.parametrize(
    ("units", "problem"),
    [
        ('[[units]]\nname = "all"\n', "reserved"),
        ('[[units]]\nname = "ALL"\n', "reserved"),
        ('[[units]]\nname = "../x"\n', "letters, digits"),
        ('[[units]]\nname = ""\n', "empty"),
        (f'[[units]]\nname = "{"u" * 65}"\n', "65 characters"),
    ],
)
def test_a_unit_name_must_be_safe_and_not_all(tmp_path: Path, units: str, problem: str) -> None:
    f = write(tmp_path / "s.toml", units)
    err = refused(lambda: load_scenario(f), f.resolve(), "units.0.name", "not 'all'")
    assert problem in err.problem


def test_two_units_with_one_name_are_refused(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", '[[units]]\nname = "a"\n[[units]]\nname = "b"\n'
              '[[units]]\nname = "a"\n')
    err = refused(lambda: load_scenario(f), f.resolve(), None)
    assert "'a'" in str(err) and "more than one unit" in str(err)


def test_an_over_long_description_is_refused(tmp_path: Path) -> None:
    f = write(tmp_path / "s.toml", f'description = "{"d" * 10_001}"\n')
    refused(lambda: load_scenario(f), f.resolve(), "description", "at most 10,000")


def test_deep_nesting_is_refused_without_recursion_error(tmp_path: Path) -> None:
    arrays = write(tmp_path / "a.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n")
    refused(lambda: load_scenario(arrays), arrays.resolve(), None, "at most 8 deep")
    dotted = write(tmp_path / "d.toml", "a." * 3000 + "b = 1\n")
    refused(lambda: load_scenario(dotted), dotted.resolve(), "a.a.a.a.a.a.a.a.a",
            "at most 8 deep")
    inline = write(tmp_path / "i.toml", "[run]\nyears = " + "{a=" * 20 + "1" + "}" * 20 + "\n")
    refused(lambda: load_scenario(inline), inline.resolve(), "run.years" + ".a" * 7,
            "at most 8 deep")
    key = ".".join(["a"] * 2000)
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, [f"{key}=1"])
    assert info.value.key == key and "at most 8 parts" in str(info.value.allowed)
    assert str(info.value).startswith("--set: key 'a.a.a") and len(str(info.value)) < 500
    value = refused(lambda: load_scenario(BASELINE, ["run.years=" + "[" * 3000 + "]" * 3000]),
                    "--set run.years", "run.years", "a number")
    assert len(str(value)) < 500


def test_a_file_of_many_megabytes_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "big.toml"
    f.write_text("# " + "x" * 3_000_000 + "\n")
    refused(lambda: load_scenario(f), f.resolve(), None, "at most 1,000,000 bytes")


def test_symlink_loops_are_reported(tmp_path: Path) -> None:
    (tmp_path / "one.toml").symlink_to(tmp_path / "two.toml")
    (tmp_path / "two.toml").symlink_to(tmp_path / "one.toml")
    err = refused(lambda: load_scenario(tmp_path / "one.toml"), tmp_path / "one.toml", None,
                  "a path to a regular .toml file")
    assert "loop" in err.problem
    child = write(tmp_path / "child.toml", 'extends = "one.toml"\n')
    err = refused(lambda: load_scenario(child), child.resolve(), "extends", "a regular .toml")
    assert "loop" in err.problem


def test_nul_bytes_and_over_long_names_in_extends(tmp_path: Path) -> None:
    nul = write(tmp_path / "nul.toml", 'extends = "a\\u0000b.toml"\n')
    err = refused(lambda: load_scenario(nul), nul.resolve(), "extends")
    assert "\x00" not in str(err)
    long = write(tmp_path / "long.toml", f'extends = "{"p" * 5000}.toml"\n')
    err = refused(lambda: load_scenario(long), long.resolve(), "extends")
    assert len(str(err)) < 1000


def test_a_long_chain_of_extends_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "f0.toml", "")
    for i in range(1, 40):
        write(tmp_path / f"f{i}.toml", f'extends = "f{i - 1}.toml"\n')
    refused(lambda: load_scenario(tmp_path / "f39.toml"), (tmp_path / "f8.toml").resolve(),
            "extends", "at most 32 files")
    assert load_scenario(tmp_path / "f31.toml").chain[0] == (tmp_path / "f0.toml").resolve()


# -- variants (spc compare --vary) ---------------------------------------------------------
def test_variants_apply_each_value_and_are_named_after_it() -> None:
    base = load_scenario(BASELINE)
    low, high = variants(base, "organization.reliability=0.9, 0.99")
    assert (low.name, high.name) == ("reliability-0.9", "reliability-0.99")
    assert (low.params.organization.reliability, high.params.organization.reliability) == (
        0.9, 0.99)
    assert low.overrides == ("organization.reliability=0.9",)
    # everything else is the base's: only the varied key differs
    differing = {k for k, v in low.flat().items() if base.flat()[k] != v}
    assert differing == {"organization.reliability"}
    assert low.hash == base.with_overrides(["organization.reliability=0.9"]).hash


def test_variant_values_split_at_top_level_commas_only() -> None:
    from sim.scenario.loader import _split_values

    assert _split_values('0.9,[1, 2], "a,b" ,x') == ["0.9", "[1, 2]", '"a,b"', "x"]
    assert _split_values("  ") == []


@pytest.mark.parametrize("spec, problem", [
    ("organization.reliability", "not of the form key.path=v1,v2,..."),
    ("organization.reliability=", "not of the form key.path=v1,v2,..."),
    ("organization.reliability=0.9,,0.95", "not of the form key.path=v1,v2,..."),
    ("organization.reliability=0.9,0.9", "a value is given twice"),
    ("organization.reliability=0.9,1.5", "value 1.5 is not accepted"),
    ("organization.reliabilty=0.9", "unknown key"),
])
def test_bad_variants_are_refused_naming_vary(spec: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as info:
        variants(load_scenario(BASELINE), spec)
    assert str(info.value).startswith("--vary") and problem in str(info.value)


def test_a_value_that_is_no_name_gives_a_numbered_variant() -> None:
    base = load_scenario(BASELINE)
    v, w = variants(base, 'money.currency="€",EUR')  # a name holds ASCII letters and digits
    assert (v.name, w.name) == ("baseline-currency-1", "currency-EUR")
