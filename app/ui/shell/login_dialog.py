"""Login at start (and after Déconnexion), and changing one's password.

Both dialogs only collect what the agent types. Whoever opens them runs the service through ``Operations.form``
(``application.login_dialog`` and ``application.password_dialog`` wire them): the dialog closes with the result or
shows the refusal. Nothing here imports the services (the fields' bounds come from ``widgets``). The login dialog
itself lives in ``login_window`` (PySide6 only: it is shown before the rest of the application is imported)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ..families.family_dialog import SavingDialog
from ..operations import Failure
from ..widgets import PASSWORD, bound
from .login_window import LoginDialog, fit_height

__all__ = ["MISMATCH", "LoginDialog", "PasswordDialog"]

MISMATCH = "La confirmation ne correspond pas au nouveau mot de passe."


class PasswordDialog(SavingDialog):
    """``value()`` is (current password, new password); the confirmation is checked here."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Changer mon mot de passe")
        self.current = bound(QLineEdit(), PASSWORD)
        self.new = bound(QLineEdit(), PASSWORD)
        self.again = bound(QLineEdit(), PASSWORD)
        for edit in (self.current, self.new, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.fields = {"current": self.current, "new": self.new, "again": self.again}
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        self.setMinimumWidth(460)
        form = QFormLayout()
        form.addRow("Mot de passe actuel", self.current)
        form.addRow("Nouveau mot de passe", self.new)
        form.addRow("Confirmation", self.again)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def explain(self, text: str) -> None:
        """A line above the fields (why the change is asked)."""
        self.note.setText(text)
        self.note.show()
        fit_height(self)

    def value(self) -> tuple[str, str]:
        return self.current.text(), self.new.text()

    def _try_save(self) -> None:
        if self.new.text() != self.again.text():  # the form's own check: nothing is sent
            for widget in self.fields.values():
                widget.setStyleSheet("")
            self.show_failure(Failure(MISMATCH, {"again": MISMATCH}))
            return
        super()._try_save()
