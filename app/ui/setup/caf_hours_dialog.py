"""Administration → « Heures CAF… »: the CAF's hours of a period (a month or school holidays of the school year, or
two dates), for one structure or all, saved as an Excel sheet, a CSV or a one-page PDF summary. The reading and
the file are written off the GUI thread, through the operation helper."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...files import write_document
from ...services.booking.caf_hours import CafReport, PeriodChoice, caf_hours, caf_periods
from ...services.documents.caf_hours import CafFormat, caf_file
from ...text import hours_text, plural
from ..context import CounterContext
from ..documents.file_dialogs import ask_save_path
from ..operations import Failure

FORMATS = {
    CafFormat.XLSX: ("Excel (.xlsx) — toutes les lignes", "Classeurs Excel (*.xlsx)"),
    CafFormat.CSV: ("CSV (;) — toutes les lignes", "Fichiers CSV (*.csv)"),
    CafFormat.PDF: ("PDF — résumé d'une page", "Documents PDF (*.pdf)"),
}


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _date(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class CafHoursDialog(QDialog):
    def __init__(self, parent: QWidget | None, ctx: CounterContext) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Heures CAF")
        today = local_today(ctx.db.clock)
        db = ctx.db
        self.choices: list[PeriodChoice] = ctx.ops.run(lambda: caf_periods(db, None, today), default=[])
        self.period = QComboBox()
        self.period.addItem("Dates choisies ci-dessous", None)
        for i, choice in enumerate(self.choices):
            self.period.addItem(choice.label, i)
        self.start, self.end = QDateEdit(), QDateEdit()
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
        first = today.replace(day=1)
        self.start.setDate(_qdate(first))
        self.end.setDate(_qdate(today))
        self.structure = QComboBox()
        self.structure.addItem("Toutes les structures", None)
        for s in ctx.structures:
            self.structure.addItem(s.name, s.id)
        self.format = QComboBox()
        for fmt, (label, _) in FORMATS.items():
            self.format.addItem(label, fmt.value)
        self.outcome = QLabel(
            "Par activité : enfants, journées et heures présentes et facturées (présent, absent sans certificat, "
            "non pointé), par âge le jour même (moins de 6 ans, 6 ans et plus) et par tranche de quotient familial."
        )
        self.outcome.setWordWrap(True)
        self.save_button = QPushButton("&Enregistrer…")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(lambda: self.save())
        close = QPushButton("&Fermer")
        close.clicked.connect(self.reject)

        dates = QHBoxLayout()
        for widget in (QLabel("du"), self.start, QLabel("au"), self.end):
            dates.addWidget(widget)
        dates.addStretch(1)
        form = QFormLayout()
        form.addRow("Période", self.period)
        form.addRow("", dates)
        form.addRow("Structure", self.structure)
        form.addRow("Format", self.format)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.outcome)
        layout.addLayout(buttons)
        self.period.currentIndexChanged.connect(lambda _i: self._period_chosen())
        self.resize(560, 0)

    def _period_chosen(self) -> None:
        index = self.period.currentData()
        if index is None:
            return
        choice = self.choices[index]
        self.start.setDate(_qdate(choice.start))
        self.end.setDate(_qdate(choice.end))

    def chosen_format(self) -> CafFormat:
        return CafFormat(self.format.currentData())

    def save(self, path: str | None = None) -> None:
        """Ask where (unless ``path``), then read and write the file off the GUI thread."""
        start, end, fmt = _date(self.start.date()), _date(self.end.date()), self.chosen_format()
        if not path:
            name = f"heures-caf-{start:%Y-%m-%d}-{end:%Y-%m-%d}.{fmt.value}"
            chosen = ask_save_path(self, "Enregistrer les heures CAF", name, FORMATS[fmt][1])
            if chosen is None:
                return
            path = str(chosen)
        target, db, actor = Path(path), self.ctx.db, self.ctx.actor
        if target.suffix.lower().lstrip(".") in {f.value for f in CafFormat}:
            fmt = CafFormat.of(target.suffix)  # the name typed in the save dialog says the format
        structure_id = self.structure.currentData()

        def work() -> CafReport:
            report = caf_hours(db, actor, start, end, structure_id)
            write_document(target, caf_file(report, fmt, actor.name))
            return report

        def done(report: CafReport) -> None:
            self.save_button.setEnabled(True)
            billed = sum(a.total.minutes_billed for a in report.activities)
            n = len(report.activities)
            self.outcome.setText(
                f"Heures CAF {report.period_text} ({report.scope_text}) : {n} "
                f"{plural(n, 'activité')}, {hours_text(billed)} facturées, enregistrées dans « {target} »."
            )

        def failed(failure: Failure) -> None:
            self.save_button.setEnabled(True)
            self.outcome.setText(failure.message)

        self.save_button.setEnabled(False)
        self.outcome.setText(f"Enregistrement en cours vers « {target} »…")
        self.ctx.ops.run(work, done, background=True, on_error=failed)
