"""The one way from a widget to a service, and the one place where a failure becomes words for the agent.

``Operations.run(call, on_done)`` runs every service call: reads and writes, short ones on the GUI thread, long
ones (confirmation, end of day, SMTP, PDF, import) on a worker thread with the busy indicator on and the window
responsive; ``Operations.fetch`` reads for a view on a worker thread (the view says it is loading). A worker's
result comes back to the GUI thread with a queued signal. A write that succeeds emits ``changed`` (the views
refresh from it). A failure is logged when it is not an expected refusal, turned into a French message by
``message_for`` (with the log's path for what is not a domain error), and given to the caller's ``on_error`` (a
form shows it beside its fields) or shown non-blocking.
Dialogs only collect values: ``Operations.form`` runs the service when a form is submitted and answers it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar, overload

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget
from sqlalchemy.exc import SQLAlchemyError

from ..services.actors import AgentRefused, PasswordChangeRequired
from ..services.errors import DomainError
from ..services.families.edit import FieldErrors

T = TypeVar("T")
D = TypeVar("D")
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="guichet-work")
log = logging.getLogger(__name__)


def log_path() -> str:
    """Where the details of an unexpected failure are written (the rotating log file)."""
    from logging.handlers import BaseRotatingHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, BaseRotatingHandler):
            return handler.baseFilename
    from ..config import log_dir
    from ..logging_setup import LOG_FILE

    return str(log_dir() / LOG_FILE)


def message_for(exc: BaseException) -> str:
    """The French message the agent sees for any failure (the one place where errors become words)."""
    if isinstance(exc, DomainError):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        return (
            "La base de données ne répond pas ou a refusé l'opération ; rien n'a été enregistré. Vos saisies sont "
            f"conservées : réessayez dans un instant. Le détail est dans le journal : {log_path()}"
        )
    return f"Erreur inattendue ; rien n'a été enregistré. Le détail est dans le journal : {log_path()}"


def succeeded(call: Callable[[], object]) -> Callable[[], bool]:
    """``call``, answering True: ``run(succeeded(call))`` is True after a write that returns nothing, None if
    it failed."""

    def answer() -> bool:
        call()
        return True

    return answer


@dataclass(frozen=True)
class Failure:
    """What went wrong, for the widget that shows it: the message and, for a form, each faulty field's."""

    message: str
    fields: dict[str, str] = field(default_factory=dict)
    error: BaseException | None = None


class FormLike(Protocol):
    """A dialog that collects values (``family_dialog.SavingDialog``)."""

    def saved(self, result: Any) -> None: ...

    def show_failure(self, failure: Failure) -> None: ...


class _Relay(QObject):
    """Carries a worker's progress to the GUI thread (a queued signal)."""

    message = Signal(object, object)


class _Delivery(QObject):
    """Carries a worker's finished call to the GUI thread: ``arrived`` is emitted on the worker thread, ``answer``
    runs on the GUI thread (queued: never inside ``run``, even when the call ended at once)."""

    arrived = Signal(object)

    def __init__(self, answer: Callable[[Future[Any]], object]) -> None:
        super().__init__()
        self.answer = answer
        self.arrived.connect(self._answer, Qt.ConnectionType.QueuedConnection)

    def _answer(self, future: Future[Any]) -> None:
        self.answer(future)

    def tell(self, future: Future[Any]) -> None:
        """On the worker thread, once ``future`` is done."""
        with suppress(RuntimeError):  # « Signal source has been deleted »: the program is ending
            self.arrived.emit(future)


