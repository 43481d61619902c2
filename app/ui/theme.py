"""Colours and wording shared by the counter's widgets (portal colours: orange = to book, green = to remove)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from ..calendar_words import DEBIT as DEBIT_HEX
from ..calendar_words import GREEN as GREEN_HEX
from ..calendar_words import ORANGE as ORANGE_HEX
from ..calendar_words import STATE_LEGEND, STATE_STYLE  # noqa: F401 - the counter's widgets take them from here

ORANGE = QColor(ORANGE_HEX)
GREEN = QColor(GREEN_HEX)
DEBIT = QColor(DEBIT_HEX)
