"""The PostgreSQL pass runs the tests that depend on the database backend, and only those (conftest)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import child_encoding

ROOT = Path(__file__).resolve().parents[1]


def collected(*options: str) -> tuple[list[str], str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--collect-only",
            "-q",
            *options,
            "tests/test_text.py",
            "tests/test_booking.py",
        ],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        encoding=child_encoding(),
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if "::" in line], result.stdout


def test_on_postgresql_the_tests_without_a_database_are_left_to_the_sqlite_pass():
    everything, _ = collected("--backend", "sqlite")
    on_pg, summary = collected("--backend", "postgresql")
    database = [test for test in everything if test.startswith("tests/test_booking.py")]
    assert database and len(database) < len(everything)
    assert on_pg == database  # every test with a database fixture, none of the others
    assert f"{len(everything) - len(database)} deselected" in summary
    assert collected("--backend", "postgresql", "--every-test")[0] == everything
