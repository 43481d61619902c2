"""The family list: a search box that filters as the agent types, and a table of plain rows."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget

from ..services.families import FamilyRow
from ..services.money import format_eur

COLUMNS = ("Famille", "Responsables", "Enfants", "Téléphone", "E-mail", "Solde")
DEBIT = QColor("#b00020")


class FamilyTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[FamilyRow] = []

    def set_rows(self, rows: list[FamilyRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.name, row.adults, row.children, row.phone, row.email, format_eur(row.balance_cents))[
                col
            ]
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 5:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col == 5 and row.balance_cents < 0:
            return QBrush(DEBIT)
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None


class FamilyList(QWidget):
    """Search box + table. Emits ``search_changed`` (debounced) and ``family_activated``."""

    search_changed = Signal(str)
    family_activated = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Rechercher une famille, un enfant, un téléphone, un e-mail…")
        self.search.setClearButtonEnabled(True)
        self.model = FamilyTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.count = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Rechercher"))
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(lambda: self.search_changed.emit(self.search.text()))
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._activate_current)
        self.table.activated.connect(
            lambda index: self.family_activated.emit(self.model.rows[index.row()].id)
        )

    def set_rows(self, rows: list[FamilyRow]) -> None:
        self.model.set_rows(rows)
        n = len(rows)
        self.count.setText("Aucune famille trouvée" if n == 0 else f"{n} famille{'s' if n > 1 else ''}")
        if rows:
            self.table.selectRow(0)

    def _activate_current(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.family_activated.emit(self.model.rows[index.row()].id)
