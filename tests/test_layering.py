"""Architecture rules: models and services never import Qt nor the web; the portal (app/web) never imports Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers import child_encoding

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


WEB = {"fastapi", "starlette", "jinja2", "uvicorn", "itsdangerous", "multipart"}
QT = {"PySide6", "PyQt5", "PyQt6", "shiboken6"}


def test_services_import_no_web_framework_and_the_portal_no_qt():
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for packages, banned in ((("app/models", "app/services"), WEB), (("app/web",), QT))
        for package in packages
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] in banned
    ]
    assert offenders == []
    code = "import sys, app.web.app\nprint(sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'shiboken6')))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, encoding=child_encoding(), timeout=120
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


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
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, encoding=child_encoding(), timeout=120
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
                if (
                    isinstance(sub, ast.Attribute)
                    and sub.attr in ("status", "waitlist_position")
                    and not (isinstance(sub.value, ast.Name) and sub.value.id == "self")
                ):
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


ONLINE = ROOT / "app/services/money/online.py"
"""An online payment's state is written there only (its settlement), a table of its own."""


def _other_table(line: str) -> bool:
    """Lines about the outbox (message status), a cash closing's status or an online payment's (in its own module),
    read back from the source."""
    where, _, _what = line.partition(" ")
    path, _, number = where.rpartition(":")
    if ROOT / path == ONLINE:
        return True
    text = (ROOT / path).read_text(encoding="utf-8").splitlines()[int(number) - 1]
    return any(word in text for word in ("msg.", "closing.", "OutboxStatus", "ClosingStatus", "message."))


def test_an_online_payments_state_is_written_only_by_its_settlement_module():
    """« pending » → paid / refused / abandoned / expired: in ``money/online.py`` only (docs/regie.md)."""
    offenders = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "OnlinePayment" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            targets = [
                t
                for target in getattr(node, "targets", [])
                if isinstance(node, ast.Assign)
                for t in (target.elts if isinstance(target, ast.Tuple) else [target])
            ]
            assigned = any(isinstance(t, ast.Attribute) and t.attr == "status" for t in targets)
            built = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "OnlinePayment"
                and any(k.arg == "status" for k in node.keywords)
            )
            if (assigned or built) and path != ONLINE:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
    assert "OnlinePaymentStatus.PAID" in ONLINE.read_text(encoding="utf-8")


def _db_functions() -> set[str]:
    """Qualified names of the service functions that reach the database (their first parameter is ``db``)."""
    import importlib
    import inspect
    import pkgutil

    import app.services

    names = set()
    for info in pkgutil.walk_packages(app.services.__path__, "app.services."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == info.name:
                params = list(inspect.signature(value).parameters)
                if params and params[0] == "db":
                    names.add(f"{info.name}.{name}")
    return names


def _ui_calls_outside_operations(path: Path, db_functions: set[str]) -> list[str]:
    """Calls of database-reaching service functions that are not inside a lambda given to ops.run / .form / .fetch."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])  # app.ui or app.ui.<capability>
    imported: dict[str, str] = {}  # local name -> qualified function or module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            parts = package.split(".")
            base = (
                node.module
                if node.level == 0
                else ".".join(parts[: len(parts) - node.level + 1] + [node.module])
            )
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{base}.{alias.name}"
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}

    def target(call: ast.Call) -> str | None:
        if isinstance(call.func, ast.Name):
            return imported.get(call.func.id)
        if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
            module = imported.get(call.func.value.id)
            return f"{module}.{call.func.attr}" if module else None
        return None

    def is_operation(call: ast.AST) -> bool:
        return (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in ("run", "form", "fetch")
        )

    handed = {  # local functions handed to (or called inside what is handed to) ops.run / ops.form
        name.id
        for call in ast.walk(tree)
        if is_operation(call)
        for arg in [*call.args, *(k.value for k in call.keywords)]  # type: ignore[attr-defined]
        for name in ast.walk(arg)
        if isinstance(name, ast.Name)
    }

    def inside_operation(node: ast.AST) -> bool:
        """Inside a lambda that is (part of) an argument of ops.run / ops.form, or a function handed to them."""
        in_lambda = False
        while node in parents:
            parent = parents[node]
            in_lambda = in_lambda or isinstance(node, ast.Lambda)
            if in_lambda and is_operation(parent):
                return True
            if isinstance(node, ast.FunctionDef) and node.name in handed:
                return True
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                return False
            node = parent
        return False

    offenders = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and target(node) in db_functions and not inside_operation(node):
            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {target(node)}")
    return offenders


def test_widgets_reach_the_database_only_through_the_operation_helper():
    """Every service call that reaches the database is a lambda given to ``Operations.run``, ``.form`` or
    ``.fetch``."""
    db_functions = _db_functions()
    assert "app.services.booking.validation.confirm" in db_functions
    offenders = [
        line
        for path in sorted((ROOT / "app/ui").rglob("*.py"))
        if path.name
        not in ("operations.py", "screenshots.py")  # the screenshots command picks its example itself
        for line in _ui_calls_outside_operations(path, db_functions)
    ]
    assert offenders == []
