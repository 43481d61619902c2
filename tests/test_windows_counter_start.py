"""A town hall's Windows counter starting (issue 33): a credential manager that cannot be read asks the server's
password instead of stopping the start, and the login window leads to the connection settings (F4); the server's
CA certificate for ``sslmode=verify-full`` (F5); a database folder readable by its user only, and a warning when the
database file is readable by other accounts of the computer (F6). Offscreen; no TLS server, no Windows needed."""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import QSettings

import app.ui.shell.startup as startup
from app import files
from app.connection import ServerSettings
from app.settings import Settings
from app.ui.shell.login_window import LoginDialog
from tests.smtp_server import free_port
from tests.test_windows_town_hall_pc import _broken_windows_keyring


@pytest.fixture
def broken_keyring():
    """The Windows credential manager refusing to read (``pywintypes.error`` 1312, another logon session)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(_broken_windows_keyring())
    yield
    keyring.set_keyring(previous)


def server_counter(port: int | None = None) -> Settings:
    """This counter's settings (``GUICHET_HOME`` is the test's): a shared server where nobody answers."""
    settings = Settings()
    settings.use_server(ServerSettings("127.0.0.1", port or free_port(), "guichet", "accueil", "disable"))
    return settings


# --- F4: a credential manager that cannot be read; the connection settings from the login window -------------


def test_a_keyring_that_cannot_be_read_is_no_saved_password_the_password_is_asked_with_why(broken_keyring):
    from app.bootstrap import saved_database_url

    settings = server_counter(5433)
    asked = []
    url = saved_database_url(settings, lambda account, note=None: asked.append((account, note)) or "tapé")
    assert url.startswith("postgresql+psycopg://accueil:tap")
    [(account, note)] = asked
    assert account == "accueil@127.0.0.1:5433/guichet"
    assert "trousseau" in note and "n'a pas pu être lu" in note and "(error)" in note


def test_the_counter_with_an_unreadable_keyring_asks_the_password_then_tries_the_server(
    qtbot, monkeypatch, broken_keyring, capsys
):
    from PySide6.QtWidgets import QInputDialog

    monkeypatch.setattr(startup, "install_crash_handler", lambda: None)
    server_counter()
    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *args: asked.append(args[2]) or ("tapé", True))
    controller = startup.Startup(None)
    controller.ends_on_failure = False
    qtbot.addWidget(controller.dialog)
    controller.dialog.show()
    qtbot.waitUntil(lambda: controller.dialog.errors.isVisible(), timeout=30000)
    controller.worker.join(timeout=30)
    assert len(asked) == 1 and "n'a pas pu être lu" in asked[0] and "Mot de passe de accueil@" in asked[0]
    shown = controller.dialog.errors.text()
    assert "serveur injoignable" in shown and "illisible" not in shown  # the server was tried
    assert controller.saved is None  # asked again at the next try (nothing kept of a failed opening)


def test_the_login_window_leads_to_the_connection_settings_and_the_start_retries_with_them(
    qtbot, monkeypatch, tmp_path
):
    from PySide6.QtWidgets import QInputDialog

    from app.ui.shell.settings_dialog import SettingsDialog

    monkeypatch.setattr(startup, "install_crash_handler", lambda: None)
    monkeypatch.setattr(QInputDialog, "getText", lambda *args: ("tapé", True))  # no password in the keyring
    server_counter()
    controller = startup.Startup(None)
    controller.ends_on_failure = False
    dialog = controller.dialog
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.settings_button.isVisible() and dialog.settings_button.text() == "Paramètres de connexion…"
    qtbot.waitUntil(lambda: dialog.errors.isVisible(), timeout=30000)
    assert "serveur injoignable" in dialog.errors.text()
    opened = []

    def fill_and_save(settings_dialog: SettingsDialog) -> int:
        opened.append(settings_dialog.parent())
        settings_dialog.local.setChecked(True)
        settings_dialog.path.setText(str(tmp_path / "mairie" / "guichet.sqlite3"))
        settings_dialog._try_save()
        return settings_dialog.result()

    monkeypatch.setattr(SettingsDialog, "exec", fill_and_save)
    dialog.settings_button.click()
    assert opened == [dialog] and Settings().mode == "local"
    qtbot.waitUntil(
        lambda: dialog.result() == startup.EMPTY, timeout=30000
    )  # the new, empty base: the assistant
    assert controller.db is not None and controller.db.engine.dialect.name == "sqlite"
    controller.worker.join(timeout=30)
    controller.db.engine.dispose()


def test_the_settings_button_is_not_offered_when_the_command_line_chose_the_database(qtbot, monkeypatch):
    monkeypatch.setattr(startup, "install_crash_handler", lambda: None)
    controller = startup.Startup("sqlite:///:memory:")
    qtbot.addWidget(controller.dialog)
    assert controller.dialog.settings_button.isHidden()
    closed = LoginDialog(None)
    qtbot.addWidget(closed)
    assert closed.settings_button.isHidden()  # the login after « Déconnexion »: no settings there


# --- F5: the server's CA certificate ---------------------------------------------------------------------------


def test_the_ca_certificate_goes_into_the_url_and_the_connect_arguments(tmp_path):
    from app.db import make_engine

    ca = tmp_path / "Autorité mairie" / "root.crt"
    ca.parent.mkdir()
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    server = ServerSettings("db.mairie.example", 5432, "guichet", "accueil", "verify-full", str(ca))
    url = server.url("secret")
    assert url.query == {"sslmode": "verify-full", "sslrootcert": str(ca)}
    engine = make_engine(url.render_as_string(hide_password=False))  # as the settings hand it over
    try:
        _args, kwargs = engine.dialect.create_connect_args(engine.url)
    finally:
        engine.dispose()
    assert kwargs["sslmode"] == "verify-full" and kwargs["sslrootcert"] == str(ca)
    assert "sslrootcert" not in ServerSettings("db", sslmode="require").url("x").query


def test_the_ca_certificate_is_saved_with_the_server_and_chosen_in_the_settings_dialog(qtbot, tmp_path):
    from app.bootstrap import saved_database_url
    from app.ui.shell.settings_dialog import SettingsDialog

    ca = tmp_path / "ca.crt"
    ca.write_text("x", encoding="utf-8")
    settings = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    settings.use_server(
        ServerSettings("db.mairie.example", 5432, "guichet", "accueil", "verify-full", str(ca))
    )
    assert settings.server().sslrootcert == str(ca)
    assert f"sslrootcert={ca}".replace("/", "%2F") in saved_database_url(settings, lambda *_: "pw")
    dialog = SettingsDialog(None, settings)
    qtbot.addWidget(dialog)
    assert dialog.sslrootcert.text() == str(ca) and dialog.sslmode.currentText() == "verify-full"
    dialog.sslrootcert.setText(str(tmp_path / "autre.crt"))
    assert dialog.value().server.sslrootcert == str(tmp_path / "autre.crt")


def test_verify_full_without_the_certificate_file_is_a_french_error(tmp_path, monkeypatch):
    from app.db import make_engine
    from app.services.errors import ConfigurationError, FieldErrors

    missing = tmp_path / "absent.crt"
    server = ServerSettings("db.mairie.example", 5432, "guichet", "accueil", "verify-full", str(missing))
    with pytest.raises(FieldErrors) as refused:
        server.validate()
    assert (
        "introuvable" in refused.value.fields["sslrootcert"]
        and str(missing) in refused.value.fields["sslrootcert"]
    )
    with pytest.raises(ConfigurationError, match="certificat de l'autorité du serveur introuvable"):
        make_engine(server.url("x"))
    monkeypatch.setenv("APPDATA", str(tmp_path))  # libpq's own place, empty: said as such
    monkeypatch.setenv("HOME", str(tmp_path))
    default = ServerSettings("db.mairie.example", sslmode="verify-full")
    with pytest.raises(ConfigurationError, match="root.crt") as said:
        make_engine(default.url("x"))
    assert "Certificat du serveur" in str(said.value)
    (tmp_path / ("postgresql" if os.name == "nt" else ".postgresql")).mkdir()
    (tmp_path / ("postgresql" if os.name == "nt" else ".postgresql") / "root.crt").write_text(
        "x", encoding="utf-8"
    )
    make_engine(default.url("x")).dispose()  # libpq's default file is there: accepted
    make_engine(ServerSettings("h", sslmode="verify-full", sslrootcert="system").url("x")).dispose()


# --- F6: the database folder and file readable by their user only ----------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.posix_only(reason="POSIX permissions: chmod and the mode bits")
def test_a_database_file_readable_by_others_is_said_in_french(tmp_path):
    database = tmp_path / "guichet.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    warning = files.privacy_warning(database)
    assert warning is not None and "lisible par d'autres comptes" in warning and str(database) in warning
    database.chmod(0o600)
    assert files.privacy_warning(database) is None


@pytest.mark.posix_only(reason="POSIX permissions: chmod and the mode bits")
def test_opening_a_database_makes_its_new_folder_private_and_warns_once_when_the_file_stays_open(
    tmp_path, monkeypatch, caplog
):
    import app.db
    from app.bootstrap import open_database

    folder = tmp_path / "guichet"
    said: list[str] = []
    db = open_database(f"sqlite:///{folder / 'base.sqlite3'}", warn=said.append)
    db.engine.dispose()
    assert mode(folder) == 0o700 and mode(folder / "base.sqlite3") == 0o600 and said == []
    monkeypatch.setattr(app.db, "private_database", lambda _path: None)  # a disk that ignores chmod
    (folder / "base.sqlite3").chmod(0o644)
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            open_database(f"sqlite:///{folder / 'base.sqlite3'}", warn=said.append).engine.dispose()
    assert len(said) == 1 and "lisible par d'autres comptes" in said[0]  # once per program
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == said


@pytest.fixture
def windows(monkeypatch):
    """``sys.platform`` says Windows and ``subprocess.run`` records the commands (answering ``outputs``)."""
    import subprocess

    ran: list[list[str]] = []
    outputs: list[bytes] = []

    class Done:
        def __init__(self, args):
            self.args, self.returncode = args, 0
            self.stdout = outputs.pop(0) if outputs else b""
            self.stderr = b""

    def run(args, **kwargs):
        assert kwargs.get("shell") is not True and isinstance(args, list)
        ran.append(args)
        return Done(args)

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setenv("USERNAME", "accueil")
    monkeypatch.setenv("USERDOMAIN", "MAIRIE-PC1")
    monkeypatch.setenv("SYSTEMROOT", "C:\\Windows")
    return ran, outputs


def test_a_folder_on_windows_gets_an_owner_only_acl_through_icacls(windows, tmp_path):
    ran, _outputs = windows
    folder = tmp_path / "guichet"
    folder.mkdir()
    assert files.owner_only_folder(folder)
    assert ran == [
        [
            os.path.join("C:\\Windows", "System32", "icacls.exe"),
            str(folder),
            "/inheritance:r",
            "/grant:r",
            "MAIRIE-PC1\\accueil:(OI)(CI)F",
            "*S-1-5-18:(OI)(CI)F",
            "*S-1-5-32-544:(OI)(CI)F",
        ]
    ]


ENGLISH = (
    "D:\\guichet\\guichet.sqlite3 BUILTIN\\Administrators:(I)(F)\r\n"
    "                            NT AUTHORITY\\SYSTEM:(I)(F)\r\n"
    "                            BUILTIN\\Users:(I)(RX)\r\n"
    "                            NT AUTHORITY\\Authenticated Users:(I)(M)\r\n"
    "                            MAIRIE-PC1\\accueil:(F)\r\n"
    "\r\n"
    "Successfully processed 1 files; Failed processing 0 files\r\n"
)
FRENCH = (
    "D:\\guichet\\guichet.sqlite3 Tout le monde:(R)\r\n"
    "                            AUTORITE NT\\Syst\u00e8me:(I)(F)\r\n"
    "                            BUILTIN\\Administrateurs:(I)(F)\r\n"
    "                            AUTORITE NT\\Utilisateurs authentifi\u00e9s:(I)(M)\r\n"
    "                            Tout le monde:(DENY)(W)\r\n"
    "\r\n"
    "1 fichiers correctement trait\u00e9s ; \u00e9chec du traitement de 0 fichiers\r\n"
)
PRIVATE = (
    "C:\\Users\\accueil\\AppData\\Local\\GuichetEnfance\\guichet-enfance.sqlite3 "
    "AUTORITE NT\\Syst\u00e8me:(I)(F)\r\n"
    "                            BUILTIN\\Administrateurs:(I)(F)\r\n"
    "                            MAIRIE-PC1\\accueil:(I)(F)\r\n"
    "                            BUILTIN\\Utilisateurs:(I)(DENY)(RX)\r\n"
    "\r\n"
    "1 fichiers correctement trait\u00e9s ; \u00e9chec du traitement de 0 fichiers\r\n"
)


def test_the_icacls_output_says_which_groups_of_others_can_read_in_english_and_french():
    assert files.others_in_icacls(ENGLISH, "D:\\guichet\\guichet.sqlite3") == [
        "BUILTIN\\Users",
        "NT AUTHORITY\\Authenticated Users",
    ]
    assert files.others_in_icacls(FRENCH, "D:\\guichet\\guichet.sqlite3") == [
        "Tout le monde",
        "AUTORITE NT\\Utilisateurs authentifi\u00e9s",
    ]
    # the console's OEM code page read as another one: the accented letters are lost, the group still found
    garbled = FRENCH.replace("\u00e9", "\u201a")
    assert len(files.others_in_icacls(garbled, "D:\\guichet\\guichet.sqlite3")) == 2
    path = PRIVATE.split(" ", 1)[0]
    assert files.others_in_icacls(PRIVATE, path) == []


def test_on_windows_an_exposed_database_in_its_own_folder_is_made_private_else_it_is_said(windows, tmp_path):
    ran, outputs = windows
    folder = tmp_path / "guichet"
    folder.mkdir()
    database = folder / "guichet.sqlite3"
    database.write_bytes(b"")
    outputs.extend([ENGLISH.replace("D:\\guichet\\guichet.sqlite3", str(database)).encode(), b"", b""])
    assert files.database_privacy(database) is None  # read, the folder's ACL set, read again: private
    assert [args[1] for args in ran] == [str(database), str(folder), str(database)]
    assert ran[1][2:4] == ["/inheritance:r", "/grant:r"]
    ran.clear()
    (folder / "courrier.docx").write_bytes(b"")  # the folder holds other things: its ACL is not changed
    outputs.append(FRENCH.replace("D:\\guichet\\guichet.sqlite3", str(database)).encode("cp850"))
    warning = files.database_privacy(database)
    assert [args[1] for args in ran] == [str(database)]
    assert warning is not None and "Tout le monde" in warning and "lisible par d'autres comptes" in warning
