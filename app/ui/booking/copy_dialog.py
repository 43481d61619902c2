""" "Copier vers…": choose another child of the family or another activity for the same child."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...services.counter import ActivityRow
from ...services.families.view import FamilySummary


class CopyDialog(QDialog):
    def __init__(
        self,
        parent: QWidget,
        family: FamilySummary,
        activities: list[ActivityRow],
        child_id: int,
        activity_id: int,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Copier vers…")
        self.targets = QListWidget()
        self.targets.setAccessibleName("Destinations de la copie")
        child_name = next((c.first_name for c in family.children if c.id == child_id), "")
        activity_name = next((a.name for a in activities if a.id == activity_id), "")
        for c in family.children:
            if c.id != child_id:
                item = QListWidgetItem(f"{c.first_name} – {activity_name}")
                item.setData(Qt.ItemDataRole.UserRole, (c.id, None))
                self.targets.addItem(item)
        for a in activities:
            if a.id != activity_id:
                item = QListWidgetItem(f"{child_name} – {a.name}")
                item.setData(Qt.ItemDataRole.UserRole, (None, a.id))
                self.targets.addItem(item)
        if self.targets.count():
            self.targets.setCurrentRow(0)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Copier")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Annuler")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.targets.count() > 0)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.targets.itemDoubleClicked.connect(lambda _item: self.accept())
        layout = QVBoxLayout(self)
        what = QLabel(f"Copier les jours à réserver de {child_name} ({activity_name}) vers :")
        what.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(what)
        layout.addWidget(self.targets)
        layout.addWidget(QLabel("Chaque jour copié est vérifié à nouveau (ouverture, délais, déjà réservé)."))
        layout.addWidget(buttons)

    def target(self) -> tuple[int | None, int | None]:
        item = self.targets.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else (None, None)
