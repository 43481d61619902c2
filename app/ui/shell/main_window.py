"""The counter's main window: top bar, family search on the left, the family page on the right.

Every service call goes through ``Operations.run``; the status bar shows "Opération en cours…" while a long one
(a confirmation, a PDF) runs on a worker thread.

At start-up the window is built before anyone is logged in, while the agent types the password (``prepared``: no
agent, the least rights, nothing read from the database); ``switch_session`` then gives it the agent who logged in
and it is shown at once, the families' list read on a worker thread (« Chargement des familles… » meanwhile, the
search box usable). « Déconnexion » takes the agent away again (``nobody``: the screens offer nothing, the counter
hidden behind the login) until the next agent logs in.

The recap's confirmation carries an operation key made when the recap opens and kept for every retry of it; a new
recap makes a new key.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ... import APP_NAME, __version__
from ...db import describe
from ...services.counter import CounterSession, agent_state, default_session, last_update
from ...services.families.edit import create_family
from ...services.families.search import FamilyRow, find_families
from ...services.uow import Database
from ..booking.recap_dialog import RecapDialog
from ..booking.recap_flow import RecapFlow
from ..context import CounterContext, nobody
from ..families.family_dialog import FamilyDialog
from ..families.family_list import FamilyList
from ..families.family_page import FamilyPage
from ..money.closing_dialog import ClosingDialog
from ..operations import Failure, Operations
from .agent_session import AgentSession
from .live import ChangeWatcher
from .memory import CounterMemory
from .top_bar import BusyIndicator, TopBar


class MainWindow(AgentSession, QMainWindow):
    def __init__(
        self,
        db: Database,
        session: CounterSession | None = None,
        memory: CounterMemory | None = None,
        *,
        prepared: bool = False,
    ) -> None:
        """The counter screen for ``session`` (None: ``default_session``, the self-test's), its views read at once;
        ``prepared``: for nobody yet and nothing read (``switch_session`` gives it the agent who logged in)."""
        super().__init__()
        self.db = db
        self.ops = Operations(self)
        session = nobody() if prepared else session or self.ops.run(lambda: default_session(db))
        if session is None:  # pragma: no cover - the database answered a moment ago
            raise RuntimeError("no counter session")
        self.bound = not prepared
        """An agent's session is on this screen (False while nobody is logged in: no refresh reads anything)."""
        self._families_asked = 0
        """The number of the last reading of the families' list: an older answer arriving late is dropped."""
        self.ctx = CounterContext(db, self.ops, session, memory or CounterMemory(db))
        self.setWindowTitle(f"{APP_NAME} {__version__}")

        self.top_bar = TopBar(self.ctx)
        self.families = FamilyList(compact=True)
        self.page = FamilyPage(self.ctx)
        self.placeholder = QLabel(
            "Recherchez une famille (nom, enfant, téléphone, e-mail),\nchoisissez-la avec ↑/↓ puis Entrée pour l'ouvrir."
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color:#607d8b; font-size:12pt;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.page)
        splitter = QSplitter()
        splitter.addWidget(self.families)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([380, 980])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.top_bar)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.central = central
        where = QLabel("Base locale" if db.dialect == "sqlite" else "Serveur partagé")
        where.setToolTip(describe(db.engine.url))
        self.stale = QLabel("⚠ Affichage non mis à jour")
        self.stale.setStyleSheet("color:#b00020; font-weight:bold;")
        self.stale.hide()
        self.busy = BusyIndicator()
        self.statusBar().addPermanentWidget(self.stale)
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().addPermanentWidget(where)
        self.ops.busy.connect(self.busy.setVisible)
        self.recap = RecapFlow(self.ctx, self.page, self, self.search_next)
        self.family_dialog: FamilyDialog | None = None

        self.families.search_changed.connect(self.refresh_families)
        self.families.family_activated.connect(self.open_family)
        self.families.new_family_requested.connect(self.new_family)
        self.page.booking.validate_requested.connect(self.open_recap)
        self.page.booking.add_child_requested.connect(lambda: self.page.open_child_dialog(None))
        self.ops.noticed.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.page.family_changed.connect(lambda _id: self.logout_family())
        self.ctx.family_anonymised.connect(self._note_anonymisation)
        self.ops.changed.connect(self.refresh_all)
        self.ops.on_session_refused = self.end_session
        self.ctx.structure_changed.connect(lambda _sid: self.refresh_all())
        self.top_bar.logout_requested.connect(self.logout)
        self.top_bar.closing.clicked.connect(self.open_closing)
        self.top_bar.settings.clicked.connect(self.open_settings)
        self.top_bar.admin.clicked.connect(self.open_admin)
        self.top_bar.password.clicked.connect(self.open_password)
        self.top_bar.show_session()
        self.require_login = False
        """Set by the application when agents log in: Déconnexion then asks for a login again."""
        self.watcher = ChangeWatcher(db)
        self._live = QTimer(self)
        self._live.setSingleShot(True)
        self._live.setInterval(150)
        self._live.timeout.connect(self.refresh_all)
        self.watcher.changed.connect(self._live.start)
        self.watching = False
        """The watcher runs from the first agent's session on (a screen prepared for nobody opens no connection)."""
        if not prepared:
            self._watch()
        QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        QShortcut(QKeySequence("F3"), self, self.focus_search)
        self.resize(1366, 768)
        if prepared:
            self.families.set_loading()
            return
        self.refresh_families()
        self.refresh_last_update()
        self.show_messages()
        QTimer.singleShot(0, self.focus_search)

    def _watch(self) -> None:
        if not self.watching:
            self.watching = True
            self.watcher.start()

    # --- navigation ------------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.families.search.setFocus()
        self.families.search.selectAll()

    def search_next(self, typed: str) -> None:
        """The next family, straight from the outcome: the search focused, the letters typed there already in it."""
        self.focus_search()
        if typed:
            self.families.search.insert(typed)

    def refresh_families(self, query: str | None = None, *, background: bool = False) -> None:
        """The families matching the search read again, the one highlighted kept. ``background``: on a worker
        thread (the first list of a session), « Chargement des familles… » meanwhile; a search typed in between
        is answered first and the late answer dropped."""
        if not self.bound:
            return
        text = self.families.search.text() if query is None else query
        self._families_asked += 1
        asked = self._families_asked
        if not background:
            self._show_families(asked, self.ops.run(lambda: find_families(self.db, text), default=[]))
            return
        self.families.set_loading()
        self.ops.fetch(
            lambda: find_families(self.db, text),
            lambda rows: self._show_families(asked, rows),
            on_error=lambda failure: self._families_failed(asked, failure),
        )

    def _show_families(self, asked: int, rows: list[FamilyRow]) -> None:
        if asked != self._families_asked or not self.bound:  # a newer reading, or the agent left meanwhile
            return
        selected = self.families.selected_id()
        self.families.set_rows(rows)
        ids = [r.id for r in rows]
        if selected in ids:
            self.families.table.selectRow(ids.index(selected))

    def _families_failed(self, asked: int, failure: Failure) -> None:
        """The list could not be read on the worker thread: said as a refresh that failed (the message, the status
        bar's warning); the list says it is not loaded."""
        if asked != self._families_asked or not self.bound:
            return
        self.families.set_not_loaded()
        self._refresh_failed(failure)

    def open_family(self, family_id: int) -> None:
        """The family's page on its booking tab, the calendar focused (arrows, space); the family highlighted in
        the list (a family just created is looked for by its name when the search shows others)."""
        if not self.page.show_family(family_id):
            return
        self.stack.setCurrentWidget(self.page)
        self.page.tabs.setCurrentWidget(self.page.booking)
        if family_id not in [r.id for r in self.families.model.rows] and self.page.summary is not None:
            self.families.search.blockSignals(True)
            self.families.search.setText(self.page.summary.name)
            self.families.search.blockSignals(False)
            self.refresh_families()
        self.families.select(family_id)
        self.page.booking.grid.setFocus()

    def refresh_all(self, *, families_in_background: bool = False) -> None:
        """Everything on screen read again (after a write here or at another counter). When the database does
        not answer: one message and a warning in the status bar until it answers again, not one message per
        view; the screens keep what they showed. Nothing while nobody is logged in. ``families_in_background``:
        the families' list read on a worker thread (``refresh_families``)."""
        if not self.bound:
            return
        self.ops.run(
            lambda: last_update(self.db),
            lambda updated: self._refresh_views(updated, families_in_background),
            on_error=self._refresh_failed,
        )

    def _refresh_views(self, updated, families_in_background: bool = False) -> None:
        self.stale.hide()
        self.top_bar.show_last_update(updated)
        self.refresh_structures()
        if not self.bound:  # the agent's session ended at this refresh (disabled, password reset)
            return
        self.refresh_families(background=families_in_background)
        self.show_messages()
        if self.stack.currentWidget() is self.page:
            self.page.booking.reload_activities()
            self.page.refresh()

    def _refresh_failed(self, failure: Failure) -> None:
        """The first failed refresh says why (non-blocking); the next ones only keep the status bar's warning."""
        self.stale.setToolTip(failure.message)
        if not self.stale.isHidden():
            return
        self.stale.show()
        if self.ops.show_messages:
            box = QMessageBox(
                QMessageBox.Icon.Warning, "Affichage non mis à jour", failure.message, parent=self
            )
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.open()

    def refresh_structures(self) -> None:
        """The agent as the database knows it now: the structures (an administrator may have created or detached
        one), the role (the screens offer what the new one may do), and whether the session still holds (a disabled
        agent, a password reset by an administrator: the session ends, at this very refresh)."""
        agent_id = self.ctx.actor.agent_id
        state = self.ops.run(lambda: agent_state(self.db, agent_id)) if agent_id is not None else None
        if agent_id is None or state is None:
            return
        session = self.ctx.session
        if not state.active:
            self.end_session(
                "Votre compte vient d'être désactivé par un administrateur : la session est fermée."
            )
            return
        reset = state.must_change_password and not session.must_change_password
        newer = session.password_version is not None and state.password_version != session.password_version
        if reset or newer:
            self.end_session(
                "Votre mot de passe vient d'être changé (réinitialisé par un administrateur, ou "
                "depuis un autre poste) : reconnectez-vous."
            )
            return
        if state.role is not session.actor.role or state.full_name != session.actor.name:
            self.ctx.session = replace(
                session, actor=replace(session.actor, role=state.role, name=state.full_name)
            )
            self.top_bar.show_session()
            self.ctx.role_changed.emit()
        rows = state.structures
        if rows == self.ctx.structures:
            return
        current = self.ctx.structure_id
        self.ctx.session = replace(self.ctx.session, structures=rows)
        self.top_bar.show_session()
        ids = [r.id for r in rows]
        chosen = current if current in ids else (ids[0] if ids else None)
        if chosen is not None:
            self.top_bar.structure.setCurrentIndex(ids.index(chosen))
        self.ctx.structure_id = chosen

    def _note_anonymisation(self, family_id: int, choice: str) -> None:
        """A local database: the anonymisation noted beside its backups, so that a restore applies it again."""
        if self.db.dialect != "sqlite" or not self.db.engine.url.database:
            return
        from pathlib import Path

        from ...backup import note_anonymisation

        try:
            note_anonymisation(Path(self.db.engine.url.database), family_id, choice, self.db.clock.now())
        except OSError as exc:
            self.ops.inform(
                "Anonymisation",
                f"La note de l'anonymisation n'a pas pu être écrite près des "
                f"sauvegardes ({exc.strerror}) : une restauration la retrouvera dans "
                "la base remplacée.",
            )

    def show_messages(self) -> None:
        """The structure's information messages on the home screen (no family open)."""
        from ...clock import local_today
        from ...services.setup.catalogue import current_messages

        sid = self.ctx.structure_id
        rows = (
            self.ops.run(lambda: current_messages(self.db, sid, local_today(self.db.clock)), default=[])
            if sid
            else []
        )
        text = "Recherchez une famille (nom, enfant, téléphone, e-mail),\nchoisissez-la avec ↑/↓ puis Entrée pour l'ouvrir."
        if rows:
            text += "\n\n" + "\n\n".join(f"{m.title}\n{m.body}" for m in rows)
        self.placeholder.setText(text)

    def refresh_last_update(self) -> None:
        self.ops.run(lambda: last_update(self.db), self.top_bar.show_last_update)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.watcher.stop()
        super().closeEvent(event)

    def open_settings(self):
        """« Base de données… »: the dialog as ``application.settings_dialog`` wires it to its services."""
        from ...settings import Settings
        from .dialogs import settings_dialog

        self.settings_dialog = settings_dialog(Settings(), self.ops, self)
        self.settings_dialog.accepted.connect(
            lambda: self.ops.inform(
                "Base de données", "Réglages enregistrés : ils s'appliquent au prochain démarrage."
            )
        )
        self.settings_dialog.open()
        return self.settings_dialog

    def logout_family(self) -> None:
        """Back to the search (the family was anonymised)."""
        self.page.booking.set_family(None)
        self.stack.setCurrentWidget(self.placeholder)
        self.refresh_families()

    def open_admin(self):
        from ..setup.admin_dialog import AdminDialog

        self.admin_dialog = AdminDialog(self, self.ctx)
        self.admin_dialog.open()
        return self.admin_dialog

    def open_closing(self) -> ClosingDialog:
        self.closing_dialog = ClosingDialog(self, self.ctx)
        self.closing_dialog.open()
        return self.closing_dialog

    # --- new family ------------------------------------------------------------------------------
    def new_family(self) -> None:
        dialog = FamilyDialog(self)
        dialog.submitted.connect(lambda: self._create_family(dialog))
        self.family_dialog = dialog
        dialog.open()

    def _create_family(self, dialog: FamilyDialog) -> None:
        data = dialog.value()
        self.ops.form(dialog, lambda: create_family(self.db, self.ctx.actor, data), self.open_family)

    # --- recap ---------------------------------------------------------------------------------
    def open_recap(self) -> None:
        self.recap.open()

    @property
    def recap_dialog(self) -> RecapDialog | None:
        return self.recap.dialog

    def _regie_of(self, parent: QWidget, structure_ids: list[int]) -> int | None:
        return self.recap.regie_of(parent, structure_ids)
