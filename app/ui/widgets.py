"""Small widget helpers shared by the screens: read-only tables over plain rows (long texts cut with « … » and
shown whole in their tooltip), French date fields, and the bounds of what the agent may type.

The bounds are the services': ``bound(edit, FamilyInput, "name")`` (a service input's annotated field),
``bound(edit, Family.name)`` (a column) or ``bound(edit, bounds.Reason)`` (an annotated type) sets the field's
maximum length from the same ``bounds.Text`` the service checks, so that the agent cannot type past it. Amounts,
quotients familiaux and cheque numbers also take a validator: ASCII digits only (« ١٢ » or « 𝟏𝟐 » cannot be
typed), two decimals at most, never more than the largest amount the services accept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar, get_args, get_origin, get_type_hints

from PySide6.QtCore import (
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRegularExpression,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QHelpEvent,
    QPaintEvent,
    QRegularExpressionValidator,
    QResizeEvent,
    QTextCursor,
    QValidator,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDateEdit,
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

from ..models import Agent
from ..services.bounds import AmountText, PasswordText, Range, Text
from ..services.money.amounts import MAX_AMOUNT_CENTS
from .table_model import RowsModel

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


def mnemonic(text: str) -> str | None:
    """The letter after a single « & » in a label ("Co&pier vers…" → "P"), None without one."""
    i = 0
    while i < len(text) - 1:
        if text[i] == "&":
            if text[i + 1] != "&":
                return text[i + 1].upper()
            i += 1
        i += 1
    return None


Button = TypeVar("Button", bound=QAbstractButton)


def keyed(button: Button, tooltip: str) -> Button:
    """``button`` with a tooltip that says what it does and its keyboard path (its mnemonic: "Alt+P")."""
    letter = mnemonic(button.text())
    button.setToolTip(f"{tooltip} (Alt+{letter})" if letter else tooltip)
    return button


def date_edit(d: date) -> QDateEdit:
    edit = QDateEdit(QDate(d.year, d.month, d.day))
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setCalendarPopup(True)
    return edit


def date_of(edit: QDateEdit) -> date:
    q = edit.date()
    return date(q.year(), q.month(), q.day())


# --- the bounds of what is typed -------------------------------------------------------------------------------

Edit = TypeVar("Edit", QLineEdit, QPlainTextEdit)
QT_MAX_LENGTH = 32767
"""Qt's own maximum length of a QLineEdit, i.e. no bound."""
MAX_LENGTH = "maxLength"
"""The property that keeps a QPlainTextEdit's bound (a QLineEdit has ``maxLength()``)."""


def text_spec(spec: Any, field: str | None = None) -> Text:
    """The ``bounds.Text`` of ``spec``: a Text; a column (``Family.name``); an annotated type (``bounds.Reason``);
    or, with ``field``, a service input (dataclass) or a service function and the name of its field or parameter
    (``text_spec(FamilyInput, "name")``)."""
    if field is not None:
        hints = get_type_hints(spec, include_extras=True)
        if field not in hints:
            raise KeyError(f"{getattr(spec, '__name__', spec)} has no field {field!r}")
        return text_spec(hints[field])
    if isinstance(spec, Text):
        return spec
    found = _text_in(spec)
    if found is not None:
        return found
    if hasattr(spec, "property") and hasattr(spec.property, "columns"):  # a mapped column
        return Text(spec)
    raise TypeError(f"no text bound in {spec!r}")


def _text_in(hint: Any) -> Text | None:
    if get_origin(hint) is Annotated:
        base, *extra = get_args(hint)
        return next((m for m in extra if isinstance(m, Text)), None) or _text_in(base)
    for option in get_args(hint):  # ``AmountText | None``
        found = _text_in(option)
        if found is not None:
            return found
    return None


def number_range(spec: Any, field: str | None = None) -> tuple[int, int]:
    """The lowest and highest numbers ``spec`` allows: an annotated type (``bounds.Capacity``), or a service input
    or function and its field or parameter; for a QSpinBox's ``setRange``."""
    hint = get_type_hints(spec, include_extras=True)[field] if field is not None else spec
    found = next((m for m in get_args(hint)[1:] if isinstance(m, Range)), None)
    if get_origin(hint) is not Annotated or found is None:
        raise TypeError(f"no number range in {hint!r}")
    return found.lo, found.hi


def limit_of(spec: Any, field: str | None = None) -> int:
    """The number of characters ``spec`` allows (see ``text_spec``)."""
    return text_spec(spec, field).limit


