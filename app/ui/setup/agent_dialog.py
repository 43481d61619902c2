"""Administration → Agents → « Nouvel agent… » / « Modifier… »: the form of one agent (identifiant, name, role,
structures, the right to the children's health files). It only collects and checks what is typed; the Agents panel saves it."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ...models import Role
from ...services.families.edit import FieldErrors
from ...services.setup.agents import (
    ROLE_LABELS,
    AgentRow,
    check_full_name,
    check_login,
    create_agent,
    update_agent,
)
from ...services.setup.structures import StructureDetail
from ..families.family_dialog import SavingDialog
from ..operations import Failure
from ..widgets import bound

ROLE_HINTS = {
    Role.AGENT: "réservations, règlements et clôture de sa caisse",
    Role.SUPERVISOR: "en plus : journées, contrepassations, validation des clôtures, journal",
    Role.ADMIN: "en plus : structures, agents, activités, calendrier, aides et messages",
}


@dataclass(frozen=True)
class AgentValues:
    """What the agent form collects."""

    login: str
    full_name: str
    role: Role
    structure_ids: list[int]
    health_access: bool = False


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
        self.health_access = QCheckBox("Accès aux fiches sanitaires")
        self.health_access.setChecked(bool(agent and agent.health_access))
        self.health_access.setToolTip(
            "Allergies, PAI, régimes, contacts d'urgence : l'onglet « Fiche sanitaire » de la famille et la page des "
            "fiches de la liste de présence (données de santé, à réserver à qui imprime les listes)"
        )
        form = QFormLayout()
        form.addRow("Identifiant *", self.login)
        form.addRow("Nom et prénom *", self.full_name)
        form.addRow("Rôle", self.role)
        form.addRow("", self.role_hint)
        form.addRow("", self.health_access)
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
            self.login.text(),
            self.full_name.text(),
            self.chosen_role(),
            self.chosen_structures(),
            self.health_access.isChecked(),
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
