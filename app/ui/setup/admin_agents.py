"""Administration → Agents: create, role, structures, disable or re-enable, reset a password, unlock; the panel
saves what its agent form collects and shows the temporary password."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from ...services.setup.agents import (
    AgentRow,
    TemporaryPassword,
    agents,
    create_agent,
    reset_password,
    set_active,
    unlock,
    update_agent,
)
from ...services.setup.structures import StructureDetail, structure_details
from ...text import clock_time
from ..context import CounterContext
from ..operations import succeeded
from ..table_model import Column, RowsModel
from ..widgets import table_view
from .agent_dialog import AgentDialog
from .temporary_password_dialog import TemporaryPasswordDialog


def agent_state(agent: AgentRow, now) -> str:
    """The state shown: "actif", "désactivé", "bloqué sur PC-ACCUEIL jusqu'à 10:15", "mot de passe à changer" (several
    joined by " · ")."""
    if not agent.active:
        return "désactivé"
    parts = []
    if agent.locked_until is not None and agent.locked_until > now:
        parts.append(f"bloqué partout jusqu'à {clock_time(agent.locked_until)}")
    for station, until in agent.locked_at:
        if until > now:
            parts.append(f"bloqué sur {station} jusqu'à {clock_time(until)}")
    if agent.must_change_password:
        parts.append("mot de passe à changer")
    return " · ".join(parts) or "actif"


class AgentsPanel(QWidget):
    """The agents' table and its actions (administrators only; the services refuse anyone else anyway)."""

    changed = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.dialog: AgentDialog | None = None
        self.password_dialog: TemporaryPasswordDialog | None = None
        self.question: QMessageBox | None = None
        self.rows = RowsModel(
            [
                Column("Identifiant", lambda a: a.login),
                Column("Nom", lambda a: a.full_name),
                Column("Rôle", lambda a: a.role_label),
                Column("Structures", lambda a: a.structures),
                Column("État", lambda a: agent_state(a, self.ctx.db.clock.now()), colour=self._state_colour),
                Column("Fiches sanitaires", lambda a: "accès" if a.health_access else ""),
            ]
        )
        self.view = table_view(self.rows)
        self.view.doubleClicked.connect(lambda _index: self.open_edit())
        self.new = QPushButton("Nouvel agent…")
        self.edit = QPushButton("Modifier (nom, rôle, structures, fiches sanitaires)…")
        self.toggle = QPushButton("Désactiver")
        self.reset = QPushButton("Réinitialiser le mot de passe…")
        self.unlock_button = QPushButton("Débloquer")
        self.new.clicked.connect(self.open_new)
        self.edit.clicked.connect(self.open_edit)
        self.toggle.clicked.connect(self.toggle_active)
        self.reset.clicked.connect(self.ask_reset)
        self.unlock_button.clicked.connect(self.unlock_selected)
        buttons = QHBoxLayout()
        for b in (self.new, self.edit, self.toggle, self.reset, self.unlock_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        hint = QLabel(
            "Un agent désactivé ne peut plus se connecter ; son historique est conservé. "
            "Après trop d'essais de mot de passe, un compte est bloqué 15 minutes : « Débloquer » "
            "le rouvre tout de suite."
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        self.view.selectionModel().currentRowChanged.connect(lambda _c, _p: self._enable())
        self.load()

    def _state_colour(self, agent: AgentRow) -> QColor | None:
        state = agent_state(agent, self.ctx.db.clock.now())
        return QColor("#757575") if state == "désactivé" else QColor("#8a4b00") if state != "actif" else None

    # --- rows ---------------------------------------------------------------------------------------
    def load(self) -> None:
        current = self.selected()
        self.rows.set_rows(self.ctx.ops.run(lambda: agents(self.ctx.db), default=[]))
        if current is not None:
            self.select(current.id)
        self._enable()

    def selected(self) -> AgentRow | None:
        index = self.view.currentIndex()
        return self.rows.rows[index.row()] if index.isValid() and index.row() < len(self.rows.rows) else None

    def select(self, agent_id: int) -> None:
        row = next((i for i, a in enumerate(self.rows.rows) if a.id == agent_id), None)
        if row is not None:
            self.view.selectRow(row)
        self._enable()

    def select_login(self, login: str) -> AgentRow:
        agent = next(a for a in self.rows.rows if a.login == login)
        self.select(agent.id)
        return agent

    def _enable(self) -> None:
        agent = self.selected()
        for b in (self.edit, self.toggle, self.reset, self.unlock_button):
            b.setEnabled(agent is not None)
        if agent is None:
            return
        self.toggle.setText("Réactiver" if not agent.active else "Désactiver")
        self.unlock_button.setEnabled(agent_state(agent, self.ctx.db.clock.now()).count("bloqué") > 0)
        self.reset.setEnabled(agent.active)

    def _after(self, agent_id: int) -> None:
        self.load()
        self.select(agent_id)
        self.changed.emit()

    def _structures(self) -> list[StructureDetail]:
        return self.ctx.ops.run(lambda: structure_details(self.ctx.db), default=[])

    # --- actions ------------------------------------------------------------------------------------
    def open_new(self) -> AgentDialog:
        self.dialog = dialog = AgentDialog(self, self._structures())
        db, actor = self.ctx.db, self.ctx.actor

        def create() -> TemporaryPassword:
            v = dialog.value()
            return create_agent(db, actor, v.login, v.full_name, v.role, v.structure_ids, v.health_access)

        def created(temporary: TemporaryPassword) -> None:
            dialog.result_value = None  # the password dialog alone holds the temporary password
            self._after(temporary.agent_id)
            self._show_password("Nouvel agent", dialog.full_name.text(), temporary)

        dialog.submitted.connect(lambda: self.ctx.ops.form(dialog, create, created))
        dialog.open()
        return dialog

    def open_edit(self) -> AgentDialog | None:
        agent = self.selected()
        if agent is None:
            return None
        self.dialog = dialog = AgentDialog(self, self._structures(), agent)
        db, actor = self.ctx.db, self.ctx.actor

        def update() -> None:  # one transaction: the last administrator's refusal leaves everything unchanged
            v = dialog.value()
            update_agent(
                db,
                actor,
                agent.id,
                full_name=v.full_name,
                role=v.role,
                structure_ids=v.structure_ids,
                health_access=v.health_access,  # its own audit row (GDPR art. 9), in the same transaction
            )

        dialog.submitted.connect(
            lambda: self.ctx.ops.form(dialog, update, lambda _none: self._after(agent.id))
        )
        dialog.open()
        return dialog

    def toggle_active(self) -> None:
        """Disable the selected agent (after a question when it is oneself) or enable them again."""
        agent = self.selected()
        if agent is None:
            return
        if agent.active and agent.id == self.ctx.actor.agent_id:
            self._ask(
                "Désactiver votre compte",
                "Désactiver votre propre compte ? Vous ne pourrez plus vous "
                "connecter ; un autre administrateur devra le réactiver.",
                "Désactiver",
                lambda: self.set_active(False),
            )
            return
        self.set_active(not agent.active)

    def set_active(self, active: bool) -> bool:
        agent = self.selected()
        if agent is None:
            return False
        done = self.ctx.ops.run(
            succeeded(lambda: set_active(self.ctx.db, self.ctx.actor, agent.id, active)), write=True
        )
        self._after(agent.id)
        return bool(done)

    def ask_reset(self) -> None:
        agent = self.selected()
        if agent is None:
            return
        self._ask(
            "Réinitialiser le mot de passe",
            f"Donner un nouveau mot de passe provisoire à {agent.full_name} ? Son mot de passe actuel ne "
            "fonctionnera plus ; il choisira le sien à sa prochaine connexion.",
            "Réinitialiser",
            self.reset_password,
        )

    def _ask(self, title: str, text: str, action: str, then: Callable[[], object]) -> None:
        """A non-blocking question; ``then`` runs when the agent clicks ``action``."""
        self.question = QMessageBox(
            QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, self
        )
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        yes = self.question.addButton(action, QMessageBox.ButtonRole.AcceptRole)
        self.question.addButton("Annuler", QMessageBox.ButtonRole.RejectRole)
        yes.clicked.connect(lambda: then())
        self.question.open()

    def reset_password(self) -> TemporaryPassword | None:
        agent = self.selected()
        if agent is None:
            return None
        temporary = self.ctx.ops.run(
            lambda: reset_password(self.ctx.db, self.ctx.actor, agent.id), write=True
        )
        self._after(agent.id)
        if temporary is not None:
            self._show_password("Mot de passe réinitialisé", agent.full_name, temporary)
        return temporary

    def unlock_selected(self) -> None:
        agent = self.selected()
        if agent is None:
            return
        self.ctx.ops.run(lambda: unlock(self.ctx.db, self.ctx.actor, agent.id), write=True)
        self._after(agent.id)

    def _show_password(self, title: str, full_name: str, temporary: TemporaryPassword | None) -> None:
        if temporary is None:
            return
        self.password_dialog = TemporaryPasswordDialog(self, title, full_name, temporary)
        self.password_dialog.open()
