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

from .config import PACKAGED_COMMAND_LINE

CONSOLE_PROGRAM = f"{PACKAGED_COMMAND_LINE}.exe"
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
    """The command asked for (``gui`` by default), the way ``python -m app`` reads it (silently: ``main`` says
    what is wrong with the arguments, once)."""
    from contextlib import redirect_stderr, redirect_stdout

    from .__main__ import build_parser

    try:
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            namespace, _rest = build_parser().parse_known_args(argv)
    except SystemExit:
        return "gui"
    return namespace.command or "gui"


def what_to_show(stderr_text: str, said: set[str] | frozenset[str] = frozenset()) -> str:
    """The lines that say what went wrong (they start with "Erreur", as from the command line) and were not already
    ``said`` in a window; "" when none."""
    return "\n".join(
        line for line in stderr_text.splitlines() if line.startswith("Erreur") and line not in said
    )


def _said_in_window() -> set[str]:
    startup = sys.modules.get("app.ui.shell.startup")  # loaded only when the login window was shown
    return set(getattr(startup, "SAID_IN_WINDOW", set()))


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


def show_text(text: str) -> None:
    """What the command line would have printed (``--help``, ``--version``), in an information box."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(sys.argv[:1])
    box = QMessageBox(QMessageBox.Icon.Information, TITLE, text)
    box.addButton("&Fermer", QMessageBox.ButtonRole.AcceptRole)
    box.exec()
    del app


def main_windowed(
    argv: list[str] | None = None,
    *,
    show: Callable[[str, str], None] = show_startup_error,
    inform: Callable[[str], None] = show_text,
) -> int:
    """``main`` for the program without a console: the exit code. A failure (a line starting with "Erreur", or a
    crash) is logged and shown (``show``); what ``--help`` or ``--version`` print is shown by ``inform``. With
    standard streams (Linux, a terminal, a scheduled task), it is ``main`` itself: everything is printed there."""
    from .__main__ import main

    argv = sys.argv[1:] if argv is None else list(argv)
    if sys.stdout is not None and sys.stderr is not None:
        return main(argv)
    console_err, console_out = sys.stderr, sys.stdout
    capture = _Capture(console_err)  # type: ignore[arg-type]
    output = io.StringIO()  # nobody's console: kept, and shown when it is what was asked (--help, --version)
    sys.stdout, sys.stderr = output, capture
    crashed: Exception | None = None
    asks_text = any(arg in ("-h", "--help", "--version") for arg in argv)
    try:
        command = _command(argv)
        if command not in WINDOW_COMMANDS and "--selftest" not in argv and not asks_text:
            print(
                f"Erreur : « {command} » est une commande en ligne : lancez « {CONSOLE_PROGRAM} {command} » dans "
                "une invite de commandes (ou depuis le Planificateur de tâches).",
                file=sys.stderr,
            )
            code = 2
        else:
            code = main(argv)
    except SystemExit as exc:  # argparse: bad arguments (2), --help or --version (0)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # noqa: BLE001 - before any window: logged with its traceback, shown in French
        crashed = exc
        code = 1
    finally:
        sys.stdout, sys.stderr = console_out, console_err
    printed = output.getvalue().strip()
    if code == 0 and asks_text and printed:
        inform(printed)
    message = what_to_show(capture.text.getvalue(), _said_in_window())
    if crashed is None and not message:
        return (
            code  # nothing went wrong that the agent did not see: the first-run question closed, « Quitter »
        )
    from .logging_setup import crash_message, setup_logging

    log_file = setup_logging()
    if crashed is not None:
        log.critical("démarrage du programme", exc_info=crashed)
        message = crash_message(log_file)
    else:
        log.error("démarrage du programme (code %s) : %s", code, message)
    try:
        show(message, str(log_file))
    except Exception:  # noqa: BLE001 - the message is in the log file in any case
        log.exception("impossible d'afficher le message de démarrage")
    return code
