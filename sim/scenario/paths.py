"""A scenario parameter named by its path (``section.key``, as ``--set`` takes it) in the
files that vary parameters: sweep factors, optimisation levers and calibration priors.

:func:`parameter_kind` says whether the path is an integer, continuous or categorical
parameter (or refuses it, naming the allowed paths), :func:`checked` validates a value at
the path exactly as the scenario does, and :func:`toml_literal` writes a value as the TOML
literal that ``--set`` and scenario files read.  Errors name the file and the key of that
file where the value came from.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ValidationError

from sim.errors import ScenarioError
from sim.scenario.loader import Scenario
from sim.scenario.schema import SECTIONS

ParameterKind = Literal["continuous", "integer", "categorical"]


def toml_literal(value: Any) -> str:
    """``value`` written as a TOML literal (strings quoted, booleans lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(f"no TOML literal for {value!r}")


def parameter_kind(source: str, key: str, path: str) -> ParameterKind:
    """The kind of the scenario parameter at ``path``; an error naming ``key`` of
    ``source`` and the allowed paths if it is none."""
    section, _, name = path.partition(".")
    sections = [s for s in SECTIONS if s != "units"]
    if section not in sections or not name:
        raise ScenarioError(source, key, "not a scenario parameter",
                            f"'section.key' with section one of {', '.join(sections)}")
    model = SECTIONS[section]
    if name not in model.model_fields:
        raise ScenarioError(source, key, "not a scenario parameter",
                            f"keys of [{section}]: {', '.join(model.model_fields)}")
    annotation = model.model_fields[name].annotation
    if annotation is int:
        return "integer"
    if annotation is float:
        return "continuous"
    return "categorical"


#: parameters that a sweep or a search cannot vary: the replications own the seeds
SEED_PATHS = ("run.seed",)


def varied_parameter_kind(source: str, key: str, path: str, role: str) -> ParameterKind:
    """:func:`parameter_kind` of a parameter that a sweep or a search varies (``role``:
    "factor", "lever"); an error naming ``key`` of ``source`` if it is a seed."""
    kind = parameter_kind(source, key, path)
    if path in SEED_PATHS:
        raise ScenarioError(source, key, f"cannot be a {role} (replications own the seeds)",
                            "any other scenario parameter")
    return kind


def checked(source: str, base: Scenario, key: str, path: str, value: Any) -> Any:
    """``value`` as the scenario ``base`` validates it at ``path`` (an error names ``key``
    of ``source``)."""
    try:
        scenario = base.with_overrides([f"{path}={toml_literal(value)}"])
    except ScenarioError as exc:
        raise ScenarioError(source, key, exc.problem, exc.allowed) from None
    return scenario.flat()[path]


def whole(kind: ParameterKind, value: float) -> float | int:
    """An integer parameter's bound as an integer (``low = 6`` is read as 6.0); a
    fractional bound stays a float, which the scenario refuses with its own message."""
    return int(value) if kind == "integer" and math.isfinite(value) and value.is_integer() \
        else value


def file_key(loc: tuple[Any, ...], section: str) -> str:
    """The key path of a schema error at ``loc`` in a file of parameter tables, as written:
    a table's parameter path quoted (``levers."providers.count".low``), a list entry
    indexed (``kpis[0]``)."""
    if loc[:1] == (section,) and len(loc) >= 2:
        return ".".join([section, f'"{loc[1]}"', *[str(p) for p in loc[2:3]]])
    if len(loc) >= 2 and isinstance(loc[1], int):
        return f"{loc[0]}[{loc[1]}]"
    return ".".join(str(p) for p in loc)


def file_error(exc: ValidationError, source: str, section: str, what: str,
               models: tuple[type[BaseModel], type[BaseModel]],
               allowed: dict[str, str], file_noun: str | None = None) -> ScenarioError:
    """The first schema error of a file of parameter tables (``[levers]``, ``[priors]``,
    ``[factors]``: ``section``, each table a ``what``, the file ``file_noun``, by default
    "a <what>s file") as one message naming the key and what is allowed; ``models`` are
    the table's and the file's models, ``allowed`` says what each field takes."""
    table_model, file_model = models
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    in_table = loc[:1] == (section,) and len(loc) >= 3
    key = file_key(loc, section)
    if err["type"] == "extra_forbidden":
        fields = table_model.model_fields if in_table else file_model.model_fields
        where = f"a {what}" if in_table else (file_noun or f"a {what}s file")
        return ScenarioError(source, key, "unknown key", f"keys of {where}: {', '.join(fields)}")
    field = str(loc[2]) if in_table else str(loc[0])
    if err["type"] == "missing":
        return ScenarioError(source, key, "missing", allowed.get(field))
    problem = f"value {err.get('input')!r} is not accepted ({err['msg']})"
    return ScenarioError(source, key, problem, allowed.get(field))


__all__ = ["SEED_PATHS", "ParameterKind", "checked", "file_error", "file_key", "parameter_kind",
           "toml_literal", "varied_parameter_kind", "whole"]
