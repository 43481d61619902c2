"""Where the data lives and the few settings needed before any window exists.

One table of defaults; the database URL comes from ``--db``, else the ``GUICHET_DB_URL`` environment
variable, else a SQLite file in the user data directory. Secrets never live here (keyring only).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir, user_log_dir

APP_DIR_NAME = "GuichetEnfance"
SOURCES_COMMAND_LINE = "python -m app"
PACKAGED_COMMAND_LINE = "guichet-enfance-cli"
"""The command line's name in the packaged program (``scripts/pyinstaller_cli.py``; on Linux a link to the windowed
program, which runs ``main`` under that name)."""


def command_line(command: str = "") -> str:
    """How the agent types a command, as messages tell it: « guichet-enfance-cli migrate » in the packaged program
    (PyInstaller sets ``sys.frozen``), « python -m app migrate » from the sources."""
    program = PACKAGED_COMMAND_LINE if getattr(sys, "frozen", False) else SOURCES_COMMAND_LINE
    return f"{program} {command}".strip()


SCHOOL_ZONES: tuple[str, ...] = ("A", "B", "C", "Corse", "DOM")
"""The school holiday zones an administrator chooses from (A, B, C come with their calendar)."""
DB_URL_ENV = "GUICHET_DB_URL"

DEFAULTS: dict[str, object] = {
    "database_file": "guichet-enfance.sqlite3",
    "sqlite_busy_timeout_s": 30,
    "pg_connect_timeout_s": 5,
    "pg_statement_timeout_ms": 15000,
    "pg_lock_timeout_ms": 10000,
    "pg_idle_in_transaction_ms": 5000,
    "pg_keepalive_idle_s": 5,
    "pg_pool_size": 5,
    "pg_max_overflow": 10,
    "portal_pool_size": 5,
    "portal_max_overflow": 3,
    "school_zone": "C",
}
"""``pg_pool_size``/``pg_max_overflow``: the connections a process keeps open to PostgreSQL and the extra ones it may
open at a busy moment (a counter: SQLAlchemy's own defaults, 1 to 3 in use at once); ``portal_*``: the same for one
uvicorn worker of the portal (``app.web.asgi``). ``GUICHET_DB_POOL_SIZE``/``GUICHET_DB_MAX_OVERFLOW`` override both
(``db.pool_settings``; the README's "Connections to PostgreSQL")."""


HOME_ENV = "GUICHET_HOME"
"""A folder that holds everything this program keeps on the computer — ``data``, ``logs``, ``settings`` — instead
of the system's places: a portable or a test installation. Unset (the usual case), platformdirs decides: on Windows
``%LOCALAPPDATA%\\GuichetEnfance`` (logs in its ``Logs``), on Linux ``~/.local/share/GuichetEnfance`` and
``~/.local/state/GuichetEnfance/log``."""


def home_dir() -> Path | None:
    home = os.environ.get(HOME_ENV, "").strip()
    return Path(home).expanduser().absolute() if home else None  # never relative to whichever working folder


def data_dir() -> Path:
    home = home_dir()
    return home / "data" if home else Path(user_data_dir(APP_DIR_NAME, appauthor=False))


def log_dir() -> Path:
    home = home_dir()
    return home / "logs" if home else Path(user_log_dir(APP_DIR_NAME, appauthor=False))


def settings_file() -> Path | None:
    """The settings' INI file under ``$GUICHET_HOME``; None: Qt's own place (``%APPDATA%\\GuichetEnfance`` on
    Windows, ``~/.config/GuichetEnfance`` on Linux)."""
    home = home_dir()
    return home / "settings" / "guichet-enfance.ini" if home else None


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / str(DEFAULTS['database_file'])}"


@dataclass(frozen=True)
class DatabaseChoice:
    url: str
    is_default_local: bool
    """True when no URL was given: the per-user SQLite file, which may be created and migrated freely."""


def choose_database(cli_url: str | None = None) -> DatabaseChoice:
    if cli_url:
        return DatabaseChoice(cli_url, False)
    env = os.environ.get(DB_URL_ENV, "").strip()
    if env:
        return DatabaseChoice(env, False)
    return DatabaseChoice(default_database_url(), True)


def resources_dir() -> Path:
    """``resources/`` beside the sources, or inside the PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
