"""The agent's session on the counter screen: the login after Déconnexion, the switch to the agent who logged in,
a session refused (agent disabled, password reset), and the password changes (a temporary one first). While nobody
is logged in, the counter is hidden behind the login and offers nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QTimer

from ..context import nobody
from ..operations import Operations

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget

    from ...services.counter import CounterSession
    from ...services.uow import Database
    from ..context import CounterContext
    from ..families.family_list import FamilyList
    from ..families.family_page import FamilyPage
    from .login_dialog import PasswordDialog
    from .login_window import LoginDialog
    from .top_bar import TopBar


class AgentSession:
    """The main window's part that follows who is logged in (a mixin of ``MainWindow``)."""

    if TYPE_CHECKING:  # what the main window provides
        db: Database
        ctx: CounterContext
        ops: Operations
        central: QWidget
        page: FamilyPage
        stack: QStackedWidget
        placeholder: QLabel
        families: FamilyList
        top_bar: TopBar
        require_login: bool
        bound: bool
        _families_asked: int
        login_dialog: LoginDialog
        password_dialog: PasswordDialog

        def refresh_families(self, query: str | None = None, *, background: bool = False) -> None: ...
        def refresh_all(self, *, families_in_background: bool = False) -> None: ...
        def focus_search(self) -> None: ...
        def _watch(self) -> None: ...
        def close(self) -> bool: ...

    def _window(self) -> QWidget:
        return cast("QWidget", self)

    def end_session(self, message: str) -> None:
        """The session may not go on (agent disabled, password reset): every window of it closed, the reason said,
        and the login asked for again (when agents log in)."""
        self._close_session_windows()
        self.ctx.session = replace(self.ctx.session, password_version=-1)
        self.ops.inform("Session fermée", message)
        self.logout()
        if not self.require_login:  # nobody may log in again here: the counter stays closed
            self.central.setEnabled(False)

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
            from .dialogs import login_dialog

            self._leave()
            login_ops = Operations(
                self._window()
            )  # its own: a login is not a write that reads the screens again
            login_ops.show_messages, login_ops.asynchronous = self.ops.show_messages, self.ops.asynchronous
            login_ops.failed.connect(self.ops.failed)
            dialog = self.login_dialog = login_dialog(self.db, login_ops, self._window())
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
        from .dialogs import password_dialog

        self.central.setEnabled(False)
        self.central.hide()  # not even the families' list behind the dialog
        dialog = self.password_dialog = password_dialog(
            self.db, self.ops, self.ctx.actor, self._window(), on_changed=self._password_chosen
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

    def open_password(self):
        from .dialogs import password_dialog

        self.password_dialog = password_dialog(
            self.db, self.ops, self.ctx.actor, self._window(), on_changed=self._password_chosen
        )
        self.password_dialog.open()
        return self.password_dialog
