"""Settings "Base de données": a local file or a shared server, "Tester la connexion" off the GUI thread,
the password saved in the keyring (never in a file); the first-run choice; the supervisor's migration check."""

from __future__ import annotations

import contextlib
from concurrent.futures import Future

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

from ..config import default_database_url
from ..connection import (
    SSL_MODES,
    NoKeyring,
    ServerSettings,
    check_connection,
    keyring_available,
    save_password,
)
from ..settings import Settings
from .family_dialog import SavingDialog
from .operations import in_background
from .setup_wizard import fr


class SettingsDialog(SavingDialog):
    def __init__(self, parent: QWidget | None, settings: Settings) -> None:
        super().__init__(parent, self._save_settings)
        self.settings = settings
        self.setWindowTitle("Base de données")
        self.local = QRadioButton("Base locale sur ce poste (un seul guichet)")
        self.server = QRadioButton("Serveur partagé PostgreSQL (plusieurs guichets)")
        group = QButtonGroup(self)
        group.addButton(self.local)
        group.addButton(self.server)
        self.path = QLineEdit(settings.get("database/path"))
        self.path.setPlaceholderText(default_database_url().removeprefix("sqlite:///"))
        current = settings.server()
        self.host = QLineEdit(current.host)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(current.port)
        self.database = QLineEdit(current.database)
        self.user = QLineEdit(current.user)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("enregistré dans le trousseau du système")
        self.sslmode = QComboBox()
        self.sslmode.addItems(SSL_MODES)
        self.sslmode.setCurrentText(current.sslmode)
        self.fields = {
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "sslmode": self.sslmode,
        }
        self.test_button = QPushButton("&Tester la connexion")
        self.result = QLabel()
        self.result.setWordWrap(True)
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
        test = QHBoxLayout()
        test.addWidget(self.test_button)
        test.addWidget(self.result, 1)
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
        self.pending: Future | None = None
        self.resize(620, 420)

    def _enable(self) -> None:
        server = self.server.isChecked()
        self.path.setEnabled(not server)
        for widget in (self.host, self.port, self.database, self.user, self.password, self.sslmode):
            widget.setEnabled(server)

    def server_settings(self) -> ServerSettings:
        return ServerSettings(self.host.text().strip(), self.port.value(), self.database.text().strip(),
                              self.user.text().strip(), self.sslmode.currentText())  # fmt: skip

    def target_url(self) -> str:
        if self.local.isChecked():
            return (
                f"sqlite:///{self.path.text().strip()}"
                if self.path.text().strip()
                else default_database_url()
            )
        return self.server_settings().url(self.password.text()).render_as_string(hide_password=False)

    def start_test(self) -> Future:
        """Test off the GUI thread: the window stays responsive; the answer comes within the connect timeout."""
        self.test_button.setEnabled(False)
        self.result.setText("Connexion en cours…")
        url = self.target_url()
        self.pending = in_background(lambda: check_connection(url), self._tested)
        return self.pending

    def _tested(self, future: Future) -> None:
        report = future.result()
        self.result.setText(report.message)
        self.result.setStyleSheet("color:#1b5e20;" if report.ok else "color:#b00020;")
        self.test_button.setEnabled(True)

    def _save_settings(self) -> str:
        if self.local.isChecked():
            self.settings.use_local(self.path.text().strip())
            return "local"
        server = self.server_settings()
        server.validate()
        self.settings.use_server(server)
        if self.password.text():
            with contextlib.suppress(NoKeyring):  # the dialog's note says so; the password is asked at start
                save_password(server, self.password.text())
        return "server"


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
            (self.demo, "local", "Pour découvrir l'application : 40 familles fictives ; identifiant « admin », "
                                 "mot de passe « demo »."),
            (self.install, "install", "Pour mettre en service votre commune : vos structures, votre "
                                      "administrateur et votre calendrier, sans données fictives."),
            (self.server, "server", "Pour plusieurs guichets : la base PostgreSQL partagée de la commune "
                                    "(vide, elle est mise en service par l'assistant)."),
        ):  # fmt: skip
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
    """A shared server's schema is behind: a supervisor confirms with their own identifier and password."""

    def __init__(self, parent: QWidget | None, migrate) -> None:
        super().__init__(parent, lambda: migrate(self.login.text(), self.secret.text()))
        self.setWindowTitle("Mise à jour de la base du serveur")
        self.buttons.button(self.buttons.StandardButton.Save).setText("Mettre à jour la base")
        self.login = QLineEdit()
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("Identifiant du superviseur", self.login)
        form.addRow("Mot de passe", self.secret)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("La base du serveur partagé doit être mise à jour pour cette version.\n"
                                "Tous les guichets seront concernés : un superviseur doit confirmer."))  # fmt: skip
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
