"""Login at start (and after Déconnexion), and changing one's password."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ..services.actors import Actor
from ..services.auth import change_password, login
from ..services.uow import Database
from .family_dialog import SavingDialog


class LoginDialog(SavingDialog):
    """``session`` holds the CounterSession once the agent is logged in."""

    def __init__(self, parent: QWidget | None, db: Database) -> None:
        super().__init__(parent, lambda: login(db, self.login.text(), self.password.text()))
        self.setWindowTitle("Guichet Enfance – connexion")
        self.buttons.button(self.buttons.StandardButton.Save).setText("Se connecter")
        self.buttons.button(self.buttons.StandardButton.Cancel).setText("Quitter")
        self.login = QLineEdit()
        self.login.setAccessibleName("Identifiant")
        self.password = QLineEdit()
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

    @property
    def session(self):
        return self.result_value

    def _try_save(self) -> None:
        super()._try_save()
        if not self.errors.isHidden():
            self.password.clear()
            self.password.setFocus()


class PasswordDialog(SavingDialog):
    def __init__(self, parent: QWidget | None, db: Database, actor: Actor) -> None:
        super().__init__(parent, self._change)
        self.db, self.actor = db, actor
        self.setWindowTitle("Changer mon mot de passe")
        self.current = QLineEdit()
        self.new = QLineEdit()
        self.again = QLineEdit()
        for edit in (self.current, self.new, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("Mot de passe actuel", self.current)
        form.addRow("Nouveau mot de passe", self.new)
        form.addRow("Confirmation", self.again)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def _change(self) -> None:
        from ..services.errors import ValidationError

        if self.new.text() != self.again.text():
            raise ValidationError("La confirmation ne correspond pas au nouveau mot de passe.")
        change_password(self.db, self.actor, self.current.text(), self.new.text())
