""" "Clôture de la journée": the agent's cash closing (``cash_box``), the day's closings validated by a supervisor
and the daily report (``day_closings``), the end of day on worker threads with its steps shown (``end_of_day``).

The dialog is not modal: the counter stays usable while the end of day runs. Its boxes collect what is typed and
show what was read; every service call is made here, through the counter window's operations.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ...clock import local_today
from ...services.actors import Actor
from ...services.end_of_day.mailer import SendReport, SmtpSettings, send_pending
from ...services.end_of_day.transmission import EndOfDayReport, transmit_day
from ...services.money.cash_closing import (
    OpenTill,
    close_cash,
    close_late,
    closings_of_day,
    day_cheques,
    day_expected,
    open_past_tills,
    validate_closing,
)
from ...services.money.online import online_payments_of_day
from ...services.uow import Database
from ...text import short_date
from ..context import CounterContext
from ..documents.print_preview import PrintPreview, Rendered, rendered
from ..keys import kept_keys
from ..operations import Failure
from .cash_box import CashBox
from .day_closings import DayClosingsBox
from .deposit_dialog import DepositDialog
from .end_of_day import EndOfDay, EndOfDayBox, end_of_day_for
from .till_count import LateClosingDialog


def _send_pending(db: Database) -> SendReport | None:
    """The due e-mails sent now (20-second timeouts), or None when no SMTP server is configured."""
    settings = SmtpSettings.from_env()
    return None if settings is None else send_pending(db, settings)


def start_end_of_day(run: EndOfDay, actor: Actor) -> None:
    """Start ``run`` for ``actor`` (recorded in the journal): the transmission (a write), then the e-mails, each on
    a worker thread through the counter window's operations; nothing happens while it runs already. It goes on
    when the dialog is closed."""
    number = run.begin()
    if number is None:
        return
    ops, db, day, agent_id = run.ops, run.db, run.day, actor.agent_id
    progress = ops.reporter(lambda text, percent: run.progress(number, text, percent))

    def transmitted(report: EndOfDayReport) -> None:
        run.transmitted(report)
        ops.run(lambda: _send_pending(db), run.sent, background=True, on_error=run.send_failed)

    ops.run(
        lambda: transmit_day(db, day, progress, agent_id),
        transmitted,
        write=True,
        background=True,
        on_error=run.transmission_failed,
    )


class ClosingDialog(QDialog):
    """« Clôturer ma caisse » (the agent's cash), the day's closings (validated by a supervisor), the end of day and
    the daily report. Every read and write goes through the window's operations."""

    def __init__(self, parent: QWidget | None, ctx: CounterContext) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.day = local_today(ctx.db.clock)
        self.structure_id = ctx.structure_id
        """The structure of the dialog, kept while it is open (the counter may change structure meanwhile)."""
        self.preview: PrintPreview | None = None
        self.deposit_dialog: DepositDialog | None = None
        structure = self.structure_name = next(
            (s.name for s in ctx.structures if s.id == self.structure_id), ""
        )
        self.setWindowTitle(f"Clôture de la journée – {structure}")
        self.cash_box = CashBox(ctx.actor.name, structure)
        self.day_box = DayClosingsBox(ctx, self.day, structure)
        self.end_box = EndOfDayBox(self.day_box.late_row)
        # the boxes' fields and buttons under the dialog's own names, as its tests reach them
        mine, today, end = self.cash_box, self.day_box, self.end_box
        self.fields = mine.fields
        self.expected = mine.expected
        self.expected_view = mine.expected_view
        self.cash = mine.cash
        self.cheque_count = mine.cheque_count
        self.cheque_total = mine.cheque_total
        self.card_total = mine.card_total
        self.comment = mine.comment
        self.cash_button = mine.cash_button
        self.status = mine.status
        self.errors = mine.errors
        self.closings = today.closings
        self.closings_view = today.closings_view
        self.validate_button = today.validate_button
        self.online_note = today.online_note
        self.open_tills = today.open_tills
        self.late_row = today.late_row
        self.run_button = end.run_button
        self.letters_button = end.letters_button
        self.progress = end.progress
        self.steps = end.steps
        self.summary = end.summary

        left = QVBoxLayout()
        left.addWidget(self.cash_box)
        left.addWidget(self.day_box, 1)
        columns = QHBoxLayout()  # the cash form and the day's closings wider than the end of day's text
        columns.addLayout(left, 3)
        columns.addWidget(self.end_box, 2)
        self.close_button = QPushButton("&Fermer")
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(today.deposit_button)
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(bottom)
        screen = self.screen().availableGeometry()  # a 1366×768 screen, or smaller at 125 %
        self.resize(min(1080, screen.width()), min(620, screen.height() - 48))

        mine.tick_button.clicked.connect(self.tick_cheques)
        mine.cash_button.clicked.connect(self.close_my_cash)
        today.validate_button.clicked.connect(self.validate_selected)
        today.report_button.clicked.connect(self.preview_report)
        today.late_button.clicked.connect(self.close_late_till)
        today.deposit_button.clicked.connect(self.open_deposits)
        end.run_button.clicked.connect(self.run_end_of_day)
        end.letters_button.clicked.connect(self.preview_letters)
        ctx.ops.changed.connect(self._data_changed)
        self.end_of_day = end_of_day_for(ctx, self.day)
        self.end_of_day.changed.connect(self._show_run)
        self.end_of_day.finished.connect(self._run_finished)
        self._show_run()
        if self.end_of_day.started and not self.end_of_day.running:
            self._run_finished()
        self.refresh()

    # --- not modal --------------------------------------------------------------------------------------
    def open(self) -> None:
        """Shown without blocking the main window: the counter stays usable (the end of day runs meanwhile)."""
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.show()
        self.raise_()
        self.activateWindow()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.cash_box.arrange(self.width())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        if not event.spontaneous():
            self.end_of_day.viewers += 1
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        if not event.spontaneous():
            self.end_of_day.viewers = max(0, self.end_of_day.viewers - 1)
        super().hideEvent(event)

    # --- reading ----------------------------------------------------------------------------------------
    def _data_changed(self) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        ops, db, actor, sid = self.ctx.ops, self.ctx.db, self.ctx.actor, self.structure_id
        if sid is None:
            return
        self.cash_box.show_expected(ops.run(lambda: day_expected(db, actor, sid), default=[]))
        self.cash_box.arrange(self.width())
        rows = ops.run(lambda: closings_of_day(db, sid, self.day), default=[])
        online = ops.run(lambda: online_payments_of_day(db, sid, self.day), default=[])
        tills = ops.run(lambda: open_past_tills(db, sid), default=[]) if self.ctx.may("closing.late") else []
        self.day_box.show_day(rows, online, tills)
        self.cash_box.show_till(next((r for r in rows if r.agent == actor.name), None), self.structure_name)

    # --- my cash ----------------------------------------------------------------------------------------
    def close_my_cash(self) -> None:
        """Close the agent's cash; the operation's key is kept for its retries (same counted amounts)."""
        data = self.cash_box.counted_input()
        db, actor, sid = self.ctx.db, self.ctx.actor, self.structure_id
        if sid is None:
            return
        keys = kept_keys(self.ctx)
        operation = (
            "cash.close",
            actor.agent_id,
            sid,
            self.day,
            data.cash,
            data.cheque_count,
            data.cheque_total,
            data.comment,
            data.card_total,
            tuple(data.cheques_present or ()),
            tuple(data.cash_by_denomination or ()),
        )
        key = keys.key(operation)

        def done(_closing_id: int) -> None:
            keys.succeeded(operation)
            self.refresh()

        def failed(failure: Failure) -> None:
            self.cash_box.show_failure(failure)
            self.refresh()  # after an unclear end: what really happened

        self.ctx.ops.run(lambda: close_cash(db, actor, sid, data, key=key), done, write=True, on_error=failed)

    def tick_cheques(self) -> None:
        """The till's cheques ticked one by one: the count and total follow the ticks (and are no longer typed)."""
        ops, db, actor, sid = self.ctx.ops, self.ctx.db, self.ctx.actor, self.structure_id
        if sid is None:
            return
        cheques = ops.run(lambda: day_cheques(db, actor, sid), default=None)
        if cheques is not None:
            self.cash_box.tick_cheques(cheques)

    def count_coins(self) -> None:
        self.cash_box.count_coins()

    def close_late_till(self) -> None:
        """A régisseur closes a past day's till left open (its agent absent or forgetful)."""
        till = self.day_box.open_tills.currentData()
        if not isinstance(till, OpenTill):
            return
        db, actor = self.ctx.db, self.ctx.actor
        dialog = self.late_dialog = LateClosingDialog(self, till)
        keys = kept_keys(self.ctx)

        def submit() -> None:
            data = dialog.value()
            operation = (
                "cash.close_late",
                actor.agent_id,
                till.structure_id,
                till.agent_id,
                till.day,
                data.cash,
                data.cheque_count,
                data.cheque_total,
                data.card_total,
                data.comment,
            )
            key = keys.key(operation)
            self.ctx.ops.form(
                dialog,
                lambda: close_late(db, actor, till.structure_id, till.agent_id, till.day, data, key=key),
                lambda _id: keys.succeeded(operation),
            )

        dialog.submitted.connect(submit)
        dialog.open()

    # --- the day ----------------------------------------------------------------------------------------
    def validate_selected(self) -> None:
        closing = self.day_box.selected_closing()
        if closing is None:
            self.ctx.ops.inform("Valider", "Sélectionnez une clôture de caisse.")
            return
        closing_id = closing.id
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.ops.run(lambda: validate_closing(db, actor, closing_id), write=True)
        self.refresh()

    def preview_report(self) -> None:
        """The daily report made and drawn on a worker thread, then previewed (``preview``)."""
        from ...services.documents.closing_report import closing_report_pdf  # reportlab only when printing

        db, sid, day, name = self.ctx.db, self.structure_id, self.day, self.ctx.actor.name
        if sid is None:
            return
        self.day_box.report_in_preparation(True)
        self.day_box.say(None)
        self.ctx.ops.run(
            rendered(lambda: closing_report_pdf(db, sid, day, name)),
            self._show_report,
            background=True,
            on_error=self._report_failed,
        )

    def preview_letters(self) -> None:
        """The day's comptes-rendus on paper for the families without e-mail, in one batch (a worker thread)."""
        from ...services.documents.letters import letters_pdf  # reportlab only when printing

        db, sid, day, name = self.ctx.db, self.structure_id, self.day, self.ctx.actor.name
        if sid is None:
            return

        def make() -> Rendered | None:
            pdf = letters_pdf(db, sid, day, name)
            return None if pdf is None else rendered(lambda: pdf)()

        self.day_box.say(None)
        self.ctx.ops.run(make, self._show_letters, background=True, on_error=self._report_failed)

    def _show_letters(self, document: Rendered | None) -> None:
        if document is None:
            self.day_box.say(
                "Aucun courrier à imprimer : toutes les familles ayant fait une demande ce jour "
                "ont une adresse e-mail."
            )
            return
        self.preview = PrintPreview(
            self,
            document,
            f"Comptes-rendus du {short_date(self.day)} – courriers",
            f"courriers-{self.day:%Y-%m-%d}.pdf",
        )
        self.preview.open()

    def _show_report(self, document: Rendered) -> None:
        self.day_box.report_in_preparation(False)
        self.preview = PrintPreview(
            self, document, f"Arrêté journalier du {short_date(self.day)}", f"arrete-{self.day:%Y-%m-%d}.pdf"
        )
        self.preview.open()

    def _report_failed(self, failure: Failure) -> None:
        self.day_box.report_in_preparation(False)
        self.day_box.say(failure.message)

    def open_deposits(self) -> None:
        """« Remise de chèques… »: the structure's cheques not yet deposited, and its bordereaux (a régisseur)."""
        if self.structure_id is None:
            return
        if self.deposit_dialog is None:
            self.deposit_dialog = DepositDialog(self, self.ctx, self.structure_id, self.structure_name)
        else:
            self.deposit_dialog.refresh()  # what was taken or deposited since it was last open
        self.deposit_dialog.open()

    # --- the end of day ---------------------------------------------------------------------------------
    def run_end_of_day(self) -> None:
        """Start the end of day (transmission, then e-mails) on worker threads; its steps are shown as they go."""
        self.end_box.show_summary(None)
        start_end_of_day(self.end_of_day, self.ctx.actor)

    def _show_run(self) -> None:
        self.end_box.show_run(self.end_of_day)

    def _run_finished(self) -> None:
        self.end_box.show_summary(self.end_of_day.lines)
        self.refresh()
