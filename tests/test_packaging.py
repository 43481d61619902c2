"""Packaging and first run: backups and restore, the crash handler, the self-test, settings defaults."""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QPushButton

from app.backup import daily_backup, restore
from app.logging_setup import install_excepthook, setup_logging
from app.services.errors import ValidationError
from app.settings import DEFAULTS, Settings
from tests.helpers import child_encoding
from tests.test_cli import ROOT, assert_one_line_french_error, run_app


def _icu_data():
    spec = importlib.util.spec_from_file_location("icu_data", ROOT / "scripts" / "icu_data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _families(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
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
    with closing(sqlite3.connect(database)) as conn, conn:
        conn.execute("UPDATE families SET name = 'EFFACÉ'")
    result = run_app("restore", "--db", f"sqlite:///{database}", str(copies[-1]))
    assert result.returncode == 0, result.stderr
    assert _families(database) == 40
    with closing(sqlite3.connect(database)) as conn:
        assert conn.execute("SELECT count(*) FROM families WHERE name = 'EFFACÉ'").fetchone()[0] == 0
    assert len(list(tmp_path.glob("guichet.avant-restauration-*.sqlite3"))) == 1  # the replaced base is kept
    # kept ``keep`` days, not ``keep`` copies: after three weeks without a start, only the new copy stays, and the
    # base the restore replaced goes too (an anonymised family does not live on in old files)
    (replaced,) = tmp_path.glob("guichet.avant-restauration-*.sqlite3")
    replaced.rename(tmp_path / "guichet.avant-restauration-2026-11-05-101500.sqlite3")
    daily_backup(database, day + timedelta(days=25), keep=3)
    kept = sorted(p.name for p in (tmp_path / "sauvegardes").glob("*.sqlite3"))
    assert kept == ["guichet-enfance-2026-11-26.sqlite3"]
    assert not list(tmp_path.glob("guichet.avant-restauration-*.sqlite3"))
    (tmp_path / "not-a-backup.sqlite3").write_text("bonjour", encoding="utf-8")
    with pytest.raises(ValidationError, match="n'est pas une sauvegarde"):
        restore(tmp_path / "not-a-backup.sqlite3", database)
    assert_one_line_french_error(
        run_app("restore", "--db", f"sqlite:///{database}", str(tmp_path / "absent.sqlite3")), "introuvable"
    )


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
    if os.name == "posix":  # which server and which login the counter uses: its user's only
        assert stat.S_IMODE((tmp_path / "s.ini").stat().st_mode) == 0o600
    with pytest.raises(KeyError):
        settings.set("unknown/key", 1)
    assert set(DEFAULTS) >= {"database/mode", "database/host", "backup/keep"}


def _size_check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "scripts/package_size.sh", str(folder), "150"],
        cwd=ROOT,
        capture_output=True,
        encoding="utf-8",
        timeout=60,
    )


@pytest.mark.posix_only(reason="runs bash scripts/package_size.sh (du, a symbolic link)")
def test_package_script_fails_above_150_mb(tmp_path):
    script = (ROOT / "scripts" / "package.sh").read_text(encoding="utf-8")
    assert "MAX_MB=150" in script and 'bash scripts/package_size.sh dist/guichet-enfance "$MAX_MB"' in script
    folder = tmp_path / "guichet-enfance"
    (folder / "_internal").mkdir(parents=True)
    with open(folder / "guichet-enfance", "wb") as program:  # sparse: its size, not the disk's blocks
        program.truncate(12_000_000)
    with open(folder / "_internal" / "libQt6Core.so.6", "wb") as library:
        library.truncate(137_000_000)
    (folder / "guichet-enfance-cli").symlink_to("guichet-enfance")  # a link counts once (Linux's second name)
    result = _size_check(folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Programme construit : {folder}/ (149 Mo, limite 150 Mo)"
    with open(folder / "_internal" / "libQt6Core.so.6", "r+b") as library:
        library.truncate(138_000_001)  # 150 000 001 bytes in all
    result = _size_check(folder)
    assert result.returncode == 1
    assert "pèse 150 Mo, plus que la limite de 150 Mo. Les plus gros :" in result.stderr
    assert (
        f"139\t{folder}/_internal" in result.stderr and "libQt6Core.so.6" in result.stderr
    )  # the biggest parts
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    assert "strip=IS_LINUX" in spec and "trimmed_library" in spec


def test_icu_data_keeps_french_english_root_and_the_shared_data():
    kept = _icu_data().kept
    for name in (
        "icudt73l/fr.res",
        "icudt73l/fr_FR.res",
        "icudt73l/en_US_POSIX.res",
        "icudt73l/root.res",
        "icudt73l/pool.res",
        "icudt73l/res_index.res",
        "icudt73l/zoneinfo64.res",
        "icudt73l/metaZones.res",
        "icudt73l/coll/fr_CA.res",
        "icudt73l/coll/ucadata.icu",
        "icudt73l/zone/fr.res",
        "icudt73l/brkitr/line.brk",
        "icudt73l/uprops.icu",
        "icudt73l/cnvalias.icu",
        "icudt73l/nfkc.nrm",
    ):
        assert kept(name), name
    for name in (
        "icudt73l/de.res",
        "icudt73l/zh_Hant_HK.res",
        "icudt73l/es_419.res",
        "icudt73l/coll/ja.res",
        "icudt73l/zone/sr_Latn_BA.res",
        "icudt73l/brkitr/thaidict.dict",
        "icudt73l/translit/root.res",
        "icudt73l/ibm-943_P15A-2003.cnv",
    ):
        assert not kept(name), name


@pytest.mark.posix_only(reason="Linux's ICU library, readelf, LD_LIBRARY_PATH and LD_DEBUG")
@pytest.mark.skipif(not (shutil.which("gcc") and shutil.which("readelf")), reason="needs gcc and binutils")
def test_trimmed_icu_library_serves_qt_in_french(tmp_path):
    """The library build.spec packages: much smaller, and Qt still collates and names time zones in French."""
    icu = _icu_data()
    import PySide6

    source = next((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    symbol, package = icu.package_of(source)
    items = icu.items_of(package)
    assert symbol.startswith("icudt") and len(items) > 3000 and items == sorted(items)  # ToC sorted by name
    header = package[: int.from_bytes(package[:2], "little")]  # headerSize, then the ToC
    assert icu.items_of(icu.build_package(header, items[:50])) == items[:50]
    trimmed = icu.trimmed_library(source, tmp_path)
    assert trimmed.name == source.name and trimmed.stat().st_size < source.stat().st_size / 4
    probe = (
        "from PySide6.QtCore import QCollator, QLocale, QTimeZone\n"
        "fr = QLocale(QLocale.Language.French, QLocale.Country.France)\n"
        "names = ['Zoé', 'éloïse', 'Émile', 'eva', 'Œdipe', 'adèle', 'Ange', 'Çédric', 'cedric']\n"
        "print(sorted(names, key=QCollator(fr).sortKey))\n"
        "zone = QTimeZone(b'Europe/Paris')\n"
        "print(zone.displayName(QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName, fr))\n"
    )
    env = {**os.environ, "LD_LIBRARY_PATH": str(tmp_path), "QT_QPA_PLATFORM": "offscreen", "LD_DEBUG": "libs"}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, encoding=child_encoding(env), env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"calling init: {trimmed}" in result.stderr  # the trimmed copy was the one loaded
    assert result.stdout.splitlines() == [
        "['adèle', 'Ange', 'cedric', 'Çédric', 'éloïse', 'Émile', 'eva', 'Œdipe', 'Zoé']",
        "heure normale d’Europe centrale",
    ]
