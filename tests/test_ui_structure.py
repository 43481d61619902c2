"""The counter's screens read as the services do: folders by capability, no import circle, no oversized module.

The import graph counts every import, the function-local ones included: a circle hidden behind an import inside a
function is still a circle (one module cannot be read, tested or loaded without the other)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI = ROOT / "app" / "ui"
MAX_LINES = 400


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The app.ui modules ``path`` imports, wherever the import statement stands."""
    name = _module_of(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = (
                node.module or ""
                if node.level == 0
                else ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            )
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(UI.rglob("*.py"))
    modules = {_module_of(p) for p in paths}
    return {_module_of(p): _imports(p, modules) for p in paths}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_counter_screens_import_no_circle():
    assert circles(import_graph()) == []


def test_the_circle_finder_sees_a_circle_hidden_in_a_function():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]


def test_the_screens_are_grouped_by_capability_like_the_services():
    folders = {p.name for p in UI.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == {"booking", "money", "families", "setup", "documents", "shell"}
    loose = {p.stem for p in UI.glob("*.py")} - {"__init__"}
    # Only what every capability shares stays at the top: the way to the services and the small widget helpers.
    assert loose <= {
        "operations",
        "context",
        "widgets",
        "table_model",
        "theme",
        "keys",
        "fields",
        "formats",
    }, loose


def test_no_module_of_the_screens_or_the_portal_is_over_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for folder in (UI, ROOT / "app" / "web")
        for p in folder.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_comment_points_to_a_document_outside_the_repository():
    """The architecture notes are in ``docs/``: a comment citing a design document the repository does not hold
    cannot be followed by whoever reads the code."""
    cited = [
        f"{p.relative_to(ROOT)}:{n}"
        for folder in ("app", "tests", "bench", "scripts")
        for p in sorted((ROOT / folder).rglob("*.py"))
        if p.name != "test_ui_structure.py"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "DESIGN.md" in line or "DESIGN §" in line
    ]
    assert cited == []
