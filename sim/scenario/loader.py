"""Loading scenario files: TOML, ``extends`` chains, ``--set`` overrides, validation, hash."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import ScenarioError, clipped
from sim.scenario.schema import (
    LABEL_PATTERN,
    LABEL_RULE,
    SAFE_NAME_RULE,
    ScenarioParameters,
    name_problem,
)

META_KEYS = ("name", "description", "extends")

#: Largest scenario file read (bytes).  Scenario files are a few kilobytes; a file of many
#: megabytes is not a scenario, and reading it would only delay the message.
MAX_FILE_BYTES = 1_000_000

#: Deepest nesting of tables and arrays accepted.  A scenario is at most four deep
#: (``units``, a unit, its key, a value); deeper input is refused before it is walked.
MAX_DEPTH = 8

#: Longest description accepted (characters).
MAX_DESCRIPTION = 10_000

#: Longest chain of ``extends``.
MAX_EXTENDS = 32


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


def resolve_path(path: Path, referrer: str | None, key: str = "extends") -> Path:
    """``path`` made absolute with symlinks resolved; a loop, NUL byte or over-long
    name is reported on the file that named it (``referrer``, under ``key``)."""
    source = referrer or str(path)
    key_named = key if referrer else None
    try:
        if "\0" in str(path):
            raise ValueError("a NUL byte in the path")
        return path.resolve(strict=False)
    except RuntimeError:  # Python < 3.13: "Symlink loop from ..."
        raise ScenarioError(source, key_named, f"symbolic link loop at {clipped(str(path))}",
                            "a path to a regular .toml file") from None
    except (OSError, ValueError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioError(source, key_named, f"unusable path {clipped(str(path))} ({problem})",
                            "a path to a regular .toml file") from None


def is_file(path: Path) -> bool:
    """``path.is_file()``, False where the operating system refuses the path."""
    try:
        return path.is_file()
    except (OSError, ValueError):  # an over-long name, a symlink loop
        return False


def read_toml_file(
    path: Path, referrer: str | None = None, what: str = "scenario file"
) -> dict[str, Any]:
    """A TOML file as a dict, refused with one message if missing, too large, not TOML
    or nested too deeply (``referrer``: the file whose ``extends`` names it)."""
    if not is_file(path):
        raise ScenarioError(
            referrer or str(path),
            "extends" if referrer else None,
            f"{what} not found: {clipped(str(path))}",
            "an existing .toml file (paths in 'extends' are relative to the file that names them)",
        )
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(str(path), None, f"cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(str(path), None, f"too large to be a {what}",
                            f"at most {MAX_FILE_BYTES:,} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), None, f"not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ScenarioError(str(path), None, "not valid TOML (not UTF-8 text)") from None
    except RecursionError:
        raise ScenarioError(str(path), None, "nested too deeply",
                            f"tables and arrays at most {MAX_DEPTH} deep") from None
    _check_depth(data, str(path))
    return data


def _check_depth(data: Any, source: str) -> None:
    """Refuse tables and arrays nested deeper than ``MAX_DEPTH`` (without recursing)."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        node, loc = stack.pop()
        children: Any = node.items() if isinstance(node, dict) else (
            enumerate(node) if isinstance(node, list | tuple) else ())
        for key, value in children:
            if isinstance(value, dict | list | tuple) and len(loc) >= MAX_DEPTH:
                raise ScenarioError(source, ".".join((*loc, str(key))), "nested too deeply",
                                    f"tables and arrays at most {MAX_DEPTH} deep")
            stack.append((value, (*loc, str(key))))


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
    path = resolve_path(path, str(seen[-1]) if seen else None)
    if len(seen) >= MAX_EXTENDS:
        raise ScenarioError(str(seen[-1]), "extends", "the chain of 'extends' is too long",
                            f"at most {MAX_EXTENDS} files")
    if path in seen:
        cycle = " -> ".join(str(p) for p in (*seen, path))
        raise ScenarioError(
            str(seen[-1]), "extends", f"'extends' forms a cycle: {cycle}", "a chain without cycles"
        )
    data = read_toml_file(path, str(seen[-1]) if seen else None)
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
    optional = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    if len(optional) == 1 and type(None) in annotation.__args__:  # type: ignore[union-attr]
        annotation = optional[0]  # ``float | None``: described as a float
    if getattr(annotation, "__origin__", None) is not None and "Literal" in str(annotation):
        choices = ", ".join(repr(a) for a in annotation.__args__)  # type: ignore[union-attr]
        return f"one of {choices}"
    kind = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        annotation,  # type: ignore[arg-type]
        "a table",
    )
    if any(getattr(meta, "pattern", None) == LABEL_PATTERN for meta in info.metadata):
        kind += f" of {LABEL_RULE}"
    if lo is not None or hi is not None:
        left = ("(" if lo_open else "[") + (_number(lo) if lo is not None else "-inf")
        right = (_number(hi) if hi is not None else "inf") + (")" if hi_open else "]")
        kind += f" in {left}, {right}"
    if unit and unit not in ("choice", "integer"):
        kind += f" ({unit})"
    return kind


