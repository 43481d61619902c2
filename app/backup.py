"""Daily backup of a local SQLite database (SQLite's online backup API, N copies kept) and restore.

A backup holds the families anonymised since it was made, with their names: a restore applies those anonymisations
again (``reapply_after_restore``), from the database it replaced and from the journal the counter keeps beside the
backups (``note_anonymisation``: a family's number, the moment and the choice made for its balance — no name), so
that a family forgotten stays forgotten. The copies themselves are kept ``backup/keep`` days (14 by default)."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from .files import BACKUPS_FOLDER, private_database, private_dir, private_file
from .services.errors import DatabaseInUse, DomainError, ValidationError

PREFIX = "guichet-enfance-"
JOURNAL = "anonymisations.csv"
"""Beside the backups: one line per anonymisation (family number;ISO moment;refund|keep), readable by its user only."""


def backup_dir_for(database: Path) -> Path:
    return database.parent / BACKUPS_FOLDER


def daily_backup(database: Path, today: date, keep: int = 14, directory: Path | None = None) -> Path | None:
    """Copy the live database once a day (consistent even while it is being used); the copies of more than ``keep``
    days ago are deleted (an anonymised family does not live on in old copies), and so are the databases a restore
    replaced (``….avant-restauration-…``) that are as old. ``keep`` 0 or less: nothing is deleted."""
    if not database.exists():
        return None
    directory = private_dir(directory or backup_dir_for(database))
    target = directory / f"{PREFIX}{today.isoformat()}.sqlite3"
    if not target.exists():
        _copy(database, target)
    if keep > 0:
        oldest = today - timedelta(days=keep - 1)
        for copy in directory.glob(f"{PREFIX}*.sqlite3"):
            if _day_of(copy.stem.removeprefix(PREFIX)) < oldest:
                copy.unlink()
        for replaced in database.parent.glob(f"{database.stem}.avant-restauration-*.sqlite3"):
            if _day_of(replaced.stem.rsplit("avant-restauration-", 1)[-1]) < oldest:
                replaced.unlink()
    return target


def _day_of(stamp: str) -> date:
    """The day a copy's name gives (``AAAA-MM-JJ…``); a name that gives none counts as today's (kept)."""
    try:
        return date.fromisoformat(stamp[:10])
    except ValueError:
        return date.max


def _copy(source: Path, target: Path) -> None:
    partial = target.with_suffix(".partial")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    private_file(partial)
    partial.replace(target)


def _read_only(file: Path) -> str:
    """A URI that opens ``file`` read-only, whatever characters its path holds (spaces, #, ?, %), on a local disk
    or a share (``\\\\serveur\\partage`` becomes ``file:////serveur/partage``: no host part, which SQLite refuses)."""
    path = os.path.abspath(file).replace("\\", "/")
    if not path.startswith("/"):
        path = "/" + path  # C:/… → /C:/…
    return "file://" + quote(path, safe="/:") + "?mode=ro"


def check_backup(file: Path) -> None:
    """A restorable file: a SQLite database written by this application (it has a schema version)."""
    if not file.is_file():
        raise ValidationError(f"Fichier de sauvegarde introuvable : « {file} ».")
    try:
        with closing(sqlite3.connect(_read_only(file), uri=True)) as conn:
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise ValidationError(f"« {file.name} » n'est pas une sauvegarde de Guichet Enfance.") from exc
    if version is None:
        raise ValidationError(f"« {file.name} » n'est pas une sauvegarde de Guichet Enfance.")


BUSY_TIMEOUT_S = 5.0
"""How long a restore waits for another program's write to end before it says the database is in use."""


def _in_use(database: Path, exc: sqlite3.Error) -> DomainError:
    """Busy or locked: another program writes (``DatabaseInUse``); anything else, said as it is."""
    if getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseInUse(f"« {database} »")
    return ValidationError(f"La restauration de « {database} » a échoué ({exc}) : rien n'a été modifié.")


def _nobody_writing(database: Path) -> None:
    """``DatabaseInUse`` when another connection holds the write lock longer than ``BUSY_TIMEOUT_S``. (Python's
    ``Connection.backup`` retries a busy destination for ever: it is only started once no one is writing.)"""
    try:
        with closing(sqlite3.connect(database, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as probe:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise _in_use(database, exc) from exc


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def restore(file: Path, database: Path, now: datetime | None = None) -> Path | None:
    """Replace the local database's content by a backup's; the current content is first kept beside it, in a file
    named after the moment (``….avant-restauration-AAAA-MM-JJ-HHMMSS.sqlite3``, returned), so that a restore is
    undone by restoring that file.

    The backup is copied into the database through SQLite's backup API, under SQLite's own locks: the file and its
    -wal/-shm companions are never deleted, renamed or replaced — Windows refuses that while another program has
    the file open (WinError 32) — and a program that has it open reads the restored data at its next transaction.
    ``DatabaseInUse`` while another program is writing to it: then nothing is changed."""
    check_backup(file)
    if _same_file(file, database):
        raise ValidationError(f"« {file.name} » est la base elle-même : choisissez une sauvegarde.")
    kept = None
    if database.exists():
        _nobody_writing(database)
        stamp = (now or datetime.now().astimezone()).strftime("%Y-%m-%d-%H%M%S")
        kept = database.with_name(f"{database.stem}.avant-restauration-{stamp}.sqlite3")
        _copy(database, kept)
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            closing(sqlite3.connect(_read_only(file), uri=True)) as source,
            closing(sqlite3.connect(database, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as target,
        ):
            source.backup(target)
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the restored pages into the file itself
    except sqlite3.Error as exc:
        raise _in_use(database, exc) from exc
    private_database(database)
    return kept


def note_anonymisation(database: Path, family_id: int, choice: str, at: datetime) -> Path:
    """One more line in the journal of anonymisations kept beside the backups (see the module's docstring)."""
    directory = private_dir(backup_dir_for(database))
    journal = directory / JOURNAL
    with open(journal, "a", encoding="utf-8", newline="") as out:
        out.write(f"{family_id};{at.isoformat()};{choice}\n")
    private_file(journal)
    return journal


def noted_anonymisations(database: Path) -> list[tuple[int, datetime, str]]:
    """The journal's lines (a line that cannot be read is skipped: the database replaced is read too)."""
    journal = backup_dir_for(database) / JOURNAL
    if not journal.is_file():
        return []
    found = []
    for line in journal.read_text(encoding="utf-8").splitlines():
        number, _, rest = line.partition(";")
        moment, _, choice = rest.partition(";")
        try:
            found.append((int(number), datetime.fromisoformat(moment), choice.strip()))
        except ValueError:
            continue
    return found


def reapply_after_restore(database: Path, replaced: Path | None) -> list[int]:
    """After ``restore``: the anonymisations recorded in the database it replaced (``replaced``, the copy
    ``restore`` kept) and in the journal, applied again to the restored one. Returns the families anonymised
    again."""
    from .clock import SystemClock
    from .db import make_engine
    from .services.actors import system_actor
    from .services.families.forgetting import (
        Anonymisation,
        BalanceChoice,
        anonymisations,
        reapply_anonymisations,
    )
    from .services.uow import Database

    done: dict[int, Anonymisation] = {}
    if replaced is not None and replaced.is_file():
        old = make_engine(f"sqlite:///{replaced}", create=False)
        try:
            for record in anonymisations(Database(old)):
                done.setdefault(record.family_id, record)
        except DomainError:
            pass  # an unreadable copy: the journal says what it knew
        finally:
            old.dispose()
    for family_id, at, choice in noted_anonymisations(database):
        known = BalanceChoice(choice) if choice in set(BalanceChoice) else BalanceChoice.KEEP
        done.setdefault(family_id, Anonymisation(family_id, at, known))
    engine = make_engine(f"sqlite:///{database}", create=False)
    try:
        db = Database(engine, SystemClock())
        with db.reading() as uow:
            actor = system_actor(uow.session)
        return reapply_anonymisations(db, actor, sorted(done.values(), key=lambda r: r.at))
    finally:
        engine.dispose()
