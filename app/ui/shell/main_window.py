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
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ... import APP_NAME, __version__
from ...db import describe
from ...models import WalletKind
from ...services.booking.basket import Basket, Likely, RecapLine
from ...services.booking.validation import confirm as confirm_basket
from ...services.booking.validation import recap as recap_of_basket
from ...services.counter import CounterSession, agent_state, default_session, last_update
from ...services.families.edit import create_family
from ...services.families.search import FamilyRow, find_families
from ...services.money.payments import Receipt, suggested_amount
from ...services.uow import Database, new_operation_key
from ..booking.recap_dialog import RecapDialog, RecapResult
from ..context import CounterContext, nobody
from ..families.family_dialog import FamilyDialog
from ..families.family_list import FamilyList
from ..families.family_page import FamilyPage
from ..money.closing_dialog import ClosingDialog
from ..operations import Failure, Operations
from .live import ChangeWatcher
from .memory import CounterMemory
from .top_bar import TopBar


class MainWindow(QMainWindow):
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
        self.recap_dialog: RecapDialog | None = None
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

    def end_session(self, message: str) -> None:
        """The session may not go on (agent disabled, password reset): every window of it closed, the reason said,
        and the login asked for again (when agents log in)."""
        self._close_session_windows()
        self.ctx.session = replace(self.ctx.session, password_version=-1)
        self.ops.inform("Session fermée", message)
        self.logout()
        if not self.require_login:  # nobody may log in again here: the counter stays closed
            self.central.setEnabled(False)

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
        from .application import settings_dialog

        self.settings_dialog = settings_dialog(Settings(), self.ops, self)
        self.settings_dialog.accepted.connect(
            lambda: self.ops.inform(
                "Base de données", "Réglages enregistrés : ils s'appliquent au prochain démarrage."
            )
        )
        self.settings_dialog.open()
        return self.settings_dialog

    def _close_session_windows(self) -> None:
        """The agent's own windows closed (the end of day goes on: it belongs to the counter, not to the dialog)."""
        for name in ("admin_dialog", "closing_dialog", "password_dialog", "recap_dialog", "family_dialog"):
            dialog = getattr(self, name, None)
            if dialog is not None and dialog.isVisible():
                dialog.reject()

    def logout(self) -> None:
        """Leave the current family, clear the search and, when agents log in, ask for the next login (on a shared
        server the agent's session ends in the database too). Meanwhile nobody is logged in: the agent's windows
        closed, the screens offering nothing and hidden behind the login; « Quitter » there closes the counter."""
        from ...services.auth import logout as end_in_database

        if self.require_login:
            self._close_session_windows()
        self.ops.run(lambda: end_in_database(self.db))
        self.page.booking.set_family(None)
        self.page.summary = None
        self.stack.setCurrentWidget(self.placeholder)
        # no search for nobody: the next agent's list is read at login
        self.families.search.blockSignals(True)
        self.families.search.clear()
        self.families.search.blockSignals(False)
        if self.require_login:
            from .application import login_dialog

            self._leave()
            login_ops = Operations(self)  # its own: a login is not a write that reads the screens again
            login_ops.show_messages, login_ops.asynchronous = self.ops.show_messages, self.ops.asynchronous
            login_ops.failed.connect(self.ops.failed)
            dialog = self.login_dialog = login_dialog(self.db, login_ops, self)
            dialog.accepted.connect(lambda: self.switch_session(dialog.session))
            dialog.rejected.connect(self.close)
            dialog.open()
            return
        self.refresh_families()
        self.focus_search()

    def _leave(self) -> None:
        """Nobody is logged in any more: no agent, no structure, the least rights on every screen, the counter
        hidden (not even the families' list behind the login)."""
        self.bound = False
        self._families_asked += 1  # a reading still running is dropped
        self.ctx.session = nobody()
        self.ctx.structure_id = None
        self.families.set_rows([])
        self.top_bar.show_session()
        self.ctx.role_changed.emit()
        self.central.hide()

    def logout_family(self) -> None:
        """Back to the search (the family was anonymised)."""
        self.page.booking.set_family(None)
        self.stack.setCurrentWidget(self.placeholder)
        self.refresh_families()

    def switch_session(self, session: CounterSession) -> None:
        """The agent who logged in, on this screen (built before the login, or after a Déconnexion): their name,
        structures and rights; the views read again, the families' list on a worker thread."""
        self.ctx.session = session
        self.ctx.structure_id = self.ctx.first_structure()
        activity = self.page.booking.activity
        activity.blockSignals(True)  # not « chosen »: the next agent's own last activity stays remembered
        activity.clear()
        activity.blockSignals(False)
        self.bound = True
        self.top_bar.show_session()
        self.ctx.role_changed.emit()
        self.central.setEnabled(True)
        self.central.show()
        self._watch()
        self.refresh_all(families_in_background=True)
        QTimer.singleShot(0, self.focus_search)  # once it is shown
        if self.bound and self.ctx.session.must_change_password:
            self.force_password_change()

    def force_password_change(self):
        """A temporary password (a new account, a reset): the counter stays closed until the agent has chosen their
        own; « Annuler » logs out."""
        from .application import password_dialog

        self.central.setEnabled(False)
        self.central.hide()  # not even the families' list behind the dialog
        dialog = self.password_dialog = password_dialog(
            self.db, self.ops, self.ctx.actor, self, on_changed=self._password_chosen
        )
        dialog.setWindowTitle("Choisir votre mot de passe")
        dialog.explain(
            "Vous utilisez un mot de passe provisoire : choisissez le vôtre avant de commencer (12 caractères "
            "au moins, ni votre identifiant ni votre nom, rien de trop facile à deviner)."
        )
        dialog.rejected.connect(self._password_refused)
        dialog.open()
        return dialog

    def _password_chosen(self, version: int) -> None:
        self.ctx.session = replace(self.ctx.session, must_change_password=False, password_version=version)
        self.central.setEnabled(True)
        self.central.show()
        self.ops.notice("Votre mot de passe est enregistré.")

    def _password_refused(self) -> None:
        if self.ctx.session.must_change_password:
            self.central.setEnabled(True)
            self.central.show()
            self.logout()

    def open_admin(self):
        from ..setup.admin_dialog import AdminDialog

        self.admin_dialog = AdminDialog(self, self.ctx)
        self.admin_dialog.open()
        return self.admin_dialog

    def open_password(self):
        from .application import password_dialog

        self.password_dialog = password_dialog(
            self.db, self.ops, self.ctx.actor, self, on_changed=self._password_chosen
        )
        self.password_dialog.open()
        return self.password_dialog

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

    # --- recap -----------------------------------------------------------------------------------
    def open_recap(self) -> None:
        """The recap of the basket. Its operation key is made here, once: every Confirmer of this recap (after a
        failure, an unclear end, a double press) sends the same key, so the basket is never recorded twice and
        a retry after an unclear end shows what was recorded."""
        if self.recap_dialog is not None and self.recap_dialog.isVisible():
            return  # one recap at a time (Ctrl+Entrée pressed again over it)
        basket = self.page.booking.basket
        summary = self.ops.run(lambda: recap_of_basket(self.db, self.ctx.actor, basket))
        if summary is None:
            return
        key = new_operation_key()
        dialog = RecapDialog(self, summary, can_override=self.ctx.may("booking.override"))
        dialog.confirm_requested.connect(lambda: self._confirm(dialog, basket, key))
        dialog.finished.connect(lambda _code: self._recap_closed(dialog))
        dialog.pay_requested.connect(lambda: self._pay_from_recap(dialog))
        dialog.override_requested.connect(lambda lines, reason: self._override(dialog, basket, lines, reason))
        dialog.sheet_requested.connect(
            lambda: self.page.print_sheet_now(around=[ln.day for ln in basket.lines], parent=dialog)
        )
        dialog.receipt_requested.connect(
            lambda receipt: self.page.balances.preview_receipt(receipt.payment_id, receipt.number, dialog)
        )
        self.recap_dialog = dialog
        dialog.open()
        dialog.activateWindow()  # its keys (Entrée, Ctrl+Entrée) are its own at once

    def _confirm(self, dialog: RecapDialog, basket: Basket, key: str) -> None:
        """Confirmer: on a worker thread (the window stays responsive, the status bar shows it running). A failure
        is shown in the recap, which keeps the basket for another try with the same key."""
        self.ops.run(
            lambda: confirm_basket(self.db, self.ctx.actor, basket, key=key),
            dialog.show_outcomes,
            write=True,
            background=True,
            on_error=dialog.show_failure,
        )

    def _pay_from_recap(self, dialog: RecapDialog) -> None:
        """ "Encaisser" from the recap: the payment dialog prefilled with the missing amount; then the recap says
        the payment, shows fresh figures and has Confirmer focused (Entrée confirms)."""
        missing = dialog.recap.missing_cents
        basket = self.page.booking.basket

        def paid(receipt: Receipt) -> None:
            dialog.note_payment(receipt)
            self.ops.run(lambda: recap_of_basket(self.db, self.ctx.actor, basket), dialog.set_recap)

        structure_id = self._regie_of(dialog, dialog.recap.structure_ids)
        if structure_id is None:
            return
        self.page.balances.open_payment(
            suggested_amount(missing),
            dialog.recap.main_wallet or WalletKind.ALSH,
            missing,
            parent=dialog,
            on_paid=paid,
            structure_id=structure_id,
        )

    def _regie_of(self, parent: QWidget, structure_ids: list[int]) -> int | None:
        """The structure a payment from the recap goes to: the one of the basket's activities; over two
        structures, the agent chooses (None: he cancelled)."""
        if len(structure_ids) <= 1:
            return structure_ids[0] if structure_ids else self.ctx.structure_id
        names = {x.id: x.name for x in self.ctx.structures}
        choices = [names.get(i, f"Structure n° {i}") for i in structure_ids]
        chosen, ok = QInputDialog.getItem(
            parent,
            "Encaisser",
            "Les réservations sont dans plusieurs structures : pour laquelle ce règlement ?",
            choices,
            0,
            False,
        )
        return structure_ids[choices.index(chosen)] if ok and chosen in choices else None

    def _override(self, dialog: RecapDialog, basket: Basket, lines: list[RecapLine], reason: str) -> None:
        """A supervisor passes over refused lines (deadline, opening, full): the basket's lines carry it, the
        recap is made again; the confirmation checks the role again and records the reason in the journal."""
        for r in lines:
            basket.grant_override(
                r.line.key, deadline=not r.ok, capacity=r.ok and r.likely is not Likely.ACCEPTED
            )
        basket.override_reason = reason
        self.ops.run(lambda: recap_of_basket(self.db, self.ctx.actor, basket), dialog.set_recap)

    def _recap_closed(self, dialog: RecapDialog) -> None:
        if dialog.result_value in (RecapResult.CONFIRMED, RecapResult.ABANDON):
            self.page.booking.clear_basket()
        self.page.booking.refresh()
        self.page.booking.grid.setFocus()


class BusyIndicator(QWidget):
    """In the status bar while a long operation runs on a worker thread: the window stays usable meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # indeterminate
        self.bar.setTextVisible(False)
        self.bar.setFixedSize(110, 14)
        self.label = QLabel("Opération en cours…")
        self.setAccessibleName("Opération en cours")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 8, 0)
        layout.setSpacing(6)
        layout.addWidget(self.bar)
        layout.addWidget(self.label)
        self.hide()