def _table_model(annotation: Any) -> type[BaseModel] | None:
    """The model of a table field: ``Section``, ``Section | None`` or ``tuple[Section, ...]``."""
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _model_at(path: tuple[Any, ...]) -> tuple[type[BaseModel], str]:
    """The pydantic model that owns the field at ``path`` and the field's name."""
    model: type[BaseModel] = ScenarioParameters
    for part in path[:-1]:
        if isinstance(part, int):
            continue  # an index into a list of tables ([[units]])
        info = model.model_fields.get(str(part))
        table = _table_model(info.annotation) if info is not None else None
        if table is None:
            break
        model = table
    return model, str(path[-1]) if path else ""


def _source_of(loc: tuple[Any, ...], origin: dict[str, str], fallback: str) -> str:
    """The file (or ``--set``) that set the key at ``loc``, or the nearest table around it."""
    for end in range(len(loc), 0, -1):
        key = ".".join(str(p) for p in loc[:end])
        if key in origin:
            return origin[key]
    return fallback


def _validation_error(exc: ValidationError, origin: dict[str, str], fallback: str) -> ScenarioError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc)
    source = _source_of(loc, origin, fallback)
    model, name = _model_at(loc)
    if err["type"] == "extra_forbidden":
        allowed_keys = ", ".join(model.model_fields) if model is not None else ""
        where = ".".join(str(p) for p in loc[:-1]) or "the top level"
        allowed = f"keys of [{where}]: {allowed_keys}" if loc[:-1] else (
            f"top-level keys: name, description, extends, {allowed_keys}"
        )
        return ScenarioError(source, key, "unknown key", allowed)
    if err["type"] == "value_error" and isinstance(err.get("input"), dict):
        # a rule across several keys (weights summing to 1, warm-up within the horizon)
        message = str(err["msg"]).removeprefix("Value error, ")
        return ScenarioError(source, key or None, message)
    value = err.get("input")
    message, _, allowed = str(err["msg"]).removeprefix("Value error, ").partition("; allowed: ")
    problem = f"value {shown(value)} is not accepted ({message})"
    return ScenarioError(source, key, problem, allowed or _describe_allowed(model, name) or None)


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages (a value may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _build(
    data: dict[str, Any],
    origin: dict[str, str],
    fallback: str,
    path: Path | None,
    chain: tuple[Path, ...],
    overrides: tuple[str, ...],
) -> Scenario:
    data = dict(data)
    name = data.pop("name", None)
    if name is None:
        name = _name_from_file(path)
    description = data.pop("description", "")
    for meta_key, meta_value in (("name", name), ("description", description)):
        if not isinstance(meta_value, str):
            raise ScenarioError(
                origin.get(meta_key, fallback), meta_key, f"{shown(meta_value)} is not text",
                "a string"
            )
    problem = name_problem(name)
    if problem is not None:
        raise ScenarioError(origin.get("name", fallback), "name",
                            f"the name {shown(name)} {problem}", SAFE_NAME_RULE)
    if len(description) > MAX_DESCRIPTION:
        raise ScenarioError(origin.get("description", fallback), "description",
                            f"{len(description):,} characters long",
                            f"at most {MAX_DESCRIPTION:,} characters")
    _check_depth(data, fallback)
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


def _name_from_file(path: Path | None) -> str:
    """The name of a scenario whose file gives none: the file's stem, made a safe name."""
    if path is None:
        return "scenario"
    name = re.sub(r"[^A-Za-z0-9_.+\-]+", "_", path.stem).lstrip("_.+-")
    return name[:64] or "scenario"


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Read, resolve (``extends``), override (``key.path=value``) and validate a scenario file."""
    path = resolve_path(Path(path), None)
    origin: dict[str, str] = {}
    data, chain = _resolve_chain(path, origin)
    data = _apply_assignments(data, overrides or [], origin)
    return _build(data, origin, str(path), path, chain, tuple(overrides or ()))


def scenario_from_dict(
    data: dict[str, Any], name: str = "scenario", overrides: list[str] | None = None
) -> Scenario:
    """A scenario from a plain nested dict (for the Python API and tests)."""
    origin: dict[str, str] = {}
    tree = _merge({}, {"name": name, **data}, origin, "<dict>")
    tree = _apply_assignments(tree, overrides or [], origin)
    return _build(tree, origin, "<dict>", None, (), tuple(overrides or ()))


def apply_overrides(scenario: Scenario, assignments: list[str], flag: str = "--set") -> Scenario:
    """``scenario`` with ``key.path=value`` assignments applied and validated again (a
    problem is reported on ``flag``, the option that gave them)."""
    origin: dict[str, str] = {}
    tree = _merge(
        {},
        {"name": scenario.name, "description": scenario.description,
         **scenario.params.model_dump(mode="python")},
        origin,
        str(scenario.path) if scenario.path else "<dict>",
    )
    tree = _apply_assignments(tree, assignments, origin, flag)
    return _build(
        tree,
        origin,
        str(scenario.path) if scenario.path else "<dict>",
        scenario.path,
        scenario.chain,
        scenario.overrides + tuple(assignments),
    )


VARY_FORM = "KEY=V1,V2,..., e.g. --vary organization.reliability=0.9,0.95"


def variants(base: Scenario, spec: str, flag: str = "--vary") -> list[Scenario]:
    """One copy of ``base`` per value of ``spec`` (``key.path=v1,v2,...``), each with that
    value applied (validated as ``--set`` is) and named ``LEAF-VALUE`` after the key's last
    part (``reliability-0.95``; ``BASE-LEAF-I``, the value's position, where the value cannot
    be part of a name), so that variants compare without a file each.

    Values are split at commas outside brackets and quotes (``[1, 2]`` is one value)."""
    key, sep, raw = spec.partition("=")
    key = key.strip()
    values = _split_values(raw)
    if not sep or not key or not values or any(not v for v in values):
        raise ScenarioError(flag, spec, "not of the form key.path=v1,v2,...", VARY_FORM)
    if len(set(values)) != len(values):
        raise ScenarioError(flag, key, "a value is given twice", "distinct values")
    out: list[Scenario] = []
    for value in values:
        varied = apply_overrides(base, [f"{key}={value}"], flag)
        leaf = key.rsplit(".", 1)[-1]
        name = f"{leaf}-{parse_value(value)}"
        if name_problem(name) is not None:  # a value that cannot be part of a name
            name = f"{base.name[:40]}-{leaf[:16]}-{len(out) + 1}"
        out.append(replace(varied, name=name))
    return out


def _split_values(text: str) -> list[str]:
    """``text`` split at the commas that are not inside brackets or quotes, stripped."""
    values, current, depth, quote = [], "", 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            values.append(current.strip())
            current = ""
            continue
        current += char
    values.append(current.strip())
    return values if text.strip() else []


def parse_value(text: str) -> Any:
    """A ``--set`` value as TOML (numbers, booleans, quoted strings, arrays); bare words as text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return text


def _apply_assignments(
    data: dict[str, Any], assignments: list[str], origin: dict[str, str], flag: str = "--set"
) -> dict[str, Any]:
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError(
                flag, assignment, "not of the form key.path=value", f"e.g. {flag} run.years=2"
            )
        parts = key.split(".")
        if len(parts) > MAX_DEPTH:
            raise ScenarioError(flag, key, "nested too deeply",
                                f"a key path of at most {MAX_DEPTH} parts")
        if any(not p for p in parts):
            raise ScenarioError(
                flag, key, "empty part in key path", "e.g. organization.reliability"
            )
        if parts[0] == "extends":
            raise ScenarioError(
                flag, key, "'extends' can only be given in a scenario file",
                "a key of a scenario section",
            )
        tree: dict[str, Any] = {}
        node = tree
        for part in parts[:-1]:
            node[part] = {}
            node = node[part]
        node[parts[-1]] = parse_value(raw.strip())
        _check_depth(tree, f"{flag} {clipped(key)}")
        data = _merge(data, tree, origin, f"{flag} {key}")
        if parts[0] in META_KEYS and len(parts) > 1:
            raise ScenarioError(flag, key, "not a parameter", "a key of a scenario section")
    return data
