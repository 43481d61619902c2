"""Local files readable by their owner only (DESIGN §2.8): the database and its WAL/SHM files, backups and logs
0600, their folders 0700. On Windows the user's profile folders already are private; nothing is changed there."""

from __future__ import annotations

import os
import stat
from pathlib import Path

POSIX = os.name == "posix"
FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create the folder if needed (0700) and take group and others' rights away from an existing one."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if POSIX and stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """0600 for an existing file (missing files are left alone)."""
    if not POSIX:
        return
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(FILE_MODE)
    except FileNotFoundError:
        pass


def private_database(database: Path) -> None:
    """The SQLite file and its companions (-wal, -shm, -journal)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        private_file(Path(f"{database}{suffix}"))
