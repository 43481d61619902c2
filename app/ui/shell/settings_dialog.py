"""Settings "Base de données": a local file or a shared server, "Tester la connexion" off the GUI thread,
the password saved in the keyring (never in a file); the first-run choice; the supervisor's migration check.

The dialogs only collect values: whoever opens them runs the test, the saving or the migration through
``Operations`` (``application.settings_dialog`` and ``application.bring_server_schema_up`` wire them)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...config import default_database_url
from ...connection import (
    SSL_MODES,
    ConnectionReport,
    NoKeyring,
    ServerSettings,
    keyring_available,
    save_password,
)
from ...db import default_root_cert
from ...keyring_store import KeyringUnavailable
from ...services.bounds import Text
from ...settings import Settings
from ..families.family_dialog import SavingDialog
from ..operations import Failure
from ..setup.setup_wizard import fr
from ..widgets import LOGIN, PASSWORD, bound

HOST = Text(max_len=253, label="serveur")
"""A server's name (a DNS name is 253 characters at most) or address."""
SERVER_NAME = Text(max_len=63, label="nom")
"""A PostgreSQL database's or user's name (63 characters at most: NAMEDATALEN - 1)."""


@dataclass(frozen=True)
class DatabaseChoice:
    """What « Base de données » collects: a local file (``path``, empty for the default one) or a server and the
    password typed (empty: keep the one in the keyring)."""

    path: str = ""
    server: ServerSettings | None = None
    password: str = ""


def save_choice(settings: Settings, choice: DatabaseChoice) -> str:
    """Remember where the data is, for the next start; the password goes to the keyring, never to the settings
    file. Returns "local" or "server"."""
    if choice.server is None:
        settings.use_local(choice.path)
        return "local"
    settings.use_server(choice.server)
    if choice.password:
        # no keyring: the dialog's note says so; a keyring that refuses: the start says so; the password is asked
        with contextlib.suppress(NoKeyring, KeyringUnavailable):
            save_password(choice.server, choice.password)
    return "server"


