"""Live places: other counters' writes refresh this counter's views within a second.

PostgreSQL: a write that changes what the counters show sends ``NOTIFY guichet_changes`` with what it changed
(``services.uow.Shown``: places, accounts, families, town; a login sends none); a background thread LISTENs on its
own connection. SQLite: a cheap ``PRAGMA data_version`` check twice a second (any write of another connection).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy.pool import PoolProxiedConnection

from ...services.uow import CHANGES_CHANNEL, Database

log = logging.getLogger(__name__)


class ChangeWatcher(QObject):
    changed = Signal()

    def __init__(self, db: Database, interval_ms: int = 500) -> None:
        super().__init__()
        self.db = db
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._timer: QTimer | None = None
        self._sqlite: PoolProxiedConnection | None = None
        self._version: int | None = None
        self.interval_ms = interval_ms

    def start(self) -> None:
        if self.db.dialect == "postgresql":
            self._thread = threading.Thread(target=self._listen, name="guichet-listen", daemon=True)
            self._thread.start()
        else:
            self._sqlite = self.db.engine.raw_connection()
            self._version = self._data_version()
            self._timer = QTimer(self)
            self._timer.timeout.connect(self._poll)
            self._timer.start(self.interval_ms)

    def stop(self) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.stop()
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None

    # --- SQLite -------------------------------------------------------------------------------------
    def _data_version(self) -> int:
        assert self._sqlite is not None, "started on SQLite"
        cur = self._sqlite.cursor()
        cur.execute("PRAGMA data_version")
        row = cur.fetchone()
        assert row is not None, "PRAGMA data_version answers one row"
        version: int = row[0]
        cur.close()
        return version

    def _poll(self) -> None:
        try:
            version = self._data_version()
        except Exception:  # noqa: BLE001 - a busy file is checked again at the next tick
            return
        if version != self._version:
            self._version = version
            self.changed.emit()

    # --- PostgreSQL ---------------------------------------------------------------------------------
    def _listen(self) -> None:
        import psycopg

        url = self.db.engine.url
        params: dict[str, Any] = {
            "host": url.host,
            "port": url.port or 5432,
            "dbname": url.database,
            "user": url.username,
            "password": url.password,
            "connect_timeout": 5,
            **dict(url.query),
        }
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    autocommit=True, **{k: v for k, v in params.items() if v is not None}
                ) as conn:
                    conn.execute(f"LISTEN {CHANGES_CHANNEL}")
                    while not self._stop.is_set():
                        if any(True for _ in conn.notifies(timeout=0.5, stop_after=1)):
                            self.changed.emit()
            except Exception as exc:  # noqa: BLE001 - the server may be down: listen again a bit later
                log.info("change listener reconnecting: %s", exc)
                self._stop.wait(2.0)
