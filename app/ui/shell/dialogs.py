"""The dialogs before (and beside) the main window, wired to their services: login, « Changer mon mot de passe »,
« Base de données » and the set-up assistant. The dialogs only collect values; the functions here hand each
submission to the services through an ``Operations`` (the start-up's own, or the main window's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from ...services.uow import Database
from ..operations import Operations

if TYPE_CHECKING:
    from ...services.actors import Actor
    from ...settings import Settings
    from ..setup.setup_wizard import SetupWizard
    from .login_dialog import PasswordDialog
    from .login_window import LoginDialog
    from .settings_dialog import SettingsDialog


def login_dialog(db: Database, ops: Operations, parent: QWidget | None = None) -> LoginDialog:
    """The login dialog; « Se connecter » runs ``auth.login`` through ``ops`` (``session`` once accepted)."""
    from ...services.auth import login
    from .login_window import LoginDialog

    dialog = LoginDialog(parent)
    dialog.submitted.connect(lambda: ops.form(dialog, lambda: login(db, *dialog.value())))
    return dialog


def password_dialog(
    db: Database,
    ops: Operations,
    actor: Actor,
    parent: QWidget | None = None,
    on_changed: Callable[[int], object] | None = None,
) -> PasswordDialog:
    """« Changer mon mot de passe »: ``auth.change_password`` runs through ``ops``; ``on_changed(version)`` once it
    is changed (the session remembers the new password's version: it goes on)."""
    from ...services.auth import change_password
    from .login_dialog import PasswordDialog

    dialog = PasswordDialog(parent)
    dialog.submitted.connect(
        lambda: ops.form(dialog, lambda: change_password(db, actor, *dialog.value()), on_changed)
    )
    return dialog


def settings_dialog(settings: Settings, ops: Operations, parent: QWidget | None = None) -> SettingsDialog:
    """« Base de données »: the connection test runs off the GUI thread, the choice is saved through ``ops``."""
    from ...connection import check_connection
    from .settings_dialog import SettingsDialog, save_choice

    dialog = SettingsDialog(parent, settings)
    dialog.submitted.connect(lambda: ops.form(dialog, lambda: save_choice(settings, dialog.value())))
    dialog.test_requested.connect(
        lambda url: ops.run(
            lambda: check_connection(url),
            dialog.show_test,
            background=True,
            on_error=dialog.show_test_failure,
        )
    )
    return dialog


def connection_settings(parent: QWidget | None = None) -> bool:
    """« Paramètres de connexion… » of the login window: « Base de données » with an ``Operations`` of its own;
    True once the new settings are saved."""
    from ...settings import Settings

    return bool(settings_dialog(Settings(), Operations(), parent).exec())


def setup_wizard_for(db: Database, ops: Operations, parent: QWidget | None = None) -> SetupWizard:
    """The set-up assistant bound to this database: « Terminer » installs the town on it through ``ops``."""
    from ...clock import local_today
    from ...services.setup import install as installation
    from ..setup.setup_wizard import SetupWizard

    wizard = SetupWizard(parent, local_today(db.clock))
    wizard.submitted.connect(lambda: ops.form(wizard, lambda: installation.install(db, wizard.value())))
    return wizard
