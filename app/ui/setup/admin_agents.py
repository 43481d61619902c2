"""Administration → Agents: create, role, structures, disable or re-enable, reset a password, unlock."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...clock import PARIS
from ...models import Role
from ...services.families.edit import FieldErrors
from ...services.setup.agents import (
    ROLE_LABELS,
    AgentRow,
    TemporaryPassword,
    agents,
    check_full_name,
    check_login,
    create_agent,
    reset_password,
    set_active,
    unlock,
    update_agent,
)
from ...services.setup.structures import StructureDetail, structure_details
from ..context import CounterContext
from ..families.family_dialog import SavingDialog
from ..operations import Failure, succeeded
from ..table_model import Column, RowsModel
from ..widgets import bound, table_view

ROLE_HINTS = {
    Role.AGENT: "réservations, règlements et clôture de sa caisse",
    Role.SUPERVISOR: "en plus : journées, contrepassations, validation des clôtures, journal",
    Role.ADMIN: "en plus : structures, agents, activités, calendrier, aides et messages",
}


def agent_state(agent: AgentRow, now) -> str:
    """The state shown: "actif", "désactivé", "bloqué sur PC-ACCUEIL jusqu'à 10:15", "mot de passe à changer" (several
    joined by " · ")."""
    if not agent.active:
        return "désactivé"
    parts = []
    if agent.locked_until is not None and agent.locked_until > now:
        parts.append(f"bloqué partout jusqu'à {agent.locked_until.astimezone(PARIS):%H:%M}")
    for station, until in agent.locked_at:
        if until > now:
            parts.append(f"bloqué sur {station} jusqu'à {until.astimezone(PARIS):%H:%M}")
    if agent.must_change_password:
        parts.append("mot de passe à changer")
    return " · ".join(parts) or "actif"


class TemporaryPasswordDialog(QDialog):
    """Shows a temporary password once; it is cleared from the dialog when the dialog closes."""

    def __init__(
        self, parent: QWidget | None, title: str, full_name: str, temporary: TemporaryPassword
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        intro = QLabel(
            f"Mot de passe provisoire de <b>{html.escape(full_name)}</b> (identifiant "
            f"<b>{html.escape(temporary.login)}</b>) :"
        )
        self.password = QLineEdit(temporary.password)
        self.password.setReadOnly(True)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(font.pointSize() + 3)
        self.password.setFont(font)
        self.password.selectAll()
        copy = self.copy_button = QPushButton("Copier")
        copy.setToolTip("Copié dans le presse-papiers pour une minute, puis effacé")
        copy.clicked.connect(self.copy)
        row = QHBoxLayout()
        row.addWidget(self.password, 1)
        row.addWidget(copy)
        self.note = QLabel(
            "Mot de passe à communiquer à l'agent, qui le changera à sa première connexion. "
            "Il n'est affiché qu'une fois : notez-le maintenant (seule son empreinte est enregistrée)."
        )
        self.note.setObjectName("alert")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("J'ai noté le mot de passe")
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.note.setMinimumWidth(500)

    CLIPBOARD_SECONDS = 60
    """How long a copied temporary password stays on the clipboard."""

    def copy(self) -> None:
        """The password on the clipboard for a minute: then the clipboard is emptied, if it still holds it (the
        timer belongs to the clipboard: the dialog is long closed by then)."""
        text = self.password.text()
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(text)
        self.password.selectAll()
        self.copy_button.setText("Copié (effacé dans 1 min)")

        def forget() -> None:
            if clipboard.text() == text:
                clipboard.clear()

        QTimer.singleShot(self.CLIPBOARD_SECONDS * 1000, clipboard, forget)

    def done(self, result: int) -> None:
        self.password.clear()  # shown once: nothing keeps it once the dialog is closed
        super().done(result)


@dataclass(frozen=True)
class AgentValues:
    """What the agent form collects."""

    login: str
    full_name: str
    role: Role
    structure_ids: list[int]


class AgentDialog(SavingDialog):
    """A new agent (identifiant, nom, rôle, structures) or an existing one (nom, rôle, structures); ``value()``
    is what was typed, the panel saves it."""

    def __init__(
        self,
        parent: QWidget | None,
        structures: list[StructureDetail],
        agent: AgentRow | None = None,
    ) -> None:
        super().__init__(parent)
        self.agent = agent
        self.setWindowTitle(f"Modifier l'agent {agent.full_name}" if agent else "Nouvel agent")
        self.login = bound(QLineEdit(agent.login if agent else ""), create_agent, "login")
        self.login.setPlaceholderText("ex. mdurand")
        self.login.setEnabled(agent is None)  # an agent's login never changes
        self.full_name = bound(QLineEdit(agent.full_name if agent else ""), update_agent, "full_name")
        self.full_name.setPlaceholderText("ex. Michel Durand")
        self.role = QComboBox()
        for role, label in ROLE_LABELS.items():
            self.role.addItem(label, role.value)
        self.role.setCurrentIndex(self.role.findData((agent.role if agent else Role.AGENT).value))
        self.role_hint = QLabel()
        self.role.currentIndexChanged.connect(self._show_hint)
        self._show_hint()
        box = QGroupBox("Structures où l'agent travaille")
        box_layout = QVBoxLayout(box)
        if agent is not None:
            chosen = set(agent.structure_ids)
        else:  # a town with one structure: that one
            chosen = {s.id for s in structures} if len(structures) == 1 else set()
        self.structures: dict[int, QCheckBox] = {}
        for s in structures:
            check = QCheckBox(s.name)
            check.setChecked(s.id in chosen)
            self.structures[s.id] = check
            box_layout.addWidget(check)
        self.structure_box = box
        self.structures_hint = QLabel(
            "Cochez une structure au moins ; l'agent y choisit celle où il travaille."
        )
        box_layout.addWidget(self.structures_hint)
        form = QFormLayout()
        form.addRow("Identifiant *", self.login)
        form.addRow("Nom et prénom *", self.full_name)
        form.addRow("Rôle", self.role)
        form.addRow("", self.role_hint)
        self.fields = {
            "login": self.login,
            "full_name": self.full_name,
            "role": self.role,
            "structures": self.structures_hint,
        }
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(box)
        if agent is None:
            layout.addWidget(
                QLabel("Le mot de passe provisoire s'affichera une seule fois, après l'enregistrement.")
            )
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.resize(560, 0)

    def show_failure(self, failure: Failure) -> None:
        super().show_failure(failure)
        self.adjustSize()  # room for the messages, fields never squeezed

    def value(self) -> AgentValues:
        return AgentValues(
            self.login.text(), self.full_name.text(), self.chosen_role(), self.chosen_structures()
        )

    def _show_hint(self) -> None:
        self.role_hint.setText(ROLE_HINTS[self.chosen_role()])

    def chosen_role(self) -> Role:
        return Role(self.role.currentData())

    def chosen_structures(self) -> list[int]:
        return [sid for sid, check in self.structures.items() if check.isChecked()]

    def check(self) -> None:
        """The form's own checks, all at once (the services check them again)."""
        errors: dict[str, str] = {}
        for checker, text in ((check_login, self.login.text()), (check_full_name, self.full_name.text())):
            try:
                checker(text)
            except FieldErrors as exc:
                errors.update(exc.fields)
        if not self.chosen_structures():
            errors["structures"] = "Cochez au moins une structure où l'agent travaille."
        if errors:
            raise FieldErrors(errors)


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
            ]
        )
        self.view = table_view(self.rows)
        self.view.doubleClicked.connect(lambda _index: self.open_edit())
        self.new = QPushButton("Nouvel agent…")
        self.edit = QPushButton("Modifier (nom, rôle, structures)…")
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
            return create_agent(db, actor, v.login, v.full_name, v.role, v.structure_ids)

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
                db, actor, agent.id, full_name=v.full_name, role=v.role, structure_ids=v.structure_ids
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
