""" "Clôture de la journée": the agent's cash closing, the end-of-day run with progress, the daily report,
and the supervisor's validation of the day's closings."""

from __future__ import annotations

from babel.dates import format_date
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..clock import local_today
from ..services.end_of_day.mailer import SmtpSettings, send_pending
from ..services.end_of_day.transmission import transmit_day
from ..services.money.amounts import format_eur
from ..services.money.cash_closing import (
    CountedInput,
    close_cash,
    closings_of_day,
    day_expected,
    validate_closing,
)
from .context import CounterContext
from .family_dialog import SavingDialog
from .print_preview import PrintPreview
from .table_model import Column, RowsModel
from .widgets import table_view


class ClosingDialog(SavingDialog):
    """The Save button closes the agent's cash; the other actions have their own buttons."""

    def __init__(self, parent: QWidget | None, ctx: CounterContext) -> None:
        super().__init__(parent, lambda: self._close_cash())
        self.keep_open = True  # closing the cash is one step of the day; the dialog stays for the others
        self.ctx = ctx
        self.day = local_today(ctx.db.clock)
        structure = next((s.name for s in ctx.structures if s.id == ctx.structure_id), "")
        self.setWindowTitle(f"Clôture de la journée – {structure}")
        self.buttons.button(self.buttons.StandardButton.Save).setText("Clôturer ma caisse")
        self.buttons.button(self.buttons.StandardButton.Cancel).setText("Fermer")

        self.expected = RowsModel(
            [
                Column("Mode", lambda t: t.label),
                Column("Règlements", lambda t: str(t.count), right=True),
                Column("Montant attendu", lambda t: format_eur(t.cents), right=True),
            ]
        )
        self.cash = QLineEdit()
        self.cash.setPlaceholderText("ex. 152,50")
        self.cheque_count = QLineEdit()
        self.cheque_total = QLineEdit()
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("obligatoire en cas d'écart")
        self.fields = {"cash": self.cash, "cheque_count": self.cheque_count, "cheque_total": self.cheque_total,
                       "comment": self.comment}  # fmt: skip
        self.status = QLabel()
        cash_box = QGroupBox(f"Ma caisse – {ctx.actor.name}")
        form = QFormLayout()
        form.addRow("Espèces comptées (€)", self.cash)
        form.addRow("Nombre de chèques", self.cheque_count)
        form.addRow("Total des chèques (€)", self.cheque_total)
        form.addRow("Commentaire", self.comment)
        expected_view = table_view(self.expected)
        expected_view.setMaximumHeight(140)
        cash_layout = QVBoxLayout(cash_box)
        cash_layout.addWidget(
            QLabel("Attendu d'après les reçus du jour (carte et virement sont repris tels quels) :")
        )
        cash_layout.addWidget(expected_view)
        cash_layout.addLayout(form)
        cash_layout.addWidget(self.status)

        self.closings = RowsModel(
            [
                Column("Agent", lambda c: c.agent),
                Column("Écart", lambda c: format_eur(c.discrepancy_cents), right=True),
                Column("État", lambda c: f"validée ({c.validated_by})" if c.validated_by else "à valider"),
                Column("Commentaire", lambda c: c.comment),
            ]
        )
        self.closings_view = table_view(self.closings)
        self.closings_view.setMaximumHeight(120)
        self.validate_button = QPushButton("Valider la clôture sélectionnée")
        self.validate_button.setVisible(ctx.actor.is_supervisor)
        self.run_button = QPushButton("Lancer la fin de journée (transmission, e-mails)")
        self.report_button = QPushButton("Rapport du jour…")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        day_box = QGroupBox(f"Journée du {format_date(self.day, 'EEEE d MMMM y', locale='fr_FR')}")
        day_layout = QVBoxLayout(day_box)
        day_layout.addWidget(QLabel("Clôtures de caisse du jour :"))
        day_layout.addWidget(self.closings_view)
        actions = QHBoxLayout()
        for button in (self.validate_button, self.run_button, self.report_button):
            actions.addWidget(button)
        actions.addStretch(1)
        day_layout.addLayout(actions)
        day_layout.addWidget(self.summary)

        layout = QVBoxLayout(self)
        layout.addWidget(cash_box)
        layout.addWidget(day_box)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.resize(760, 640)
        self.validate_button.clicked.connect(self.validate_selected)
        self.run_button.clicked.connect(self.run_end_of_day)
        self.report_button.clicked.connect(self.preview_report)
        self.refresh()

    def refresh(self) -> None:
        sid = self.ctx.structure_id
        self.expected.set_rows(self.ctx.ops.read(lambda: day_expected(self.ctx.db, self.ctx.actor, sid), []))
        rows = self.ctx.ops.read(lambda: closings_of_day(self.ctx.db, sid, self.day), [])
        self.closings.set_rows(rows)
        mine = next((r for r in rows if r.agent == self.ctx.actor.name), None)
        save = self.buttons.button(self.buttons.StandardButton.Save)
        save.setEnabled(mine is None)
        self.status.setText(
            f"Caisse clôturée (écart {format_eur(mine.discrepancy_cents)}) : plus aucun règlement ne peut être "
            "enregistré aujourd'hui par vous."
            if mine
            else "Caisse ouverte."
        )

    def _close_cash(self):
        sid = self.ctx.structure_id
        data = CountedInput(
            self.cash.text(), self.cheque_count.text(), self.cheque_total.text(), self.comment.text()
        )
        closing_id = self.ctx.ops.attempt(lambda: close_cash(self.ctx.db, self.ctx.actor, sid, data))
        self.refresh()
        return closing_id

    def validate_selected(self) -> None:
        index = self.closings_view.currentIndex()
        if not index.isValid():
            self.ctx.ops.inform("Valider", "Sélectionnez une clôture de caisse.")
            return
        closing_id = self.closings.rows[index.row()].id
        self.ctx.ops.write(lambda: validate_closing(self.ctx.db, self.ctx.actor, closing_id))
        self.refresh()

    def run_end_of_day(self) -> list[str]:
        """Transmission then e-mails, with a progress dialog; the summary stays in the dialog."""
        progress = QProgressDialog("Fin de journée…", None, 0, 100, self)
        progress.setWindowTitle("Clôture de la journée")
        progress.setMinimumDuration(0)
        progress.setValue(0)

        def step(text: str, percent: int) -> None:
            progress.setLabelText(text)
            progress.setValue(percent)
            QCoreApplication.processEvents()

        report = self.ctx.ops.write(
            lambda: transmit_day(self.ctx.db, self.day, step, self.ctx.actor.agent_id)
        )
        lines = report.lines() if report is not None else []
        settings = self.ctx.ops.read(SmtpSettings.from_env, None)
        if settings is None:
            lines.append("Pas de serveur d'envoi configuré : les e-mails partiront avec la tâche de nuit.")
        else:
            step("Envoi des e-mails…", 80)
            sent = self.ctx.ops.read(lambda: send_pending(self.ctx.db, settings), None)
            if sent is not None:
                lines += sent.lines()
        progress.setValue(100)
        progress.close()
        self.summary.setText("\n".join(lines))
        self.refresh()
        return lines

    def preview_report(self) -> PrintPreview | None:
        sid = self.ctx.structure_id
        from ..services.documents.closing_report import closing_report_pdf  # reportlab only when printing

        pdf = self.ctx.ops.read(
            lambda: closing_report_pdf(self.ctx.db, sid, self.day, self.ctx.actor.name), None
        )
        if pdf is None:
            return None
        self.preview = PrintPreview(self, pdf, f"Arrêté journalier du {self.day:%d/%m/%Y}",
                                    f"arrete-{self.day:%Y-%m-%d}.pdf")  # fmt: skip
        self.preview.open()
        return self.preview
