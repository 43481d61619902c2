"""The activity form's « Heures CAF et repas » group: a day's opening hours (« de 13:30 à 18:30 (5 h) », the hours a
day present counts for the CAF), the CAF category (périscolaire / extrascolaire) and the meal part of the day price
(left out of the childcare tax certificate). It only shows and reads what is typed; the service checks it."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTimeEdit,
    QWidget,
)

from ...models import CafCategory
from ...services.booking.caf_hours import CATEGORY_LABELS, caf_day_minutes, day_minutes
from ...services.errors import ValidationError
from ...services.money.amounts import parse_amount
from ...services.setup.activities import ActivityInput
from ...text import duration_text, plain_amount
from ..widgets import amount


def _time_edit(tip: str) -> QTimeEdit:
    edit = QTimeEdit()
    edit.setDisplayFormat("HH:mm")
    edit.setMinimumTime(QTime(0, 0))
    edit.setToolTip(tip)
    return edit


class DayHoursGroup(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Heures CAF et repas", parent)
        self.starts = _time_edit("Ouverture d'une journée")
        self.ends = _time_edit("Fermeture d'une journée")
        self.duration = QLabel()
        self.category = QComboBox()
        for category, label in CATEGORY_LABELS.items():
            self.category.addItem(label, category.value)
        self.category.setToolTip(
            "Périscolaire : les mercredis (Plan mercredi) ; extrascolaire : les vacances. Les heures CAF sont "
            "déclarées par catégorie."
        )
        self.meal = amount(QLineEdit(), ActivityInput, "meal")
        self.meal.setPlaceholderText("0,00")
        self.meal.setMaximumWidth(90)
        self.meal.setToolTip(
            "La part du prix de la journée qui paie le repas : elle n'entre pas dans l'attestation de frais "
            "de garde (les frais de nourriture en sont exclus)."
        )
        hours = QHBoxLayout()
        for widget in (QLabel("de"), self.starts, QLabel("à"), self.ends, self.duration):
            hours.addWidget(widget)
        hours.addStretch(1)
        meal = QHBoxLayout()
        meal.addWidget(self.meal)
        meal.addWidget(QLabel("€"))
        meal.addStretch(1)
        form = QFormLayout(self)
        form.addRow("Horaires d'une journée", hours)
        form.addRow("Catégorie CAF", self.category)
        form.addRow("Part repas du prix", meal)
        self.starts.timeChanged.connect(lambda _t: self._show_duration())
        self.ends.timeChanged.connect(lambda _t: self._show_duration())
        self.category.currentIndexChanged.connect(lambda _i: self._show_duration())
        self.set_values(time(7, 30), time(18, 30), CafCategory.EXTRASCOLAIRE, 0)

    def set_values(self, starts: time, ends: time, category: CafCategory, meal_cents: int) -> None:
        self.starts.setTime(QTime(starts.hour, starts.minute))
        self.ends.setTime(QTime(ends.hour, ends.minute))
        self.category.setCurrentIndex(max(0, self.category.findData(CafCategory(category).value)))
        self.meal.setText(plain_amount(meal_cents))
        self._show_duration()

    def set_hours(self, starts: time, ends: time, category: CafCategory) -> None:
        """A kind's usual hours and category (a new activity whose kind changes); the meal part stays."""
        self.set_values(starts, ends, category, 0 if not self.meal.text().strip() else self.meal_cents())

    def meal_cents(self) -> int:
        try:
            return parse_amount(self.meal.text())
        except ValidationError:
            return 0

    def _show_duration(self) -> None:
        starts, ends = self._time(self.starts), self._time(self.ends)
        minutes, counted = day_minutes(starts, ends), caf_day_minutes(starts, ends, self.category_value())
        if minutes <= 0:
            self.duration.setText("(la fin avant le début)")
        elif counted < minutes:
            self.duration.setText(
                f"({duration_text(minutes)} ; {duration_text(counted)} comptées par la CAF)"
            )
        else:
            self.duration.setText(f"({duration_text(minutes)})")

    def category_value(self) -> CafCategory:
        return CafCategory(self.category.currentData() or CafCategory.EXTRASCOLAIRE.value)

    @staticmethod
    def _time(edit: QTimeEdit) -> time:
        t = edit.time()
        return time(t.hour(), t.minute())

    def fill(self, data: ActivityInput) -> None:
        """The group's values into what the form submits."""
        data.day_starts_at = f"{self._time(self.starts):%H:%M}"
        data.day_ends_at = f"{self._time(self.ends):%H:%M}"
        data.caf_category = CafCategory(self.category.currentData())
        data.meal = self.meal.text()
