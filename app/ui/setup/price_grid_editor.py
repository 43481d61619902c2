"""The price grid of an activity's form: one price by quotient-familial bracket (QF from, QF to, price), typed in
a table; without a bracket, the day's single price applies."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...services.families.edit import FamilyInput, FieldErrors
from ...services.setup.activities import ActivityInput
from ...text import plain_amount
from ..widgets import EditorDelegate, amount, digits


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
            self.add_row(lo, hi, plain_amount(price) if isinstance(price, int) else price)

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
