"""The counter screen through the real widgets: a cheque from the payment dialog, Page préc./suiv. wherever the
focus is, Entrée and Ctrl+Entrée in the recap, the recap and the outcome agreeing on money, a family without child,
ten lines on a 1366×768 screen, full days' words, a supervisor's override, and every label's keyboard path."""

from __future__ import annotations

from datetime import date, time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from sqlalchemy import select

from app.calendar_words import availability
from app.clock import paris
from app.models import AuditEntry, Payment, PaymentMethod, Reservation, ReservationStatus, Role
from app.services.booking.month_view import DayState
from app.services.sealing import opened
from app.ui.booking import recap_dialog
from tests.helpers import balance, new_family
from tests.test_counter_gui import choose, click_day, open_family
from tests.test_payments_gui import _window

FULL_DAY = date(2026, 12, 22)
"""CLSH Petites vacances, demo: full, three requests on its waitlist."""


def _recap(qtbot, window):
    window.page.booking.validate.click()
    dialog = window.recap_dialog
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=3000)
    return dialog


def _save_payment(qtbot, window):
    payment = window.page.balances.dialog
    qtbot.waitUntil(lambda: payment.isVisible(), timeout=3000)
    payment.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not payment.isVisible(), timeout=3000)
    return payment


# 1 ------------------------------------------------------------------------------------------------
def test_a_cheque_is_recorded_from_the_payment_dialog(qtbot, demo_rw):
    """« Chèque » chosen in the list enables Banque and N° du chèque; the payment is saved with them."""
    family_id, _ = new_family(demo_rw, "Testeur")
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    choose(window)
    window.page.tabs.setCurrentWidget(window.page.balances)
    dialog = window.page.balances.open_payment("25,00")
    assert not dialog.bank.isEnabled() and not dialog.number.isEnabled()
    dialog.method.setCurrentIndex(dialog.method.findText("Chèque"))
    assert dialog.bank.isEnabled() and dialog.number.isEnabled()
    dialog.bank.setText("Crédit Agricole")  # QTest types ASCII only
    qtbot.keyClicks(dialog.number, "1234567")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert not dialog.isVisible(), dialog.errors.text()
    with demo_rw.reading() as uow:
        payment = uow.session.scalar(select(Payment).where(Payment.family_id == family_id))
        assert (payment.method, payment.amount_cents) == (PaymentMethod.CHEQUE, 2500)
        assert (opened(uow.session, payment.cheque_bank), opened(uow.session, payment.cheque_number)) == (
            "Crédit Agricole",
            "1234567",
        )  # sealed with the family's key
    assert balance(demo_rw, family_id) == 2500


# 2 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("focus", ["child", "activity", "grid"])
def test_page_down_changes_the_month_wherever_the_focus_is(qtbot, demo_rw, focus):
    new_family(demo_rw, "Testeur", children=("Léa", "Tom"))
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    checked = booking.checked_children()
    widget = {
        "child": list(booking.child_boxes.values())[0],
        "activity": booking.activity,
        "grid": booking.grid,
    }[focus]
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=2000)
    activity = booking.activity.currentText()
    qtbot.keyClick(widget, Qt.Key.Key_PageDown)
    assert (booking.year, booking.month) == (2027, 1)
    qtbot.keyClick(widget, Qt.Key.Key_PageUp)
    assert (booking.year, booking.month) == (2026, 12)
    assert booking.checked_children() == checked and booking.activity.currentText() == activity
    # the child being booked is unmistakable: checked by name, and named in the calendar with two children
    assert [b.text().split()[0] for b in booking.child_boxes.values() if b.isChecked()] == ["Léa"]
    booking.set_checked(list(booking.child_boxes))
    assert {m.name for m in booking.grid.months} == {"Léa", "Tom"}


