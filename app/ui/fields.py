"""Form fields shared by the screens: a button's keyboard path (its mnemonic), French date fields, the bounds the
services set on what is typed, and the amount validator.

A bound is read from the services': ``limit_of(FamilyInput, "name")`` (a service input's annotated field),
``limit_of(Family.name)`` (a column) or ``limit_of(bounds.Reason)`` (an annotated type) is the number of characters the
service's ``bounds.Text`` allows; ``widgets.bound`` sets it on a field, so that the agent cannot type past it. Amounts
take a validator: ASCII digits only (« ١٢ » or « 𝟏𝟐 » cannot be typed), two decimals at most, never more than the
largest amount the services accept.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, TypeVar, get_args, get_origin, get_type_hints

from PySide6.QtCore import QDate, QObject
from PySide6.QtGui import QTextCursor, QValidator
from PySide6.QtWidgets import QAbstractButton, QDateEdit, QLineEdit, QPlainTextEdit

from ..models import Agent
from ..services.bounds import PasswordText, Range, Text
from ..services.money.amounts import MAX_AMOUNT_CENTS


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


class PlainTextLimit(QObject):
    """A QPlainTextEdit's maximum length (set by ``widgets.bound``): what goes beyond is removed where it was typed or
    pasted."""

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
