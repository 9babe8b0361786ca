"""Loading scenario files: TOML, ``extends`` chains, ``--set`` overrides, validation, hash."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import ScenarioError
from sim.scenario.schema import ScenarioParameters

META_KEYS = ("name", "description", "extends")


@dataclass(frozen=True)
class Scenario:
    """A resolved, validated scenario: its parameters and where they came from."""

    name: str
    description: str
    params: ScenarioParameters
    path: Path | None = None
    chain: tuple[Path, ...] = ()
    overrides: tuple[str, ...] = ()
    hash: str = field(default="")

    def with_overrides(self, assignments: list[str]) -> Scenario:
        """A copy with ``key.path=value`` assignments applied (same validation)."""
        return apply_overrides(self, assignments)

    def flat(self) -> dict[str, Any]:
        """The parameters as ``{"section.key": value}``."""
        return flatten(self.params.model_dump(mode="json"))


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def parameters_hash(params: ScenarioParameters) -> str:
    """SHA-256 of the canonical JSON of the resolved parameters."""
    text = json.dumps(params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_toml(path: Path, referrer: str | None) -> dict[str, Any]:
    if not path.is_file():
        where = f"{referrer}: key 'extends'" if referrer else str(path)
        raise ScenarioError(
            where if referrer else str(path),
            None,
            f"scenario file not found: {path}",
            "an existing .toml file (paths in 'extends' are relative to the file that names them)",
        )
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), None, f"not valid TOML ({exc})") from None
    except OSError as exc:
        raise ScenarioError(str(path), None, f"cannot be read ({exc.strerror})") from None


def _merge(
    base: dict[str, Any], top: dict[str, Any], origin: dict[str, str], source: str, prefix: str = ""
) -> dict[str, Any]:
    """Deep merge ``top`` over ``base``, recording in ``origin`` which source set each key."""
    out = dict(base)
    for key, value in top.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, origin, source, path + ".")
        else:
            out[key] = value
            origin[path] = source
            if isinstance(value, dict):
                for sub in flatten(value, path + "."):
                    origin[sub] = source
    return out


def _resolve_chain(
    path: Path, origin: dict[str, str], seen: tuple[Path, ...] = ()
) -> tuple[dict[str, Any], tuple[Path, ...]]:
    path = path.resolve()
    if path in seen:
        cycle = " -> ".join(str(p) for p in (*seen, path))
        raise ScenarioError(
            str(seen[-1]), "extends", f"'extends' forms a cycle: {cycle}", "a chain without cycles"
        )
    data = _read_toml(path, str(seen[-1]) if seen else None)
    parent = data.pop("extends", None)
    chain: tuple[Path, ...] = (path,)
    merged: dict[str, Any] = {}
    if parent is not None:
        if not isinstance(parent, str):
            raise ScenarioError(str(path), "extends", "must be a file path", "a string path")
        merged, parent_chain = _resolve_chain(path.parent / parent, origin, (*seen, path))
        chain = parent_chain + chain
        merged.pop("name", None)
        merged.pop("description", None)
    merged = _merge(merged, data, origin, str(path))
    return merged, chain


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _describe_allowed(model: type[BaseModel], field_name: str) -> str:
    info = model.model_fields.get(field_name)
    if info is None:
        return ""
    lo = hi = None
    lo_open = hi_open = False
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            lo = meta.ge
        if getattr(meta, "gt", None) is not None:
            lo, lo_open = meta.gt, True
        if getattr(meta, "le", None) is not None:
            hi = meta.le
        if getattr(meta, "lt", None) is not None:
            hi, hi_open = meta.lt, True
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    unit = extra.get("unit", "")
    annotation = info.annotation
    if getattr(annotation, "__origin__", None) is not None and "Literal" in str(annotation):
        choices = ", ".join(repr(a) for a in annotation.__args__)  # type: ignore[union-attr]
        return f"one of {choices}"
    kind = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        annotation,  # type: ignore[arg-type]
        "a table",
    )
    if lo is not None or hi is not None:
        left = ("(" if lo_open else "[") + (_number(lo) if lo is not None else "-inf")
        right = (_number(hi) if hi is not None else "inf") + (")" if hi_open else "]")
        kind += f" in {left}, {right}"
    if unit and unit not in ("choice", "integer"):
        kind += f" ({unit})"
    return kind


def _model_at(path: tuple[Any, ...]) -> tuple[type[BaseModel], str]:
    """The pydantic model that owns the field at ``path`` and the field's name."""
    model: type[BaseModel] = ScenarioParameters
    for part in path[:-1]:
        info = model.model_fields.get(str(part))
        if info is None or not (
            isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
        ):
            break
        model = info.annotation
    return model, str(path[-1]) if path else ""