# 3 ------------------------------------------------------------------------------------------------
def test_enter_confirms_after_a_payment_from_the_recap_and_ctrl_enter_anywhere(qtbot, demo_rw):
    family_id, _ = new_family(demo_rw, "Testeur", balance_cents=500)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    click_day(qtbot, booking, date(2026, 12, 21))
    dialog = _recap(qtbot, window)
    assert dialog.pay.isVisible() and dialog.pay.isDefault()
    dialog.pay.click()
    _save_payment(qtbot, window)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog and dialog.confirm.hasFocus(), timeout=3000)
    assert dialog.confirm.isDefault() and not dialog.modify.isDefault() and "reçu n°" in dialog.paid.text()
    dialog.modify.setFocus()  # Ctrl+Entrée confirms whatever has the focus
    qtbot.keyClick(dialog.modify, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.isVisible() and dialog.outcomes is not None
    assert [o.label for o in dialog.outcomes.outcomes] == ["Acceptée"]


def test_plain_enter_confirms_once_paid(qtbot, demo_rw):
    new_family(demo_rw, "Testeur", balance_cents=500)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    click_day(qtbot, choose(window), date(2026, 12, 21))
    dialog = _recap(qtbot, window)
    dialog.pay.click()
    _save_payment(qtbot, window)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog and dialog.confirm.hasFocus(), timeout=3000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.outcomes is not None  # confirmed, not closed


# 4 ------------------------------------------------------------------------------------------------
def test_recap_and_outcome_agree_on_money_with_the_waitlist_apart(qtbot, demo_rw):
    """Two days, one of them full: the waitlisted day is its own sub-total, not debited; the recap's « solde
    après » is the outcome's; the price shows the aid deducted."""
    aid = ("caf", 400, date(2026, 9, 1), date(2027, 8, 31))
    family_id, _ = new_family(demo_rw, "Testeur", balance_cents=5000, aids=(aid,))
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    for d in (date(2026, 12, 21), FULL_DAY):
        click_day(qtbot, booking, d)
    dialog = _recap(qtbot, window)
    recap = dialog.recap
    prices = [dialog.additions.data(dialog.additions.index(i, 3)).replace("\xa0", " ") for i in range(2)]
    assert prices == ["13,00 € − CAF 4,00 € = 9,00 €"] * 2, prices
    assert (recap.charged_cents, recap.waitlist_cents) == (900, 900)
    assert recap.balance_after_cents == 5000 - 900
    totals = dialog.totals.text().replace("\xa0", " ")
    assert (
        "dont liste d'attente : <b>9,00 €</b>" in totals
        and "débités seulement si une place se libère" in totals
    )
    assert "Solde après : <b>41,00 €</b>" in totals
    dialog.confirm.click()
    result = dialog.outcomes
    assert [o.label for o in sorted(result.outcomes, key=lambda o: o.line.day)][1].startswith(
        "En liste d'attente"
    )
    assert result.balance_after_cents == recap.balance_after_cents == balance(demo_rw, family_id)
    assert (result.charged_cents, result.waitlist_cents) == (900, 900)
    text = dialog.totals.text().replace("\xa0", " ")
    assert "Solde après confirmation : <b>41,00 €</b>" in text and "9,00 €" in text


# 5 ------------------------------------------------------------------------------------------------
def test_a_new_family_without_child_gets_a_hint_and_is_highlighted(qtbot, demo_rw):
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Foucher")
    window.families.new_family.click()
    dialog = window.family_dialog
    dialog.name.setText("Nouvelle")
    dialog.email.setText("nouvelle@example.org")
    dialog.phone.setText("05 63 00 00 00")
    dialog._try_save()
    assert not dialog.isVisible()
    booking = window.page.booking
    assert window.page.title.text() == "Famille NOUVELLE"
    assert booking.calendar.currentWidget() is booking.no_child and booking.add_child.isVisible()
    selected = window.families.selected_id()
    assert (
        selected is not None
        and window.families.model.rows[window.families.table.currentIndex().row()].name == "NOUVELLE"
    )
    booking.add_child.click()
    assert window.page.dialog.isVisible()  # the child's form, one click away


# 6 ------------------------------------------------------------------------------------------------
def test_ten_lines_show_whole_on_a_1366_by_768_screen(qtbot, demo_rw, monkeypatch):
    monkeypatch.setattr(recap_dialog, "available_height", lambda: 768 - 40)  # a 40-pixel taskbar
    new_family(demo_rw, "Testeur", children=("Léa", "Tom"), balance_cents=50_000)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    booking.set_checked(list(booking.child_boxes))
    booking.mark_range(date(2026, 12, 21), date(2026, 12, 28))  # 21–24 and 28 (25: Christmas)
    assert len(booking.basket) == 10
    dialog = _recap(qtbot, window)
    view = dialog.additions_view
    assert dialog.height() <= 728
    assert not view.verticalScrollBar().isVisible() and view.viewport().height() >= 10 * view.rowHeight(0)
    dialog.confirm.click()
    assert not dialog.additions_view.verticalScrollBar().isVisible()


# 7 ------------------------------------------------------------------------------------------------
def test_full_days_say_their_waitlist_and_booked_days_their_places(qtbot, demo_rw):
    new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    full = booking.views[0].cell(FULL_DAY)
    assert full.state is DayState.FULL and availability(full) == "complet · 3 en attente"
    click_day(qtbot, booking, date(2026, 12, 24))
    _recap(qtbot, window).confirm.click()
    window.recap_dialog.close_button.click()
    booked = booking.views[0].cell(date(2026, 12, 24))
    assert booked.state is DayState.BOOKED and availability(booked) == "1 place"
    assert "1 place" in booking.grid.describe(date(2026, 12, 24))
    window.resize(1366, 768)
    qtbot.wait(50)
    small = booking.grid.text_px
    window.resize(1920, 1080)
    qtbot.wait(50)
    assert booking.grid.text_px > small


# 10 -----------------------------------------------------------------------------------------------
def test_a_supervisor_passes_over_a_refused_line_with_a_reason(qtbot, demo_rw):
    family_id, (child,) = new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    demo_rw.clock.set(paris(date(2026, 12, 18), time(9, 0)))  # Monday 21 closed to bookings on Thursday 17
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    assert booking.views[0].cell(date(2026, 12, 21)).state is DayState.DEADLINE_PASSED
    click_day(qtbot, booking, date(2026, 12, 21))  # a régisseur may ask it
    dialog = _recap(qtbot, window)
    assert not dialog.recap.additions[0].ok and dialog.override_bar.isVisible()
    dialog.override.click()
    assert "motif du dépassement est obligatoire" in dialog.error.text() and not dialog.recap.additions[0].ok
    qtbot.keyClicks(dialog.override_reason, "oubli de la famille, accord du responsable")
    dialog.override.click()
    assert dialog.recap.additions[0].ok and "Dépassement accordé" in dialog.note.text()
    dialog.confirm.click()
    assert [o.label for o in dialog.outcomes.outcomes] == ["Acceptée"]
    with demo_rw.reading() as uow:
        res = uow.session.get(Reservation, dialog.outcomes.outcomes[0].reservation_id)
        assert res.status is ReservationStatus.ACCEPTED
        assert res.override_reason == "oubli de la famille, accord du responsable"
        entry = uow.session.scalar(select(AuditEntry).where(AuditEntry.entity_id == str(res.id)))
        assert opened(uow.session, entry.reason) == res.override_reason


def test_an_agent_cannot_pass_over(qtbot, demo_rw):
    new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    click_day(qtbot, booking, date(2026, 12, 21))  # asked in time…
    demo_rw.clock.set(paris(date(2026, 12, 18), time(9, 0)))  # …and recapped too late
    dialog = _recap(qtbot, window)
    assert not dialog.recap.additions[0].ok and dialog.recap.additions[0].overridable
    assert not dialog.override_bar.isVisible()
    dialog.modify.click()
    booking.refresh()
    before = set(booking.grid.pending)
    click_day(qtbot, booking, date(2026, 12, 22))  # full, waitlist: an agent asks it (waitlist)
    booking.basket.clear()
    booking.refresh()
    click_day(qtbot, booking, date(2026, 12, 21))  # deadline passed: an agent cannot mark it
    assert set(booking.grid.pending) == set() and before


# keyboard paths ------------------------------------------------------------------------------------------
def _visible_mnemonics(window) -> dict[str, list[str]]:
    from PySide6.QtWidgets import QAbstractButton, QLabel, QTabBar

    from app.ui.fields import mnemonic

    found: dict[str, list[str]] = {}
    for widget in window.findChildren(QAbstractButton) + window.findChildren(QLabel):
        if not widget.isVisibleTo(window) or (isinstance(widget, QLabel) and widget.buddy() is None):
            continue
        letter = mnemonic(widget.text())
        if letter:
            found.setdefault(letter, []).append(widget.text())
    for bar in window.findChildren(QTabBar):
        if bar.isVisibleTo(window):
            for i in range(bar.count()):
                letter = mnemonic(bar.tabText(i))
                if letter:
                    found.setdefault(letter, []).append(bar.tabText(i))
    return found


def test_every_label_has_a_keyboard_path_and_no_two_share_a_letter(qtbot, demo_rw):
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Foucher")
    page = window.page
    for index in range(page.tabs.count()):
        page.tabs.setCurrentIndex(index)
        qtbot.wait(10)
        letters = _visible_mnemonics(window)
        twice = {k: v for k, v in letters.items() if len(v) > 1}
        assert not twice, (page.tabs.tabText(index), twice)
    assert "S" in letters and any("Structure" in t for t in letters["S"])
    from PySide6.QtWidgets import QAbstractButton

    for button in window.findChildren(QAbstractButton):
        if button.isVisibleTo(window) and "&" in button.text() and not isinstance(button, type(page.tabs)):
            assert "Alt+" in button.toolTip() or "(" in button.toolTip(), button.text()
