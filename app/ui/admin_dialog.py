"""Administration screens (administrators; the journal and closing a day for supervisors too)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
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

from ..clock import local_today
from ..models import AidKind, OpeningKind
from ..services import admin, admin_views, waitlist
from ..services.money import format_eur
from .audit_panel import AuditPanel
from .context import CounterContext
from .deadline_editor import DeadlineEditor
from .table_model import Column, RowsModel
from .widgets import date_edit, date_of, table_view


class AdminDialog(QDialog):
    def __init__(self, parent: QWidget | None, ctx: CounterContext) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Administration")
        self.tabs = QTabWidget()
        is_admin = ctx.actor.role.value == "admin"
        if is_admin:
            self.tabs.addTab(self._structures(), "Structures")
            self.tabs.addTab(self._activities(), "Activités")
            self.tabs.addTab(self._periods(), "Périodes")
        self.tabs.addTab(self._days(), "Journées")
        if is_admin:
            self.tabs.addTab(self._aids(), "Aides")
            self.tabs.addTab(self._messages(), "Messages")
        self.journal = AuditPanel(ctx)
        self.tabs.addTab(self.journal, "Journal")
        close = QPushButton("&Fermer")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(close)
        self.resize(1000, 640)

    def _write(self, call) -> object:
        result = self.ctx.ops.write(call)
        self.refresh()
        return result

    def refresh(self) -> None:
        for loader in getattr(self, "_loaders", []):
            loader()
        if hasattr(self, "journal"):
            self.journal.load()

    def _loader(self, fn) -> None:
        self.__dict__.setdefault("_loaders", []).append(fn)
        fn()

    # --- structures -------------------------------------------------------------------------------
    def _structures(self) -> QWidget:
        page = QWidget()
        self.structure_rows = RowsModel([Column("Code", lambda r: r.code), Column("Nom", lambda r: r.name),
                                         Column("Ville", lambda r: r.city)])  # fmt: skip
        self.new_code, self.new_name, self.new_city = QLineEdit(), QLineEdit(), QLineEdit()
        create = QPushButton("Créer la structure")
        form = QFormLayout()
        form.addRow("Code", self.new_code)
        form.addRow("Nom", self.new_name)
        form.addRow("Ville", self.new_city)
        layout = QVBoxLayout(page)
        layout.addWidget(table_view(self.structure_rows))
        layout.addLayout(form)
        layout.addWidget(create)
        create.clicked.connect(lambda: self._write(lambda: admin.create_structure(
            self.ctx.db, self.ctx.actor, self.new_code.text(), self.new_name.text(), city=self.new_city.text())))  # fmt: skip
        self._loader(
            lambda: self.structure_rows.set_rows(
                self.ctx.ops.read(lambda: admin_views.structures(self.ctx.db), [])
            )
        )
        return page

    # --- activities -------------------------------------------------------------------------------
    def _activities(self) -> QWidget:
        page = QWidget()
        self.activity = QComboBox()
        self.act_name, self.act_price = QLineEdit(), QLineEdit()
        self.act_capacity = QSpinBox()
        self.act_capacity.setRange(0, 10_000)
        self.act_waitlist = QCheckBox("liste d'attente quand c'est complet")
        self.act_brackets = QLineEdit()
        self.act_brackets.setPlaceholderText("ex. 0-800: 9,00 ; 801-: 13,00 (quotient familial : prix)")
        self.opening = QComboBox()
        self.opening.addItem("fenêtre glissante (jours à l'avance)", OpeningKind.ROLLING.value)
        self.opening.addItem("date d'ouverture de la période", OpeningKind.PERIOD.value)
        self.horizon = QSpinBox()
        self.horizon.setRange(0, 400)
        self.booking_rule = self.cancel_rule = None
        self.rules_box = QVBoxLayout()
        save = QPushButton("Enregistrer l'activité")
        save_policy = QPushButton("Enregistrer la politique de réservation")
        form = QFormLayout()
        form.addRow("Activité", self.activity)
        form.addRow("Nom", self.act_name)
        form.addRow("Prix de la journée (€)", self.act_price)
        form.addRow("Capacité par défaut", self.act_capacity)
        form.addRow("", self.act_waitlist)
        form.addRow("Tranches de QF", self.act_brackets)
        form.addRow("Ouverture", self.opening)
        form.addRow("Jours à l'avance", self.horizon)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addLayout(self.rules_box)
        buttons = QHBoxLayout()
        buttons.addWidget(save)
        buttons.addWidget(save_policy)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.activity.currentIndexChanged.connect(lambda _i: self._show_activity())
        save.clicked.connect(self._save_activity)
        save_policy.clicked.connect(self._save_policy)
        self._loader(self._load_activities)
        return page

    def _load_activities(self) -> None:
        self.activity_rows = self.ctx.ops.read(lambda: admin_views.activities(self.ctx.db), [])
        current = self.activity.currentData()
        self.activity.blockSignals(True)
        self.activity.clear()
        for a in self.activity_rows:
            self.activity.addItem(f"{a.name} ({a.structure})", a.id)
        index = self.activity.findData(current)
        self.activity.setCurrentIndex(max(0, index))
        self.activity.blockSignals(False)
        self._show_activity()

    def _current_activity(self):
        return next((a for a in self.activity_rows if a.id == self.activity.currentData()), None)

    def _show_activity(self) -> None:
        a = self._current_activity()
        if a is None:
            return
        self.act_name.setText(a.name)
        self.act_price.setText(format_eur(a.price_cents).replace("\xa0€", "").replace(" €", ""))
        self.act_capacity.setValue(a.default_capacity)
        self.act_waitlist.setChecked(a.waitlist_enabled)
        self.act_brackets.setText(" ; ".join(f"{lo}-{'' if hi is None else hi}: {p // 100},{p % 100:02d}"
                                             for lo, hi, p in a.brackets))  # fmt: skip
        self.opening.setCurrentIndex(0 if a.opening_kind == "rolling" else 1)
        self.horizon.setValue(a.horizon_days or 0)
        while self.rules_box.count():
            item = self.rules_box.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.booking_rule, self.cancel_rule = DeadlineEditor(a.booking), DeadlineEditor(a.cancel)
        for label, editor in (
            ("Réservation jusqu'à :", self.booking_rule),
            ("Annulation jusqu'à :", self.cancel_rule),
        ):
            self.rules_box.addWidget(QLabel(label))
            self.rules_box.addWidget(editor)

    def _save_activity(self) -> None:
        a = self._current_activity()
        if a is None:
            return
        brackets = []
        for part in filter(None, (p.strip() for p in self.act_brackets.text().split(";"))):
            span, _, price = part.partition(":")
            lo, _, hi = span.partition("-")
            brackets.append((int(lo or 0), int(hi) if hi.strip() else None, price.strip()))

        def save() -> None:
            admin.update_activity(self.ctx.db, self.ctx.actor, a.id, name=self.act_name.text(), price=self.act_price.text(),
                                  default_capacity=self.act_capacity.value(), waitlist_enabled=self.act_waitlist.isChecked())  # fmt: skip
            admin.set_brackets(self.ctx.db, self.ctx.actor, a.id, brackets)

        self._write(save)

    def _save_policy(self) -> None:
        a = self._current_activity()
        if a is None or self.booking_rule is None:
            return
        kind = OpeningKind(self.opening.currentData())
        self._write(lambda: admin.set_booking_policy(
            self.ctx.db, self.ctx.actor, a.id, booking=self.booking_rule.rule(), cancel=self.cancel_rule.rule(),
            opening_kind=kind, horizon_days=self.horizon.value() if kind is OpeningKind.ROLLING else None))  # fmt: skip

    # --- periods --------------------------------------------------------------------------------------
    def _periods(self) -> QWidget:
        page = QWidget()
        self.period_activity = QComboBox()
        for a in self.ctx.ops.read(lambda: admin_views.activities(self.ctx.db), []):
            if a.opening_kind == "period":
                self.period_activity.addItem(a.name, a.id)
        self.zone = QComboBox()
        self.zone.addItems(["A", "B", "C"])
        self.zone.setCurrentText("C")
        today = local_today(self.ctx.db.clock)
        first = today.year if today.month >= 9 else today.year - 1
        self.school_year = QLineEdit(f"{first + 1}-{first + 2}")
        self.period_rows = RowsModel([
            Column("Période", lambda p: p.name), Column("Année", lambda p: p.school_year),
            Column("Du", lambda p: f"{p.start:%d/%m/%Y}"), Column("Au", lambda p: f"{p.end:%d/%m/%Y}"),
            Column("Ouverture des réservations", lambda p: f"{p.opening:%d/%m/%Y}")])  # fmt: skip
        self.period_view = table_view(self.period_rows)
        self.opening_date = date_edit(today)
        import_button = QPushButton("Importer depuis le calendrier scolaire")
        change = QPushButton("Changer la date d'ouverture de la période choisie")
        top = QHBoxLayout()
        for w in (QLabel("Activité"), self.period_activity, QLabel("Zone"), self.zone, QLabel("Année"),
                  self.school_year, import_button):  # fmt: skip
            top.addWidget(w)
        bottom = QHBoxLayout()
        bottom.addWidget(self.opening_date)
        bottom.addWidget(change)
        bottom.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.period_view)
        layout.addLayout(bottom)
        import_button.clicked.connect(lambda: self._write(lambda: admin.import_periods(
            self.ctx.db, self.ctx.actor, self.period_activity.currentData(), self.zone.currentText(),
            self.school_year.text().strip())))  # fmt: skip
        change.clicked.connect(self._change_opening)
        self.period_activity.currentIndexChanged.connect(lambda _i: self.refresh())
        self._loader(lambda: self.period_rows.set_rows(self.ctx.ops.read(
            lambda: admin_views.periods(self.ctx.db, self.period_activity.currentData() or 0), [])))  # fmt: skip
        return page

    def _change_opening(self) -> None:
        index = self.period_view.currentIndex()
        if index.isValid():
            period_id = self.period_rows.rows[index.row()].id
            self._write(
                lambda: admin.set_opening_date(
                    self.ctx.db, self.ctx.actor, period_id, date_of(self.opening_date)
                )
            )

    # --- days -------------------------------------------------------------------------------------------
    def _days(self) -> QWidget:
        page = QWidget()
        self.day_activity = QComboBox()
        for a in self.ctx.ops.read(lambda: admin_views.activities(self.ctx.db), []):
            self.day_activity.addItem(a.name, a.id)
        self.day_month = date_edit(local_today(self.ctx.db.clock))
        self.day_month.setDisplayFormat("MM/yyyy")
        self.day_rows = RowsModel([
            Column("Jour", lambda d: f"{d.day:%d/%m/%Y}"), Column("Capacité", lambda d: str(d.capacity), right=True),
            Column("Acceptées", lambda d: str(d.accepted), right=True),
            Column("En attente", lambda d: str(d.waiting), right=True),
            Column("État", lambda d: f"fermée : {d.reason}" if d.closed else "ouverte")])  # fmt: skip
        self.day_view = table_view(self.day_rows)
        self.capacity = QSpinBox()
        self.capacity.setRange(0, 10_000)
        self.day_reason = QLineEdit()
        self.day_reason.setPlaceholderText("motif (obligatoire)")
        set_capacity = QPushButton("Modifier la capacité")
        close_day = QPushButton("Fermer la journée…")
        self.day_result = QLabel()
        self.day_result.setWordWrap(True)
        top = QHBoxLayout()
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
        self.day_view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: (
                current.isValid() and self.capacity.setValue(self.day_rows.rows[current.row()].capacity)
            )
        )
        set_capacity.clicked.connect(self._set_capacity)
        close_day.clicked.connect(self._close_day)
        self.day_activity.currentIndexChanged.connect(lambda _i: self.refresh())
        self.day_month.dateChanged.connect(lambda _d: self.refresh())
        self._loader(self._load_days)
        return page

    def _load_days(self) -> None:
        q = self.day_month.date()
        activity = self.day_activity.currentData() or 0
        self.day_rows.set_rows(
            self.ctx.ops.read(lambda: admin_views.days(self.ctx.db, activity, q.year(), q.month()), [])
        )

    def _selected_day(self):
        index = self.day_view.currentIndex()
        return self.day_rows.rows[index.row()] if index.isValid() else None

    def _set_capacity(self) -> None:
        day = self._selected_day()
        if day is not None:
            promoted = self._write(lambda: waitlist.set_capacity(self.ctx.db, self.ctx.actor, day.id,
                                                                 self.capacity.value(), self.day_reason.text()))  # fmt: skip
            if promoted is not None:
                self.day_result.setText(
                    f"Capacité modifiée ; {len(promoted)} demande(s) de la liste d'attente acceptée(s)."
                )

    def _close_day(self) -> None:
        day = self._selected_day()
        if day is None:
            return
        report = self._write(
            lambda: admin.close_day(self.ctx.db, self.ctx.actor, day.id, self.day_reason.text())
        )
        if report is not None:
            self.day_result.setText(
                f"Journée du {day.day:%d/%m/%Y} fermée : {len(report.families)} famille(s) concernée(s) "
                f"({', '.join(report.families)}), {format_eur(report.refunded_cents)} remboursés, "
                f"{report.emails} e-mail(s) en file d'envoi."
            )

    # --- aids and messages --------------------------------------------------------------------------------
    def _aids(self) -> QWidget:
        page = QWidget()
        self.aid_rows = RowsModel([Column("Type", lambda r: r[1]), Column("Aide", lambda r: r[2])])
        self.aid_kind = QComboBox()
        for kind, label in ((AidKind.CAF, "CAF"), (AidKind.MSA, "MSA"), (AidKind.EMPLOYER, "Employeur (CE)")):
            self.aid_kind.addItem(label, kind.value)
        self.aid_name = QLineEdit()
        add = QPushButton("Ajouter au catalogue")
        row = QHBoxLayout()
        for w in (self.aid_kind, self.aid_name, add):
            row.addWidget(w)
        layout = QVBoxLayout(page)
        layout.addWidget(table_view(self.aid_rows))
        layout.addLayout(row)
        add.clicked.connect(lambda: self._write(lambda: admin.create_aid_type(
            self.ctx.db, self.ctx.actor, AidKind(self.aid_kind.currentData()), self.aid_name.text())))  # fmt: skip
        self._loader(
            lambda: self.aid_rows.set_rows(
                self.ctx.ops.read(lambda: admin_views.aid_catalogue(self.ctx.db), [])
            )
        )
        return page

    def _messages(self) -> QWidget:
        page = QWidget()
        self.message_rows = RowsModel([Column("Titre", lambda m: m[1]), Column("Du", lambda m: f"{m[2]:%d/%m/%Y}"),
                                       Column("Au", lambda m: f"{m[3]:%d/%m/%Y}" if m[3] else "—")])  # fmt: skip
        self.msg_title = QLineEdit()
        self.msg_body = QPlainTextEdit()
        self.msg_body.setMaximumHeight(90)
        today = local_today(self.ctx.db.clock)
        self.msg_from, self.msg_to = date_edit(today), date_edit(today.replace(year=today.year + 1))
        publish = QPushButton("Publier le message")
        form = QFormLayout()
        form.addRow("Titre", self.msg_title)
        form.addRow("Texte", self.msg_body)
        form.addRow("Affiché du", self.msg_from)
        form.addRow("au", self.msg_to)
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("Messages de la structure en cours, affichés sur l'écran d'accueil :"))
        layout.addWidget(table_view(self.message_rows))
        layout.addLayout(form)
        layout.addWidget(publish)
        publish.clicked.connect(lambda: self._write(lambda: admin.save_message(
            self.ctx.db, self.ctx.actor, self.ctx.structure_id, self.msg_title.text(), self.msg_body.toPlainText(),
            date_of(self.msg_from), date_of(self.msg_to))))  # fmt: skip
        self._loader(lambda: self.message_rows.set_rows(self.ctx.ops.read(
            lambda: admin_views.messages(self.ctx.db, self.ctx.structure_id or 0), [])))  # fmt: skip
        return page
