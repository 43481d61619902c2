"""The family page's « Fiche sanitaire » tab: each child's allergies, PAI, diet, emergency contacts, people allowed
to pick the child up and authorisations, and « Modifier la fiche… ». Shown only to an agent an administrator gave
the right to the health files (GDPR art. 9); the services refuse anyone else anyway."""

from __future__ import annotations

from datetime import date

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...clock import local_today
from ...services.families.health import (
    NO_EMERGENCY_CONTACT,
    HealthFile,
    health_access,
    health_file,
    save_health_file,
)
from ...services.families.view import FamilySummary
from ..context import CounterContext
from ..table_model import Column, RowsModel
from ..widgets import table_view
from .health_dialog import HealthDialog

ALERT = QColor("#b71c1c")


def _short(answer: bool | None) -> str:
    return {True: "oui", False: "non", None: "?"}[answer]


class HealthTab(QWidget):
    """The fiches of the family's children; ``set_family`` says whether the agent may see them."""

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.summary: FamilySummary | None = None
        self.dialog: HealthDialog | None = None
        today = self._today
        self.rows = RowsModel(
            [
                Column("Enfant", lambda f: f"⚠ {f.child_name}" if f.flagged(today()) else f.child_name),
                Column("Allergies", lambda f: f.allergies if f.has_allergy or f.allergies else "non"),
                Column("PAI", lambda f: f.pai_text(today())),
                Column("Régime", lambda f: f.diet),
                Column(
                    "Contacts d'urgence",
                    lambda f: " · ".join(c.line for c in f.emergency) or NO_EMERGENCY_CONTACT,
                    colour=lambda f: None if f.emergency else ALERT,
                ),
                Column("Autorisés à venir", lambda f: " · ".join(c.line for c in f.pickup)),
                Column(
                    "Seul · photo · soins",
                    lambda f: f"{_short(f.leave_alone)} · {_short(f.photos)} · {_short(f.medical)}",
                    tooltip=lambda f: (
                        f"Partir seul : {f.answer('leave_alone')}\nPhotos : {f.answer('photos')}\n"
                        f"Intervention médicale : {f.answer('medical')}"
                    ),
                ),
            ]
        )
        self.view = table_view(self.rows, stretch=4)
        self.view.setWordWrap(True)
        self.view.activated.connect(lambda index: self.open_dialog(self.rows.rows[index.row()]))
        self.edit = QPushButton("Modifier la fiche…")
        self.edit.clicked.connect(self._edit_selected)
        self.edit.setEnabled(False)
        self.view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.edit.setEnabled(current.isValid())
        )
        hint = QLabel(
            "Données de santé (RGPD, art. 9) : réservées aux agents habilités et à la famille. ⚠ : allergie, PAI "
            "ou régime, signalé sur la liste de présence. Un contact d'urgence n'est pas exigé pour réserver."
        )
        hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def _today(self) -> date:
        return local_today(self.ctx.db.clock)

    def allowed(self) -> bool:
        """Whether the agent has the right now (read from the database)."""
        agent_id = self.ctx.actor.agent_id
        if agent_id is None:
            return False
        return bool(self.ctx.ops.run(lambda: health_access(self.ctx.db, agent_id), default=False))

    def set_family(self, summary: FamilySummary) -> bool:
        """The children's fiches (read when the agent has the right); returns whether the tab is to be shown."""
        self.summary = summary
        self.edit.setEnabled(False)
        if not self.allowed():
            self.rows.set_rows([])
            return False
        db, actor = self.ctx.db, self.ctx.actor
        ids = [c.id for c in summary.children]
        fiches = self.ctx.ops.run(lambda: [health_file(db, actor, i) for i in ids], default=[])
        self.rows.set_rows(fiches)
        self.view.resizeRowsToContents()
        return True

    def _edit_selected(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self.open_dialog(self.rows.rows[index.row()])

    def open_dialog(self, fiche: HealthFile) -> HealthDialog:
        self.dialog = dialog = HealthDialog(self, fiche, self._today())
        db, actor, child_id = self.ctx.db, self.ctx.actor, fiche.child_id
        dialog.submitted.connect(
            lambda: self.ctx.ops.form(dialog, lambda: save_health_file(db, actor, child_id, dialog.value()))
        )
        dialog.open()
        return dialog
