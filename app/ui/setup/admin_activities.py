"""Administration → Activités: create (the seed's defaults prefilled by kind), edit, archive, delete.

An activity is its price (optionally by quotient-familial bracket), capacity, wallet, waitlist, the holidays it
runs in with the opening of their bookings, and its booking policy (DESIGN.md §2.2), all data."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...models import (
    ActivityKind,
    DeadlineKind,
    DeadlineRule,
    OpeningKind,
    PeriodOpeningRule,
    PeriodScope,
    WalletKind,
)
from ...services.errors import ValidationError
from ...services.families.edit import FamilyInput, FieldErrors
from ...services.money.amounts import format_eur, parse_amount
from ...services.setup.activities import (
    MAX_CAPACITY,
    MAX_HORIZON,
    ActivityDetail,
    ActivityInput,
    activity_details,
    check_brackets,
    check_deadline,
    create_activity,
    delete_activity,
    policy_for,
    save_activity,
    set_archived,
)
from ...services.setup.defaults import USUAL_ACTIVITIES
from ...services.setup.structures import StructureDetail, structure_details
from ...text import count, plural
from ..context import CounterContext
from ..families.family_dialog import SavingDialog
from ..operations import succeeded
from ..table_model import Column, RowsModel
from ..widgets import EditorDelegate, NameCombo, amount, bound, digits, table_view
from .deadline_editor import WEEKDAYS, DeadlineEditor

KIND_LABELS = {ActivityKind.ALAE_WEDNESDAY: "ALAE mercredi", ActivityKind.ALSH_HOLIDAYS: "ALSH vacances"}
WALLET_LABELS = {WalletKind.ALAE: "ALAE", WalletKind.ALSH: "ALSH", WalletKind.CANTINE: "Cantine"}
SCOPE_LABELS = {PeriodScope.SHORT: "petites vacances", PeriodScope.SUMMER: "été", PeriodScope.ALL: "toutes"}
RULE_LABELS = {
    PeriodOpeningRule.WEEKS_BEFORE: "N semaines avant le début de la période",
    PeriodOpeningRule.FIXED_DATE: "à date fixe (JJ/MM)",
    PeriodOpeningRule.AFTER_PREVIOUS_HOLIDAYS: "dès la fin des vacances précédentes",
}
OPENING_LABELS = {
    OpeningKind.ROLLING: "fenêtre glissante (jours à l'avance)",
    OpeningKind.PERIOD: "date d'ouverture de chaque période",
}
GREY = QColor("#8a8a8a")


def amount_text(cents: int) -> str:
    """1450 → "14,50" (what the price fields show and accept)."""
    return f"{cents // 100},{cents % 100:02d}"


def fixed_text(month_day: str | None) -> str:
    """ "05-06" (stored month-day) → "06/05" (jour/mois, as typed)."""
    if not month_day:
        return ""
    month, _, day = month_day.partition("-")
    return f"{day}/{month}"


def deadline_text(rule: DeadlineRule, *, short: bool = False) -> str:
    """A French summary: "J-2 hors ven., sam., 23:59" or "dimanche avant, 23:59" (``short``: 23:59 left out)."""
    at = "" if short and (rule.at.hour, rule.at.minute) == (23, 59) else f", {rule.at:%H:%M}"
    if rule.kind is DeadlineKind.LAST_WEEKDAY and rule.weekday is not None:
        return f"{WEEKDAYS[rule.weekday]} avant{at}"
    skipped = ", ".join(WEEKDAYS[i][:3] + "." for i in sorted(rule.skipped_weekdays))
    return f"J-{rule.days or 0}" + (f" hors {skipped}" if skipped else "") + at


def counted_suffix(spin: QSpinBox, noun: str, *, after: str = "") -> None:
    """``spin``'s suffix: ``noun`` in the singular or the plural as its value goes (« 1 semaine avant »,
    « 2 semaines avant »)."""

    def follow(value: int) -> None:
        spin.setSuffix(f" {plural(value, noun)}{after}")

    spin.valueChanged.connect(follow)
    follow(spin.value())


def opening_text(a: ActivityDetail) -> str:
    if a.opening_kind is OpeningKind.ROLLING:
        return f"{count(a.horizon_days or 0, 'jour')} à l'avance"
    scope = SCOPE_LABELS[a.period_scope]
    if a.period_opening_rule is PeriodOpeningRule.WEEKS_BEFORE:
        return f"{scope} : {a.period_opening_weeks} sem. avant"
    if a.period_opening_rule is PeriodOpeningRule.FIXED_DATE:
        return f"{scope} : le {fixed_text(a.period_opening_fixed)}"
    return f"{scope} : après les vacances précédentes"


def price_text(a: ActivityDetail) -> str:
    if not a.brackets:
        return format_eur(a.price_cents)
    prices = [p for _lo, _hi, p in a.brackets]
    return f"{amount_text(min(prices))} à {format_eur(max(prices))} (QF)"


def brackets_tooltip(a: ActivityDetail) -> str:
    if not a.brackets:
        return "Même prix pour toutes les familles."
    return "\n".join(f"QF {lo} à {'…' if hi is None else hi} : {format_eur(p)}" for lo, hi, p in a.brackets)


def details_text(a: ActivityDetail) -> str:
    """The selected activity in words, under the table."""
    prices = (
        " · ".join(f"QF {lo} à {'…' if hi is None else hi} : {format_eur(p)}" for lo, hi, p in a.brackets)
        if a.brackets
        else f"{format_eur(a.price_cents)} pour toutes les familles"
    )
    if a.opening_kind is OpeningKind.ROLLING:
        opening = f"réservable jusqu'à {count(a.horizon_days or 0, 'jour')} à l'avance"
    else:
        weeks = count(a.period_opening_weeks or 0, "semaine")
        when = {
            PeriodOpeningRule.WEEKS_BEFORE: f"{weeks} avant chaque période",
            PeriodOpeningRule.FIXED_DATE: f"le {fixed_text(a.period_opening_fixed)}",
            PeriodOpeningRule.AFTER_PREVIOUS_HOLIDAYS: "dès la fin des vacances précédentes",
        }[a.period_opening_rule]
        opening = f"vacances : {SCOPE_LABELS[a.period_scope]} ; réservations ouvertes {when}"
    state = "archivée" if not a.active else "proposée au guichet"
    booked = "déjà réservée" if a.booked else "jamais réservée"
    return (
        f"<b>{escape(a.name)}</b> ({escape(a.structure)}, {state}, {booked}) — tarif : {prices} ; "
        f"porte-monnaie {WALLET_LABELS[a.wallet]} ; {opening} ; réservation jusqu'à {deadline_text(a.booking)}, "
        f"annulation jusqu'à {deadline_text(a.cancel)}."
    )


def _number(text: str) -> bool:
    """A whole number in ASCII digits (« ١٢ » is not 12)."""
    return text.isascii() and text.isdigit()


class BracketsEditor(QWidget):
    """Prices by quotient familial: one row per bracket (QF from, QF to — empty: no limit —, price)."""

    def __init__(self) -> None:
        super().__init__()
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["QF de", "QF jusqu'à", "Prix (€)"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        quotient = EditorDelegate(self.table, lambda e: digits(e, FamilyInput, "quotient_familial"))
        for column in (0, 1):
            self.table.setItemDelegateForColumn(column, quotient)
        self.table.setItemDelegateForColumn(
            2, EditorDelegate(self.table, lambda e: amount(e, ActivityInput, "price"))
        )
        self.table.setToolTip(
            "« QF jusqu'à » vide : sans limite. Sans tranche, le prix de la journée s'applique."
        )
        add = QPushButton("Ajouter une tranche")
        remove = QPushButton("Retirer la tranche")
        add.clicked.connect(lambda: self.add_row())
        remove.clicked.connect(self.remove_row)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def add_row(self, lo: int | str = "", hi: int | str | None = "", price: str = "") -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for col, text in enumerate((lo, "" if hi is None else hi, price)):
            self.table.setItem(row, col, QTableWidgetItem(str(text)))

    def remove_row(self) -> None:
        row = self.table.currentRow()
        self.table.removeRow(row if row >= 0 else self.table.rowCount() - 1)

    def set_brackets(self, brackets: Sequence[tuple[int, int | None, int | str]]) -> None:
        """Rows from (qf_min, qf_max or None, price in cents or as typed)."""
        self.table.setRowCount(0)
        for lo, hi, price in brackets:
            self.add_row(lo, hi, amount_text(price) if isinstance(price, int) else price)

    def _text(self, row: int, col: int) -> str:
        item = self.table.item(row, col)
        return item.text().strip() if item else ""

    def value(self) -> list[tuple[int, int | None, str]]:
        """The brackets as the service takes them; empty rows are ignored; FieldErrors for what is not a number."""
        brackets = []
        for row in range(self.table.rowCount()):
            lo, hi, price = (self._text(row, col) for col in range(3))
            if not (lo or hi or price):
                continue
            if not _number(lo) or (hi and not _number(hi)):
                raise FieldErrors(
                    {
                        "brackets": f"Tranche {row + 1} : les quotients familiaux sont des nombres "
                        "entiers (ex. 0 à 800)."
                    }
                )
            if not price:
                raise FieldErrors({"brackets": f"Tranche {row + 1} : le prix manque."})
            brackets.append((int(lo), int(hi) if hi else None, price))
        return brackets


class ActivityDialog(SavingDialog):
    """Create an activity (the kind prefills the seed's defaults) or edit one, booking policy included;
    ``value()`` is everything typed, the panel saves it in one service call."""

    def __init__(
        self,
        parent: QWidget | None,
        structures: list[StructureDetail],
        activity: ActivityDetail | None = None,
        structure_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.original = activity
        self.activity_id: int | None = activity.id if activity else None
        """Set once created: saving the same form again edits it, never creates a second one."""
        self.setWindowTitle(f"Modifier l'activité {activity.name}" if activity else "Nouvelle activité")
        self.kind = QComboBox()
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind.value)
        self.structure = NameCombo()
        for s in structures:
            self.structure.addItem(s.name, s.id)
        self.name = bound(QLineEdit(), ActivityInput, "name")
        self.name.setPlaceholderText("ex. CLSH Petites vacances")
        self.price = amount(QLineEdit(), ActivityInput, "price")
        self.price.setPlaceholderText("ex. 13,00")
        self.price.setMaximumWidth(120)
        self.capacity = QSpinBox()
        self.capacity.setRange(0, MAX_CAPACITY)
        counted_suffix(self.capacity, "place")
        self.capacity.setMaximumWidth(140)
        self.wallet = QComboBox()
        for wallet, label in WALLET_LABELS.items():
            self.wallet.addItem(label, wallet.value)
        self.waitlist = QCheckBox("liste d'attente quand c'est complet")
        self.brackets = BracketsEditor()
        self.scope = QComboBox()
        for scope, label in SCOPE_LABELS.items():
            self.scope.addItem(label, scope.value)
        self.opening_rule = QComboBox()
        for rule, label in RULE_LABELS.items():
            self.opening_rule.addItem(label, rule.value)
        self.opening_weeks = QSpinBox()
        self.opening_weeks.setRange(0, 52)
        counted_suffix(self.opening_weeks, "semaine", after=" avant")
        self.opening_fixed = bound(QLineEdit(), ActivityInput, "period_opening_fixed")
        self.opening_fixed.setPlaceholderText("JJ/MM, ex. 06/05")
        self.opening_fixed.setMaximumWidth(130)
        self.opening_kind = QComboBox()
        for opening, label in OPENING_LABELS.items():
            self.opening_kind.addItem(label, opening.value)
        self.horizon = QSpinBox()
        self.horizon.setRange(0, MAX_HORIZON)
        counted_suffix(self.horizon, "jour", after=" à l'avance")
        self.booking_rule: DeadlineEditor | None = None
        self.cancel_rule: DeadlineEditor | None = None
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.PlainText)  # names of an activity and a structure: text

        main = QGroupBox("Activité")
        form = QFormLayout(main)
        form.addRow("Type", self.kind)
        form.addRow("Structure", self.structure)
        form.addRow("Nom *", self.name)
        form.addRow("Prix de la journée (€) *", self.price)
        form.addRow("Capacité par défaut", self.capacity)
        form.addRow("Porte-monnaie", self.wallet)
        form.addRow("", self.waitlist)
        prices = QGroupBox("Tarifs selon le quotient familial (facultatif)")
        QVBoxLayout(prices).addWidget(self.brackets)
        self.periods = QGroupBox("Périodes de vacances (ALSH)")
        periods = QGridLayout(self.periods)
        periods.addWidget(QLabel("Vacances"), 0, 0)
        periods.addWidget(self.scope, 0, 1, 1, 2)
        periods.addWidget(QLabel("Ouverture des réservations"), 1, 0)
        periods.addWidget(self.opening_rule, 1, 1, 1, 2)
        periods.addWidget(self.opening_weeks, 2, 1)
        periods.addWidget(self.opening_fixed, 2, 2)
        periods.setColumnStretch(3, 1)
        policy = QGroupBox("Politique de réservation")
        self.policy_form = QFormLayout(policy)
        opening_row = QHBoxLayout()
        opening_row.addWidget(self.opening_kind)
        opening_row.addWidget(self.horizon)
        opening_row.addStretch(1)
        self.policy_form.addRow("Jours réservables", opening_row)
        self.booking_holder, self.cancel_holder = QVBoxLayout(), QVBoxLayout()
        self.policy_form.addRow("Réservation jusqu'à", self.booking_holder)
        self.policy_form.addRow("Annulation jusqu'à", self.cancel_holder)
        top = QHBoxLayout()
        top.addWidget(main, 3)
        top.addWidget(prices, 2)
        middle = QHBoxLayout()
        middle.addWidget(self.periods)
        middle.addWidget(self.info, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle)
        layout.addWidget(policy)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.fields = {
            "name": self.name,
            "price": self.price,
            "brackets": self.brackets.table,
            "opening_fixed": self.opening_fixed,
        }

        if activity is None:
            self.structure.setCurrentIndex(max(0, self.structure.findData(structure_id)))
            self.kind.setCurrentIndex(self.kind.findData(ActivityKind.ALSH_HOLIDAYS.value))
            self.prefill(ActivityKind.ALSH_HOLIDAYS)
            self.kind.currentIndexChanged.connect(lambda _i: self.prefill(self.chosen_kind()))
            self.info.setText(
                "Le type préremplit le porte-monnaie, la liste d'attente, l'ouverture des périodes et "
                "la politique de réservation habituels ; les journées sont créées avec l'année "
                "scolaire."
            )
        else:
            self.show_activity(activity)
        self.opening_rule.currentIndexChanged.connect(lambda _i: self._enable())
        self.opening_kind.currentIndexChanged.connect(lambda _i: self._enable())
        self._enable()
        self.resize(980, 0)

    # --- filling --------------------------------------------------------------------------------------
    def chosen_kind(self) -> ActivityKind:
        return ActivityKind(self.kind.currentData())

    def _set(self, combo: QComboBox, value: object) -> None:
        combo.setCurrentIndex(max(0, combo.findData(getattr(value, "value", value))))

    def _set_rules(self, booking: DeadlineRule, cancel: DeadlineRule) -> None:
        for holder in (self.booking_holder, self.cancel_holder):
            while holder.count():
                item = holder.takeAt(0)
                assert item is not None, "count() > 0"
                widget = item.widget()
                if widget is not None:
                    widget.deleteLater()
        self.booking_rule, self.cancel_rule = DeadlineEditor(booking), DeadlineEditor(cancel)
        self.booking_holder.addWidget(self.booking_rule)
        self.cancel_holder.addWidget(self.cancel_rule)
        self.fields["booking"], self.fields["cancel"] = self.booking_rule, self.cancel_rule

    def prefill(self, kind: ActivityKind) -> None:
        """The seed's defaults for this kind (DESIGN.md §2.2): wallet, waitlist, periods, policy."""
        p = policy_for(kind)
        usual = next(t for t in USUAL_ACTIVITIES if t.kind is kind)
        self.name.setPlaceholderText(f"ex. {usual.name}")
        if self.capacity.value() == 0:
            self.capacity.setValue(usual.default_capacity)
        self._set(self.wallet, p.wallet_kind)
        self.waitlist.setChecked(p.waitlist_enabled)
        self._set(self.scope, p.period_scope)
        self._set(self.opening_rule, p.period_opening_rule)
        self.opening_weeks.setValue(p.period_opening_weeks or 0)
        self.opening_fixed.setText(fixed_text(p.period_opening_fixed))
        self._set(self.opening_kind, p.opening_kind)
        self.horizon.setValue(p.horizon_days or 0)
        self._set_rules(p.booking, p.cancel)
        self._enable()

    def show_activity(self, a: ActivityDetail) -> None:
        self._set(self.kind, a.kind)
        self._set(self.structure, a.structure_id)
        self.kind.setEnabled(False)
        self.structure.setEnabled(False)
        self.name.setText(a.name)
        self.price.setText(amount_text(a.price_cents))
        self.capacity.setValue(a.default_capacity)
        self._set(self.wallet, a.wallet)
        self.wallet.setEnabled(not a.booked)
        if a.booked:
            self.wallet.setToolTip("Activité déjà réservée : son porte-monnaie ne peut plus changer.")
        self.waitlist.setChecked(a.waitlist_enabled)
        self.brackets.set_brackets(a.brackets)
        self._set(self.scope, a.period_scope)
        self._set(self.opening_rule, a.period_opening_rule)
        self.opening_weeks.setValue(a.period_opening_weeks or 0)
        self.opening_fixed.setText(fixed_text(a.period_opening_fixed))
        self._set(self.opening_kind, a.opening_kind)
        self.horizon.setValue(a.horizon_days or 0)
        self._set_rules(a.booking, a.cancel)
        state = "archivée (plus proposée au guichet)" if not a.active else "proposée au guichet"
        booked = "déjà réservée" if a.booked else "jamais réservée"
        days = count(a.days, "journée")
        self.info.setText(
            f"{a.structure} · {days} · {state} · {booked}. La capacité par défaut "
            "vaut pour les journées créées ensuite ; celle d'une journée se change dans "
            "« Journées »."
        )

    def _enable(self) -> None:
        alsh = self.chosen_kind() is ActivityKind.ALSH_HOLIDAYS
        self.periods.setEnabled(alsh)
        self.periods.setToolTip(
            "" if alsh else "L'ALAE du mercredi suit le calendrier scolaire, sans périodes."
        )
        rule = PeriodOpeningRule(self.opening_rule.currentData())
        self.opening_weeks.setVisible(rule is PeriodOpeningRule.WEEKS_BEFORE)
        self.opening_fixed.setVisible(rule is PeriodOpeningRule.FIXED_DATE)
        self.horizon.setEnabled(OpeningKind(self.opening_kind.currentData()) is OpeningKind.ROLLING)

    # --- reading ---------------------------------------------------------------------------------------
    def check(self) -> None:
        """The form's own checks, all at once, before anything is saved."""
        errors: dict[str, str] = {}
        if not self.name.text().strip():
            errors["name"] = "Le nom de l'activité est obligatoire."
        try:
            parse_amount(self.price.text())
        except ValidationError as exc:
            errors["price"] = f"Prix de la journée : {exc}"
        try:
            brackets = self.brackets.value()
            if brackets:
                check_brackets(brackets)
        except FieldErrors as exc:
            errors.update(exc.fields)
        except ValidationError as exc:
            errors["brackets"] = str(exc)
        if self.rule() is PeriodOpeningRule.FIXED_DATE and not self.opening_fixed.text().strip():
            errors["opening_fixed"] = "Une ouverture à date fixe demande cette date (jour/mois, ex. 06/05)."
        for key, editor, label in (
            ("booking", self.booking_rule, "Réservation"),
            ("cancel", self.cancel_rule, "Annulation"),
        ):
            assert editor is not None, "set by _set_rules()"
            try:
                check_deadline(editor.rule())
            except ValidationError as exc:
                errors[key] = f"{label} : {exc}"
        if errors:
            raise FieldErrors(errors)

    def rule(self) -> PeriodOpeningRule:
        return PeriodOpeningRule(self.opening_rule.currentData())

    def value(self) -> ActivityInput:
        """The activity as typed, booking policy included (FieldErrors for brackets that are not numbers)."""
        alsh = self.chosen_kind() is ActivityKind.ALSH_HOLIDAYS
        rule = self.rule()
        data = ActivityInput(
            structure_id=self.structure.currentData(),
            kind=self.chosen_kind(),
            name=self.name.text(),
            price=self.price.text(),
            default_capacity=self.capacity.value(),
            wallet_kind=WalletKind(self.wallet.currentData()),
            waitlist_enabled=self.waitlist.isChecked(),
            period_scope=PeriodScope(self.scope.currentData()) if alsh else PeriodScope.ALL,
            period_opening_rule=rule,
            period_opening_weeks=self.opening_weeks.value()
            if rule is PeriodOpeningRule.WEEKS_BEFORE
            else None,
            period_opening_fixed=self.opening_fixed.text() if rule is PeriodOpeningRule.FIXED_DATE else None,
            brackets=self.brackets.value(),
        )
        data.booking, data.cancel, data.opening_kind, data.horizon_days = self.policy()
        return data

    def policy(self) -> tuple[DeadlineRule, DeadlineRule, OpeningKind, int | None]:
        opening = OpeningKind(self.opening_kind.currentData())
        assert self.booking_rule is not None and self.cancel_rule is not None, "set by _set_rules()"
        return (
            self.booking_rule.rule(),
            self.cancel_rule.rule(),
            opening,
            self.horizon.value() if opening is OpeningKind.ROLLING else None,
        )


class ActivitiesPanel(QWidget):
    """Every activity, archived ones greyed; create, edit, archive or re-enable, delete (administrators)."""

    changed = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.dialog: ActivityDialog | None = None
        self.question: QMessageBox | None = None

        def grey(a: ActivityDetail) -> QColor | None:
            return GREY if not a.active else None

        self.rows = RowsModel(
            [
                Column("Activité", lambda a: a.name, colour=grey),
                Column("Structure", lambda a: a.structure, colour=grey),
                Column("Type", lambda a: KIND_LABELS[a.kind], colour=grey),
                Column("Tarif", price_text, colour=grey, tooltip=brackets_tooltip),
                Column("Places", lambda a: str(a.default_capacity), right=True, colour=grey),
                Column("Attente", lambda a: "oui" if a.waitlist_enabled else "non", colour=grey),
                Column("Ouverture", opening_text, colour=grey),
                Column(
                    "Réservation",
                    lambda a: deadline_text(a.booking, short=True),
                    colour=grey,
                    tooltip=lambda a: f"Réservation jusqu'à {deadline_text(a.booking)}",
                ),
                Column(
                    "Annulation",
                    lambda a: deadline_text(a.cancel, short=True),
                    colour=grey,
                    tooltip=lambda a: f"Annulation jusqu'à {deadline_text(a.cancel)}",
                ),
                Column("Journées", lambda a: str(a.days), right=True, colour=grey),
                Column("État", lambda a: "archivée" if not a.active else "proposée", colour=grey),
            ]
        )
        self.view = table_view(self.rows)
        self.view.doubleClicked.connect(lambda _index: self.open_edit())
        self.new = QPushButton("Nouvelle activité…")
        self.edit = QPushButton("Modifier…")
        self.archive = QPushButton("Archiver")
        self.delete = QPushButton("Supprimer…")
        self.new.clicked.connect(self.open_new)
        self.edit.clicked.connect(self.open_edit)
        self.archive.clicked.connect(self.toggle_archived)
        self.delete.clicked.connect(self.ask_delete)
        buttons = QHBoxLayout()
        for b in (self.new, self.edit, self.archive, self.delete):
            buttons.addWidget(b)
        buttons.addStretch(1)
        hint = QLabel(
            "Une activité archivée n'est plus proposée au guichet ; ses réservations et son historique "
            "restent. Seule une activité jamais réservée peut être supprimée."
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self.view.selectionModel().currentRowChanged.connect(lambda _c, _p: self._enable())
        self.load()

    # --- rows ---------------------------------------------------------------------------------------
    def load(self) -> None:
        current = self.selected()
        self.rows.set_rows(self.ctx.ops.run(lambda: activity_details(self.ctx.db), default=[]))
        if current is not None:
            self.select(current.id)
        self._enable()

    def selected(self) -> ActivityDetail | None:
        index = self.view.currentIndex()
        return self.rows.rows[index.row()] if index.isValid() and index.row() < len(self.rows.rows) else None

    def select(self, activity_id: int) -> ActivityDetail | None:
        row = next((i for i, a in enumerate(self.rows.rows) if a.id == activity_id), None)
        if row is not None:
            self.view.selectRow(row)
        self._enable()
        return self.selected()

    # Not QWidget.find(WId) (never used on this panel): the activity shown with this name (tests look it up).
    def find(self, name: str, structure: str | None = None) -> ActivityDetail:  # type: ignore[override]
        return next(a for a in self.rows.rows if a.name == name and structure in (None, a.structure))

    def _enable(self) -> None:
        a = self.selected()
        for b in (self.edit, self.archive, self.delete):
            b.setEnabled(a is not None)
        self.archive.setText("Réactiver" if a is not None and not a.active else "Archiver")
        if a is not None:
            self.delete.setToolTip("Activité déjà réservée : archivez-la plutôt." if a.booked else "")
        self.details.setText(
            details_text(a)
            if a is not None
            else "Sélectionnez une activité pour la modifier, l'archiver ou la supprimer."
        )

    def _after(self, activity_id: int | None) -> None:
        self.load()
        if activity_id is not None:
            self.select(activity_id)
        self.changed.emit()

    # --- actions ------------------------------------------------------------------------------------
    def open_new(self) -> ActivityDialog:
        structures = self.ctx.ops.run(lambda: structure_details(self.ctx.db), default=[])
        return self._open(ActivityDialog(self, structures, structure_id=self.ctx.structure_id))

    def open_edit(self) -> ActivityDialog | None:
        a = self.selected()
        if a is None:
            return None
        structures = self.ctx.ops.run(lambda: structure_details(self.ctx.db), default=[])
        return self._open(ActivityDialog(self, structures, a))

    def _open(self, dialog: ActivityDialog) -> ActivityDialog:
        db, actor = self.ctx.db, self.ctx.actor

        def save() -> int:
            """One service call, one transaction: the fields, the brackets and the booking policy together."""
            data, activity_id = dialog.value(), dialog.activity_id
            if activity_id is None:
                return create_activity(db, actor, data)
            save_activity(db, actor, activity_id, data)
            return activity_id

        def saved(activity_id: int) -> None:
            dialog.activity_id = activity_id
            self._after(activity_id)

        dialog.submitted.connect(lambda: self.ctx.ops.form(dialog, save, saved))
        self.dialog = dialog
        dialog.open()
        return dialog

    def toggle_archived(self) -> bool:
        """Archive the selected activity, or offer it again if it is archived."""
        a = self.selected()
        if a is None:
            return False
        done = self.ctx.ops.run(
            succeeded(lambda: set_archived(self.ctx.db, self.ctx.actor, a.id, a.active)), write=True
        )
        self._after(a.id)
        return bool(done)

    def ask_delete(self) -> None:
        a = self.selected()
        if a is None:
            return
        self.question = QMessageBox(
            QMessageBox.Icon.Question,
            "Supprimer l'activité",
            f"Supprimer définitivement l'activité « {a.name} » ({a.structure}), avec "
            f"{count(a.days, 'journée')} et ses périodes ?",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        yes = self.question.addButton("Supprimer", QMessageBox.ButtonRole.DestructiveRole)
        self.question.addButton("Annuler", QMessageBox.ButtonRole.RejectRole)
        yes.clicked.connect(lambda: self.delete_selected())
        self.question.open()

    def delete_selected(self) -> bool:
        """Delete the selected activity; the service refuses (French message) once it has reservations."""
        a = self.selected()
        if a is None:
            return False
        done = self.ctx.ops.run(
            succeeded(lambda: delete_activity(self.ctx.db, self.ctx.actor, a.id)), write=True
        )
        self._after(None if done else a.id)
        return bool(done)
