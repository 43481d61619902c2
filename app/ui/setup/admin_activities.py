"""Administration → Activités: every activity in a table; create (the usual settings of its kind prefilled), edit,
archive, delete. The panel saves what the activity form collects.

An activity is its price (optionally by quotient-familial bracket), capacity, wallet, waitlist, the holidays it
runs in with the opening of their bookings, and its booking policy: all of it settings an administrator edits
here, none of it fixed in the code."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from ...services.booking.kinds import kind_label
from ...services.setup.activities import (
    ActivityDetail,
    activity_details,
    create_activity,
    delete_activity,
    save_activity,
    set_archived,
)
from ...services.setup.structures import structure_details
from ...text import count
from ..context import CounterContext
from ..operations import succeeded
from ..table_model import Column, RowsModel
from ..widgets import table_view
from .activity_dialog import ActivityDialog
from .activity_words import (
    brackets_tooltip,
    deadline_text,
    details_text,
    opening_text,
    price_text,
)

GREY = QColor("#8a8a8a")
"""An archived activity's row."""


class ActivitiesPanel(QWidget):
    """Every activity, archived ones greyed; create, edit, archive or re-enable, delete (administrators)."""

    changed = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.dialog: ActivityDialog | None = None
        self.question: QMessageBox | None = None

        def grey(a: ActivityDetail) -> QColor | None:
            return GREY if not a.active else None

        self.rows = RowsModel(
            [
                Column("Activité", lambda a: a.name, colour=grey),
                Column("Structure", lambda a: a.structure, colour=grey),
                Column("Type", lambda a: kind_label(a.kind), colour=grey),
                Column("Tarif", price_text, colour=grey, tooltip=brackets_tooltip),
                Column("Places", lambda a: str(a.default_capacity), right=True, colour=grey),
                Column("Attente", lambda a: "oui" if a.waitlist_enabled else "non", colour=grey),
                Column("Ouverture", opening_text, colour=grey),
                Column(
                    "Réservation",
                    lambda a: deadline_text(a.booking, short=True),
                    colour=grey,
                    tooltip=lambda a: f"Réservation jusqu'à {deadline_text(a.booking)}",
                ),
                Column(
                    "Annulation",
                    lambda a: deadline_text(a.cancel, short=True),
                    colour=grey,
                    tooltip=lambda a: f"Annulation jusqu'à {deadline_text(a.cancel)}",
                ),
                Column("Journées", lambda a: str(a.days), right=True, colour=grey),
                Column("État", lambda a: "archivée" if not a.active else "proposée", colour=grey),
            ]
        )
        self.view = table_view(self.rows)
        self.view.doubleClicked.connect(lambda _index: self.open_edit())
        self.new = QPushButton("Nouvelle activité…")
        self.edit = QPushButton("Modifier…")
        self.archive = QPushButton("Archiver")
        self.delete = QPushButton("Supprimer…")
        self.new.clicked.connect(self.open_new)
        self.edit.clicked.connect(self.open_edit)
        self.archive.clicked.connect(self.toggle_archived)
        self.delete.clicked.connect(self.ask_delete)
        buttons = QHBoxLayout()
        for b in (self.new, self.edit, self.archive, self.delete):
            buttons.addWidget(b)
        buttons.addStretch(1)
        hint = QLabel(
            "Une activité archivée n'est plus proposée au guichet ; ses réservations et son historique "
            "restent. Seule une activité jamais réservée peut être supprimée."
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self.view.selectionModel().currentRowChanged.connect(lambda _c, _p: self._enable())
        self.load()

    # --- rows ---------------------------------------------------------------------------------------
    def load(self) -> None:
        current = self.selected()
        self.rows.set_rows(self.ctx.ops.run(lambda: activity_details(self.ctx.db), default=[]))
        if current is not None:
            self.select(current.id)
        self._enable()

    def selected(self) -> ActivityDetail | None:
        index = self.view.currentIndex()
        return self.rows.rows[index.row()] if index.isValid() and index.row() < len(self.rows.rows) else None

    def select(self, activity_id: int) -> ActivityDetail | None:
        row = next((i for i, a in enumerate(self.rows.rows) if a.id == activity_id), None)
        if row is not None:
            self.view.selectRow(row)
        self._enable()
        return self.selected()

    # Not QWidget.find(WId) (never used on this panel): the activity shown with this name (tests look it up).
    def find(self, name: str, structure: str | None = None) -> ActivityDetail:  # type: ignore[override]
        return next(a for a in self.rows.rows if a.name == name and structure in (None, a.structure))

    def _enable(self) -> None:
        a = self.selected()
        for b in (self.edit, self.archive, self.delete):
            b.setEnabled(a is not None)
        self.archive.setText("Réactiver" if a is not None and not a.active else "Archiver")
        if a is not None:
            self.delete.setToolTip("Activité déjà réservée : archivez-la plutôt." if a.booked else "")
        self.details.setText(
            details_text(a)
            if a is not None
            else "Sélectionnez une activité pour la modifier, l'archiver ou la supprimer."
        )

    def _after(self, activity_id: int | None) -> None:
        self.load()
        if activity_id is not None:
            self.select(activity_id)
        self.changed.emit()

    # --- actions ------------------------------------------------------------------------------------
    def open_new(self) -> ActivityDialog:
        structures = self.ctx.ops.run(lambda: structure_details(self.ctx.db), default=[])
        return self._open(ActivityDialog(self, structures, structure_id=self.ctx.structure_id))

    def open_edit(self) -> ActivityDialog | None:
        a = self.selected()
        if a is None:
            return None
        structures = self.ctx.ops.run(lambda: structure_details(self.ctx.db), default=[])
        return self._open(ActivityDialog(self, structures, a))

    def _open(self, dialog: ActivityDialog) -> ActivityDialog:
        db, actor = self.ctx.db, self.ctx.actor

        def save() -> int:
            """One service call, one transaction: the fields, the brackets and the booking policy together."""
            data, activity_id = dialog.value(), dialog.activity_id
            if activity_id is None:
                return create_activity(db, actor, data)
            save_activity(db, actor, activity_id, data)
            return activity_id

        def saved(activity_id: int) -> None:
            dialog.activity_id = activity_id
            self._after(activity_id)

        dialog.submitted.connect(lambda: self.ctx.ops.form(dialog, save, saved))
        self.dialog = dialog
        dialog.open()
        return dialog

    def toggle_archived(self) -> bool:
        """Archive the selected activity, or offer it again if it is archived."""
        a = self.selected()
        if a is None:
            return False
        done = self.ctx.ops.run(
            succeeded(lambda: set_archived(self.ctx.db, self.ctx.actor, a.id, a.active)), write=True
        )
        self._after(a.id)
        return bool(done)

    def ask_delete(self) -> None:
        a = self.selected()
        if a is None:
            return
        self.question = QMessageBox(
            QMessageBox.Icon.Question,
            "Supprimer l'activité",
            f"Supprimer définitivement l'activité « {a.name} » ({a.structure}), avec "
            f"{count(a.days, 'journée')} et ses périodes ?",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        yes = self.question.addButton("Supprimer", QMessageBox.ButtonRole.DestructiveRole)
        self.question.addButton("Annuler", QMessageBox.ButtonRole.RejectRole)
        yes.clicked.connect(lambda: self.delete_selected())
        self.question.open()

    def delete_selected(self) -> bool:
        """Delete the selected activity; the service refuses (French message) once it has reservations."""
        a = self.selected()
        if a is None:
            return False
        done = self.ctx.ops.run(
            succeeded(lambda: delete_activity(self.ctx.db, self.ctx.actor, a.id)), write=True
        )
        self._after(None if done else a.id)
        return bool(done)
