"""pytest-qt: the one way from a widget to a service. Long calls run on a worker thread while the window stays
responsive; a failure that is not a domain error is told in French with the log's path and the agent's input is
kept; an operation key is made when the operation starts and kept for every retry of it."""

from __future__ import annotations

import threading
from datetime import date, time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox
from sqlalchemy.exc import OperationalError

import app.ui.booking.attendance_dialog as attendance_dialog
import app.ui.booking.recap_flow as recap_flow
import app.ui.money.balances_tab as balances_tab
import app.ui.shell.main_window as main_window
from app.clock import paris
from app.models import Attendance
from app.services.errors import OutcomeUnknown
from app.ui.booking.recap_dialog import RecapResult
from app.ui.operations import log_path
from tests.helpers import balance, new_family
from tests.test_counter_gui import choose, click_day, open_family
from tests.test_payments_gui import _window


def database_down() -> OperationalError:
    """What SQLAlchemy raises when the database refuses (not a domain error: the GUI has no words of its own)."""
    return OperationalError("INSERT INTO reservations …", {}, Exception("disk I/O error"))


def recording(monkeypatch, module, name: str, failures: list[BaseException | str]):
    """Replace ``module.name`` (a service the widget calls) by one that records the ``key`` it is given and its
    thread. ``failures`` is consumed one per call: an exception raised instead of the real call, or "committed,
    answer lost": the real call commits, then ``OutcomeUnknown`` is raised. Once empty, the real service runs."""
    real = getattr(module, name)
    calls: list[dict] = []

    def service(*args, **kwargs):
        calls.append({"key": kwargs.get("key"), "thread": threading.current_thread()})
        failure = failures.pop(0) if failures else None
        if isinstance(failure, BaseException):
            raise failure
        result = real(*args, **kwargs)
        if failure == "committed, answer lost":
            raise OutcomeUnknown()
        return result

    monkeypatch.setattr(module, name, service)
    return calls


def recap_for(qtbot, window, day: date):
    booking = choose(window)
    click_day(qtbot, booking, day)
    booking.validate.click()
    return window.recap_dialog


@pytest.fixture
def testeur(qtbot, demo_rw):
    family_id, _ = new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    return window, family_id


def test_a_confirmation_runs_on_a_worker_thread_while_the_window_stays_responsive(
    qtbot, testeur, monkeypatch
):
    window, family_id = testeur
    window.ops.asynchronous = True
    release = threading.Event()
    real = recap_flow.confirm_basket
    threads: list[threading.Thread] = []

    def slow_confirm(*args, **kwargs):
        threads.append(threading.current_thread())
        assert release.wait(10), "the test never released the confirmation"
        return real(*args, **kwargs)

    monkeypatch.setattr(recap_flow, "confirm_basket", slow_confirm)
    busy: list[bool] = []
    window.ops.busy.connect(busy.append)
    dialog = recap_for(qtbot, window, date(2026, 12, 21))
    try:
        dialog.confirm.click()
        qtbot.waitUntil(lambda: bool(threads), timeout=5000)
        assert threads[0] is not threading.main_thread() and threads[0].name.startswith("guichet-work")
        ticks: list[int] = []  # the GUI thread runs its event loop while the worker confirms
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start(10)
        qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=3000)
        timer.stop()
        assert busy == [True] and window.busy.isVisible()
        assert window.busy.label.text() == "Opération en cours…"
        assert not dialog.confirm.isEnabled() and dialog.note.text() == "Confirmation en cours…"
        qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # pressed again
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Échap cannot close it while it runs
        assert dialog.isVisible() and len(threads) == 1
    finally:
        release.set()
    qtbot.waitUntil(lambda: dialog.outcomes is not None, timeout=10_000)
    assert busy == [True, False] and not window.busy.isVisible()
    assert [o.label for o in dialog.outcomes.outcomes] == ["Acceptée"] and len(threads) == 1
    dialog.close_button.click()
    assert balance(window.db, family_id) == 5000 - 1300 and len(window.page.booking.basket) == 0


def test_a_database_error_is_told_with_the_log_path_and_the_basket_is_kept(qtbot, testeur, monkeypatch):
    window, family_id = testeur
    window.ops.asynchronous = True
    calls = recording(monkeypatch, recap_flow, "confirm_basket", [database_down()])
    dialog = recap_for(qtbot, window, date(2026, 12, 21))
    dialog.confirm.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    message = window.messages[-1]
    assert message.startswith("La base de données ne répond pas") and log_path() in message
    assert dialog.error.text() == message  # said in the recap, not in a box over it
    assert "conservées" in dialog.note.text()
    assert dialog.isVisible() and dialog.outcomes is None and dialog.confirm.isEnabled()
    assert dialog.modify.isEnabled() and dialog.abandon.isEnabled()
    assert len(window.page.booking.basket) == 1 and balance(window.db, family_id) == 5000
    assert calls[0]["thread"] is not threading.main_thread()
    dialog.modify.click()  # back to the calendar: the request is still there
    assert dialog.result_value is RecapResult.MODIFY
    assert window.page.booking.grid.pending and window.page.booking.validate.isEnabled()


