"""Logging to a rotating file in the user log directory, and the last-resort handler for unexpected errors:
logged with their traceback and shown to the agent in French with the log's path — never a silent crash.

Several instances write the same log (two windows on one computer, the scheduled ``nightly`` while the counter is
open): the standard ``RotatingFileHandler`` renames the file while the other process holds it open, which Windows
refuses (the rollover fails, records are lost, "--- Logging error ---" on every record). concurrent-log-handler
takes a lock file around each write and rollover and closes the log between writes, so any instance may rotate it.

The commands run without a window — the scheduled ``nightly``, the portal's ``worker`` — write to the same file
(``command_logging``): their start, each step and their failures are found where the counter's are."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from concurrent_log_handler import ConcurrentRotatingFileHandler

from .config import log_dir
from .files import FILE_MODE, POSIX, private_dir

LOG_FILE = "guichet-enfance.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
log = logging.getLogger("app")
FILE_ONLY = {"file_only": True}
"""``extra`` of a record that a command has already said in French on its own output: written to the log file, not a
second time, in English, on the console."""


def setup_logging(
    directory: Path | None = None,
    level: int = logging.INFO,
    *,
    max_bytes: int = MAX_BYTES,
    backups: int = BACKUPS,
) -> Path:
    """Log to ``directory/guichet-enfance.log`` (1 MB, 5 older files kept; 0600 on POSIX). Returns its path."""
    directory = directory or log_dir()
    private_dir(directory)
    path = directory / LOG_FILE
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, ConcurrentRotatingFileHandler):
            root.removeHandler(handler)
            handler.close()
    handler = ConcurrentRotatingFileHandler(
        str(path),
        maxBytes=max_bytes,
        backupCount=backups,
        encoding="utf-8",
        chmod=FILE_MODE if POSIX else None,
        keep_file_open=False,  # as it must on Windows, everywhere: another instance may rename it
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return path


def _not_file_only(record: logging.LogRecord) -> bool:
    return not getattr(record, "file_only", False)


def command_logging() -> Path | None:
    """The log of a command run without a window (``nightly``, ``worker``): the counter's rotating file, INFO and up.
    The console (``logging.basicConfig``'s handler on the standard error) keeps the warnings and up, less the records
    logged with ``extra=FILE_ONLY``. None when the log cannot be written (said in one line on the standard error):
    the job goes on without it."""
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:
            handler.setLevel(max(handler.level, logging.WARNING))
            handler.addFilter(_not_file_only)  # once: a filter already there is not added again
    try:
        return setup_logging()
    except OSError as exc:
        print(
            f"Attention : journal impossible à écrire ({exc}) ; la tâche continue sans lui.", file=sys.stderr
        )
        return None


def crash_message(log_path: Path) -> str:
    return (
        "Une erreur inattendue s'est produite. L'opération en cours n'a peut-être pas abouti ; "
        f"le détail est enregistré dans le journal :\n{log_path}\n"
        "Transmettez ce fichier au support si le problème se reproduit."
    )


def install_excepthook(log_path: Path, show: Callable[[str], None]) -> None:
    """Every uncaught exception (including one raised in a Qt slot) is logged, then ``show``n to the agent."""

    def hook(exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.critical("erreur inattendue", exc_info=(exc_type, exc, tb))
        try:
            show(crash_message(log_path))
        except Exception:  # noqa: BLE001 - the dialog itself must never crash the crash handler
            log.exception("impossible d'afficher le message d'erreur")

    sys.excepthook = hook
    threading.excepthook = lambda args: hook(args.exc_type, args.exc_value, args.exc_traceback)
