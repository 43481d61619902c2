"""Daily backup of a local SQLite database (SQLite's online backup API, N copies kept) and restore."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

from .files import private_dir, private_file
from .services.errors import ValidationError

PREFIX = "guichet-enfance-"


def backup_dir_for(database: Path) -> Path:
    return database.parent / "sauvegardes"


def daily_backup(database: Path, today: date, keep: int = 14, directory: Path | None = None) -> Path | None:
    """Copy the live database once a day (consistent even while it is being used); keep the newest ``keep``."""
    if not database.exists():
        return None
    directory = private_dir(directory or backup_dir_for(database))
    target = directory / f"{PREFIX}{today.isoformat()}.sqlite3"
    if not target.exists():
        _copy(database, target)
    copies = sorted(directory.glob(f"{PREFIX}*.sqlite3"))
    for old in copies[:-keep] if keep > 0 else []:
        old.unlink()
    return target


def _copy(source: Path, target: Path) -> None:
    partial = target.with_suffix(".partial")
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    private_file(partial)
    partial.replace(target)


def check_backup(file: Path) -> None:
    """A restorable file: a SQLite database written by this application (it has a schema version)."""
    if not file.is_file():
        raise ValidationError(f"Fichier de sauvegarde introuvable : « {file} ».")
    try:
        with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as conn:
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        conn.close()
    except sqlite3.DatabaseError as exc:
        raise ValidationError(f"« {file.name} » n'est pas une sauvegarde de Guichet Enfance.") from exc
    if version is None:
        raise ValidationError(f"« {file.name} » n'est pas une sauvegarde de Guichet Enfance.")


def restore(file: Path, database: Path) -> Path | None:
    """Replace the local database by a backup; the current one is first kept beside it. Returns that copy."""
    check_backup(file)
    kept = None
    if database.exists():
        kept = database.with_name(database.stem + ".avant-restauration.sqlite3")
        _copy(database, kept)
    for suffix in ("-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    database.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(file, database.with_suffix(".restore"))
    private_file(database.with_suffix(".restore"))
    database.with_suffix(".restore").replace(database)
    return kept