def bound(edit: Edit, spec: Any, field: str | None = None) -> Edit:
    """``edit`` cannot hold more characters than ``spec`` allows (see ``text_spec``); returns ``edit``.

    A QLineEdit takes it as its maximum length (and shows the beginning of what it already holds); a QPlainTextEdit
    (several lines) cuts what goes beyond as it is typed or pasted, and keeps the bound in its ``maxLength``
    property."""
    limit = limit_of(spec, field)
    if isinstance(edit, QLineEdit):
        edit.setMaxLength(limit)
        edit.setCursorPosition(0)  # a long value already there shows its beginning, not its end
    else:
        _PlainTextLimit(edit, limit)
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


class _PlainTextLimit(QObject):
    """A QPlainTextEdit's maximum length: what goes beyond is removed where it was typed or pasted."""

    def __init__(self, edit: QPlainTextEdit, limit: int) -> None:
        super().__init__(edit)
        self.edit, self.limit = edit, limit
        edit.setProperty(MAX_LENGTH, limit)
        edit.textChanged.connect(self.clip)
        self.clip()

    def clip(self) -> None:
        document = self.edit.document()
        excess = document.characterCount() - 1 - self.limit  # counted as Qt counts (UTF-16), never fewer
        if excess <= 0:
            return
        cursor = self.edit.textCursor()
        end = cursor.position()
        if end >= excess:  # what was just typed or pasted ends at the cursor
            cursor.setPosition(end - excess)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            self.edit.setTextCursor(cursor)
        if document.characterCount() - 1 > self.limit:
            self.edit.setPlainText(self.edit.toPlainText()[: self.limit])
            self.edit.moveCursor(QTextCursor.MoveOperation.End)


LOGIN = Text(Agent.login)
"""An agent's identifier, wherever it is typed (the login, a supervisor's confirmation, the set-up)."""
PASSWORD = PasswordText
"""An agent's password, wherever it is typed (what ``change_password`` and the set-up accept)."""


def max_length(edit: QLineEdit | QPlainTextEdit) -> int:
    """The bound of a field (Qt's default, 32767, when none was set)."""
    if isinstance(edit, QLineEdit):
        return edit.maxLength()
    value = edit.property(MAX_LENGTH)
    return int(value) if value is not None else QT_MAX_LENGTH


AMOUNT_DIGITS = len(str(MAX_AMOUNT_CENTS // 100))
"""Digits before the comma in the largest amount the services accept (100 000,00 €)."""
SPACES = " \u202f\xa0"
_AMOUNT = re.compile(r"(?P<sign>[+\-\u2212]?)(?P<units>[0-9 \u202f\xa0]*)(?:[.,](?P<cents>[0-9]*))?")


class AmountValidator(QValidator):
    """An amount as the services read it (``parse_amount``): ASCII digits, spaces between the thousands, a comma or
    a point and two decimals at most, a final « € »; a sign only when ``signed``; never above the largest amount.
    « ١٢,٥٠ », « 𝟏𝟐 » and « 12,345 » cannot be typed."""

    def __init__(self, parent: QObject | None = None, signed: bool = False) -> None:
        super().__init__(parent)
        self.signed = signed

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        return amount_state(text, self.signed), text, pos  # as QRegularExpressionValidator answers


def amount_state(text: str, signed: bool = False) -> QValidator.State:
    """Acceptable (an amount ``parse_amount`` reads), Intermediate (empty, or on the way: « 12, ») or Invalid (no
    amount begins so)."""
    body = text.strip(SPACES)
    if body.endswith("€"):
        body = body[:-1].rstrip(SPACES)
    match = _AMOUNT.fullmatch(body)
    if match is None or (match["sign"] and not signed) or match["units"][:1] in tuple(SPACES):
        return QValidator.State.Invalid
    units = "".join(ch for ch in match["units"] if ch not in SPACES)
    cents = match["cents"] or ""
    if len(units) > AMOUNT_DIGITS or len(cents) > 2:
        return QValidator.State.Invalid
    if int(units or 0) * 100 + int(cents.ljust(2, "0")) > MAX_AMOUNT_CENTS:
        return QValidator.State.Invalid
    if not units or match["cents"] == "":  # « », « - », « ,5 », « 12, »: on the way to an amount
        return QValidator.State.Intermediate
    return QValidator.State.Acceptable


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
