"""Administration → Périodes and Journées: an activity's holiday periods with the opening date of their bookings
(changed period by period, administrators), and its days month by month with their capacity and their closing
(supervisors and administrators). After a write, ``changed`` asks the window to read every tab again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, QModelIndex, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...models import OpeningKind, PeriodOpeningRule
from ...services.booking import days
from ...services.bounds import Text
from ...services.setup import school_year
from ...services.setup import views as admin_views
from ...services.setup.activities import ActivityDetail, activity_details
from ...text import count, format_eur, short_date
from ..context import CounterContext
from ..keys import kept_keys
from ..table_model import Column, RowsModel
from ..widgets import NameCombo, bound, date_edit, date_of, limit_of, number_range, table_view
from .activity_words import RULE_LABELS


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _activity_label(a: ActivityDetail) -> str:
    return f"{a.name} – {a.structure}" + (" (archivée)" if not a.active else "")


def fill_activities(
    ctx: CounterContext, combo: QComboBox, wanted: Callable[[ActivityDetail], bool] = lambda a: True
) -> None:
    """(Re)fill an activity chooser, keeping the choice (activities come and go in the Activités tab)."""
    current = combo.currentData()
    rows = ctx.ops.run(lambda: activity_details(ctx.db), default=[])
    combo.blockSignals(True)
    combo.clear()
    for a in sorted(rows, key=lambda a: (not a.active, a.structure, a.name)):
        if wanted(a):
            combo.addItem(_activity_label(a), a.id)
    if current is None:  # at first: the current structure's first activity
        here = [a.id for a in rows if a.structure_id == ctx.structure_id and a.active and wanted(a)]
        current = min(here, key=lambda i: combo.findData(i), default=None)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)


class PeriodsPanel(QWidget):
    """The periods of an activity opened period by period; the one chosen gets a new opening date."""

    changed = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.activity = NameCombo(34)
        today = local_today(self.ctx.db.clock)
        self.rows = RowsModel(
            [
                Column("Période", lambda p: p.name),
                Column("Année scolaire", lambda p: p.school_year),
                Column("Du", lambda p: short_date(p.start)),
                Column("Au", lambda p: short_date(p.end)),
                Column("Ouverture des réservations", lambda p: short_date(p.opening)),
                Column("Règle d'ouverture", lambda p: RULE_LABELS[PeriodOpeningRule(p.rule)]),
            ]
        )
        self.view = table_view(self.rows)
        self.opening_date = date_edit(today)
        change = QPushButton("Changer la date d'ouverture de la période choisie")
        top = QHBoxLayout()
        top.addWidget(QLabel("Activité"))
        top.addWidget(self.activity)
        top.addStretch(1)
        hint = QLabel(
            "Les périodes d'une activité des vacances viennent du calendrier de l'année scolaire ; "
            "leur date d'ouverture suit la règle de l'activité et peut être changée ici, période par "
            "période (elle est alors gardée telle quelle)."
        )
        hint.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("Nouvelle date d'ouverture"))
        bottom.addWidget(self.opening_date)
        bottom.addWidget(change)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(hint)
        layout.addWidget(self.view)
        layout.addLayout(bottom)
        change.clicked.connect(self.change_opening)
        self.activity.currentIndexChanged.connect(lambda _i: self._load_periods())
        self.view.selectionModel().currentRowChanged.connect(self._period_chosen)
        self.load()

    def load(self) -> None:
        fill_activities(self.ctx, self.activity, lambda a: a.opening_kind is OpeningKind.PERIOD)
        self._load_periods()

    def _load_periods(self) -> None:
        activity = self.activity.currentData() or 0
        self.rows.set_rows(self.ctx.ops.run(lambda: admin_views.periods(self.ctx.db, activity), default=[]))

    def _period_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.opening_date.setDate(_qdate(self.rows.rows[current.row()].opening))

    def change_opening(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            period_id = self.rows.rows[index.row()].id
            opening = date_of(self.opening_date)
            self.ctx.ops.run(
                lambda: school_year.set_opening_date(self.ctx.db, self.ctx.actor, period_id, opening),
                lambda _none: self.changed.emit(),
                write=True,
            )


class DaysPanel(QWidget):
    """The days of an activity in a month: their places and waiting list; the one chosen gets a new capacity or
    is closed (both with a reason)."""

    changed = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.activity = NameCombo(34)
        self.month = date_edit(local_today(self.ctx.db.clock))
        self.month.setDisplayFormat("MM/yyyy")
        self.rows = RowsModel(
            [
                Column("Jour", lambda d: short_date(d.day)),
                Column("Capacité", lambda d: str(d.capacity), right=True),
                Column("Acceptées", lambda d: str(d.accepted), right=True),
                Column("En attente", lambda d: str(d.waiting), right=True),
                Column("État", lambda d: f"fermée : {d.reason}" if d.closed else "ouverte"),
            ]
        )
        self.view = table_view(self.rows)
        self.capacity = QSpinBox()
        self.capacity.setRange(*number_range(days.set_capacity, "capacity"))
        reason = min(limit_of(days.set_capacity, "reason"), limit_of(days.close_day, "reason"))
        self.reason = bound(QLineEdit(), Text(max_len=reason))  # the reason of both buttons
        self.reason.setPlaceholderText("motif (obligatoire)")
        set_capacity = QPushButton("Modifier la capacité")
        close_day = QPushButton("Fermer la journée…")
        self.result = QLabel()
        self.result.setWordWrap(True)
        top = QHBoxLayout()
        w: QWidget
        for w in (QLabel("Activité"), self.activity, QLabel("Mois"), self.month):
            top.addWidget(w)
        top.addStretch(1)
        bottom = QHBoxLayout()
        for w in (QLabel("Capacité"), self.capacity, self.reason, set_capacity, close_day):
            bottom.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view)
        layout.addLayout(bottom)
        layout.addWidget(self.result)
        self.view.selectionModel().currentRowChanged.connect(self._day_chosen)
        set_capacity.clicked.connect(self.set_capacity)
        close_day.clicked.connect(self.close_day)
        self.activity.currentIndexChanged.connect(lambda _i: self._load_days())
        self.month.dateChanged.connect(lambda _d: self._load_days())
        self.load()

    def load(self) -> None:
        fill_activities(self.ctx, self.activity)
        self._load_days()

    def _load_days(self) -> None:
        q = self.month.date()
        activity = self.activity.currentData() or 0
        self.rows.set_rows(
            self.ctx.ops.run(lambda: admin_views.days(self.ctx.db, activity, q.year(), q.month()), default=[])
        )

    def _day_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.capacity.setValue(self.rows.rows[current.row()].capacity)

    def _selected_day(self):
        index = self.view.currentIndex()
        return self.rows.rows[index.row()] if index.isValid() else None

    def set_capacity(self) -> None:
        """Places move: the operation's key is kept for its retries (same day, capacity and reason)."""
        day = self._selected_day()
        if day is None:
            return
        db, actor, capacity, reason = (
            self.ctx.db,
            self.ctx.actor,
            self.capacity.value(),
            self.reason.text(),
        )
        keys = kept_keys(self.ctx)
        operation = ("day.capacity", actor.agent_id, day.id, capacity, reason.strip())
        key = keys.key(operation)

        def done(promoted: list[int]) -> None:
            keys.succeeded(operation)
            self.result.setText(
                "Capacité modifiée ; "
                + count(
                    len(promoted),
                    "demande de la liste d'attente acceptée",
                    "demandes de la liste d'attente acceptées",
                )
                + "."
            )
            self.changed.emit()

        self.ctx.ops.run(
            lambda: days.set_capacity(db, actor, day.id, capacity, reason, key=key),
            done,
            write=True,
        )

    def close_day(self) -> None:
        """Money and places move: the operation's key is kept for its retries (same day and reason)."""
        day = self._selected_day()
        if day is None:
            return
        db, actor, reason = self.ctx.db, self.ctx.actor, self.reason.text()
        keys = kept_keys(self.ctx)
        operation = ("day.close", actor.agent_id, day.id, reason.strip())
        key = keys.key(operation)

        def done(report: days.ClosedDay) -> None:
            keys.succeeded(operation)
            self.result.setText(
                f"Journée du {short_date(day.day)} fermée : "
                f"{count(len(report.families), 'famille concernée', 'familles concernées')}"
                + (f" ({', '.join(report.families)})" if report.families else "")
                + f", {format_eur(report.refunded_cents)} remboursés, "
                f"{count(report.emails, 'e-mail')} en file d'envoi."
            )
            self.changed.emit()

        self.ctx.ops.run(lambda: days.close_day(db, actor, day.id, reason, key=key), done, write=True)
