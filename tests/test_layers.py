"""The layers import one way.

errors, clock -> streams, statistics, scenario -> model -> results -> experiment
-> analysis (plots, report, teaching pages) -> api -> cli.

Every module of ``sim`` and ``analysis`` is given a layer here; an import of a
module of a higher layer (anywhere in the file, also inside functions and
``TYPE_CHECKING`` blocks) fails the test, and so does a cycle of imports
among modules.  A new module must be placed in a layer before the test passes.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sim", "analysis")

# (layer number, layer name, module prefixes); the longest matching prefix wins
LAYERS: list[tuple[int, str, tuple[str, ...]]] = [
    (0, "errors, clock", ("sim.errors", "sim.clock")),
    (1, "streams, statistics, scenario",
     ("sim.streams", "sim.statistics", "sim.scenario", "sim.kpis")),
    (2, "model", ("sim.model",)),
    # a job (one replication) and its outcome are the records the store keeps
    (3, "results", ("sim.results", "sim.output", "sim.experiment.store", "sim.experiment.jobs")),
    (4, "experiment", ("sim.experiment", "sim.validation")),
    (5, "analysis", ("analysis",)),
    (6, "api", ("sim.api",)),
    (7, "cli", ("sim.cli", "sim.cli_", "sim.__main__", "sim")),
]


def layer_of(module: str) -> tuple[int, str]:
    best: tuple[int, int, str] | None = None
    for number, name, prefixes in LAYERS:
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + ".") or (
                prefix.endswith("_") and module.startswith(prefix)
            ):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), number, name)
    if best is None:
        raise KeyError(module)
    return best[1], best[2]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int, bool]]:
    """(imported module of this repository, line, at import time) for every import in a file.

    "At import time" is false inside functions and ``TYPE_CHECKING`` blocks: such imports
    count for the direction of layers but not for cycles."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []

    def resolve(name: str) -> str | None:
        # the longest prefix of ``name`` that is a module of ours
        parts = name.split(".")
        while parts:
            candidate = ".".join(parts)
            if candidate in known:
                return candidate
            parts.pop()
        return None

    def visit(node: ast.AST, eager: bool) -> None:
        for child in ast.iter_child_nodes(node):
            child_eager = eager
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                child_eager = False
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.body:
                    visit_stmt(sub, False)
                for sub in child.orelse:
                    visit_stmt(sub, eager)
                continue
            visit_stmt(child, child_eager)

    def visit_stmt(child: ast.AST, eager: bool) -> None:
        if isinstance(child, ast.Import):
            for alias in child.names:
                target = resolve(alias.name)
                if target:
                    found.append((target, child.lineno, eager))
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (child.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in child.names:
                target = resolve(f"{base}.{alias.name}") or resolve(base)
                if target:
                    found.append((target, child.lineno, eager))
        visit(child, eager)

    visit(tree, True)
    return found


def test_every_module_has_a_layer() -> None:
    missing = []
    for module in modules():
        try:
            layer_of(module)
        except KeyError:
            missing.append(module)
    assert not missing, f"give these modules a layer in tests/test_layers.py: {missing}"


def upward_imports(known: dict[str, Path]) -> list[str]:
    upward = []
    for module, path in known.items():
        mine, my_name = layer_of(module)
        for target, line, _eager in imports_of(module, path, known):
            theirs, their_name = layer_of(target)
            if theirs > mine:
                upward.append(f"{path.name}:{line}: {module} ({my_name}) imports "
                              f"{target} ({their_name})")
    return upward


def test_no_upward_import() -> None:
    upward = upward_imports(modules())
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    fake = tmp_path / "fake.py"
    fake.write_text("def f():\n    from sim.experiment.runner import run_jobs\n")
    known = {**modules(), "sim.model.fake": fake}
    assert [u for u in upward_imports(known) if u.startswith("fake.py")] == [
        "fake.py:2: sim.model.fake (model) imports sim.experiment.runner (experiment)"
    ]


def test_sim_never_imports_analysis_below_the_api() -> None:
    known = modules()
    bad = [
        f"{module} imports {target}"
        for module, path in known.items()
        if module.startswith("sim") and layer_of(module)[0] < layer_of("analysis")[0]
        for target, _line, _eager in imports_of(module, path, known)
        if target.startswith("analysis")
    ]
    assert not bad, bad


def test_no_import_cycle() -> None:
    """No cycle among the imports made when modules load (Tarjan's strongly connected
    components over the module graph)."""
    known = modules()
    graph = {
        module: sorted({t for t, _line, eager in imports_of(module, path, known)
                        if eager and t != module})
        for module, path in known.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            # a package's __init__ importing its own submodules is not a cycle of layers
            real = [m for m in component
                    if not any(o != m and o.startswith(m + ".") for o in component)]
            if len(real) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            strongconnect(v)
    assert not cycles, f"import cycles: {cycles}"
