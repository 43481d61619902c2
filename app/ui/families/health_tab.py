"""The family page's « Fiche sanitaire » tab: each child's allergies, PAI, diet, emergency contacts, people allowed
to pick the child up and authorisations, and « Modifier la fiche… ». Shown only to an agent an administrator gave
the right to the health files (GDPR art. 9); the services refuse anyone else anyway."""

from __future__ import annotations

import html
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...clock import local_today
from ...services.families.health import (
    NO_EMERGENCY_CONTACT,
    Contact,
    HealthFile,
    health_access,
    health_file,
    save_health_file,
)
from ...services.families.view import FamilySummary
from ...text import short_date
from ..context import CounterContext
from ..table_model import Column, RowsModel
from ..widgets import table_view
from .health_dialog import HealthDialog

ALERT = QColor("#b71c1c")


def _first(people: tuple[Contact, ...]) -> str:
    """The first person, and how many more (all of them in the tooltip)."""
    if not people:
        return ""
    return people[0].line + (f" (+{len(people) - 1})" if len(people) > 1 else "")


def _short(answer: bool | None) -> str:
    return {True: "oui", False: "non", None: "?"}[answer]


def details(f: HealthFile, today: date) -> str:
    """A fiche as the tab shows it below the table (rich text, every value escaped)."""
    e = html.escape

    def people(contacts: tuple[Contact, ...], none: str) -> str:
        return "<br>".join(e(c.line) for c in contacts) or none

    doctor = " ".join(x for x in (f.doctor_name, f.doctor_phone) if x)
    updated = (
        f" · fiche modifiée le {short_date(f.updated_at.date())}"
        if f.updated_at
        else " · fiche jamais remplie"
    )
    rows = [
        ("Allergies", e(f.allergies or ("oui" if f.has_allergy else "non"))),
        ("PAI", e(f.pai_text(today))),
        ("Régime alimentaire", e(f.diet or "—")),
        ("Médecin traitant", e(doctor or "—")),
        (
            "Contacts d'urgence",
            people(f.emergency, f"<span style='color:#b71c1c'>{NO_EMERGENCY_CONTACT}</span>"),
        ),
        ("Autorisés à venir le chercher", people(f.pickup, "—")),
        ("Photos et films", e(f.answer("photos"))),
        ("Partir seul", e(f.answer("leave_alone"))),
        ("Intervention médicale d'urgence", e(f.answer("medical"))),
    ]
    body = "".join(f"<tr><td><b>{label}</b></td><td>{value}</td></tr>" for label, value in rows)
    flag = "⚠ " if f.flagged(today) else ""
    return f"<h3>{flag}{e(f.child_name)}<small>{e(updated)}</small></h3><table cellpadding='3'>{body}</table>"


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
                Column(
                    "PAI",
                    lambda f: ("oui" if f.pai_in_force(today()) else "terminé") if f.pai else "non",
                    tooltip=lambda f: f.pai_text(today()),
                ),
                Column("Régime", lambda f: f.diet),
                Column(
                    "Contacts d'urgence",
                    lambda f: _first(f.emergency) or NO_EMERGENCY_CONTACT,
                    colour=lambda f: None if f.emergency else ALERT,
                    tooltip=lambda f: "\n".join(c.line for c in f.emergency) or NO_EMERGENCY_CONTACT,
                ),
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
        self.view.setMaximumHeight(170)
        self.details = QLabel()
        self.details.setTextFormat(Qt.TextFormat.RichText)  # what the family typed is escaped (html.escape)
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.view.activated.connect(lambda index: self.open_dialog(self.rows.rows[index.row()]))
        self.edit = QPushButton("Modifier la fiche…")
        self.edit.clicked.connect(self._edit_selected)
        self.edit.setEnabled(False)
        self.view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._show(current.row())
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
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        layout.addWidget(self.details, 1)

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
            self.details.setText("")
            return False
        db, actor = self.ctx.db, self.ctx.actor
        ids = [c.id for c in summary.children]
        fiches = self.ctx.ops.run(lambda: [health_file(db, actor, i) for i in ids], default=[])
        self.rows.set_rows(fiches)
        if fiches:
            self.view.selectRow(0)
        self._show(0 if fiches else -1)
        return True

    def _show(self, row: int) -> None:
        """The selected child's whole fiche below the table."""
        fiche = self.rows.rows[row] if 0 <= row < len(self.rows.rows) else None
        self.edit.setEnabled(fiche is not None)
        self.details.setText(details(fiche, self._today()) if fiche is not None else "")

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
