"""Packaging and first run: backups and restore, the crash handler, the self-test, settings defaults."""

from __future__ import annotations

import logging
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QPushButton

from app.backup import daily_backup, restore
from app.logging_setup import install_excepthook, setup_logging
from app.services.errors import ValidationError
from app.settings import DEFAULTS, Settings
from tests.test_cli import assert_one_line_french_error, run_app


def _families(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM families").fetchone()[0]


def test_daily_backup_keeps_n_copies_and_restore_round_trips(tmp_path, demo_template, backend):
    if backend != "sqlite":
        pytest.skip("backups concern a local SQLite file")
    from sqlalchemy.engine import make_url

    database = tmp_path / "guichet.sqlite3"
    source = sqlite3.connect(make_url(demo_template).database)
    target = sqlite3.connect(database)
    source.backup(target)
    source.close()
    target.close()
    day = date(2026, 11, 1)
    copies = [daily_backup(database, day + timedelta(days=i), keep=3) for i in range(5)]
    assert daily_backup(database, day + timedelta(days=4), keep=3) == copies[-1]  # once a day only
    kept = sorted(p.name for p in (tmp_path / "sauvegardes").glob("*.sqlite3"))
    assert kept == [f"guichet-enfance-2026-11-0{d}.sqlite3" for d in (3, 4, 5)]
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE families SET name = 'EFFACÉ'")
    result = run_app("restore", "--db", f"sqlite:///{database}", str(copies[-1]))
    assert result.returncode == 0, result.stderr
    assert _families(database) == 40
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM families WHERE name = 'EFFACÉ'").fetchone()[0] == 0
    assert (tmp_path / "guichet.avant-restauration.sqlite3").exists()  # the replaced base is kept
    (tmp_path / "not-a-backup.sqlite3").write_text("bonjour")
    with pytest.raises(ValidationError, match="n'est pas une sauvegarde"):
        restore(tmp_path / "not-a-backup.sqlite3", database)
    assert_one_line_french_error(run_app("restore", "--db", f"sqlite:///{database}", str(tmp_path / "absent.sqlite3")),
                                 "introuvable")  # fmt: skip


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_reaches_the_log_and_the_dialog(qtbot, tmp_path):
    path = setup_logging(tmp_path)
    shown: list[str] = []
    install_excepthook(path, shown.append)
    button = QPushButton("boum")
    qtbot.addWidget(button)

    def broken_slot() -> None:
        raise RuntimeError("panne simulée dans un slot")

    button.clicked.connect(broken_slot)
    button.click()
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "erreur inattendue" in text and "RuntimeError: panne simulée dans un slot" in text
    assert len(shown) == 1 and "Une erreur inattendue s'est produite" in shown[0] and str(path) in shown[0]


def test_selftest_migrates_a_temporary_database_and_shows_the_window():
    result = run_app("--selftest")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK : fenêtre principale affichée")


def test_settings_have_one_table_of_defaults(tmp_path):
    settings = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert settings.get("backup/keep") == 14 and settings.mode == ""
    settings.set("backup/keep", 3)
    assert Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)).get("backup/keep") == 3
    with pytest.raises(KeyError):
        settings.set("unknown/key", 1)
    assert set(DEFAULTS) >= {"database/mode", "database/host", "backup/keep"}
