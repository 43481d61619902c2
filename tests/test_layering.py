"""Architecture rules: models and services never import Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_models_and_services_sources_do_not_import_qt():
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for package in ("app/models", "app/services")
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] in {"PySide6", "PyQt5", "PyQt6", "shiboken6"}
    ]
    assert offenders == []


def test_importing_every_model_and_service_module_loads_no_qt():
    code = (
        "import importlib, pkgutil, sys\n"
        "import app.models, app.services\n"
        "for pkg in (app.models, app.services):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_float_column_in_the_schema():
    from sqlalchemy import Float, Numeric

    from app.models import Base

    floats = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, Float | Numeric)
    ]
    assert floats == []


LIFECYCLE = ROOT / "app/services/booking/lifecycle.py"
GENERATORS = ("app/services/demo",)
"""The demonstration builder writes a past history wholesale (rows born in their final state), not transitions."""


def _writes(path: Path) -> list[str]:
    """Assignments to a reservation's ``status`` / ``waitlist_position`` and refund ledger entries in a file."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for sub in target.elts if isinstance(target, ast.Tuple) else [target]:
                if (isinstance(sub, ast.Attribute) and sub.attr in ("status", "waitlist_position")
                        and not (isinstance(sub.value, ast.Name) and sub.value.id == "self")):  # fmt: skip
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} assigns .{sub.attr}")
        is_refund = isinstance(node, ast.Attribute) and node.attr == "REFUND"
        if is_refund and isinstance(node.value, ast.Name) and node.value.id == "LedgerKind":
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} uses LedgerKind.REFUND")
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                named = isinstance(node.func, ast.Name) and node.func.id == "Reservation"
                if keyword.arg in ("status", "waitlist_position") and named:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} builds a Reservation with a status")
    return found


def test_reservation_status_and_refunds_are_written_only_by_the_lifecycle_module():
    offenders = [
        line
        for path in sorted((ROOT / "app").rglob("*.py"))
        if path != LIFECYCLE and not any(str(path.relative_to(ROOT)).startswith(g) for g in GENERATORS)
        for line in _writes(path)
        if not _other_table(line)  # the outbox's and a cash closing's own statuses are other tables
    ]
    assert offenders == []
    assert _writes(LIFECYCLE), "the lifecycle module is where they are written"


def _other_table(line: str) -> bool:
    """Lines about the outbox (message status) or a cash closing's status, read back from the source."""
    where, _, _what = line.partition(" ")
    path, _, number = where.rpartition(":")
    text = (ROOT / path).read_text(encoding="utf-8").splitlines()[int(number) - 1]
    return any(word in text for word in ("msg.", "closing.", "OutboxStatus", "ClosingStatus", "message."))