class SettingsDialog(SavingDialog):
    """``value()`` is the DatabaseChoice; « Tester la connexion » emits ``test_requested(url)`` and the owner
    answers with ``show_test(report)`` or ``show_test_failure(failure)``."""

    test_requested = Signal(str)

    def __init__(self, parent: QWidget | None, settings: Settings) -> None:
        super().__init__(parent)
        self.setWindowTitle("Base de données")
        self.local = QRadioButton("Base locale sur ce poste (un seul guichet)")
        self.server = QRadioButton("Serveur partagé PostgreSQL (plusieurs guichets)")
        group = QButtonGroup(self)
        group.addButton(self.local)
        group.addButton(self.server)
        self.path = bound(QLineEdit(settings.get("database/path")), Text(label="fichier"))
        self.path.setPlaceholderText(default_database_url().removeprefix("sqlite:///"))
        current = settings.server()
        self.host = bound(QLineEdit(current.host), HOST)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(current.port)
        self.database = bound(QLineEdit(current.database), SERVER_NAME)
        self.user = bound(QLineEdit(current.user), SERVER_NAME)
        self.password = bound(QLineEdit(), Text(label="mot de passe du serveur"))
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("enregistré dans le trousseau du système")
        self.sslmode = QComboBox()
        self.sslmode.addItems(SSL_MODES)
        self.sslmode.setCurrentText(current.sslmode)
        self.sslrootcert = bound(QLineEdit(current.sslrootcert), Text(label="certificat du serveur"))
        self.sslrootcert.setPlaceholderText(f"par défaut : {default_root_cert()}")
        self.sslrootcert.setToolTip(
            "Le certificat de l'autorité qui a signé celui du serveur (fichier .crt remis par l'informaticien), "
            "nécessaire aux modes verify-ca et verify-full ; « system » : les autorités du système."
        )
        self.browse = QPushButton("Parcourir…")
        self.browse.clicked.connect(self._choose_root_cert)
        self.fields = {
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "sslmode": self.sslmode,
            "sslrootcert": self.sslrootcert,
        }
        self.test_button = QPushButton("&Tester la connexion")
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        if not keyring_available():
            self.keyring_note.setText(str(NoKeyring()))
        form = QFormLayout()
        form.addRow("Fichier local", self.path)
        form.addRow("Serveur", self.host)
        form.addRow("Port", self.port)
        form.addRow("Base", self.database)
        form.addRow("Utilisateur", self.user)
        form.addRow("Mot de passe", self.password)
        form.addRow("SSL", self.sslmode)
        certificate = QHBoxLayout()
        certificate.addWidget(self.sslrootcert, 1)
        certificate.addWidget(self.browse)
        form.addRow("Certificat du serveur (CA)", certificate)
        test = QHBoxLayout()
        test.addWidget(self.test_button)
        test.addWidget(self.test_result, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.local)
        layout.addWidget(self.server)
        layout.addLayout(form)
        layout.addLayout(test)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        (self.server if settings.mode == "server" else self.local).setChecked(True)
        self.local.toggled.connect(self._enable)
        self.test_button.clicked.connect(self.start_test)
        self._enable()
        self.resize(620, 420)

    def _enable(self) -> None:
        server = self.server.isChecked()
        self.path.setEnabled(not server)
        for widget in (self.host, self.port, self.database, self.user, self.password, self.sslmode):
            widget.setEnabled(server)
        self.sslrootcert.setEnabled(server)
        self.browse.setEnabled(server)

    def _choose_root_cert(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _filter = QFileDialog.getOpenFileName(
            self,
            "Certificat de l'autorité du serveur",
            self.sslrootcert.text(),
            "Certificats (*.crt *.pem);;Tous (*)",
        )
        if path:
            self.sslrootcert.setText(str(Path(path)))  # Windows' own separators

    def server_settings(self) -> ServerSettings:
        return ServerSettings(
            self.host.text().strip(),
            self.port.value(),
            self.database.text().strip(),
            self.user.text().strip(),
            self.sslmode.currentText(),
            self.sslrootcert.text().strip(),
        )

    def target_url(self) -> str:
        if self.local.isChecked():
            return (
                f"sqlite:///{self.path.text().strip()}"
                if self.path.text().strip()
                else default_database_url()
            )
        return self.server_settings().url(self.password.text()).render_as_string(hide_password=False)

    def start_test(self) -> None:
        """Ask for the test (the owner runs it off the GUI thread; the answer comes within the connect timeout)."""
        self.test_button.setEnabled(False)
        self.test_result.setStyleSheet("")
        self.test_result.setText("Connexion en cours…")
        self.test_requested.emit(self.target_url())

    def show_test(self, report: ConnectionReport) -> None:
        self.test_result.setText(report.message)
        self.test_result.setStyleSheet("color:#1b5e20;" if report.ok else "color:#b00020;")
        self.test_button.setEnabled(True)

    def show_test_failure(self, failure: Failure) -> None:
        self.test_result.setText(failure.message)
        self.test_result.setStyleSheet("color:#b00020;")
        self.test_button.setEnabled(True)

    def check(self) -> None:
        if self.server.isChecked():
            self.server_settings().validate()

    def value(self) -> DatabaseChoice:
        if self.local.isChecked():
            return DatabaseChoice(path=self.path.text().strip())
        return DatabaseChoice(server=self.server_settings(), password=self.password.text())


class FirstRunDialog(QDialog):
    """The very first start: the local database with the demonstration, a new installation on this counter
    (an empty local database and the set-up assistant), or a shared server. ``choice`` is "local", "install"
    or "server"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Guichet Enfance – premier démarrage")
        self.choice = ""
        self.demo = QPushButton("Base locale avec des données de &démonstration")
        self.install = QPushButton(
            "&Nouvelle installation sur ce poste (base vide, assistant de mise en service)"
        )
        self.server = QPushButton("Se connecter à un &serveur partagé…")
        layout = QVBoxLayout(self)
        title = QLabel("<b>Où sont les données de ce guichet ?</b>")
        layout.addWidget(title)
        for button, choice, note in (
            (
                self.demo,
                "local",
                "Pour découvrir l'application : 40 familles fictives ; identifiant « admin », "
                "mot de passe « demo ».",
            ),
            (
                self.install,
                "install",
                "Pour mettre en service votre commune : vos structures, votre "
                "administrateur et votre calendrier, sans données fictives.",
            ),
            (
                self.server,
                "server",
                "Pour plusieurs guichets : la base PostgreSQL partagée de la commune "
                "(vide, elle est mise en service par l'assistant).",
            ),
        ):
            layout.addSpacing(6)
            layout.addWidget(button)
            caption = QLabel(fr(note))
            caption.setWordWrap(True)
            caption.setStyleSheet("color:#546e7a; margin-left:4px;")
            layout.addWidget(caption)
            button.clicked.connect(lambda _checked=False, c=choice: self._choose(c))
        self.setMinimumWidth(560)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()


class MigrationDialog(SavingDialog):
    """A shared server's schema is behind: a supervisor confirms with their own identifier and password
    (``value()``); the owner runs the migration."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Mise à jour de la base du serveur")
        self.buttons.button(self.buttons.StandardButton.Save).setText("Mettre à jour la base")
        self.login = bound(QLineEdit(), LOGIN)
        self.secret = bound(QLineEdit(), PASSWORD)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("Identifiant du superviseur", self.login)
        form.addRow("Mot de passe", self.secret)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "La base du serveur partagé doit être mise à jour pour cette version.\n"
                "Tous les guichets seront concernés : un superviseur doit confirmer."
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def value(self) -> tuple[str, str]:
        return self.login.text(), self.secret.text()
