"""The windowed program (``guichet-enfance.exe``: PyInstaller's ``console=False``). It has no console: its standard
output and error do not exist (``None``). What ``python -m app`` says on the standard error — a start-up failure
(server unreachable, schema behind, a database refused), bad arguments, a crash before any window — is then logged
and shown in a French message box, and a command-line command is sent to the console program
``guichet-enfance-cli.exe``. Where a console exists (Linux, a terminal), the text is also printed as before."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable

CONSOLE_PROGRAM = "guichet-enfance-cli.exe"
WINDOW_COMMANDS = {"gui", "screenshots"}
"""Commands that show windows: the others print their result and belong to the console program."""
TITLE = "Guichet Enfance"
HEADLESS_CLOSE_MS = 3000
"""Offscreen (a self-test, CI), nobody can close the box: it closes itself after this delay."""
log = logging.getLogger("app")


class _Capture(io.TextIOBase):
    """The standard error, kept to be shown, and still written to the console when there is one."""

    def __init__(self, console: io.TextIOBase | None) -> None:
        super().__init__()
        self.console = console
        self.text = io.StringIO()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.text.write(text)
        if self.console is not None:
            self.console.write(text)
        return len(text)

    def flush(self) -> None:
        if self.console is not None:
            self.console.flush()


def _command(argv: list[str]) -> str:
    """The command asked for (``gui`` by default), the way ``python -m app`` reads it."""
    from .__main__ import build_parser

    try:
        namespace, _rest = build_parser().parse_known_args(argv)
    except SystemExit:
        return "gui"
    return namespace.command or "gui"


def what_to_show(stderr_text: str) -> str:
    """The lines that say what went wrong (they start with "Erreur", as from the command line), else the end."""
    lines = [line for line in stderr_text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Erreur")]
    return "\n".join(errors or lines[-8:])


def show_startup_error(message: str, log_file: str) -> None:
    """A modal French message box (the program has no console to say it); it closes by itself offscreen."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(sys.argv[:1])
    box = QMessageBox(QMessageBox.Icon.Critical, TITLE, "Guichet Enfance n'a pas pu démarrer.")
    box.setObjectName("startup-error")
    box.setInformativeText(f"{message}\n\nCe message est aussi enregistré dans le journal :\n{log_file}")
    box.addButton("&Fermer", QMessageBox.ButtonRole.AcceptRole)  # in French: no Qt translation is loaded
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        QTimer.singleShot(HEADLESS_CLOSE_MS, box.close)
    box.exec()
    del app


def main_windowed(
    argv: list[str] | None = None, *, show: Callable[[str, str], None] = show_startup_error
) -> int:
    """``main`` for the program without a console: the exit code; a failure is logged and shown (``show``)."""
    from .__main__ import main

    argv = sys.argv[1:] if argv is None else list(argv)
    no_console = sys.stdout is None or sys.stderr is None
    console_err = sys.stderr
    capture = _Capture(console_err)  # type: ignore[arg-type]
    if sys.stdout is None:
        sys.stdout = io.StringIO()  # written to by nobody's console: kept in memory, then dropped
    sys.stderr = capture
    crashed: Exception | None = None
    try:
        command = _command(argv)
        if no_console and command not in WINDOW_COMMANDS and "--selftest" not in argv:
            print(f"Erreur : « {command} » est une commande en ligne : lancez « {CONSOLE_PROGRAM} {command} » dans "
                  "une invite de commandes (ou depuis le Planificateur de tâches).", file=sys.stderr)  # fmt: skip
            code = 2
        else:
            code = main(argv)
    except SystemExit as exc:  # argparse: bad arguments (2), --help or --version (0)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # noqa: BLE001 - before any window: logged with its traceback, shown in French
        crashed = exc
        code = 1
    finally:
        sys.stderr = console_err
    if code == 0:
        return 0
    from .logging_setup import crash_message, setup_logging

    log_file = setup_logging()
    if crashed is not None:
        log.critical("démarrage du programme", exc_info=crashed)
        message = crash_message(log_file)
    else:
        message = what_to_show(capture.text.getvalue()) or f"Arrêt inattendu (code {code})."
        log.error("démarrage du programme (code %s) : %s", code, message)
    try:
        show(message, str(log_file))
    except Exception:  # noqa: BLE001 - the message is in the log file in any case
        log.exception("impossible d'afficher le message de démarrage")
    return code
