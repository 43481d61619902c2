"""Administration → Activités → « Nouvelle activité… » / « Modifier… »: the form of one activity — its price and
price grid, capacity, wallet, waitlist, the holidays it runs in with the opening of their bookings, and its booking
policy. A new activity starts from the usual settings of its kind. The form only collects and checks what is typed;
the Activités panel saves it in one service call."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...models import ActivityKind, DeadlineRule, OpeningKind, PeriodOpeningRule, PeriodScope, WalletKind
from ...services.booking.kinds import kind_entry, periods_note, registered_kinds
from ...services.errors import ValidationError
from ...services.families.edit import FieldErrors
from ...services.families.view import WALLET_LABELS
from ...services.money.amounts import parse_amount
from ...services.setup.activities import (
    MAX_CAPACITY,
    MAX_HORIZON,
    ActivityDetail,
    ActivityInput,
    check_brackets,
    check_deadline,
    policy_for,
)
from ...services.setup.structures import StructureDetail
from ...text import count, plain_amount, plural
from ..families.family_dialog import SavingDialog
from ..widgets import NameCombo, amount, bound
from .activity_day_group import DayHoursGroup
from .activity_words import OPENING_LABELS, RULE_LABELS, SCOPE_LABELS, fixed_text
from .deadline_editor import DeadlineEditor
from .price_grid_editor import BracketsEditor


def counted_suffix(spin: QSpinBox, noun: str, *, after: str = "") -> None:
    """``spin``'s suffix: ``noun`` in the singular or the plural as its value goes (« 1 semaine avant »,
    « 2 semaines avant »)."""

    def follow(value: int) -> None:
        spin.setSuffix(f" {plural(value, noun)}{after}")

    spin.valueChanged.connect(follow)
    follow(spin.value())


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
        for entry in registered_kinds():
            self.kind.addItem(entry.label, entry.kind.value)
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
        self.day_group = DayHoursGroup()
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
        right = QVBoxLayout()
        right.addWidget(prices, 1)
        right.addWidget(self.info)
        self.periods = QGroupBox("Périodes de vacances")
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
        top.addLayout(right, 2)
        middle = QHBoxLayout()
        middle.addWidget(self.periods)
        middle.addWidget(self.day_group, 1)
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
            "meal": self.day_group.meal,
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
        """The usual settings of this kind (what a new town's activities start with): wallet, waitlist, periods,
        policy."""
        p = policy_for(kind)
        usual = kind_entry(kind)
        self.name.setPlaceholderText(f"ex. {usual.example_name}")
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
        self.day_group.set_hours(p.day_starts_at, p.day_ends_at, p.caf_category)
        self._enable()

    def show_activity(self, a: ActivityDetail) -> None:
        self._set(self.kind, a.kind)
        self._set(self.structure, a.structure_id)
        self.kind.setEnabled(False)
        self.structure.setEnabled(False)
        self.name.setText(a.name)
        self.price.setText(plain_amount(a.price_cents))
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
        self.day_group.set_values(a.day_starts_at, a.day_ends_at, a.caf_category, a.meal_cents)
        state = "archivée (plus proposée au guichet)" if not a.active else "proposée au guichet"
        booked = "déjà réservée" if a.booked else "jamais réservée"
        days = count(a.days, "journée")
        self.info.setText(
            f"{a.structure} · {days} · {state} · {booked}. La capacité par défaut "
            "vaut pour les journées créées ensuite ; celle d'une journée se change dans "
            "« Journées »."
        )

    def _enable(self) -> None:
        self.periods.setEnabled(kind_entry(self.chosen_kind()).has_periods)
        self.periods.setToolTip(periods_note(self.chosen_kind()))
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
            parse_amount(self.day_group.meal.text() or "0")
        except ValidationError as exc:
            errors["meal"] = f"Part repas du prix : {exc}"
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
        periods = kind_entry(self.chosen_kind()).has_periods
        rule = self.rule()
        data = ActivityInput(
            structure_id=self.structure.currentData(),
            kind=self.chosen_kind(),
            name=self.name.text(),
            price=self.price.text(),
            default_capacity=self.capacity.value(),
            wallet_kind=WalletKind(self.wallet.currentData()),
            waitlist_enabled=self.waitlist.isChecked(),
            period_scope=PeriodScope(self.scope.currentData()) if periods else PeriodScope.ALL,
            period_opening_rule=rule,
            period_opening_weeks=self.opening_weeks.value()
            if rule is PeriodOpeningRule.WEEKS_BEFORE
            else None,
            period_opening_fixed=self.opening_fixed.text() if rule is PeriodOpeningRule.FIXED_DATE else None,
            brackets=self.brackets.value(),
        )
        data.booking, data.cancel, data.opening_kind, data.horizon_days = self.policy()
        self.day_group.fill(data)
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
