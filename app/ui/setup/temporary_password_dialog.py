"""Administration → Agents, after « Nouvel agent… » or « Réinitialiser le mot de passe… »: the temporary password,
shown once and cleared when the window closes; « Copier » puts it on the clipboard for a minute."""

from __future__ import annotations

import html

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...services.setup.agents import TemporaryPassword


class TemporaryPasswordDialog(QDialog):
    """Shows a temporary password once; it is cleared from the dialog when the dialog closes."""

    def __init__(
        self, parent: QWidget | None, title: str, full_name: str, temporary: TemporaryPassword
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        intro = QLabel(
            f"Mot de passe provisoire de <b>{html.escape(full_name)}</b> (identifiant "
            f"<b>{html.escape(temporary.login)}</b>) :"
        )
        self.password = QLineEdit(temporary.password)
        self.password.setReadOnly(True)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(font.pointSize() + 3)
        self.password.setFont(font)
        self.password.selectAll()
        copy = self.copy_button = QPushButton("Copier")
        copy.setToolTip("Copié dans le presse-papiers pour une minute, puis effacé")
        copy.clicked.connect(self.copy)
        row = QHBoxLayout()
        row.addWidget(self.password, 1)
        row.addWidget(copy)
        self.note = QLabel(
            "Mot de passe à communiquer à l'agent, qui le changera à sa première connexion. "
            "Il n'est affiché qu'une fois : notez-le maintenant (seule son empreinte est enregistrée)."
        )
        self.note.setObjectName("alert")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("J'ai noté le mot de passe")
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.note.setMinimumWidth(500)

    CLIPBOARD_SECONDS = 60
    """How long a copied temporary password stays on the clipboard."""

    def copy(self) -> None:
        """The password on the clipboard for a minute: then the clipboard is emptied, if it still holds it (the
        timer belongs to the clipboard: the dialog is long closed by then)."""
        text = self.password.text()
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(text)
        self.password.selectAll()
        self.copy_button.setText("Copié (effacé dans 1 min)")

        def forget() -> None:
            if clipboard.text() == text:
                clipboard.clear()

        QTimer.singleShot(self.CLIPBOARD_SECONDS * 1000, clipboard, forget)

    def done(self, result: int) -> None:
        self.password.clear()  # shown once: nothing keeps it once the dialog is closed
        super().done(result)
