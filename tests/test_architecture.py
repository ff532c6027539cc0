"""The walls between lcsim's layers, checked on this source tree.

The import-linter contracts in pyproject.toml (`[tool.importlinter]`) say which layer may import
which; `lint-imports` checks them, one contract a test, in a fresh interpreter whose path starts
with this tree's src/ (so an installed lcsim elsewhere cannot answer for it). Two more checks
read the imports themselves: no module-level import circle anywhere, and the report modules
start without SimPy.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
    "tool"]["importlinter"]["contracts"]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that imports lcsim from this tree's src/."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_the_checks_read_this_tree() -> None:
    done = _python("import lcsim; print(lcsim.__file__)")
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).resolve() == SRC / "lcsim" / "__init__.py"


@pytest.mark.parametrize("contract", CONTRACTS, ids=[c["id"] for c in CONTRACTS])
def test_import_contract(contract: dict[str, object]) -> None:
    done = _python("import sys; from importlinter.cli import lint_imports_command; "
                   f"sys.argv = ['lint-imports', '--no-cache', '--contract', {contract['id']!r}]; "
                   "lint_imports_command()")
    assert done.returncode == 0, f"{contract['name']}\n{done.stdout}\n{done.stderr}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported: not those in functions, classes or
    ``if TYPE_CHECKING:`` blocks."""
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody
            todo += [s for h in node.handlers for s in h.body]
        elif isinstance(node, ast.With):
            todo += node.body


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
              modules: set[str]) -> set[str]:
    """lcsim modules that an import statement runs (a module runs its parent packages)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
            base = ".".join([*anchor, base] if base else anchor)
        names = [base] + [f"{base}.{alias.name}" for alias in node.names]
    found = set()
    for name in names:
        parts = name.split(".")
        found |= {".".join(parts[:k]) for k in range(1, len(parts) + 1)} & modules
    return found - {module}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_module_level_import_circle() -> None:
    files = {_module_name(p): p for p in sorted((SRC / "lcsim").rglob("*.py"))}
    modules = set(files)
    graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = set().union(*(_imported(node, name, path.name == "__init__.py", modules)
                                    for node in _top_level_imports(tree)))
    assert graph["lcsim.reports.comparison"] >= {"lcsim", "lcsim.reports.format"}  # sanity
    assert _cycles(graph) == []


@pytest.mark.parametrize("module", ["lcsim.reports.comparison", "lcsim.reports.sweep"])
def test_reports_start_without_simpy(module: str) -> None:
    done = _python(f"import sys, {module}; print(sorted(m for m in sys.modules "
                   "if m == 'simpy' or m.startswith(('simpy.', 'lcsim.model'))))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
