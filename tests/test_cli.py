"""The command line: help, migrate, demo, and one-line French errors for bad database URLs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.db import current_revision, head_revision, make_engine
from tests.helpers import child_encoding

ROOT = Path(__file__).resolve().parents[1]


def run_app(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: int = 180,
    input_text: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess:
    """``python -m app ARGS`` in a subprocess (from the repository, or ``cwd``); ``input_text`` is written to its
    standard input."""
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        encoding=child_encoding(full_env),  # cp1252 on Windows (issue 33)
        errors="replace",
        timeout=timeout,
        env=full_env,
        input=input_text,
        stdin=None if input_text is not None else subprocess.DEVNULL,
    )


def assert_one_line_french_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Erreur")
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0]


def test_help_lists_the_commands():
    result = run_app("--help")
    assert result.returncode == 0
    for command in ("gui", "demo", "migrate"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "invalide"),
        ("mysql://root@localhost/x", "invalide"),
        ("sqlite://", "invalide"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "Impossible de se connecter"),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/no_such_db_guichet", "la base n'existe pas"),
    ],
)
@pytest.mark.parametrize("command", [[], ["migrate"], ["demo"]])
def test_bad_database_url_gives_one_line_french_error(url, expected, command):
    result = run_app(*command, "--db", url)
    assert_one_line_french_error(result, expected)


@pytest.mark.parametrize("url", ["x" * 100_000, "postgresql://u@127.0.0.1:1/" + "é" * 5_000])
def test_a_huge_database_address_is_not_echoed_whole(url):
    result = run_app("check", "--db", url)
    assert_one_line_french_error(result)
    assert len(result.stderr) < 600 and "caractères)" in result.stderr


def test_unwritable_sqlite_location_gives_one_line_french_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = run_app("migrate", "--db", f"sqlite:///{blocker}/sub/db.sqlite3")
    assert_one_line_french_error(result, "Impossible de se connecter", "dossier impossible à créer")


def test_bad_today_is_refused():
    result = run_app("demo", "--today", "2026-13-01")
    assert_one_line_french_error(result, "date invalide")


def test_migrate_then_demo_then_refuse_non_empty(empty_url):
    result = run_app("migrate", "--db", empty_url)
    assert result.returncode == 0, result.stderr
    engine = make_engine(empty_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
    again = run_app("migrate", "--db", empty_url)
    assert again.returncode == 0 and "déjà à jour" in again.stdout
    demo = run_app("demo", "--db", empty_url, "--today", "2026-11-26")
    assert demo.returncode == 0, demo.stderr
    assert "40 familles" in demo.stdout
    refused = run_app("demo", "--db", empty_url)
    assert_one_line_french_error(refused, "--force")
    forced = run_app("demo", "--db", empty_url, "--today", "2026-11-26", "--force")
    assert forced.returncode == 0, forced.stderr


def test_database_url_from_environment_variable(empty_url):
    result = run_app("migrate", env={"GUICHET_DB_URL": empty_url})
    assert result.returncode == 0, result.stderr
    assert "version" in result.stdout


def test_gui_refuses_a_schema_behind_on_a_shared_server(backend, empty_url):
    if backend != "postgresql":
        pytest.skip("a local SQLite file is migrated automatically instead")
    result = run_app("gui", "--selftest", "--db", empty_url)
    assert_one_line_french_error(result, "n'est pas à jour", "python -m app migrate")


def test_gui_migrates_an_empty_local_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    result = run_app("gui", "--selftest", "--db", url)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