def _validation_error(exc: ValidationError, origin: dict[str, str], fallback: str) -> ScenarioError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc)
    source = origin.get(key, fallback)
    model, name = _model_at(loc)
    if err["type"] == "extra_forbidden":
        allowed_keys = ", ".join(model.model_fields) if model is not None else ""
        where = ".".join(str(p) for p in loc[:-1]) or "the top level"
        allowed = f"keys of [{where}]: {allowed_keys}" if loc[:-1] else (
            f"top-level keys: name, description, extends, {allowed_keys}"
        )
        return ScenarioError(source, key, "unknown key", allowed)
    value = err.get("input")
    problem = f"value {value!r} is not accepted ({err['msg']})"
    return ScenarioError(source, key, problem, _describe_allowed(model, name) or None)


def _build(
    data: dict[str, Any],
    origin: dict[str, str],
    fallback: str,
    path: Path | None,
    chain: tuple[Path, ...],
    overrides: tuple[str, ...],
) -> Scenario:
    data = dict(data)
    name = data.pop("name", None) or (path.stem if path else "scenario")
    description = data.pop("description", "")
    for meta_key, meta_value in (("name", name), ("description", description)):
        if not isinstance(meta_value, str):
            raise ScenarioError(
                origin.get(meta_key, fallback), meta_key, f"{meta_value!r} is not text", "a string"
            )
    try:
        params = ScenarioParameters.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, origin, fallback) from None
    return Scenario(
        name=name,
        description=description,
        params=params,
        path=path,
        chain=chain,
        overrides=overrides,
        hash=parameters_hash(params),
    )


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Read, resolve (``extends``), override (``key.path=value``) and validate a scenario file."""
    path = Path(path)
    origin: dict[str, str] = {}
    data, chain = _resolve_chain(path, origin)
    data = _apply_assignments(data, overrides or [], origin)
    return _build(data, origin, str(path.resolve()), path.resolve(), chain, tuple(overrides or ()))


def scenario_from_dict(
    data: dict[str, Any], name: str = "scenario", overrides: list[str] | None = None
) -> Scenario:
    """A scenario from a plain nested dict (for the Python API and tests)."""
    origin: dict[str, str] = {}
    tree = _merge({}, {"name": name, **data}, origin, "<dict>")
    tree = _apply_assignments(tree, overrides or [], origin)
    return _build(tree, origin, "<dict>", None, (), tuple(overrides or ()))


def apply_overrides(scenario: Scenario, assignments: list[str]) -> Scenario:
    """``scenario`` with ``key.path=value`` assignments applied and validated again."""
    origin: dict[str, str] = {}
    tree = _merge(
        {},
        {"name": scenario.name, "description": scenario.description,
         **scenario.params.model_dump(mode="python")},
        origin,
        str(scenario.path) if scenario.path else "<dict>",
    )
    tree = _apply_assignments(tree, assignments, origin)
    return _build(
        tree,
        origin,
        str(scenario.path) if scenario.path else "<dict>",
        scenario.path,
        scenario.chain,
        scenario.overrides + tuple(assignments),
    )


def parse_value(text: str) -> Any:
    """A ``--set`` value as TOML (numbers, booleans, quoted strings, arrays); bare words as text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _apply_assignments(
    data: dict[str, Any], assignments: list[str], origin: dict[str, str]
) -> dict[str, Any]:
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError(
                "--set", assignment, "not of the form key.path=value", "e.g. --set run.years=2"
            )
        parts = key.split(".")
        if any(not p for p in parts):
            raise ScenarioError("--set", key, "empty part in key path", "e.g. organization.reliability")
        tree: dict[str, Any] = {}
        node = tree
        for part in parts[:-1]:
            node[part] = {}
            node = node[part]
        node[parts[-1]] = parse_value(raw.strip())
        data = _merge(data, tree, origin, f"--set {key}")
        if parts[0] in META_KEYS and len(parts) > 1:
            raise ScenarioError("--set", key, "not a parameter", "a key of a scenario section")
    return data
