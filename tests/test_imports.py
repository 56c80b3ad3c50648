"""The package's import graph: no cycles, and nothing imports back up the data flow."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "verifier"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path], *, module_level: bool) -> set[str]:
    """Modules of the package that ``name`` imports (module level only, or anywhere), excluding
    ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    if full in modules:
                        found.add(full)
                    elif target in modules:
                        found.add(target)
            if isinstance(node, (ast.If, ast.Try, ast.With)):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, field, []):
                        visit(child.body if isinstance(child, ast.ExceptHandler) else [child])
            elif not module_level and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(node.body)
            elif not module_level and hasattr(node, "body") and isinstance(node.body, list):
                visit(node.body)

    visit(tree.body)
    found.discard(name)
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            strong(v)
    return out


def _graph(*, module_level: bool) -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules, module_level=module_level) for name, path in modules.items()}


def test_no_import_cycles_at_module_level() -> None:
    assert _cycles(_graph(module_level=True)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_nothing_imports_up_the_flow() -> None:
    """theory/, stats/ and sources/ never import the reports, the commands, the CLI or the plugin,
    not even inside a function."""
    upper = ("verifier.report", "verifier.commands", "verifier.cli", "verifier.pytest_plugin")
    lower = ("verifier.theory", "verifier.stats", "verifier.sources")
    bad = sorted(
        (name, target)
        for name, targets in _graph(module_level=False).items()
        if name.startswith(lower)
        for target in targets
        if target.startswith(upper)
    )
    assert bad == []


def test_library_code_does_not_reach_into_front_ends() -> None:
    """Suites, audits and identification are library code: they never import the CLI's commands."""
    library = ("verifier.suites", "verifier.auditing", "verifier.identification", "verifier.frameworks", "verifier.comparison",
               "verifier.pipeline", "verifier.verdict", "verifier.diagnosis")
    bad = sorted(
        (name, target)
        for name, targets in _graph(module_level=False).items()
        if name.startswith(library)
        for target in targets
        if target.startswith(("verifier.commands", "verifier.cli"))
    )
    assert bad == []
