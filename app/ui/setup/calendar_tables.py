"""The two tables of the "Année scolaire" tab that the administrator edits in place before saving them together:
the school holidays (name, first day, last day) and the public holidays (day, name). Dates are shown and edited as
jj/mm/aaaa, with a calendar."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ...services.setup.school_year import HolidayRow, PublicHolidayRow
from ..widgets import EditorDelegate, bound

DATE_FORMAT = "dd/MM/yyyy"
EDIT = Qt.ItemDataRole.EditRole


def qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class DateDelegate(QStyledItemDelegate):
    """Date cells shown and edited as jj/mm/aaaa, with a calendar."""

    def displayText(self, value, locale) -> str:  # noqa: N802 - Qt's name
        if isinstance(value, QDate):
            return value.toString(DATE_FORMAT)
        return super().displayText(value, locale)

    def createEditor(  # noqa: N802 - Qt's name
        self, parent: QWidget, _option: QStyleOptionViewItem, _index: QModelIndex | QPersistentModelIndex
    ) -> QWidget:
        editor = QDateEdit(parent)
        editor.setDisplayFormat(DATE_FORMAT)
        editor.setCalendarPopup(True)
        return editor


def _date_item(d: date) -> QTableWidgetItem:
    item = QTableWidgetItem()
    item.setData(EDIT, qdate(d))
    return item


class CalendarTable(QTableWidget):
    """A table edited in place, one row selected at a time; ``date_columns`` hold dates, ``stretch`` takes the
    room left, ``NAME`` is the column of a row's name."""

    NAME = 0

    def __init__(self, headers: list[str], date_columns: tuple[int, ...], stretch: int) -> None:
        super().__init__(0, len(headers))
        self.setHorizontalHeaderLabels(headers)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        delegate = DateDelegate(self)
        for column in date_columns:
            self.setItemDelegateForColumn(column, delegate)
        header = self.horizontalHeader()
        for column in range(len(headers)):
            mode = (
                QHeaderView.ResizeMode.Stretch
                if column == stretch
                else QHeaderView.ResizeMode.ResizeToContents
            )
            header.setSectionResizeMode(column, mode)

    def _append(self, *cells: QTableWidgetItem) -> int:
        row = self.rowCount()
        self.insertRow(row)
        for column, item in enumerate(cells):
            self.setItem(row, column, item)
        return row

    def edit_name(self, row: int) -> None:
        """Select the row and start typing its name (a row just added)."""
        item = self.item(row, self.NAME)
        assert item is not None, "the row was just appended with its items"
        self.selectRow(row)
        self.scrollToItem(item)
        self.setCurrentCell(row, self.NAME)
        self.editItem(item)

    def remove_current(self) -> bool:
        row = self.currentRow()
        if row >= 0:
            self.removeRow(row)
        return row >= 0

    def cell_text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text().strip() if item is not None else ""

    def cell_date(self, row: int, column: int) -> date | None:
        item = self.item(row, column)
        value = item.data(EDIT) if item is not None else None
        return _pydate(value) if isinstance(value, QDate) and value.isValid() else None


class HolidaysTable(CalendarTable):
    """The school holidays: name, first day, last day."""

    def __init__(self) -> None:
        super().__init__(["Vacances", "Du", "Au"], (1, 2), stretch=0)
        self.setItemDelegateForColumn(0, EditorDelegate(self, lambda e: bound(e, HolidayRow, "name")))

    def append(self, name: str, start: date, end: date) -> int:
        return self._append(QTableWidgetItem(name), _date_item(start), _date_item(end))

    def values(self) -> list[HolidayRow]:
        """The holidays as shown (a line without a name is refused by the service)."""
        out = []
        for row in range(self.rowCount()):
            start, end = self.cell_date(row, 1), self.cell_date(row, 2)
            if start is not None and end is not None:
                out.append(HolidayRow(self.cell_text(row, 0), start, end))
        return out


class PublicHolidaysTable(CalendarTable):
    """The public holidays: day, name."""

    NAME = 1

    def __init__(self) -> None:
        super().__init__(["Date", "Jour férié"], (0,), stretch=1)
        self.setItemDelegateForColumn(1, EditorDelegate(self, lambda e: bound(e, PublicHolidayRow, "name")))

    def append(self, day: date, name: str) -> int:
        return self._append(_date_item(day), QTableWidgetItem(name))

    def values(self) -> list[PublicHolidayRow]:
        out = []
        for row in range(self.rowCount()):
            day = self.cell_date(row, 0)
            if day is not None:
                out.append(PublicHolidayRow(day, self.cell_text(row, 1)))
        return out