def test_a_retry_of_a_confirmation_keeps_its_key_and_a_new_recap_makes_a_new_one(qtbot, testeur, monkeypatch):
    window, family_id = testeur
    calls = recording(monkeypatch, recap_flow, "confirm_basket", [database_down(), "committed, answer lost"])
    dialog = recap_for(qtbot, window, date(2026, 12, 21))
    dialog.confirm.click()  # the database refuses: nothing recorded
    assert dialog.outcomes is None and "rien n'a été enregistré" in dialog.error.text()
    dialog.confirm.click()  # recorded, but the answer is lost
    assert dialog.outcomes is None and "a peut-être été enregistrée" in dialog.error.text()
    assert (
        "Rien n'a été enregistré" not in dialog.note.text()
        and "pas enregistrées deux fois" in dialog.note.text()
    )
    assert balance(window.db, family_id) == 5000 - 1300  # it was recorded
    dialog.confirm.click()  # the retry shows what was recorded, and records nothing more
    assert [o.label for o in dialog.outcomes.outcomes] == ["Acceptée"]
    assert balance(window.db, family_id) == 5000 - 1300
    assert len(calls) == 3 and calls[0]["key"] and {c["key"] for c in calls} == {calls[0]["key"]}
    dialog.close_button.click()

    second = recap_for(qtbot, window, date(2026, 12, 28))  # a new recap is a new operation
    assert second is not dialog
    second.confirm.click()
    assert [o.label for o in second.outcomes.outcomes] == ["Acceptée"]
    assert len(calls) == 4 and calls[3]["key"] and calls[3]["key"] != calls[0]["key"]
    assert balance(window.db, family_id) == 5000 - 2 * 1300


def test_a_payment_retry_keeps_the_key_of_its_dialog(qtbot, testeur, monkeypatch):
    window, family_id = testeur
    calls = recording(
        monkeypatch, balances_tab, "record_payment", [database_down(), "committed, answer lost"]
    )
    tab = window.page.balances
    dialog = tab.open_payment()
    dialog.amount.setText("20")
    dialog._try_save()  # the database refuses: the dialog stays open with what was typed
    assert dialog.isVisible() and log_path() in dialog.errors.text() and dialog.amount.text() == "20"
    dialog._try_save()  # recorded, answer lost: the agent is told it may have been recorded
    assert dialog.isVisible() and "a peut-être été enregistrée" in dialog.errors.text()
    assert balance(window.db, family_id) == 5000 + 2000
    dialog._try_save()  # the retry: the committed payment and its receipt, not a second one
    assert not dialog.isVisible()
    assert window.messages[-1].startswith("Règlement de 20,00") and "reçu n° 2026-" in window.messages[-1]
    assert balance(window.db, family_id) == 5000 + 2000 and len(tab.payments.rows) == 1
    assert len(calls) == 3 and calls[0]["key"] and {c["key"] for c in calls} == {calls[0]["key"]}

    again = tab.open_payment()  # another handover of money: a new key
    again.amount.setText("5")
    again._try_save()
    assert len(calls) == 4 and calls[3]["key"] != calls[0]["key"]
    assert balance(window.db, family_id) == 5000 + 2500 and len(tab.payments.rows) == 2


def test_a_certificate_retry_keeps_its_key_even_in_a_reopened_dialog(qtbot, testeur, monkeypatch):
    window, family_id = testeur
    dialog = recap_for(qtbot, window, date(2026, 12, 21))
    dialog.confirm.click()
    dialog.close_button.click()
    window.db.clock.set(paris(date(2026, 12, 21), time(17, 30)))
    booking = window.page.booking
    booking.refresh()
    booking.grid.focus_day = date(2026, 12, 21)
    presences = booking.open_presences()
    row = next(i for i, r in enumerate(presences.model.rows) if r.child == "TESTEUR Léa")
    presences.view.selectRow(row)
    presences.mark(Attendance.ABSENT)
    calls = recording(monkeypatch, attendance_dialog, "record_certificate", ["committed, answer lost"])
    presences.view.selectRow(row)
    presences.add_certificate()
    assert "a peut-être été enregistrée" in window.messages[-1]
    presences.accept()  # the key belongs to the counter window: a reopened dialog retries with it
    presences = booking.open_presences()
    presences.view.selectRow(row)
    presences.add_certificate()
    assert presences.model.rows[row].label == "Absent (certificat médical)"
    assert len(calls) == 2 and calls[0]["key"] and calls[0]["key"] == calls[1]["key"]
    assert balance(window.db, family_id) == 5000  # refunded once


def test_a_refresh_that_fails_says_so_once_and_keeps_a_warning_in_the_status_bar(qtbot, testeur, monkeypatch):
    window, _ = testeur
    window.ops.show_messages = True  # the message boxes themselves are counted here
    real = main_window.last_update
    failures = [database_down(), database_down()]

    def last_update(db):
        if failures:
            raise failures.pop()
        return real(db)

    def boxes() -> list[str]:
        return [box.text() for box in window.findChildren(QMessageBox) if box.isVisible()]

    monkeypatch.setattr(main_window, "last_update", last_update)
    window.refresh_all()  # one failed read, then the views are left as they were: one message, not one per view
    assert len(boxes()) == 1 and log_path() in boxes()[0]
    assert not window.stale.isHidden() and window.stale.toolTip() == boxes()[0]
    assert window.page.title.text() == "Famille TESTEUR"
    window.refresh_all()  # still down: the warning stays, no second box
    assert len(boxes()) == 1 and not window.stale.isHidden()
    window.refresh_all()  # the database answers again
    assert window.stale.isHidden()
    for box in window.findChildren(QMessageBox):
        box.close()
