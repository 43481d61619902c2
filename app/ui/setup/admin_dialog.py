"""Administration screens (administrators; the journal and closing a day for supervisors too)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QModelIndex
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...models import AidKind, OpeningKind, PeriodOpeningRule
from ...services.booking import days
from ...services.bounds import Text
from ...services.money.amounts import format_eur
from ...services.setup import catalogue as admin
from ...services.setup import school_year
from ...services.setup import views as admin_views
from ...services.setup.activities import ActivityDetail, activity_details
from ...text import count
from ..context import CounterContext
from ..keys import kept_keys
from ..table_model import Column, RowsModel
from ..widgets import NameCombo, bound, date_edit, date_of, limit_of, number_range, table_view
from .admin_activities import ActivitiesPanel
from .admin_agents import AgentsPanel
from .admin_school_year import SchoolYearPanel
from .admin_structures import StructuresPanel
from .audit_panel import AuditPanel
from .import_dialog import FamiliesPanel

AID_KINDS = {AidKind.CAF.value: "CAF", AidKind.MSA.value: "MSA", AidKind.EMPLOYER.value: "Employeur (CE)"}
OPENING_RULES = {
    PeriodOpeningRule.WEEKS_BEFORE.value: "semaines avant le début",
    PeriodOpeningRule.FIXED_DATE.value: "date fixe",
    PeriodOpeningRule.AFTER_PREVIOUS_HOLIDAYS.value: "dès la fin des vacances précédentes",
}


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _activity_label(a: ActivityDetail) -> str:
    return f"{a.name} – {a.structure}" + (" (archivée)" if not a.active else "")


class AdminDialog(QDialog):
    """Tabs: Structures, Agents, Activités, Année scolaire, Familles, Périodes (administrators), Journées, Aides,
    Messages (administrators), Journal."""

    def __init__(self, parent: QWidget | None, ctx: CounterContext) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Administration")
        self.tabs = QTabWidget()
        self.panels: list[StructuresPanel | AgentsPanel | ActivitiesPanel] = []
        self.role = ctx.actor.role
        ctx.role_changed.connect(self._role_changed)
        is_admin = ctx.may("administration")
        if is_admin:
            self.structures = StructuresPanel(ctx)
            self.agents = AgentsPanel(ctx)
            self.activities = ActivitiesPanel(ctx)
            for panel, title in (
                (self.structures, "Structures"),
                (self.agents, "Agents"),
                (self.activities, "Activités"),
            ):
                self.tabs.addTab(panel, title)
                panel.changed.connect(self.refresh)
                self.panels.append(panel)
            self.school_year = SchoolYearPanel(ctx)
            self.tabs.addTab(self.school_year, "Année scolaire")
            self.families = FamiliesPanel(ctx)
            self.tabs.addTab(self.families, "Familles")
            self.tabs.addTab(self._periods(), "Périodes")
        self.tabs.addTab(self._days(), "Journées")
        if is_admin:
            self.tabs.addTab(self._aids(), "Aides")
            self.tabs.addTab(self._messages(), "Messages")
        self.journal = AuditPanel(ctx)
        self.tabs.addTab(self.journal, "Journal")
        close = QPushButton("&Fermer")
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addLayout(bottom)
        self.resize(1180, 680)

    def _role_changed(self) -> None:
        """An administrator changed this agent's role while the window was open: its tabs were those of the old
        role, so it closes (the services refuse what the new role may not do in any case)."""
        if self.ctx.actor.role is self.role or not self.isVisible():
            return
        self.reject()
        again = (
            " Rouvrez-la pour les onglets de votre nouveau rôle."
            if self.ctx.may("administration.days")
            else ""
        )
        self.ctx.ops.inform(
            "Rôle modifié",
            "Votre rôle vient d'être modifié par un administrateur : la fenêtre "
            f"d'administration est fermée.{again}",
        )

    def _then_refresh(self, on_done=None):
        """What runs after a write of these tabs: ``on_done(result)``, then every tab read again."""

        def done(result: object) -> None:
            if on_done is not None:
                on_done(result)
            self.refresh()

        return done

    def refresh(self) -> None:
        for panel in self.panels:
            panel.load()
        for loader in getattr(self, "_loaders", []):
            loader()
        if hasattr(self, "journal"):
            self.journal.load()

    def _loader(self, fn) -> None:
        self.__dict__.setdefault("_loaders", []).append(fn)
        fn()

    def _fill_activities(self, combo: QComboBox, wanted=lambda a: True) -> None:
        """(Re)fill an activity chooser, keeping the choice (activities come and go in the Activités tab)."""
        current = combo.currentData()
        rows = self.ctx.ops.run(lambda: activity_details(self.ctx.db), default=[])
        combo.blockSignals(True)
        combo.clear()
        for a in sorted(rows, key=lambda a: (not a.active, a.structure, a.name)):
            if wanted(a):
                combo.addItem(_activity_label(a), a.id)
        if current is None:  # at first: the current structure's first activity
            here = [a.id for a in rows if a.structure_id == self.ctx.structure_id and a.active and wanted(a)]
            current = min(here, key=lambda i: combo.findData(i), default=None)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    # --- periods --------------------------------------------------------------------------------------
    def _periods(self) -> QWidget:
        page = QWidget()
        self.period_activity = NameCombo(34)
        today = local_today(self.ctx.db.clock)
        self.period_rows = RowsModel(
            [
                Column("Période", lambda p: p.name),
                Column("Année scolaire", lambda p: p.school_year),
                Column("Du", lambda p: f"{p.start:%d/%m/%Y}"),
                Column("Au", lambda p: f"{p.end:%d/%m/%Y}"),
                Column("Ouverture des réservations", lambda p: f"{p.opening:%d/%m/%Y}"),
                Column("Règle d'ouverture", lambda p: OPENING_RULES.get(p.rule, p.rule)),
            ]
        )
        self.period_view = table_view(self.period_rows)
        self.opening_date = date_edit(today)
        change = QPushButton("Changer la date d'ouverture de la période choisie")
        top = QHBoxLayout()
        top.addWidget(QLabel("Activité"))
        top.addWidget(self.period_activity)
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
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(hint)
        layout.addWidget(self.period_view)
        layout.addLayout(bottom)
        change.clicked.connect(self._change_opening)
        self.period_activity.currentIndexChanged.connect(lambda _i: self._load_periods())
        self.period_view.selectionModel().currentRowChanged.connect(self._period_chosen)
        self._loader(self._load_periods_and_activities)
        return page

    def _load_periods_and_activities(self) -> None:
        self._fill_activities(self.period_activity, lambda a: a.opening_kind is OpeningKind.PERIOD)
        self._load_periods()

    def _load_periods(self) -> None:
        activity = self.period_activity.currentData() or 0
        self.period_rows.set_rows(
            self.ctx.ops.run(lambda: admin_views.periods(self.ctx.db, activity), default=[])
        )

    def _period_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.opening_date.setDate(_qdate(self.period_rows.rows[current.row()].opening))

    def _change_opening(self) -> None:
        index = self.period_view.currentIndex()
        if index.isValid():
            period_id = self.period_rows.rows[index.row()].id
            opening = date_of(self.opening_date)
            self.ctx.ops.run(
                lambda: school_year.set_opening_date(self.ctx.db, self.ctx.actor, period_id, opening),
                self._then_refresh(),
                write=True,
            )

    # --- days -------------------------------------------------------------------------------------------
    def _days(self) -> QWidget:
        page = QWidget()
        self.day_activity = NameCombo(34)
        self.day_month = date_edit(local_today(self.ctx.db.clock))
        self.day_month.setDisplayFormat("MM/yyyy")
        self.day_rows = RowsModel(
            [
                Column("Jour", lambda d: f"{d.day:%d/%m/%Y}"),
                Column("Capacité", lambda d: str(d.capacity), right=True),
                Column("Acceptées", lambda d: str(d.accepted), right=True),
                Column("En attente", lambda d: str(d.waiting), right=True),
                Column("État", lambda d: f"fermée : {d.reason}" if d.closed else "ouverte"),
            ]
        )
        self.day_view = table_view(self.day_rows)
        self.capacity = QSpinBox()
        self.capacity.setRange(*number_range(days.set_capacity, "capacity"))
        reason = min(limit_of(days.set_capacity, "reason"), limit_of(days.close_day, "reason"))
        self.day_reason = bound(QLineEdit(), Text(max_len=reason))  # the reason of both buttons
        self.day_reason.setPlaceholderText("motif (obligatoire)")
        set_capacity = QPushButton("Modifier la capacité")
        close_day = QPushButton("Fermer la journée…")
        self.day_result = QLabel()
        self.day_result.setWordWrap(True)
        top = QHBoxLayout()
        w: QWidget
        for w in (QLabel("Activité"), self.day_activity, QLabel("Mois"), self.day_month):
            top.addWidget(w)
        top.addStretch(1)
        bottom = QHBoxLayout()
        for w in (QLabel("Capacité"), self.capacity, self.day_reason, set_capacity, close_day):
            bottom.addWidget(w)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.day_view)
        layout.addLayout(bottom)
        layout.addWidget(self.day_result)
        self.day_view.selectionModel().currentRowChanged.connect(self._day_chosen)
        set_capacity.clicked.connect(self._set_capacity)
        close_day.clicked.connect(self._close_day)
        self.day_activity.currentIndexChanged.connect(lambda _i: self._load_days())
        self.day_month.dateChanged.connect(lambda _d: self._load_days())
        self._loader(self._load_days_and_activities)
        return page

    def _load_days_and_activities(self) -> None:
        self._fill_activities(self.day_activity)
        self._load_days()

    def _load_days(self) -> None:
        q = self.day_month.date()
        activity = self.day_activity.currentData() or 0
        self.day_rows.set_rows(
            self.ctx.ops.run(lambda: admin_views.days(self.ctx.db, activity, q.year(), q.month()), default=[])
        )

    def _day_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.capacity.setValue(self.day_rows.rows[current.row()].capacity)

    def _selected_day(self):
        index = self.day_view.currentIndex()
        return self.day_rows.rows[index.row()] if index.isValid() else None

    def _set_capacity(self) -> None:
        """Places move: the operation's key is kept for its retries (same day, capacity and reason)."""
        day = self._selected_day()
        if day is None:
            return
        db, actor, capacity, reason = (
            self.ctx.db,
            self.ctx.actor,
            self.capacity.value(),
            self.day_reason.text(),
        )
        keys = kept_keys(self.ctx)
        operation = ("day.capacity", actor.agent_id, day.id, capacity, reason.strip())
        key = keys.key(operation)

        def done(promoted: list[int]) -> None:
            keys.succeeded(operation)
            self.day_result.setText(
                "Capacité modifiée ; "
                + count(
                    len(promoted),
                    "demande de la liste d'attente acceptée",
                    "demandes de la liste d'attente acceptées",
                )
                + "."
            )

        self.ctx.ops.run(
            lambda: days.set_capacity(db, actor, day.id, capacity, reason, key=key),
            self._then_refresh(done),
            write=True,
        )

    def _close_day(self) -> None:
        """Money and places move: the operation's key is kept for its retries (same day and reason)."""
        day = self._selected_day()
        if day is None:
            return
        db, actor, reason = self.ctx.db, self.ctx.actor, self.day_reason.text()
        keys = kept_keys(self.ctx)
        operation = ("day.close", actor.agent_id, day.id, reason.strip())
        key = keys.key(operation)

        def done(report: days.ClosedDay) -> None:
            keys.succeeded(operation)
            self.day_result.setText(
                f"Journée du {day.day:%d/%m/%Y} fermée : "
                f"{count(len(report.families), 'famille concernée', 'familles concernées')}"
                + (f" ({', '.join(report.families)})" if report.families else "")
                + f", {format_eur(report.refunded_cents)} remboursés, "
                f"{count(report.emails, 'e-mail')} en file d'envoi."
            )

        self.ctx.ops.run(
            lambda: days.close_day(db, actor, day.id, reason, key=key), self._then_refresh(done), write=True
        )

    # --- aids and messages --------------------------------------------------------------------------------
    def _aids(self) -> QWidget:
        page = QWidget()
        self.aid_rows = RowsModel(
            [Column("Type", lambda r: AID_KINDS.get(r[1], r[1])), Column("Aide", lambda r: r[2])]
        )
        self.aid_kind = QComboBox()
        for kind, label in AID_KINDS.items():
            self.aid_kind.addItem(label, kind)
        self.aid_name = bound(QLineEdit(), admin.create_aid_type, "name")
        self.aid_name.setPlaceholderText("nom de l'aide, ex. CAF – Aide au temps libre")
        add = QPushButton("Ajouter au catalogue")
        row = QHBoxLayout()
        for w in (self.aid_kind, self.aid_name, add):
            row.addWidget(w)
        layout = QVBoxLayout(page)
        layout.addWidget(table_view(self.aid_rows))
        layout.addLayout(row)
        add.clicked.connect(
            lambda: self.ctx.ops.run(
                lambda: admin.create_aid_type(
                    self.ctx.db, self.ctx.actor, AidKind(self.aid_kind.currentData()), self.aid_name.text()
                ),
                self._then_refresh(),
                write=True,
            )
        )
        self._loader(
            lambda: self.aid_rows.set_rows(
                self.ctx.ops.run(lambda: admin_views.aid_catalogue(self.ctx.db), default=[])
            )
        )
        return page

    def _messages(self) -> QWidget:
        page = QWidget()
        self.message_rows = RowsModel(
            [
                Column("Titre", lambda m: m[1]),
                Column("Du", lambda m: f"{m[2]:%d/%m/%Y}"),
                Column("Au", lambda m: f"{m[3]:%d/%m/%Y}" if m[3] else "—"),
            ]
        )
        self.msg_title = bound(QLineEdit(), admin.save_message, "title")
        self.msg_body = bound(QPlainTextEdit(), admin.save_message, "body")
        self.msg_body.setMaximumHeight(90)
        today = local_today(self.ctx.db.clock)
        self.msg_from, self.msg_to = date_edit(today), date_edit(today.replace(year=today.year + 1))
        publish = QPushButton("Publier le message")
        dates = QHBoxLayout()
        for w in (self.msg_from, QLabel("au"), self.msg_to):
            dates.addWidget(w)
        dates.addStretch(1)
        dates.addWidget(publish)
        form = QFormLayout()
        form.addRow("Titre", self.msg_title)
        form.addRow("Texte", self.msg_body)
        form.addRow("Affiché du", dates)
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("Messages de la structure en cours, affichés sur l'écran d'accueil :"))
        layout.addWidget(table_view(self.message_rows), 1)
        layout.addLayout(form)

        def publish_message() -> int:
            structure_id = self.ctx.structure_id
            assert structure_id is not None, "the administration is opened at a structure's counter"
            title, body = self.msg_title.text(), self.msg_body.toPlainText()
            start, end = date_of(self.msg_from), date_of(self.msg_to)
            return admin.save_message(self.ctx.db, self.ctx.actor, structure_id, title, body, start, end)

        publish.clicked.connect(lambda: self.ctx.ops.run(publish_message, self._then_refresh(), write=True))
        self._loader(
            lambda: self.message_rows.set_rows(
                self.ctx.ops.run(
                    lambda: admin_views.messages(self.ctx.db, self.ctx.structure_id or 0), default=[]
                )
            )
        )
        return page
