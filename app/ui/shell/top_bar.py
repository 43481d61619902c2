"""Top bar: structure drop-down, agent's name, data freshness, Déconnexion."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ...text import moment
from ..context import CounterContext
from ..widgets import ElidedLabel, NameCombo, keyed


class TopBar(QFrame):
    logout_requested = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("topBar")
        self.structure = NameCombo()
        self.structure.setAccessibleName("Structure")
        self.structure.setToolTip(
            "La structure où vous encaissez et clôturez (Alt+S) ; les activités de toutes "
            "vos structures se réservent sans en changer"
        )
        self.agent = ElidedLabel(f"Agent : {ctx.actor.name}")
        self.updated = QLabel()
        self.logout = keyed(QPushButton("Déconne&xion"), "Quitter la famille et changer d'agent")
        self.closing = keyed(QPushButton("C&lôture de la journée…"), "Caisse, transmission et comptes-rendus")
        self.settings = keyed(QPushButton("&Base de données…"), "Où sont les données")
        self.admin = keyed(QPushButton("A&dministration…"), "Structures, agents, activités, journées")
        self.password = keyed(QPushButton("&Mot de passe…"), "Changer votre mot de passe")
        label = QLabel("&Structure")
        label.setBuddy(self.structure)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(label)
        layout.addWidget(self.structure)
        layout.addSpacing(16)
        layout.addWidget(self.agent)
        layout.addStretch(1)
        layout.addWidget(self.updated)
        layout.addSpacing(16)
        layout.addWidget(self.closing)
        layout.addWidget(self.settings)
        layout.addWidget(self.admin)
        layout.addWidget(self.password)
        layout.addWidget(self.logout)
        self.show_session()
        self.structure.currentIndexChanged.connect(lambda _i: ctx.set_structure(self.structure.currentData()))
        self.logout.clicked.connect(self.logout_requested)

    def show_session(self) -> None:
        """After a login: the agent's name, their structures, what their role may open."""
        self.agent.setText(f"Agent : {self.ctx.actor.name}")
        self.structure.blockSignals(True)
        self.structure.clear()
        for row in self.ctx.structures:
            self.structure.addItem(row.name, row.id)
        index = self.structure.findData(self.ctx.structure_id)
        self.structure.setCurrentIndex(max(0, index))
        self.structure.blockSignals(False)
        self.admin.setVisible(self.ctx.may("administration.days"))
        self.password.setVisible(self.ctx.actor.agent_id is not None)

    def show_last_update(self, at: datetime | None) -> None:
        if at is None:
            self.updated.setText("Dernière mise à jour : —")
        else:
            self.updated.setText(f"Dernière mise à jour : {moment(at, compact=True)}")


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
