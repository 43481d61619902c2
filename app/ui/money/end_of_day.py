"""The end of day at the counter: its three steps (the transmission of the day's requests, the comptes-rendus to
the families, the e-mails), their states as the worker threads report them, and their box in the closing window.

The run belongs to the counter window (``end_of_day_for``), not to a dialog: closing the dialog does not stop it,
opening it again shows where it is, and its summary is shown once it ends (in the dialog, or in a message when no
dialog is open). The closing window starts it (``closing_dialog.start_end_of_day``): the services run there,
through the window's operations.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from weakref import WeakKeyDictionary

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...services.end_of_day.mailer import SendReport
from ...services.end_of_day.transmission import EndOfDayReport
from ...services.uow import Database
from ...text import count, plural
from ..context import CounterContext
from ..operations import Failure, Operations

NO_SMTP = "Pas de serveur d'envoi configuré : les e-mails partiront avec la tâche de nuit."


class Step(Enum):
    WAITING = ("○", "#90a4ae")
    RUNNING = ("►", "#1f4e79")
    DONE = ("✓", "#1b5e20")
    SKIPPED = ("–", "#607d8b")
    FAILED = ("✗", "#b00020")


STEPS = ("Transmission des demandes", "Comptes-rendus", "Envoi des e-mails")
REPORT, REPORTS = "compte-rendu", "comptes-rendus"


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
    """One end of day of a counter window: its steps' states and details, its progress and its summary, as the
    transmission (a write) then the e-mails report them from their worker threads; ``changed`` after every step,
    ``finished`` at the end (``lines``: the summary)."""

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

    def begin(self) -> int | None:
        """A new run begun, its first step shown: its number (for its progress reports); None while one runs."""
        if self.running:
            return None
        self.running = self.started = True
        self.runs += 1
        self.states = [Step.WAITING] * len(STEPS)
        self.details = [""] * len(STEPS)
        self.lines = []
        self._step(0, Step.RUNNING, "Recherche des demandes non transmises…", 5)
        return self.runs

    def _step(self, index: int, state: Step, detail: str | None = None, percent: int | None = None) -> None:
        self.states[index] = state
        if detail is not None:
            self.details[index] = detail
        if percent is not None:
            self.percent = percent
        self.changed.emit()

    def progress(self, run: int, text: str, percent: int) -> None:
        """The transmission's own steps (from the worker, relayed here): its search, then the comptes-rendus."""
        if run != self.runs or (self.states[0] is not Step.RUNNING and self.states[1] is not Step.RUNNING):
            return  # a late report of a step already ended
        if percent < 50:
            self._step(0, Step.RUNNING, text, max(5, percent * 60 // 100))
        elif percent < 100:
            self.states[0] = Step.DONE
            self.details[0] = text.partition(" ; ")[0]
            self._step(1, Step.RUNNING, "Préparation des comptes-rendus aux familles…", 30)

    def transmitted(self, report: EndOfDayReport) -> None:
        """The transmission done: its two steps said, the e-mails' step begun."""
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

    def transmission_failed(self, failure: Failure) -> None:
        """One transaction: nothing of it was transmitted nor queued."""
        self.states = [Step.FAILED, Step.WAITING, Step.WAITING]
        self.details = [failure.message, "", ""]
        self.lines = [f"La fin de journée n'a pas abouti : {failure.message}", "Vous pouvez la relancer."]
        self._finish()

    def sent(self, report: SendReport | None) -> None:
        """The e-mails sent (None: no SMTP server is configured), and the run ended."""
        if report is None:
            self.states[2], self.details[2] = Step.SKIPPED, NO_SMTP
            self.lines.append(NO_SMTP)
        else:
            self.states[2], self.details[2] = _sending_step(report)
            self.lines += report.lines()
        self._finish()

    def send_failed(self, failure: Failure) -> None:
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


class EndOfDayBox(QGroupBox):
    """« Fin de journée »: what it does, « Lancer la fin de journée » and « Courriers… », the progress, the steps
    and the summary; ``below`` under them (the past days' tills left open, where there is room)."""

    def __init__(self, below: QWidget) -> None:
        super().__init__("Fin de journée")
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
        run_row = QHBoxLayout()
        run_row.addWidget(self.letters_button)
        run_row.addStretch(1)
        run_row.addWidget(self.run_button)
        end_layout = QVBoxLayout(self)
        end_layout.addWidget(explain)
        end_layout.addLayout(run_row)
        end_layout.addWidget(self.progress)
        end_layout.addLayout(steps)
        end_layout.addWidget(self.summary_title)
        end_layout.addWidget(self.summary_box, 1)
        end_layout.addStretch(0)  # the steps at the top while no summary is shown
        end_layout.addWidget(below)

    def show_run(self, run: EndOfDay) -> None:
        """Where ``run`` is: the button while it runs, the progress, each step's mark and detail."""
        self.run_button.setEnabled(not run.running)
        self.run_button.setText("Fin de journée en cours…" if run.running else "Lancer la fin de journée")
        self.progress.setValue(run.percent)
        self.progress.setVisible(run.started)
        for row, state, detail in zip(self.steps, run.states, run.details, strict=True):
            row.show(state, detail)

    def show_summary(self, lines: list[str] | None) -> None:
        """The summary of the run that ended; None: hidden (a run begins)."""
        if lines is None:
            self.summary_box.hide()
            self.summary_title.hide()
            return
        self.summary.setText("\n".join(lines))
        self.summary_box.show()
        self.summary_title.show()