class Operations(QObject):
    """Runs service calls for the widgets; emits ``changed`` after a successful write."""

    changed = Signal()
    failed = Signal(str)
    informed = Signal(str)
    noticed = Signal(str)
    """A result to read, not to acknowledge (the status bar shows it): a payment recorded, days copied."""
    busy = Signal(bool)
    """True while at least one call runs on a worker thread (the window shows an indicator)."""

    def __init__(self, parent_widget: QWidget | None = None) -> None:
        super().__init__()
        self.parent_widget = parent_widget
        self.show_messages = True
        """Tests switch message boxes off and listen to ``failed`` / ``informed`` instead."""
        self.asynchronous = True
        """Long calls run on a worker thread; tests may run them inline."""
        self.running = 0
        self._relays: list[_Relay] = []
        self._deliveries: set[_Delivery] = set()
        self.on_session_refused: Callable[[str], object] | None = None
        """Set by the main window: a service refused the session itself (the agent disabled, his password reset
        by an administrator) — the session ends there, with this message, instead of a message per call."""

    # --- the one entry point ---------------------------------------------------------------------------
    # With a ``default`` the call runs here and its result (or the default) is returned; ``default`` has its
    # own type variable so that ``default=[]`` does not fix ``T`` to ``list[Never]``.
    @overload
    def run(
        self,
        call: Callable[[], T],
        on_done: Callable[[T], object] | None = None,
        *,
        write: bool = False,
        background: Literal[False] = False,
        default: D,
        on_error: Callable[[Failure], object] | None = None,
    ) -> T | D: ...

    @overload
    def run(
        self,
        call: Callable[[], T],
        on_done: Callable[[T], object] | None = None,
        *,
        write: bool = False,
        background: bool = False,
        default: None = None,
        on_error: Callable[[Failure], object] | None = None,
    ) -> T | None: ...

    def run(
        self,
        call: Callable[[], T],
        on_done: Callable[[T], object] | None = None,
        *,
        write: bool = False,
        background: bool = False,
        default: D | None = None,
        on_error: Callable[[Failure], object] | None = None,
    ) -> T | D | None:
        """Run ``call``; ``on_done(result)`` runs on the GUI thread after it. Returns the result of a call run
        here (``default`` when it failed); a background call returns None and answers through ``on_done``."""
        if background and self.asynchronous:
            self._start_background(call, on_done, write, on_error)
            return None
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a crash
            self._fail(exc, on_error)
            return default
        if write:
            self.changed.emit()
        if on_done is not None:
            on_done(result)
        return result

    def form(
        self,
        dialog: FormLike,
        call: Callable[[], T],
        on_done: Callable[[T], object] | None = None,
        *,
        background: bool = False,
    ) -> None:
        """Run a submitted form's write: the dialog closes with the result, or shows the failure by its fields.
        ``on_done`` runs before the screens are read again (``changed``): what it keeps — a new password's
        fingerprint in the session — is there when they are."""

        def done(result: T) -> None:
            dialog.saved(result)
            if on_done is not None:
                on_done(result)
            self.changed.emit()

        self.run(call, done, background=background, on_error=dialog.show_failure)

    def fetch(
        self,
        call: Callable[[], T],
        on_done: Callable[[T], object],
        *,
        on_error: Callable[[Failure], object] | None = None,
    ) -> None:
        """A read for a view, on a worker thread: the window stays usable meanwhile (the view says it is loading;
        no busy indicator), ``on_done(result)`` runs on the GUI thread once it is read, a failure goes as ``run``'s.
        Inline when ``asynchronous`` is off (tests)."""
        if not self.asynchronous:
            self.run(call, on_done, on_error=on_error)
            return
        self._start_background(call, on_done, False, on_error, busy=False)

    def reporter(self, show: Callable[..., object]) -> Callable[..., None]:
        """A progress callback a worker may call (``show(*args)`` then runs on the GUI thread)."""
        relay = _Relay()
        relay.message.connect(lambda args, _none: show(*args))
        self._relays.append(relay)

        def report(*args: object) -> None:
            relay.message.emit(args, None)

        return report

    def notice(self, text: str) -> None:
        """A result shown where the agent works (the window's status bar), with no message box to close."""
        self.informed.emit(text)
        self.noticed.emit(text)

    def inform(self, title: str, text: str) -> None:
        """A non-blocking information message."""
        self.informed.emit(text)
        if self.parent_widget is not None and self.show_messages:
            box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=self.parent_widget)
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.open()

    # --- inside -----------------------------------------------------------------------------------------
    def _start_background(
        self,
        call: Callable[[], T],
        on_done: Callable[[T], object] | None,
        write: bool,
        on_error: Callable[[Failure], object] | None,
        *,
        busy: bool = True,
    ) -> Future[T]:
        if busy:
            self.running += 1
            if self.running == 1:
                self.busy.emit(True)

        def answer(future: Future[T]) -> None:  # on the GUI thread
            QTimer.singleShot(0, lambda: self._deliveries.discard(delivery))  # not inside its own slot
            if busy:
                self.running -= 1
                if self.running == 0:
                    self.busy.emit(False)
            exc = future.exception()
            if exc is not None:
                self._fail(exc, on_error)
                return
            if write:
                self.changed.emit()
            if on_done is not None:
                on_done(future.result())

        delivery = _Delivery(answer)
        self._deliveries.add(delivery)
        future = _executor.submit(call)
        future.add_done_callback(delivery.tell)
        return future

    def _fail(self, exc: BaseException, on_error: Callable[[Failure], object] | None) -> None:
        if not isinstance(exc, DomainError):
            log.error("operation failed", exc_info=exc)
        if isinstance(exc, AgentRefused | PasswordChangeRequired) and self.on_session_refused is not None:
            self.failed.emit(message_for(exc))
            self.on_session_refused(message_for(exc))
            return
        fields = dict(exc.fields) if isinstance(exc, FieldErrors) else {}
        failure = Failure(message_for(exc), fields, exc)
        self.failed.emit(failure.message)
        if on_error is not None:
            on_error(failure)
        elif self.parent_widget is not None and self.show_messages:
            box = QMessageBox(
                QMessageBox.Icon.Warning, "Guichet Enfance", failure.message, parent=self.parent_widget
            )
            box.setTextFormat(Qt.TextFormat.PlainText)  # a message holds names: text, never markup
            box.open()
