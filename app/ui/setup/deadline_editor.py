"""Editing a booking or cancellation deadline (the booking policy is data an administrator edits, not code)."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import QTime
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSpinBox, QTimeEdit, QWidget

from ...models import DeadlineKind, DeadlineRule
from ...text import WEEKDAYS


class DeadlineEditor(QWidget):
    """A deadline rule: "N jours décomptés (sans vendredi, samedi…) à HH:MM" or "le dernier <jour> à HH:MM"."""

    def __init__(self, rule: DeadlineRule) -> None:
        super().__init__()
        self.kind = QComboBox()
        self.kind.addItem("jours décomptés avant le jour", DeadlineKind.COUNTED_DAYS.value)
        self.kind.addItem("dernier jour de la semaine avant", DeadlineKind.LAST_WEEKDAY.value)
        self.days = QSpinBox()
        self.days.setRange(0, 120)
        self.skips = [QCheckBox(name[:3] + ".") for name in WEEKDAYS]
        self.weekday = QComboBox()
        self.weekday.addItems(WEEKDAYS)
        self.at = QTimeEdit(QTime(rule.at.hour, rule.at.minute))
        self.at.setDisplayFormat("HH:mm")
        self.kind.setCurrentIndex(0 if rule.kind is DeadlineKind.COUNTED_DAYS else 1)
        self.days.setValue(rule.days or 0)
        for i in rule.skipped_weekdays:
            self.skips[i].setChecked(True)
        self.weekday.setCurrentIndex(rule.weekday if rule.weekday is not None else 6)
        self.kind.currentIndexChanged.connect(self._enable)
        self._enable()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.kind, self.days, QLabel("sans"), *self.skips, self.weekday, QLabel("à"), self.at):
            layout.addWidget(widget)
        layout.addStretch(1)

    def _enable(self) -> None:
        counted = self.kind.currentData() == DeadlineKind.COUNTED_DAYS.value
        for widget in (self.days, *self.skips):
            widget.setEnabled(counted)
        self.weekday.setEnabled(not counted)

    def rule(self) -> DeadlineRule:
        kind = DeadlineKind(self.kind.currentData())
        t = self.at.time()
        if kind is DeadlineKind.COUNTED_DAYS:
            skip = ",".join(str(i) for i, box in enumerate(self.skips) if box.isChecked())
            return DeadlineRule(kind, self.days.value(), skip, False, None, time(t.hour(), t.minute()))
        return DeadlineRule(kind, None, "", False, self.weekday.currentIndex(), time(t.hour(), t.minute()))
