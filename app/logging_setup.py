"""Logging to a rotating file in the user log directory, and the last-resort handler for unexpected errors:
logged with their traceback and shown to the agent in French with the log's path — never a silent crash."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from .config import log_dir
from .files import private_dir, private_file

LOG_FILE = "guichet-enfance.log"
log = logging.getLogger("app")


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log whose files are readable by their owner only (0600), rollovers included."""

    def _open(self):  # logging's own signature
        stream = super()._open()
        private_file(Path(self.baseFilename))
        return stream


def setup_logging(directory: Path | None = None, level: int = logging.INFO) -> Path:
    """Log to ``directory/guichet-enfance.log`` (1 MB, 5 files kept). Returns the log file's path."""
    directory = directory or log_dir()
    private_dir(directory)
    path = directory / LOG_FILE
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, RotatingFileHandler):
            root.removeHandler(handler)
            handler.close()
    handler = PrivateRotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return path


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
