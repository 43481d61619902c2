""" "Clôture de la journée": the agent's cash closing, the end of day (transmission, comptes-rendus, e-mails) on
worker threads with its steps shown, the daily report, and the supervisor's validation of the day's closings.

The dialog is not modal: the counter stays usable while the end of day runs. The run belongs to the counter
window, not to the dialog: closing the dialog does not stop it, opening the dialog again shows where it is, and
its summary is shown once it ends (in the dialog, or in a message when no dialog is open).
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from weakref import WeakKeyDictionary

from babel.dates import format_date
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...services.actors import Actor
from ...services.end_of_day.mailer import SendReport, SmtpSettings, send_pending
from ...services.end_of_day.transmission import EndOfDayReport, transmit_day
from ...services.money.amounts import format_eur
from ...services.money.cash_closing import (
    CountedInput,
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
from ...text import count, plural
from ..context import CounterContext
from ..documents.print_preview import PrintPreview, Rendered, rendered
from ..families.family_dialog import INVALID
from ..keys import kept_keys
from ..operations import Failure, Operations
from ..table_model import Column, RowsModel
from ..widgets import table_view
from .till_count import ChequeChecklist, DenominationDialog, LateClosingDialog, counted_fields

NO_SMTP = "Pas de serveur d'envoi configuré : les e-mails partiront avec la tâche de nuit."


class Step(Enum):
    WAITING = ("○", "#90a4ae")
    RUNNING = ("►", "#1f4e79")
    DONE = ("✓", "#1b5e20")
    SKIPPED = ("–", "#607d8b")
    FAILED = ("✗", "#b00020")


STEPS = ("Transmission des demandes", "Comptes-rendus", "Envoi des e-mails")
REPORT, REPORTS = "compte-rendu", "comptes-rendus"


def _send_pending(db: Database) -> SendReport | None:
    """The due e-mails sent now (20-second timeouts), or None when no SMTP server is configured."""
    settings = SmtpSettings.from_env()
    return None if settings is None else send_pending(db, settings)


def _sending_step(report: SendReport) -> tuple[Step, str]:
    """The e-mail step in a few words (the summary has the detail)."""
    if report.unreachable:
        waiting = count(report.remaining, "message en attente", "messages en attente")
        sent = plural(report.remaining, "envoyé")
        return Step.FAILED, f"Serveur d'envoi injoignable : {waiting}, {sent} à la prochaine exécution."
    parts = [count(report.sent, "e-mail envoyé", "e-mails envoyés")]
    if report.retried:
        parts.append(f"{report.retried} à réessayer plus tard")
    if report.failed:
        parts.append(count(len(report.failed), "abandonné"))
    if report.remaining:
        parts.append(f"{report.remaining} en attente")
    return Step.DONE, ", ".join(parts) + "."


class EndOfDay(QObject):
    """One end of day of a counter window: the transmission (a write), then the e-mails, each on a worker thread
    through the operations; ``changed`` after every step, ``finished`` at the end (``lines``: the summary)."""

    changed = Signal()
    finished = Signal()

    def __init__(self, ops: Operations, db: Database, day: date) -> None:
        super().__init__()
        self.ops, self.db, self.day = ops, db, day
        self.states = [Step.WAITING] * len(STEPS)
        self.details = [""] * len(STEPS)
        self.percent = 0
        self.running = False
        self.started = False
        self.runs = 0
        """How many times it was started: a late progress report of an earlier run is left out."""
        self.lines: list[str] = []
        self.viewers = 0
        """Dialogs showing the run; with none when it ends, its summary is shown in a message."""

    def start(self, actor: Actor) -> None:
        """Start it for ``actor`` (recorded in the journal); nothing happens while it runs already."""
        if self.running:
            return
        self.running = self.started = True
        self.runs += 1
        run = self.runs
        self.states = [Step.WAITING] * len(STEPS)
        self.details = [""] * len(STEPS)
        self.lines = []
        self._step(0, Step.RUNNING, "Recherche des demandes non transmises…", 5)
        db, day, agent_id = self.db, self.day, actor.agent_id
        progress = self.ops.reporter(lambda text, percent: self._progress(run, text, percent))
        self.ops.run(
            lambda: transmit_day(db, day, progress, agent_id),
            self._transmitted,
            write=True,
            background=True,
            on_error=self._transmission_failed,
        )

    def _step(self, index: int, state: Step, detail: str | None = None, percent: int | None = None) -> None:
        self.states[index] = state
        if detail is not None:
            self.details[index] = detail
        if percent is not None:
            self.percent = percent
        self.changed.emit()

    def _progress(self, run: int, text: str, percent: int) -> None:
        """The transmission's own steps (from the worker, relayed here): its search, then the comptes-rendus."""
        if run != self.runs or (self.states[0] is not Step.RUNNING and self.states[1] is not Step.RUNNING):
            return  # a late report of a step already ended
        if percent < 50:
            self._step(0, Step.RUNNING, text, max(5, percent * 60 // 100))
        elif percent < 100:
            self.states[0] = Step.DONE
            self.details[0] = text.partition(" ; ")[0]
            self._step(1, Step.RUNNING, "Préparation des comptes-rendus aux familles…", 30)

    def _transmitted(self, report: EndOfDayReport) -> None:
        if report.already_done:
            self.states[0], self.details[0] = Step.DONE, "Rien de nouveau à transmettre (déjà fait)."
            self.states[1], self.details[1] = Step.SKIPPED, "Aucun compte-rendu à préparer."
        else:
            self.states[0] = Step.DONE
            self.details[0] = f"{count(report.transmitted, 'demande transmise', 'demandes transmises')}."
            without = len(report.families_without_email)
            self.states[1] = Step.DONE
            self.details[1] = (
                count(report.families_notified, REPORT, REPORTS)
                + " mis en file d'envoi"
                + (
                    f", {count(without, 'famille sans e-mail', 'familles sans e-mail')} à prévenir autrement."
                    if without
                    else "."
                )
            )
        self.lines = report.lines()
        queued = "" if report.already_done else f"{count(report.families_notified, REPORT, REPORTS)} et "
        self._step(
            2,
            Step.RUNNING,
            f"Envoi de {queued}des messages en attente (serveur d'envoi joint en 20 secondes au plus)…",
            60,
        )
        db = self.db
        self.ops.run(lambda: _send_pending(db), self._sent, background=True, on_error=self._send_failed)

    def _transmission_failed(self, failure: Failure) -> None:
        """One transaction: nothing of it was transmitted nor queued."""
        self.states = [Step.FAILED, Step.WAITING, Step.WAITING]
        self.details = [failure.message, "", ""]
        self.lines = [f"La fin de journée n'a pas abouti : {failure.message}", "Vous pouvez la relancer."]
        self._finish()

    def _sent(self, report: SendReport | None) -> None:
        if report is None:
            self.states[2], self.details[2] = Step.SKIPPED, NO_SMTP
            self.lines.append(NO_SMTP)
        else:
            self.states[2], self.details[2] = _sending_step(report)
            self.lines += report.lines()
        self._finish()

    def _send_failed(self, failure: Failure) -> None:
        self.states[2], self.details[2] = Step.FAILED, failure.message
        self.lines.append(f"Envoi des e-mails impossible : {failure.message}")
        self._finish()

    def _finish(self) -> None:
        self.running = False
        self.percent = 100
        self.changed.emit()
        self.finished.emit()
        if self.viewers == 0:  # nobody is looking at a closing dialog: the summary in a message
            self.ops.inform("Fin de journée", "\n".join(self.lines))


_runs: WeakKeyDictionary[CounterContext, EndOfDay] = WeakKeyDictionary()


def end_of_day_for(ctx: CounterContext, day: date) -> EndOfDay:
    """The counter window's end of day for ``day`` (running or ended), or a new one."""
    run = _runs.get(ctx)
    if run is None or (run.day != day and not run.running):
        run = _runs[ctx] = EndOfDay(ctx.ops, ctx.db, day)
    return run


class StepRow:
    """One step of the end of day on screen: its mark, its title and what it did."""

    def __init__(self, grid: QGridLayout, row: int, title: str) -> None:
        self.mark = QLabel()
        self.mark.setFixedWidth(18)
        self.mark.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel(title)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(self.mark, row, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.title, row, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.detail, row, 2)

    def show(self, state: Step, detail: str) -> None:
        symbol, colour = state.value
        self.mark.setText(symbol)
        self.mark.setStyleSheet(f"color:{colour}; font-weight:600;")
        weight = "600" if state is Step.RUNNING else "normal"
        self.title.setStyleSheet(
            f"font-weight:{weight}; color:{'#607d8b' if state is Step.WAITING else 'black'};"
        )
        self.detail.setText(detail)
        self.detail.setStyleSheet(f"color:{'#b00020' if state is Step.FAILED else '#37474f'};")


def _fit_columns(view: QTableView) -> None:
    """``view`` at least as wide as its columns' contents: never a horizontal scroll bar nor a cut amount."""
    header, model = view.horizontalHeader(), view.model()
    width = sum(max(view.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(model.columnCount()))
    view.setMinimumWidth(width + 2 * view.frameWidth())


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
        structure = self.structure_name = next(
            (s.name for s in ctx.structures if s.id == self.structure_id), ""
        )
        self.setWindowTitle(f"Clôture de la journée – {structure}")

        # --- my cash ------------------------------------------------------------------------------------
        self.expected = RowsModel(
            [
                Column("Mode", lambda t: t.label),
                Column("Règlements", lambda t: str(t.count), right=True),
                Column("Montant attendu", lambda t: format_eur(t.cents), right=True),
            ]
        )
        counted = counted_fields()
        self.cash, self.cheque_count, self.cheque_total = (
            counted["cash"],
            counted["cheque_count"],
            counted["cheque_total"],
        )
        self.card_total, self.comment = counted["card_total"], counted["comment"]
        self.cheques_present: list[int] | None = None
        """The till's cheques ticked one by one (« Cocher… »); None: counted by number and total."""
        self.cash_detail: list[tuple[int, int]] | None = None
        """The cash counted by notes and coins (« Par coupures… »), while the cash typed is their total."""
        self.tick_button = QPushButton("Cocher les chèques…")
        self.tick_button.setToolTip(
            "Cocher chaque chèque de la caisse : un chèque non coché est noté manquant."
        )
        self.tick_button.clicked.connect(self.tick_cheques)
        self.coins_button = QPushButton("Compter par coupures…")
        self.coins_button.setToolTip(
            "Compter les billets et les pièces : leur total devient les espèces comptées."
        )
        self.coins_button.clicked.connect(self.count_coins)
        self.cash.textEdited.connect(lambda _text: setattr(self, "cash_detail", None))
        self.fields: dict[str, QWidget] = dict(counted)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.errors = QLabel()
        self.errors.setObjectName("alert")
        self.errors.setTextFormat(
            Qt.TextFormat.PlainText
        )  # a service's message holds names: text, never markup
        self.errors.setProperty("severe", True)
        self.errors.setWordWrap(True)
        self.errors.hide()
        self.cash_button = QPushButton("Clôturer ma caisse")
        self.cash_button.setObjectName("primary")
        cash_box = self.cash_box = QGroupBox(f"Ma caisse – {ctx.actor.name} – {structure}")
        """Which till it closes: this agent's at this structure (another structure's is closed from there)."""
        self.status.setStyleSheet("font-weight:600;")
        self.counted = QWidget()
        """What the agent counted, beside what was expected; hidden once the cash is closed."""
        form = QFormLayout(self.counted)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Espèces (€)", self.cash)
        form.addRow("Nb de chèques", self.cheque_count)
        form.addRow("Chèques (€)", self.cheque_total)
        form.addRow("Ticket CB (€)", self.card_total)

        self.card_total.setToolTip("Le total du ticket de fin de journée du terminal de carte bancaire")
        self.comment_row = QWidget()
        """The comment, the whole width of the box; hidden once the cash is closed."""
        comment_form = QFormLayout(self.comment_row)
        comment_form.setContentsMargins(0, 0, 0, 0)
        comment_form.addRow("Commentaire", self.comment)
        self.comment_label = comment_form.labelForField(self.comment)
        self.counted_labels = [
            form.labelForField(field)
            for field in (self.cash, self.cheque_count, self.cheque_total, self.card_total)
        ]
        expected_view = table_view(self.expected, stretch=0)
        expected_view.setFixedHeight(  # the four payment methods, no scroll bar
            expected_view.horizontalHeader().sizeHint().height() + 4 * 24 + 2 * expected_view.frameWidth()
        )
        expected_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        expected_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.expected_view = expected_view
        cash_row = QHBoxLayout()
        cash_row.addWidget(self.status, 1)
        for button in (self.coins_button, self.tick_button):  # the ways of counting more closely
            cash_row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        cash_row.addWidget(self.cash_button, 0, Qt.AlignmentFlag.AlignTop)
        for edit in (
            self.cash,
            self.cheque_count,
            self.cheque_total,
            self.card_total,
        ):  # « 100 000,00 » shows
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("100 000,00") + 16)
        self.expected_and_counted = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        """Expected and counted side by side, so that the day's closings below keep the height; one above the
        other when the dialog is too narrow for both (``_arrange``)."""
        self.expected_and_counted.addWidget(expected_view, 1, Qt.AlignmentFlag.AlignTop)
        self.expected_and_counted.addWidget(self.counted, 1, Qt.AlignmentFlag.AlignTop)
        cash_layout = QVBoxLayout(cash_box)
        cash_layout.addWidget(
            QLabel("Attendu d'après les reçus du jour (carte et virement repris tels quels) :")
        )
        cash_layout.addLayout(self.expected_and_counted)
        cash_layout.addWidget(self.comment_row)
        cash_layout.addWidget(self.errors)
        cash_layout.addLayout(cash_row)

        # --- the day's closings -------------------------------------------------------------------------
        self.closings = RowsModel(
            [
                Column("Agent", lambda c: c.agent),
                Column("Écart", lambda c: format_eur(c.discrepancy_cents), right=True),
                Column("État", lambda c: f"validée ({c.validated_by})" if c.validated_by else "à valider"),
                Column("Commentaire", lambda c: c.comment),
            ]
        )
        self.closings_view = table_view(self.closings)
        self.closings_view.setMinimumHeight(26 + 2 * 24 + 4)
        self.validate_button = QPushButton("Valider la clôture sélectionnée")
        self.validate_button.setVisible(ctx.may("closing.validate"))
        ctx.role_changed.connect(lambda: self.validate_button.setVisible(ctx.may("closing.validate")))
        self.report_button = QPushButton("Rapport du jour…")
        self.open_tills = QComboBox()
        """The tills of past days left open (a régisseur closes them late)."""
        self.late_button = QPushButton("Clôturer en retard…")
        self.late_button.clicked.connect(self.close_late_till)
        self.late_row = QWidget()
        """The past days' tills left open, for a régisseur: beside the end of day, where there is room."""
        late_layout = QVBoxLayout(self.late_row)
        late_layout.setContentsMargins(0, 0, 0, 0)
        late_title = QLabel("Caisses restées ouvertes les jours passés :")
        late_title.setWordWrap(True)
        late_layout.addWidget(late_title)
        late_layout.addWidget(self.open_tills)
        late_buttons = QHBoxLayout()
        late_buttons.addStretch(1)
        late_buttons.addWidget(self.late_button)
        late_layout.addLayout(late_buttons)
        self.late_row.hide()
        self.online_note = QLabel()
        """The day's online payments: in no till, listed apart (the report lists them one by one)."""
        self.online_note.setStyleSheet("color:#37474f;")
        self.day_note = QLabel()
        self.day_note.setWordWrap(True)
        self.day_note.setStyleSheet("color:#b00020;")
        self.day_note.hide()
        day_box = QGroupBox(
            f"Clôtures de caisse du {format_date(self.day, 'EEEE d MMMM y', locale='fr_FR')} – {structure}"
        )
        actions = QHBoxLayout()
        actions.addWidget(self.validate_button)
        actions.addStretch(1)
        actions.addWidget(self.online_note)
        actions.addWidget(self.report_button)
        day_layout = QVBoxLayout(day_box)
        day_layout.addWidget(self.closings_view, 1)
        day_layout.addLayout(actions)
        day_layout.addWidget(self.day_note)

        # --- the end of day -----------------------------------------------------------------------------
        self.run_button = QPushButton("Lancer la fin de journée")
        self.run_button.setObjectName("primary")
        explain = QLabel(
            "Transmet les demandes du jour, prépare les comptes-rendus aux familles et envoie les "
            "e-mails. Vous pouvez continuer à travailler au guichet pendant ce temps."
        )
        explain.setWordWrap(True)
        explain.setStyleSheet("color:#546e7a;")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(10)
        steps = QGridLayout()
        steps.setColumnStretch(2, 1)
        steps.setHorizontalSpacing(8)
        steps.setVerticalSpacing(8)
        self.steps = [StepRow(steps, i, title) for i, title in enumerate(STEPS)]
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setStyleSheet("background:#f5f8fa; padding:6px;")
        self.summary_box = QScrollArea()
        """The summary, scrolled when a long one (many families without e-mail) is taller than the room."""
        self.summary_box.setWidget(self.summary)
        self.summary_box.setWidgetResizable(True)
        self.summary_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.summary_box.hide()
        self.summary_title = QLabel("Compte rendu de la fin de journée :")
        self.summary_title.hide()
        self.letters_button = QPushButton("Courriers…")
        self.letters_button.setToolTip(
            "Les comptes-rendus du jour sur papier, pour les familles sans adresse e-mail"
        )
        self.letters_button.clicked.connect(self.preview_letters)
        run_row = QHBoxLayout()
        run_row.addWidget(self.letters_button)
        run_row.addStretch(1)
        run_row.addWidget(self.run_button)
        end_box = QGroupBox("Fin de journée")
        end_layout = QVBoxLayout(end_box)
        end_layout.addWidget(explain)
        end_layout.addLayout(run_row)
        end_layout.addWidget(self.progress)
        end_layout.addLayout(steps)
        end_layout.addWidget(self.summary_title)
        end_layout.addWidget(self.summary_box, 1)
        end_layout.addStretch(0)  # the steps at the top while no summary is shown
        end_layout.addWidget(self.late_row)

        left = QVBoxLayout()
        left.addWidget(cash_box)
        left.addWidget(day_box, 1)
        columns = QHBoxLayout()  # the cash form and the day's closings wider than the end of day's text
        columns.addLayout(left, 3)
        columns.addWidget(end_box, 2)
        self.close_button = QPushButton("&Fermer")
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(bottom)
        screen = self.screen().availableGeometry()  # a 1366×768 screen, or smaller at 125 %
        self.resize(min(1080, screen.width()), min(620, screen.height() - 48))

        self.cash_button.clicked.connect(self.close_my_cash)
        self.validate_button.clicked.connect(self.validate_selected)
        self.run_button.clicked.connect(self.run_end_of_day)
        self.report_button.clicked.connect(self.preview_report)
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
        self._arrange()

    def _arrange(self) -> None:
        """The counted fields beside the expected totals when the cash column (three fifths of the dialog, less
        its margins) holds both, else under them."""
        need = self.expected_view.minimumWidth() + self.counted.minimumSizeHint().width() + 12
        wide = self.width() * 3 // 5 - 60 >= need
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.expected_and_counted.direction() != direction:
            self.expected_and_counted.setDirection(direction)
        # one above the other: the comment's field aligned with the counted ones
        label = 0 if wide else max(label.sizeHint().width() for label in self.counted_labels)
        self.comment_label.setMinimumWidth(label)

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
        self.expected.set_rows(ops.run(lambda: day_expected(db, actor, sid), default=[]))
        _fit_columns(self.expected_view)
        self._arrange()
        rows = ops.run(lambda: closings_of_day(db, sid, self.day), default=[])
        self.closings.set_rows(rows)
        online = ops.run(lambda: online_payments_of_day(db, sid, self.day), default=[])
        total = format_eur(sum(p.amount_cents for p in online))
        self.online_note.setText(f"En ligne, hors caisse : {count(len(online), 'paiement')}, {total}")
        self.online_note.setToolTip(
            "Les paiements par carte sur le portail ne sont dans la caisse d'aucun agent : le rapport du jour les "
            "liste un à un, à rapprocher du relevé du site de paiement (PayFiP)."
        )
        tills = ops.run(lambda: open_past_tills(db, sid), default=[]) if self.ctx.may("closing.late") else []
        self.open_tills.clear()
        for till in tills:
            self.open_tills.addItem(
                f"{till.agent} – {till.day:%d/%m/%Y} ({count(till.payments, 'règlement')}, "
                f"{format_eur(till.cents)})",
                till,
            )
        self.late_row.setVisible(bool(tills))
        mine = next((r for r in rows if r.agent == actor.name), None)
        self.cash_button.setEnabled(mine is None)
        self.coins_button.setVisible(mine is None)
        self.tick_button.setVisible(mine is None)
        for edit in self.fields.values():
            edit.setEnabled(mine is None)
        self.counted.setVisible(mine is None)
        self.comment_row.setVisible(mine is None)
        self.status.setText(
            f"Caisse {self.structure_name} clôturée (écart {format_eur(mine.discrepancy_cents)}) : plus aucun "
            f"règlement ne peut y être enregistré aujourd'hui par vous (une autre structure a sa propre caisse)."
            if mine
            else "Caisse ouverte."
        )

    # --- my cash ----------------------------------------------------------------------------------------
    def close_my_cash(self) -> None:
        """Close the agent's cash; the operation's key is kept for its retries (same counted amounts)."""
        for widget in self.fields.values():
            widget.setStyleSheet("")
            widget.setToolTip("")
        self.errors.hide()
        db, actor, sid = self.ctx.db, self.ctx.actor, self.structure_id
        if sid is None:
            return
        data = CountedInput(
            self.cash.text().strip(),
            self.cheque_count.text().strip(),
            self.cheque_total.text().strip(),
            self.comment.text().strip(),
            self.card_total.text().strip(),
            None if self.cheques_present is None else list(self.cheques_present),
            None if self.cash_detail is None else list(self.cash_detail),
        )
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
            self.show_failure(failure)
            self.refresh()  # after an unclear end: what really happened

        self.ctx.ops.run(lambda: close_cash(db, actor, sid, data, key=key), done, write=True, on_error=failed)

    def show_failure(self, failure: Failure) -> None:
        """The message under the form; each faulty field marked, its own message as its tooltip, the first one
        focused (an empty count is asked for there)."""
        faulty = [self.fields[name] for name in failure.fields if name in self.fields]
        for name, message in failure.fields.items():
            if name in self.fields:
                self.fields[name].setStyleSheet(INVALID)
                self.fields[name].setToolTip(message)
        if faulty:
            faulty[0].setFocus()
        self.errors.setText(failure.message)
        self.errors.show()

    def tick_cheques(self) -> None:
        """The till's cheques ticked one by one: the count and total follow the ticks (and are no longer typed)."""
        ops, db, actor, sid = self.ctx.ops, self.ctx.db, self.ctx.actor, self.structure_id
        if sid is None:
            return
        cheques = ops.run(lambda: day_cheques(db, actor, sid), default=None)
        if cheques is None:
            return
        dialog = ChequeChecklist(self, cheques, self.cheques_present)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.cheques_present = dialog.value()
        ticked = set(self.cheques_present)
        cents = sum(c.cents for c in cheques if c.payment_id in ticked)
        self.cheque_count.setText(str(len(ticked)))
        self.cheque_total.setText(f"{cents // 100},{cents % 100:02d}")
        for edit in (self.cheque_count, self.cheque_total):
            edit.setReadOnly(True)
            edit.setToolTip("D'après les chèques cochés (« Cocher un à un… »)")

    def count_coins(self) -> None:
        dialog = DenominationDialog(self, self.cash_detail)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.cash_detail = dialog.value() or None
        cents = dialog.cents()
        self.cash.setText(f"{cents // 100},{cents % 100:02d}")

    def close_late_till(self) -> None:
        """A régisseur closes a past day's till left open (its agent absent or forgetful)."""
        till = self.open_tills.currentData()
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
        index = self.closings_view.currentIndex()
        if not index.isValid():
            self.ctx.ops.inform("Valider", "Sélectionnez une clôture de caisse.")
            return
        closing_id = self.closings.rows[index.row()].id
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.ops.run(lambda: validate_closing(db, actor, closing_id), write=True)
        self.refresh()

    def preview_report(self) -> None:
        """The daily report made and drawn on a worker thread, then previewed (``preview``)."""
        from ...services.documents.closing_report import closing_report_pdf  # reportlab only when printing

        db, sid, day, name = self.ctx.db, self.structure_id, self.day, self.ctx.actor.name
        if sid is None:
            return
        self.report_button.setEnabled(False)
        self.report_button.setText("Rapport en préparation…")
        self.day_note.hide()
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

        self.day_note.hide()
        self.ctx.ops.run(make, self._show_letters, background=True, on_error=self._report_failed)

    def _show_letters(self, document: Rendered | None) -> None:
        if document is None:
            self.day_note.setText(
                "Aucun courrier à imprimer : toutes les familles ayant fait une demande ce jour "
                "ont une adresse e-mail."
            )
            self.day_note.show()
            return
        self.preview = PrintPreview(
            self,
            document,
            f"Comptes-rendus du {self.day:%d/%m/%Y} – courriers",
            f"courriers-{self.day:%Y-%m-%d}.pdf",
        )
        self.preview.open()

    def _report_ready(self) -> None:
        self.report_button.setEnabled(True)
        self.report_button.setText("Rapport du jour…")

    def _show_report(self, document: Rendered) -> None:
        self._report_ready()
        self.preview = PrintPreview(
            self, document, f"Arrêté journalier du {self.day:%d/%m/%Y}", f"arrete-{self.day:%Y-%m-%d}.pdf"
        )
        self.preview.open()

    def _report_failed(self, failure: Failure) -> None:
        self._report_ready()
        self.day_note.setText(failure.message)
        self.day_note.show()

    # --- the end of day ---------------------------------------------------------------------------------
    def run_end_of_day(self) -> None:
        """Start the end of day (transmission, then e-mails) on worker threads; its steps are shown as they go."""
        self.summary_box.hide()
        self.summary_title.hide()
        self.end_of_day.start(self.ctx.actor)

    def _show_run(self) -> None:
        run = self.end_of_day
        self.run_button.setEnabled(not run.running)
        self.run_button.setText("Fin de journée en cours…" if run.running else "Lancer la fin de journée")
        self.progress.setValue(run.percent)
        self.progress.setVisible(run.started)
        for row, state, detail in zip(self.steps, run.states, run.details, strict=True):
            row.show(state, detail)

    def _run_finished(self) -> None:
        self.summary.setText("\n".join(self.end_of_day.lines))
        self.summary_box.show()
        self.summary_title.show()
        self.refresh()
