"""The login window, light enough to be shown before anything else is imported (PySide6 only).

It is the first window of a start (``startup``) and the window of a new login after « Déconnexion »; it only
collects the identifier and the password. Whoever opens it runs ``auth.login`` through ``Operations.form`` and
answers with ``saved(session)`` or ``show_failure(failure)``, as for every form (``family_dialog.SavingDialog``,
whose interface it has without importing it: that module imports the services, and the login window must be
on screen before SQLAlchemy and the models are even imported)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from ..operations import Failure

LOGIN_LENGTH = 64
"""``widgets.LOGIN``'s limit (the agents' ``login`` column), written here so as not to import the models."""
PASSWORD_LENGTH = 128
"""``widgets.PASSWORD``'s limit (``bounds.PasswordText``)."""


def fit_height(dialog: QWidget) -> None:
    """The dialog grows to a message's wrapped lines (a word-wrapped label shown later does not make a dialog
    taller by itself: the end of a long message was cut)."""
    layout = dialog.layout()
    if layout is not None:
        layout.activate()
    if not dialog.isVisible():  # its size is not chosen yet (a widget not shown reports 640 × 480)
        dialog.adjustSize()
        return
    dialog.resize(dialog.width(), max(dialog.height(), dialog.sizeHint().height()))


def ask_server_password(parent: QWidget | None, account: str, note: str | None = None) -> str | None:
    """The shared server's password, typed for this session only (None: the agent cancelled); ``note`` says why it
    is asked (the keyring could not be read)."""
    label = f"Mot de passe de {account} :"
    text, ok = QInputDialog.getText(
        parent,
        "Mot de passe du serveur",
        f"{note}\n\n{label}" if note else label,
        QLineEdit.EchoMode.Password,
    )
    return text if ok else None


class LoginDialog(QDialog):
    """``value()`` is (identifier, password); ``session`` holds the CounterSession once the agent is logged in.

    « Se connecter » emits ``submitted``; ``set_waiting(text)`` says what is awaited (the database being opened)
    with the button disabled, ``set_waiting(None)`` gives the button back. « Paramètres de connexion… », offered
    by ``offer_settings`` (at start, when the settings choose the database), emits ``settings_requested``;
    ``show_note(text)`` shows a warning that does not stop anything (a database file others can read)."""

    submitted = Signal()
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.result_value: object = None
        self.fields: dict[str, QWidget] = {}
        self.keep_open = False
        self.setWindowTitle("Guichet Enfance – connexion")
        self.setMinimumWidth(380)
        self.errors = QLabel()
        self.errors.setObjectName("alert")
        self.errors.setTextFormat(
            Qt.TextFormat.PlainText
        )  # a service's message holds names: text, never markup
        self.errors.setProperty("severe", True)
        self.errors.setWordWrap(True)
        self.errors.hide()
        self.waiting = QLabel()
        self.waiting.setWordWrap(True)
        self.waiting.hide()
        self.buttons = (
            QDialogButtonBox()
        )  # then its buttons: PySide6 takes 15 ms to choose among its constructors
        self.buttons.setStandardButtons(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Se connecter")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quitter")
        self.buttons.accepted.connect(self._try_save)
        self.buttons.rejected.connect(self.reject)
        self.settings_button = self.buttons.addButton(
            "Paramètres de connexion…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.settings_button.setToolTip("Base locale ou serveur partagé, mot de passe du serveur, certificat")
        self.settings_button.setHidden(True)
        self.settings_button.clicked.connect(lambda: self.settings_requested.emit())
        self.note = QLabel()
        self.note.setTextFormat(Qt.TextFormat.PlainText)  # a path: text, never markup
        self.note.setStyleSheet("color:#8a5300;")
        self.note.setWordWrap(True)
        self.note.hide()
        self.login = QLineEdit()
        self.login.setMaxLength(LOGIN_LENGTH)
        self.login.setAccessibleName("Identifiant")
        self.password = QLineEdit()
        self.password.setMaxLength(PASSWORD_LENGTH)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Mot de passe")
        form = QFormLayout()
        form.addRow("Identifiant", self.login)
        form.addRow("Mot de passe", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Guichet enfance-jeunesse</b> – identifiez-vous"))
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.waiting)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.login.setFocus()

    def value(self) -> tuple[str, str]:
        return self.login.text(), self.password.text()

    @property
    def session(self):
        return self.result_value

    @property
    def connect_button(self):
        return self.buttons.button(QDialogButtonBox.StandardButton.Save)

    def _try_save(self) -> None:
        self.errors.hide()
        self.submitted.emit()

    def saved(self, result: object) -> None:
        self.result_value = result
        self.errors.hide()
        if not self.keep_open:
            self.accept()

    def show_failure(self, failure: Failure) -> None:
        """The refusal is shown and the password typed again (the identifier stays)."""
        self.show_error(failure.message)
        self.password.clear()
        self.password.setFocus()

    def show_error(self, text: str) -> None:
        self.set_waiting(None)
        self.errors.setText(text)
        self.errors.show()
        self._fit()

    def offer_settings(self) -> None:
        self.settings_button.setHidden(False)

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self._fit()

    def set_waiting(self, text: str | None) -> None:
        if text is not None:  # what is awaited now replaces a former failure
            self.errors.hide()
        self.waiting.setText(text or "")
        self.waiting.setVisible(text is not None)
        self.connect_button.setEnabled(text is None)
        self._fit()

    def _fit(self) -> None:
        fit_height(self)
