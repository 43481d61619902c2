"""Administration → « Attestations de frais de garde… » (supervisors and administrators): a past year's childcare
tax certificates all at once — one PDF per family (and structure, when several) in a folder, an e-mail to each
family with an address (sent by the outbox, never twice) — and how many families, files, e-mails and families
without an address. The year's count (``eligible_families``, the whole town read) and the batch run off the GUI
thread, through the operation helper; the count waits until the year stops changing (``COUNT_DELAY_MS``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...services.documents.tax_certificate import BatchResult, tax_certificates_batch
from ...services.money.tax_certificates import YearCount, eligible_families
from ...text import count
from ..context import CounterContext
from ..documents.file_dialogs import start_folder
from ..operations import Failure

COUNT_DELAY_MS = 300
"""The year's families are counted once the year spinbox has stayed this long on a year (not at every step)."""


class TaxCertificatesDialog(QDialog):
    def __init__(self, parent: QWidget | None, ctx: CounterContext) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Attestations de frais de garde")
        today = local_today(ctx.db.clock)
        self.year = QSpinBox()
        self.year.setRange(2000, today.year - 1)
        self.year.setValue(today.year - 1)
        self.folder = QLineEdit(str(start_folder()))
        choose = QPushButton("Choisir…")
        choose.clicked.connect(self._choose_folder)
        where = QHBoxLayout()
        where.addWidget(self.folder, 1)
        where.addWidget(choose)
        self.found = QLabel()
        self.outcome = QLabel()
        self.outcome.setObjectName("result")
        note = QLabel(
            "Pour chaque famille : les enfants de moins de 6 ans (nés à compter du 1er janvier six ans avant\n"
            "l'année : 2019 pour 2025), les sommes facturées pour les journées de l'année, nettes des aides\n"
            "et des remboursements, repas déduits ; une attestation par organisme, signée au nom de son\n"
            "régisseur. Un PDF par famille dans le dossier choisi.\n"
            "Les familles avec une adresse reçoivent un e-mail (une seule fois, même si vous recommencez) ;\n"
            "celles qui ont un compte sur le portail famille y trouvent aussi l'attestation (« Mes attestations »)."
        )
        self.run_button = QPushButton("Enregistrer les attestations et envoyer les e-mails")
        self.run_button.clicked.connect(self.run_batch)
        close = QPushButton("Fermer")
        close.clicked.connect(self.accept)
        form = QFormLayout()
        form.addRow("Année", self.year)
        form.addRow("Dossier", where)
        bottom = QHBoxLayout()
        bottom.addWidget(self.run_button)
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.found)
        layout.addWidget(self.outcome)
        layout.addLayout(bottom)
        self.count_timer = QTimer(self)
        self.count_timer.setSingleShot(True)
        self.count_timer.setInterval(COUNT_DELAY_MS)
        self.count_timer.timeout.connect(self.load)
        self.year.valueChanged.connect(lambda _year: self._year_changed())
        self.setMinimumWidth(640)
        self.load()

    def _year_changed(self) -> None:
        self._counting(self.year.value())
        self.count_timer.start()  # again: the count starts once the year stays

    def _counting(self, year: int) -> None:
        self.found.setText(f"{year} : recherche des familles éligibles…")
        self.run_button.setEnabled(False)

    def load(self) -> None:
        """How many families the chosen year has, read on a worker thread."""
        db, year = self.ctx.db, self.year.value()
        self._counting(year)
        self.ctx.ops.fetch(
            lambda: eligible_families(db, year),
            self._show_found,
            on_error=lambda failure: self._count_failed(year, failure),
        )

    def _current(self, year: int) -> bool:
        """An answer for the year shown (not one the agent has since left)."""
        return year == self.year.value() and not self.count_timer.isActive()

    def _count_failed(self, year: int, failure: Failure) -> None:
        if self._current(year):
            self.found.setText(failure.message)

    def _show_found(self, found: YearCount) -> None:
        if not self._current(found.year):
            return
        year = found.year
        self.found.setText(
            f"{year} : {count(found.families, 'famille éligible', 'familles éligibles')} "
            f"({count(found.certificates, 'attestation', 'attestations')}), "
            f"dont {count(found.with_email, 'avec une adresse e-mail', 'avec une adresse e-mail')}."
            if found.families
            else f"{year} : aucune famille n'a de frais de garde éligibles."
        )
        self.run_button.setEnabled(bool(found.families))

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Dossier des attestations", self.folder.text())
        if chosen:
            self.folder.setText(str(Path(chosen)))

    def run_batch(self) -> None:
        db, actor, year, folder = self.ctx.db, self.ctx.actor, self.year.value(), self.folder.text().strip()
        self.outcome.setText("Attestations en cours…")
        self.ctx.ops.run(
            lambda: tax_certificates_batch(db, actor, year, folder),
            self._done,
            write=True,
            background=True,
            on_error=lambda failure: self.outcome.setText(failure.message),
        )

    def _done(self, result: BatchResult) -> None:
        self.outcome.setText(result.message())
        self.ctx.ops.notice(result.message())
