"""The booking tab's header: the check boxes of the children being booked (« Enfants », Alt+1, Alt+2…), the
list of the activities to book and the month shown (previous, next)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QToolButton, QWidget

from ...services.counter import ActivityRow
from ...services.families.view import ChildRow
from ..widgets import NameCombo

CHILD_CHARS = 22
"""A child's check box shows that many characters of its name at most (whole in its tooltip)."""


CHILDREN_PER_ROW = 4
"""Check boxes of children on one row of the booking view (more: another row)."""


def child_text(child: ChildRow) -> str:
    text = f"{child.first_name} ({child.school_level or f'{child.age} ans'})"
    return text if len(text) <= CHILD_CHARS else text[: CHILD_CHARS - 1] + "…"


class ChildrenRow:
    """« Enfants » and a check box per child, CHILDREN_PER_ROW to a row (``grid``): a family of seven children
    keeps the window within a 1366-pixel screen. ``changed`` is called when the agent checks or unchecks a
    child."""

    def __init__(self, changed: Callable[[], object]) -> None:
        self.changed = changed
        self.boxes: dict[int, QCheckBox] = {}
        """The check boxes by child id, in the family's order."""
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(2)
        self.label = QLabel("&Enfants")
        self.label.setToolTip("Les jours marqués sont demandés pour chaque enfant coché (Alt+1, Alt+2…)")

    def checked(self) -> list[int]:
        """The children being booked, in the family's order."""
        return [child_id for child_id, box in self.boxes.items() if box.isChecked()]

    def set_checked(self, child_ids: list[int]) -> None:
        """Check these children and uncheck the others, without calling ``changed``."""
        for child_id, box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(child_id in child_ids)
            box.blockSignals(False)

    def toggle(self, index: int) -> None:
        """Alt+1, Alt+2…: the child at that place checked or unchecked."""
        boxes = list(self.boxes.values())
        if index < len(boxes):
            boxes[index].toggle()

    def show(self, children: list[ChildRow], no_child_buddy: QWidget) -> None:
        """One check box per child; the ones checked stay checked while the family stays open (the first child
        is checked when none is). Alt+E goes to the first child's box, else to ``no_child_buddy``."""
        if [(c, b.text()) for c, b in self.boxes.items()] == [(c.id, child_text(c)) for c in children]:
            return
        checked = set(self.checked())
        for box in self.boxes.values():
            self.grid.removeWidget(box)
            box.deleteLater()
        self.boxes = {}
        for i, child in enumerate(children):
            box = QCheckBox(child_text(child))
            box.setToolTip(
                f"{child.first_name} {child.last_name} : réserver pour cet enfant (Alt+{i + 1})"
                if i < 9
                else f"{child.first_name} {child.last_name}"
            )
            box.setAccessibleName(f"Réserver pour {child.first_name}")
            box.setChecked(child.id in checked)
            box.toggled.connect(lambda _on: self.changed())
            self.grid.addWidget(box, i // CHILDREN_PER_ROW, 1 + i % CHILDREN_PER_ROW)
            self.boxes[child.id] = box
        if children and not self.checked():
            self.boxes[children[0].id].setChecked(True)
        self.label.setBuddy(next(iter(self.boxes.values())) if children else no_child_buddy)


class Selectors:
    """« Activité » and its list, then « Calendrier » (Alt+C: to the calendar), the previous month, the month shown
    and the next month, on one row (``row``)."""

    def __init__(self, calendar: QWidget) -> None:
        self.activity = NameCombo()
        self.activity.setAccessibleName("Activité")
        self.activity.setToolTip("Toutes les activités de vos structures (Alt+A, puis les premières lettres)")
        self.previous = QToolButton()
        self.previous.setText("<")
        self.previous.setToolTip("Mois précédent (Page préc.)")
        self.next = QToolButton()
        self.next.setText(">")
        self.next.setToolTip("Mois suivant (Page suiv.)")
        self.month_label = QLabel()
        self.month_label.setMinimumWidth(130)
        self.month_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.month_label.setObjectName("monthLabel")
        activity_label, calendar_label = QLabel("&Activité"), QLabel("&Calendrier")
        activity_label.setBuddy(self.activity)
        calendar_label.setBuddy(calendar)
        calendar_label.setToolTip("Aller au calendrier (Alt+C) ; flèches : jour, espace : marquer")
        self.row = QHBoxLayout()
        widget: QWidget
        for widget in (activity_label, self.activity):
            self.row.addWidget(widget)
        self.row.addStretch(1)
        for widget in (calendar_label, self.previous, self.month_label, self.next):
            self.row.addWidget(widget)


def fill_activities(combo: NameCombo, activities: list[ActivityRow], current: object) -> None:
    """The activities in the list (a name two structures share: with its structure's), ``current`` chosen when
    it is there, else the first one; the list's signals wait meanwhile."""
    combo.blockSignals(True)
    combo.clear()
    repeated = {a.name for a in activities if [b.name for b in activities].count(a.name) > 1}
    for a in activities:
        combo.addItem(f"{a.name} ({a.structure_name})" if a.name in repeated else a.name, a.id)
        combo.setItemData(combo.count() - 1, a.structure_name, Qt.ItemDataRole.ToolTipRole)
    index = combo.findData(current)
    combo.setCurrentIndex(index if index >= 0 else 0)
    combo.blockSignals(False)
