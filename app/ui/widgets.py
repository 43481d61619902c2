"""Widget helpers shared by the screens: read-only tables over plain rows (long texts cut with « … » and shown
whole in their tooltip), a long name cut in a label or a combo box, an editable table's cell editor, and a typed
field's bound.

``bound(edit, FamilyInput, "name")`` is the one place a field's maximum length is set: from the same ``bounds.Text``
the service checks (read in ``fields``), so that the agent cannot type past it. Amounts, quotients familiaux and
cheque numbers also take a validator (``amount``, ``digits``). The form fields' helpers the screens import from here
(dates, mnemonics, the bounds' numbers) are in ``fields``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRegularExpression, QSize, Qt
from PySide6.QtGui import QHelpEvent, QPaintEvent, QRegularExpressionValidator, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionComboBox,
    QStyleOptionViewItem,
    QStylePainter,
    QTableView,
    QToolTip,
    QWidget,
)

from ..services.bounds import AmountText
from .fields import (
    LOGIN,
    PASSWORD,
    AmountValidator,
    PlainTextLimit,
    date_edit,
    date_of,
    keyed,
    limit_of,
    number_range,
)
from .table_model import RowsModel

__all__ = [
    "CELL_CHARS",
    "PASTE_GUARD",
    "EditorDelegate",
    "ElidedLabel",
    "ElidingDelegate",
    "NameCombo",
    "amount",
    "bound",
    "digits",
    "elide_cells",
    "said_not_cut",
    "table_view",
    # the form fields' helpers of ``fields`` that the screens import from here
    "LOGIN",
    "PASSWORD",
    "date_edit",
    "date_of",
    "keyed",
    "limit_of",
    "number_range",
]

CELL_CHARS = 32
"""A column fitted to its contents is at most this many average characters wide; longer texts are cut (« … »)."""


def table_view(model: RowsModel, stretch: int | None = None) -> QTableView:
    """A read-only table, one row selected at a time; ``stretch`` column (else the last one) takes the width.
    The other columns fit their contents, up to CELL_CHARS characters: a longer text is cut with « … » and shown
    whole in its tooltip, so that a long name never pushes the other columns out of view."""
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    elide_cells(view)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    else:
        header.setStretchLastSection(True)
    return view


class ElidingDelegate(QStyledItemDelegate):
    """Cells one line high, at most ``chars`` average characters wide when their column fits its contents; a text
    cut short (« … ») shows whole in its tooltip, above the cell's own tooltip if it has one."""

    def __init__(self, parent: QObject | None = None, chars: int = CELL_CHARS) -> None:
        super().__init__(parent)
        self.chars = chars

    def sizeHint(  # noqa: N802 - Qt's name
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        widest = option.fontMetrics.averageCharWidth() * self.chars
        return QSize(min(hint.width(), widest), hint.height())

    def is_cut(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> bool:
        """The cell's text is wider than the cell (as drawn in ``option.rect``)."""
        shown = QStyleOptionViewItem(option)
        self.initStyleOption(shown, index)
        text: str = shown.text
        if not text:
            return False
        widget: QWidget | None = shown.widget
        style = widget.style() if widget is not None else None
        if style is None:
            return False
        room = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, shown, widget).width()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        return "\n" in text or shown.fontMetrics.horizontalAdvance(text) > room - 2 * margin

    def tooltip(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> str:
        """What the cell's tooltip shows: its whole text when it is cut, then the model's tooltip."""
        own = index.data(Qt.ItemDataRole.ToolTipRole)
        parts = [str(index.data(Qt.ItemDataRole.DisplayRole))] if self.is_cut(option, index) else []
        if own:
            parts.append(str(own))
        return "\n".join(parts)

    def helpEvent(  # noqa: N802 - Qt's name
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if event is None or event.type() != QEvent.Type.ToolTip or not index.isValid():
            return super().helpEvent(event, view, option, index)
        text = self.tooltip(option, index)
        QToolTip.showText(event.globalPos(), text, view)
        event.setAccepted(bool(text))
        return bool(text)


def elide_cells(view: QAbstractItemView, chars: int = CELL_CHARS) -> ElidingDelegate:
    """``view``'s cells one line high and cut with « … » (see ElidingDelegate)."""
    delegate = ElidingDelegate(view, chars)
    view.setItemDelegate(delegate)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    if isinstance(view, QTableView):
        view.setWordWrap(False)
    return delegate


class ElidedLabel(QLabel):
    """A one-line label cut with « … » to the width it is given (a long family name never widens the window), whole
    in its tooltip when cut; ``text()`` is the whole text."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.setTextFormat(Qt.TextFormat.PlainText)  # a name is text: « <b>Anne</b> » is shown as typed
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._text = text
        self._elide()
        self.updateGeometry()

    def text(self) -> str:
        return self._text

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().sizeHint()
        margins = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(self._text) + margins.left() + margins.right() + 2
        return QSize(width, hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.fontMetrics().averageCharWidth() * 10, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._elide()

    def _elide(self) -> None:
        margins = self.contentsMargins()
        room = self.width() - margins.left() - margins.right()
        shown = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, max(room, 0))
        QLabel.setText(self, shown)
        self.setToolTip(self._text if shown != self._text else "")


class NameCombo(QComboBox):
    """A combo box of names, as wide as its longest name but never wider than ``chars`` characters (a 120-character
    name never widens the window): a longer name is cut with « … », whole in the list and in the tooltip."""

    def __init__(self, chars: int = CELL_CHARS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chars = chars
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def _widest(self) -> int:
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        text = QSize(self.fontMetrics().averageCharWidth() * self.chars, self.fontMetrics().height())
        return self.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, option, text, self).width()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().sizeHint()
        return QSize(min(hint.width(), self._widest()), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self._widest()), hint.height())

    def _room(self, option: QStyleOptionComboBox) -> int:
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        return field.width() - 4

    def is_cut(self) -> bool:
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        return self.fontMetrics().horizontalAdvance(self.currentText()) > self._room(option)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        if self.isEditable():
            super().paintEvent(event)
            return
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self.fontMetrics().elidedText(
            option.currentText, Qt.TextElideMode.ElideRight, self._room(option)
        )
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent) and not self.toolTip():
            if self.is_cut():
                QToolTip.showText(event.globalPos(), self.currentText(), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)


class EditorDelegate(QStyledItemDelegate):
    """An editable table's cells edited in a QLineEdit set up by ``setup`` (``lambda e: bound(e, …)``)."""

    def __init__(self, parent: QObject | None, setup: Callable[[QLineEdit], object]) -> None:
        super().__init__(parent)
        self.setup = setup

    def createEditor(  # noqa: N802 - Qt's name
        self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QWidget:
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit):
            self.setup(editor)
        return editor


# --- a typed field's bound -----------------------------------------------------------------------------------

Edit = TypeVar("Edit", QLineEdit, QPlainTextEdit)


def bound(edit: Edit, spec: Any, field: str | None = None) -> Edit:
    """``edit`` cannot hold more characters than ``spec`` allows (see ``fields.text_spec``); returns ``edit``.

    A QLineEdit takes it as its maximum length (and shows the beginning of what it already holds); a QPlainTextEdit
    (several lines) cuts what goes beyond as it is typed or pasted, and keeps the bound in its ``maxLength``
    property."""
    limit = limit_of(spec, field)
    if isinstance(edit, QLineEdit):
        edit.setMaxLength(limit)
        edit.setCursorPosition(0)  # a long value already there shows its beginning, not its end
    else:
        PlainTextLimit(edit, limit)
    return edit


PASTE_GUARD = 20_000
"""The length a field checked by its service rather than cut (``said_not_cut``) still refuses: far beyond any bound, so
that a paste is never cut without a word, yet not without end."""


def said_not_cut(edit: QLineEdit, placeholder: str) -> QLineEdit:
    """A field whose value the service checks and refuses at the field with a French message (the closing's counts):
    what is typed or pasted stays whole — no keystroke refused, nothing cut to the bound behind the agent's back — and
    the limit is said in the placeholder."""
    edit.setMaxLength(PASTE_GUARD)
    edit.setPlaceholderText(placeholder)
    return edit


def amount(
    edit: QLineEdit, spec: Any = AmountText, field: str | None = None, *, signed: bool = False
) -> QLineEdit:
    """An amount field: bounded like ``spec`` (``bounds.AmountText`` by default) and an AmountValidator."""
    bound(edit, spec, field)
    edit.setValidator(AmountValidator(edit, signed))
    return edit


def digits(edit: QLineEdit, spec: Any, field: str | None = None) -> QLineEdit:
    """A number typed in ASCII digits only (quotient familial, cheque number, number of cheques), bounded like
    ``spec``."""
    bound(edit, spec, field)
    edit.setValidator(QRegularExpressionValidator(QRegularExpression("[0-9]*"), edit))
    return edit
