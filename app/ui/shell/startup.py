"""Start-up: the login window first, the database opened behind it while the agent types.

``python -m app gui`` shows the login window as soon as Qt is up: this module and ``login_window`` import PySide6,
the standard library and the light ``app.config`` / ``app.logging_setup`` only. A worker thread meanwhile imports
SQLAlchemy, the models and the services, reads the saved choice (a server's password is asked on the GUI thread
when no keyring holds it), connects, migrates a local file, checks whether the town is installed, then imports
the counter screen's modules and makes the day's backup of a local file. Once the database is open and those
modules imported, the counter screen is built, hidden and for nobody yet (``MainWindow(db, prepared=True)``: no
database read), while the agent types. « Se connecter » waits for the database if it is not open yet, then runs
``auth.login`` through ``Operations``; the prepared screen is given the agent who logged in and shown at once, its
families' list read on a worker thread (built then, when the agent was quicker than the preparation).

What the worker finds is answered on the GUI thread as before: a shared server behind this version (the migration
dialogs of ``application``, then it is opened again), an empty database (the set-up assistant instead of the
login), a failure (its French message in the login window and on the standard error, logged; « Se connecter »
tries again). The first start of a counter (no database chosen yet) asks where the data lives before anything
else: that start goes the former way (``application.start_database``, then ``application.run``).

``--startup-probe`` (the start-up benchmark): ``LOGIN_SHOWN sqlalchemy=0`` once the login window is painted, then
the credentials of ``GUICHET_PROBE_LOGIN`` / ``GUICHET_PROBE_PASSWORD`` are typed and « Se connecter » clicked
(``CLICKED`` just before), at once or, with ``--startup-probe-typing SECONDS``, that long after the login window
was shown, as an agent typing would (the event loop runs meanwhile: what the start does behind the login window
goes on), ``READY`` once the main window is shown and the event loop idle, and the process quits (exit 0)."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from ...config import choose_database
from .login_window import LoginDialog, ask_server_password
from .opening import first_start, open_counter_database, say_failure, warm_up
from .qt_app import headless, install_crash_handler, prepare_application, quiet_offscreen

if TYPE_CHECKING:  # PySide6 builds each class on first use: what the login window does not need waits
    from ...services.uow import Database
    from ..operations import Operations
    from .main_window import MainWindow

log = logging.getLogger(__name__)

PROBE_LOGIN_ENV, PROBE_PASSWORD_ENV = "GUICHET_PROBE_LOGIN", "GUICHET_PROBE_PASSWORD"
SAID_IN_WINDOW: set[str] = set()
"""Failures already shown in the login window (``app.windowed`` shows the others in a message box)."""
OPENING = "Ouverture de la base de données…"
RETRY = "Vérifiez la base de données, puis « Se connecter » pour réessayer, ou « Quitter »."
EMPTY, STOP = 2, 3
"""The login window's other endings: the database is empty (the set-up assistant follows), the start stops."""


def start(cli_url: str | None, *, probe: bool = False, typing: float = 0.0) -> int:
    """``python -m app gui``: the exit code (0, 1 when the start was given up, 2 or 3 after a database failure).
    ``probe``: the start-up benchmark's probe, which clicks « Se connecter » ``typing`` seconds after the login
    window is shown."""
    prepare_application()
    if headless():  # a failure then ends in one French line on the standard error, as from the command line
        qInstallMessageHandler(quiet_offscreen)
    if first_start(cli_url):
        from .application import run, start_database

        db = start_database(cli_url, interactive=True)
        if db is None:  # the agent closed the first-run or migration dialog
            return 1
        return run(db)
    controller = Startup(cli_url, probe=probe, typing=typing)
    try:
        return controller.run()
    finally:
        controller.close()


# --- on the GUI thread --------------------------------------------------------------------------------------


