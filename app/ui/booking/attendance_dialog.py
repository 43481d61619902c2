"""Recording the day's attendance: present / absent, and a medical certificate within 48 hours.

A certificate refunds the day: its operation key is made at the first press for a reservation and kept by the
counter window (``keys.kept_keys``) for every retry of that certificate (after a failure or an unclear end, even
in a reopened dialog) until it succeeds, so a day is never refunded twice.
"""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...models import Attendance
from ...services.booking.attendance import day_attendance, record_attendance, record_certificate
from ...text import long_date
from ..context import CounterContext
from ..keys import kept_keys
from ..table_model import Column, RowsModel
from ..widgets import elide_cells


class AttendanceDialog(QDialog):
    def __init__(
        self, parent: QWidget | None, ctx: CounterContext, activity_id: int, activity_name: str, day: date
    ):
        super().__init__(parent)
        self.ctx, self.activity_id, self.day = ctx, activity_id, day
        self.setWindowTitle(f"Présences – {activity_name}")
        self.model = RowsModel(
            [
                Column("Enfant", lambda r: r.child),
                Column("Famille", lambda r: r.family),
                Column("Présence", lambda r: r.label),
            ]
        )
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().setVisible(False)
        self.view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        elide_cells(self.view)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.present = QPushButton("&Présent")
        self.absent = QPushButton("&Absent")
        self.certificate = QPushButton("&Certificat médical")
        self.certificate.setToolTip("Présenté dans les 48 heures après l'absence : la journée est remboursée")
        close = QPushButton("&Fermer")
        buttons = QHBoxLayout()
        for button in (self.present, self.absent, self.certificate):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        heading = QLabel(f"<b>{escape(activity_name)}</b> – {long_date(day)}")
        heading.setWordWrap(True)  # a long activity name never widens the dialog
        layout.addWidget(heading)
        layout.addWidget(self.view, 1)
        layout.addWidget(
            QLabel("Une absence est facturée, sauf certificat médical présenté dans les 48 heures.")
        )
        layout.addLayout(buttons)
        self.resize(620, 520)
        self.present.clicked.connect(lambda: self.mark(Attendance.PRESENT))
        self.absent.clicked.connect(lambda: self.mark(Attendance.ABSENT))
        self.certificate.clicked.connect(self.add_certificate)
        close.clicked.connect(self.accept)
        self.refresh()

    def refresh(self) -> None:
        row = self.view.currentIndex().row()
        self.model.set_rows(
            self.ctx.ops.run(lambda: day_attendance(self.ctx.db, self.activity_id, self.day), default=[])
        )
        if self.model.rows:
            self.view.selectRow(max(0, min(row, len(self.model.rows) - 1)))

    def _selected(self) -> int | None:
        index = self.view.currentIndex()
        return self.model.rows[index.row()].reservation_id if index.isValid() else None

    def mark(self, attendance: Attendance) -> None:
        res_id = self._selected()
        if res_id is not None:
            self.ctx.ops.run(
                lambda: record_attendance(self.ctx.db, self.ctx.actor, res_id, attendance), write=True
            )
            self.refresh()
            self.view.selectRow(min(self.view.currentIndex().row() + 1, len(self.model.rows) - 1))

    def add_certificate(self) -> None:
        res_id = self._selected()
        if res_id is None:
            return
        db, actor, keys = self.ctx.db, self.ctx.actor, kept_keys(self.ctx)
        operation = ("reservation.certificate", actor.agent_id, res_id)
        key = keys.key(operation)
        self.ctx.ops.run(
            lambda: record_certificate(db, actor, res_id, key=key),
            lambda _refunded: keys.succeeded(operation),
            write=True,
        )
        self.refresh()
