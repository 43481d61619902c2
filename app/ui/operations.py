"""The one place where the GUI runs a service call and turns a domain error into a French message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget
from sqlalchemy.exc import SQLAlchemyError

from ..services.errors import DomainError

T = TypeVar("T")
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="guichet-write")
log = logging.getLogger(__name__)


def in_background(call: Callable[[], T], on_done: Callable[[Future], None]) -> Future:
    """Run ``call`` on a worker thread; ``on_done(future)`` then runs on the GUI thread (polled, no blocking)."""
    future = _executor.submit(call)

    def poll() -> None:
        if future.done():
            on_done(future)
        else:
            QTimer.singleShot(25, poll)

    QTimer.singleShot(25, poll)
    return future


def message_for(exc: BaseException) -> str:
    """The French message the agent sees for any failure (the one place where errors become words)."""
    if isinstance(exc, DomainError):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        return "La base de données ne répond pas ou a refusé l'opération ; rien n'a été enregistré."
    return "Erreur inattendue ; rien n'a été enregistré. Le détail est dans le journal."


class Operations(QObject):
    """Runs service calls for the widgets; emits ``changed`` after a successful write."""

    changed = Signal()
    failed = Signal(str)
    informed = Signal(str)

    def __init__(self, parent_widget: QWidget | None = None) -> None:
        super().__init__()
        self.parent_widget = parent_widget
        self.show_messages = True
        """Tests switch message boxes off and listen to ``failed`` / ``informed`` instead."""
        self.asynchronous = True
        """Long writes run on a worker thread (the window stays responsive); tests may run them inline."""

    def read(self, call: Callable[[], T], default: T) -> T:
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a crash
            self._report(exc)
            return default

    def write(self, call: Callable[[], T]) -> T | None:
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001
            self._report(exc)
            return None
        self.changed.emit()
        return result

    def write_async(self, call: Callable[[], T], on_done: Callable[[T | None], None]) -> None:
        """Run a long write off the GUI thread; ``on_done(result)`` runs on the GUI thread (None on failure)."""
        if not self.asynchronous:
            on_done(self.write(call))
            return

        def finished(future: Future) -> None:
            exc = future.exception()
            if exc is not None:
                self._report(exc)
                on_done(None)
                return
            self.changed.emit()
            on_done(future.result())

        in_background(call, finished)

    def attempt(self, call: Callable[[], T]) -> T:
        """Run a write whose failure the caller shows itself (e.g. a form highlighting its fields)."""
        try:
            result = call()
        except DomainError:
            raise
        except Exception:
            log.exception("operation failed")
            raise
        self.changed.emit()
        return result

    def inform(self, title: str, text: str) -> None:
        """A non-blocking information message."""
        self.informed.emit(text)
        if self.parent_widget is not None and self.show_messages:
            box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=self.parent_widget)
            box.open()

    def _report(self, exc: BaseException) -> None:
        if not isinstance(exc, DomainError):
            log.exception("operation failed", exc_info=exc)
        text = message_for(exc)
        self.failed.emit(text)
        if self.parent_widget is not None and self.show_messages:
            QMessageBox.warning(self.parent_widget, "Guichet Enfance", text)