class Startup(QObject):
    """The login window, the worker that opens the database behind it, and what follows (``run``)."""

    news = Signal(str, object)
    """From the worker: ``("ask", (account, answer, event, note))``, ``("opened", …)``, ``("failed", exc)``,
    ``("warm", None)`` — a queued signal: the answer runs on the GUI thread."""
    warmed = Signal()

    def __init__(self, cli_url: str | None, *, probe: bool = False, typing: float = 0.0) -> None:
        super().__init__()
        self.cli_url, self.probe = cli_url, probe
        self.typing = typing
        """The probe's time between the login window shown and its click on « Se connecter » (seconds)."""
        self.dialog = LoginDialog(None)
        self.dialog.submitted.connect(self.submit)
        self.dialog.installEventFilter(self)
        if choose_database(cli_url).is_default_local:  # the settings choose the database: they may be changed
            self.dialog.offer_settings()
            self.dialog.settings_requested.connect(self.change_settings)
        self.news.connect(self._news)
        self.db: Database | None = None
        self.ops: Operations | None = None
        self.saved: str | None = None
        """The URL read from the settings (with a password asked once), kept for an opening tried again."""
        self.pending = self.again = False
        """« Se connecter » was clicked before the database was open: the login runs once it is; ``again``: the
        settings changed while the worker was opening the database, whose result is thrown away (opened again)."""
        self.working = self.warm = self.painted = self.logging = self.closed = False
        self.installed = False
        """The database holds a town (the login follows, not the set-up assistant)."""
        self.window: MainWindow | None = None
        """The counter screen, built while the agent types (``_prepare``), shown after the login."""
        self.preparing = self.tried = False
        """``_prepare`` is on its way; it ran (once: a failure is not tried again before the login)."""
        self.asking: list[threading.Event] = []
        """The worker's questions (the server's password) waiting for their answer."""
        self.exit_code = 0
        self.worker: threading.Thread | None = None
        self.ends_on_failure = probe or headless()
        """A failure to open the database ends the start (exit 2 or 3) instead of waiting in the login window."""

    # --- the login window ----------------------------------------------------------------------------
    def run(self) -> int:
        """The login window until the agent is logged in, then the counter screen until it is closed: the exit
        code (0; 1 when the start was given up; 2 or 3 when the database could not be opened)."""
        code = self.dialog.exec()
        if self.db is None or code not in (EMPTY, LoginDialog.DialogCode.Accepted):  # « Quitter », or stopped
            return self.exit_code
        if code == EMPTY:  # an empty database: the set-up assistant (then its administrator is logged in)
            from ...settings import Settings
            from .application import first_session, forget_unfinished_installation

            started = first_session(self.db)
            if started is None:
                forget_unfinished_installation(Settings(), self.db)
                return 0
            session, report = started
        else:
            session, report = self.dialog.session, None
        return self._main_window(session, report)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's own signature
        if watched is self.dialog and event.type() == QEvent.Type.Paint and not self.painted:
            self.painted = True
            QTimer.singleShot(0, self._shown)  # once this first paint is done
        return False

    def _shown(self) -> None:
        if self.probe:
            print(f"LOGIN_SHOWN sqlalchemy={int('sqlalchemy' in sys.modules)}", flush=True)
        if not self.working and self.db is None:
            self._start_worker()
        if self.probe:
            if self.typing > 0:  # an agent typing: the event loop runs meanwhile
                QTimer.singleShot(round(self.typing * 1000), self._probe_click)
            else:
                self._probe_click()

    def _probe_click(self) -> None:
        """The probe types the credentials and clicks « Se connecter » (``CLICKED`` first, for the benchmark)."""
        if self.closed or not self.dialog.isVisible():  # the start already stopped (a failure to open)
            return
        self.dialog.login.setText(os.environ.get(PROBE_LOGIN_ENV, ""))
        self.dialog.password.setText(os.environ.get(PROBE_PASSWORD_ENV, ""))
        print("CLICKED", flush=True)
        self.dialog.connect_button.click()

    def submit(self) -> None:
        """« Se connecter »: the login now, or once the database is open (opened again after a failure)."""
        if self.db is not None:
            self._login()
            return
        self.pending = True
        self.dialog.set_waiting(OPENING)
        if not self.working:
            self._start_worker()

    def _login(self) -> None:
        from ...services.auth import login

        assert self.db is not None and self.ops is not None
        db, dialog = self.db, self.dialog
        dialog.set_waiting(None)
        self.ops.form(dialog, lambda: login(db, *dialog.value()))

    # --- the worker ----------------------------------------------------------------------------------
    def _start_worker(self) -> None:
        self.working = True
        self.worker = threading.Thread(target=self._work, name="guichet-ouverture", daemon=True)
        self.worker.start()

    def _work(self) -> None:
        if not self.logging:  # the log file and the crash handler: the login window did not wait for them
            self.logging = True
            install_crash_handler()
        try:
            opened = open_counter_database(self.cli_url, self.saved, self._ask_password)
        except Exception as exc:  # noqa: BLE001 - every failure is answered on the GUI thread
            self._tell("failed", exc)
            return
        self._tell("opened", opened)
        try:
            warm_up()
        except Exception:  # noqa: BLE001 - the GUI thread imports them itself (and says why it cannot)
            log.exception("préparation de l'écran du guichet")
        self._tell("warm", None)
        try:
            from .application import _backup_local

            _backup_local(opened[0])
        except Exception:  # noqa: BLE001 - never the reason the counter does not start
            log.exception("sauvegarde quotidienne")

    def _ask_password(self, account: str, note: str | None = None) -> str | None:
        """On the worker: the server's password, asked on the GUI thread (the worker waits for the answer)."""
        answer: list[str | None] = []
        done = threading.Event()
        self.asking.append(done)
        if self._tell("ask", (account, answer, done, note)):
            done.wait()
        return answer[0] if answer else None

    def close(self) -> None:
        """``run`` has returned: the program ends, and a worker still opening or warming up tells nobody. News
        already queued is not acted on (``_news``), and a worker waiting for the server's password stops waiting;
        a counter screen prepared for nobody is not built nor shown any more."""
        self.closed = True
        for done in self.asking:
            done.set()

    def _tell(self, what: str, value: Any) -> bool:
        """From the worker, ``news`` for the GUI thread; False once the program ends (``close``, or PySide
        deleting this object on the way out while the worker still runs)."""
        if self.closed:
            return False
        try:
            self.news.emit(what, value)
        except RuntimeError:  # « Signal source has been deleted »: the program is ending
            return False
        return True

    def _news(self, what: str, value: Any) -> None:
        if self.closed:  # queued before ``run`` returned, delivered by a later event loop (an error box)
            if what == "ask":
                value[2].set()
            return
        if what == "ask":
            account, answer, done, *note = value
            try:
                answer.append(ask_server_password(self.dialog, account, *note))
            finally:
                done.set()
        elif what in ("opened", "failed") and self.again:  # for the former settings: thrown away
            self.again = False
            if what == "opened":
                value[0].engine.dispose()
            self._start_worker()
        elif what == "opened":
            self.working = False
            self._opened(*value)
        elif what == "failed":
            self.working = False
            self._failed(value)
        elif what == "warm":
            self.warm = True
            self.warmed.emit()
            self._prepare_soon()

    def _opened(self, db: Database, saved: str | None, notes: tuple[str, ...] = ()) -> None:
        from ...services.setup.install import installed
        from ..operations import Operations

        self.saved, self.ops = saved, Operations()
        self.dialog.show_note("\n".join(notes))  # a database file others can read
        self.exit_code = 0  # an earlier failure to open it is over
        state = self.ops.run(
            lambda: (installed(db),),
            on_error=lambda failure: self._failed(failure.error or Exception(failure.message)),
        )
        if state is None:  # the database opened but did not answer: said like a failure to open it
            db.engine.dispose()
            return
        self.db = db
        if self.probe:
            self.ops.failed.connect(self._probe_failed)
        if state[0] is None:
            self.dialog.done(EMPTY)
            return
        self.installed = True
        self._prepare_soon()
        if self.pending:
            self.pending = False
            self._login()
        else:
            self.dialog.set_waiting(None)

    def _failed(self, exc: BaseException) -> None:
        from ...services.errors import SchemaBehind

        if isinstance(exc, SchemaBehind):  # confirmed and migrated: opened again; otherwise the start stops
            from .application import bring_schema_up_at

            if bring_schema_up_at(self.saved or choose_database(self.cli_url).url):
                self._start_worker()
            else:
                self.exit_code = 1
                self.dialog.done(STOP)
            return
        message, self.exit_code = say_failure(exc)
        self.pending = False
        if self.ends_on_failure:
            self.dialog.done(STOP)
            return
        SAID_IN_WINDOW.add(message)  # the windowed program does not say it again when the agent quits
        self.dialog.show_error(f"{message}\n{RETRY}")

    def change_settings(self) -> None:
        """« Paramètres de connexion… »: once saved, the start tries again with the new settings (the database
        opened with the former ones, and the counter screen prepared for it, are let go)."""
        from .dialogs import connection_settings

        if not connection_settings(self.dialog):
            return
        db, window, self.db, self.window, self.saved = self.db, self.window, None, None, None
        self.installed = self.tried = self.preparing = False
        if window is not None:
            window.deleteLater()
        if db is not None:
            db.engine.dispose()
        self.dialog.set_waiting(OPENING)  # the former failure hidden
        self.again = self.working
        if not self.working:
            self._start_worker()

    def _probe_failed(self, message: str) -> None:
        print(f"Erreur : {message}", file=sys.stderr, flush=True)
        self.exit_code = 1
        self.dialog.done(STOP)

    # --- the counter screen --------------------------------------------------------------------------
    def _prepare_soon(self) -> None:
        """The database open (a town in it) and the counter screen's modules imported: the screen is built once
        the events waiting now are handled (the login window keeps answering the keys typed meanwhile)."""
        if self.installed and self.warm and self.window is None and not self.preparing and not self.closed:
            self.preparing = True
            QTimer.singleShot(0, self._prepare)

    def _prepare(self) -> None:
        """The counter screen, hidden and for nobody (nothing read from the database): ``show_counter`` gives it
        the agent who logged in. A failure here is said when the screen is built again after the login."""
        if self.tried or self.closed or self.db is None:
            return
        if not self.dialog.isVisible() and self.dialog.result() != LoginDialog.DialogCode.Accepted:
            return  # « Quitter »: nobody will log in
        self.tried = True
        from .main_window import MainWindow

        try:
            self.window = MainWindow(self.db, prepared=True)
        except Exception:  # noqa: BLE001 - built again after the login, where the failure is shown
            log.exception("préparation de l'écran du guichet")

    def show_counter(self, session: Any, report: Any) -> MainWindow:
        """The counter screen shown for the agent who logged in: the one prepared while they typed (built now
        when they were quicker), their session given to it; after the set-up assistant, built for its
        administrator and what was installed said."""
        if not self.warm:  # the worker is still importing the counter screen's modules
            from PySide6.QtCore import QEventLoop

            loop = QEventLoop()
            self.warmed.connect(loop.quit)
            if not self.warm:
                loop.exec()
        from .application import open_main_window

        assert self.db is not None
        if report is None and self.installed:
            self._prepare()
        return open_main_window(self.db, session, report, prepared=self.window)

    def _main_window(self, session: Any, report: Any) -> int:
        window = self.show_counter(session, report)
        app = QApplication.instance()
        assert app is not None
        if self.probe:

            def ready() -> None:
                try:
                    print("READY", flush=True)
                finally:
                    app.quit()

            QTimer.singleShot(0, ready)
        code = app.exec()
        del window
        self.window = None
        return code
