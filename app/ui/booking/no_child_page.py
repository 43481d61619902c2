"""What the booking tab shows instead of the calendar for a family with no child: why, and « Ajouter un enfant… »
one click (or Alt+E) away."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from ..widgets import keyed


class NoChildPage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        hint = QLabel("Cette famille n'a pas encore d'enfant : ajoutez-en un pour réserver.")
        hint.setStyleSheet("color:#455a64; font-size:12pt;")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_child = keyed(QPushButton("Ajouter un &enfant…"), "Ajouter un enfant à la famille")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(hint)
        layout.addWidget(self.add_child, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)
