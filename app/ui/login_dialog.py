"""Login at start (and after Déconnexion), and changing one's password.

Both dialogs only collect what the agent types. Whoever opens them runs the service through ``Operations.form``
(``application.login_dialog`` and ``application.password_dialog`` wire them): the dialog closes with the result or
shows the refusal. Nothing here imports the services (the fields' bounds come from ``widgets``)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from .family_dialog import SavingDialog
from .operations import Failure
from .widgets import LOGIN, PASSWORD, bound

MISMATCH = "La confirmation ne correspond pas au nouveau mot de passe."


class LoginDialog(SavingDialog):
    """``value()`` is (identifier, password); ``session`` holds the CounterSession once the agent is logged in."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Guichet Enfance – connexion")
        self.buttons.button(self.buttons.StandardButton.Save).setText("Se connecter")
        self.buttons.button(self.buttons.StandardButton.Cancel).setText("Quitter")
        self.login = bound(QLineEdit(), LOGIN)
        self.login.setAccessibleName("Identifiant")
        self.password = bound(QLineEdit(), PASSWORD)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Mot de passe")
        form = QFormLayout()
        form.addRow("Identifiant", self.login)
        form.addRow("Mot de passe", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Guichet enfance-jeunesse</b> – identifiez-vous"))
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.login.setFocus()

    def value(self) -> tuple[str, str]:
        return self.login.text(), self.password.text()

    @property
    def session(self):
        return self.result_value

    def show_failure(self, failure: Failure) -> None:
        """The refusal is shown and the password typed again (the identifier stays)."""
        super().show_failure(failure)
        self.password.clear()
        self.password.setFocus()


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
        form = QFormLayout()
        form.addRow("Mot de passe actuel", self.current)
        form.addRow("Nouveau mot de passe", self.new)
        form.addRow("Confirmation", self.again)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def value(self) -> tuple[str, str]:
        return self.current.text(), self.new.text()

    def _try_save(self) -> None:
        if self.new.text() != self.again.text():  # the form's own check: nothing is sent
            for widget in self.fields.values():
                widget.setStyleSheet("")
            self.show_failure(Failure(MISMATCH, {"again": MISMATCH}))
            return
        super()._try_save()
