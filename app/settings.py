"""The application's settings: one typed module over QSettings, with one table of defaults.

Only the composition root and the GUI use it (it needs QtCore); services receive plain values. Secrets are never
stored here: the server password lives in the keyring (``app.connection``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings

from .config import settings_file

if TYPE_CHECKING:  # app.connection loads SQLAlchemy: not before the login window (ui.startup reads the mode)
    from .connection import ServerSettings

DEFAULTS: dict[str, Any] = {
    "database/mode": "",  # "" (never chosen), "local" or "server"
    "database/path": "",  # a local SQLite file ("" = the default file in the user data directory)
    "database/demo": True,  # a new default local file gets the demonstration (False: « Nouvelle installation »)
    "database/host": "",
    "database/port": 5432,
    "database/name": "guichet",
    "database/user": "guichet",
    "database/sslmode": "prefer",
    "database/sslrootcert": "",  # the server's certificate authority ("" = libpq's root.crt)
    "backup/keep": 14,  # daily copies of a local database kept in its "sauvegardes" folder
    "files/folder": "",  # the folder a document was last saved to or a file opened from ("" = « Documents »)
}


class Settings:
    def __init__(self, store: QSettings | None = None) -> None:
        file = settings_file()
        if store is None and file is not None:  # a portable or test installation: everything in $GUICHET_HOME
            store = QSettings(str(file), QSettings.Format.IniFormat)
        self.store = store or QSettings(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, "GuichetEnfance", "guichet-enfance"
        )

    def get(self, key: str) -> Any:
        default = DEFAULTS[key]
        value = self.store.value(key, default)
        if value is None:
            return default
        if isinstance(default, bool):  # an INI file gives back the text "true" / "false"
            return value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1", "yes")
        return type(default)(value)

    def set(self, key: str, value: Any) -> None:
        if key not in DEFAULTS:
            raise KeyError(key)
        self.store.setValue(key, value)
        self.store.sync()
        self._private()

    def _private(self) -> None:
        """The settings file readable by its user only (0600 in a 0700 folder): it says which server and which
        login the counter uses."""
        from pathlib import Path

        from .files import private_dir, private_file

        if self.store.format() is not QSettings.Format.IniFormat:  # the registry (Windows' native format)
            return
        path = Path(self.store.fileName())
        if path.is_file():
            private_dir(path.parent)
            private_file(path)

    @property
    def mode(self) -> str:
        return self.get("database/mode")

    def server(self) -> ServerSettings:
        from .connection import ServerSettings

        return ServerSettings(
            host=self.get("database/host"),
            port=self.get("database/port"),
            database=self.get("database/name"),
            user=self.get("database/user"),
            sslmode=self.get("database/sslmode"),
            sslrootcert=self.get("database/sslrootcert"),
        )

    def use_server(self, server: ServerSettings) -> None:
        server.validate()
        for key, value in (
            ("host", server.host),
            ("port", server.port),
            ("name", server.database),
            ("user", server.user),
            ("sslmode", server.sslmode),
            ("sslrootcert", server.sslrootcert),
        ):
            self.set(f"database/{key}", value)
        self.set("database/mode", "server")

    def use_local(self, path: str = "", *, demo: bool | None = None) -> None:
        """A local file; ``demo`` says whether a brand-new default file gets the demonstration data (the
        first-run choice: True for the demonstration, False for a real town's installation). A file on a network
        share, a mapped network drive or in OneDrive is refused (``NetworkDatabase``) and nothing is changed."""
        from .files import network_location
        from .services.errors import NetworkDatabase

        where = network_location(path) if path.strip() else None
        if where:
            raise NetworkDatabase(path, where)
        self.set("database/path", path)
        if demo is not None:
            self.set("database/demo", demo)
        self.set("database/mode", "local")

    @property
    def demo(self) -> bool:
        return self.get("database/demo")

    # --- what the counter remembers for each agent (on this computer) ------------------------------------
    def remembered(self, key: str) -> int | None:
        """A remembered id under "counter/…" (``CounterMemory`` makes the keys), None when there is none."""
        value = self.store.value(f"counter/{key}", "")  # a default: PySide6 miscounts the None it returns
        try:
            return int(str(value)) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def remember(self, key: str, value: int | None) -> None:
        if value is None:
            self.store.remove(f"counter/{key}")
        else:
            self.store.setValue(f"counter/{key}", int(value))
        self.store.sync()
