"""pytest-qt: the counter screen driven through its real widgets on demo data (offscreen)."""

from __future__ import annotations

from datetime import date, time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.clock import paris
from app.models import Role
from app.services.booking.basket import Action, Basket
from app.services.booking.month_view import DayState
from app.services.booking.validation import confirm
from app.services.families.view import reservation_rows
from app.services.uow import new_operation_key
from app.ui.booking.recap_dialog import RecapResult
from tests.helpers import activity_id, actor, balance, counter_window, new_family

NOW = paris(date(2026, 11, 26), time(10, 0))


@pytest.fixture
def counter(qtbot, demo_rw):
    demo_rw.clock.set(NOW)
    return counter_window(qtbot, demo_rw, exposed=True)


def open_family(qtbot, window, name):
    """Type the name in the search box, go down to the family with the arrows, then Enter: its page opens."""
    window.families.search.clear()
    qtbot.keyClicks(window.families.search, name)
    qtbot.waitUntil(lambda: name.upper() in [r.name for r in window.families.model.rows], timeout=3000)
    while window.families.model.rows[window.families.table.currentIndex().row()].name != name.upper():
        qtbot.keyClick(window.families.search, Qt.Key.Key_Down)
    qtbot.keyClick(window.families.search, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.page
    assert window.page.title.text() == f"Famille {name.upper()}"


def choose(window, structure="ALSH Montech", child="Léa", activity="CLSH Petites vacances", month=(2026, 12)):
    """The structure, the one child checked (the first one for ""), the activity and the month."""
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText(structure))
    booking = window.page.booking
    ids = [cid for cid, box in booking.child_boxes.items() if box.text().startswith(child)]
    booking.set_checked(ids[:1])
    booking.activity.setCurrentIndex(booking.activity.findText(activity))
    booking.show_month(*month)
    assert (booking.year, booking.month) == month
    return booking


def pending_days(booking):
    """What the calendar shows in the basket, by day (one child checked)."""
    return {d: action for (_child, d), action in booking.grid.pending.items()}


def click_day(qtbot, booking, d):
    qtbot.mouseClick(booking.grid, Qt.MouseButton.LeftButton, pos=booking.grid.cell_rect(d).center())


def test_full_booking_from_search_to_outcomes(qtbot, counter):
    family_id, _ = new_family(counter.db, "Testeur", children=("Léa", "Tom"), balance_cents=5000)
    open_family(qtbot, counter, "Testeur")
    booking = choose(counter)
    for d in (date(2026, 12, 21), date(2026, 12, 28)):
        click_day(qtbot, booking, d)
    assert booking.pending.text() == "2 demandes en cours"
    assert pending_days(booking) == {date(2026, 12, 21): Action.ADD, date(2026, 12, 28): Action.ADD}
    booking.validate.click()
    dialog = counter.recap_dialog
    assert dialog.isVisible()
    assert [(r.line.day, r.amount_cents, r.ok) for r in dialog.additions.rows] == [
        (date(2026, 12, 21), 1300, True),
        (date(2026, 12, 28), 1300, True),
    ]
    assert "Réservations : <b>26,00" in dialog.totals.text()
    assert dialog.missing.isHidden() and dialog.confirm.isEnabled()
    dialog.confirm.click()
    assert [o.label for o in dialog.outcomes.outcomes] == ["Acceptée", "Acceptée"]
    assert [dialog.outcome_model.data(dialog.outcome_model.index(i, 5)) for i in range(2)] == ["Acceptée"] * 2
    assert dialog.isVisible() and dialog.close_button.isVisible()  # outcomes stay until closed
    dialog.close_button.click()
    assert dialog.result_value is RecapResult.CONFIRMED
    assert len(booking.basket) == 0
    cell = booking.grid.cell_for(date(2026, 12, 21))
    assert cell.state is DayState.BOOKED
    assert balance(counter.db, family_id) == 5000 - 2600
    assert counter.page.balance.text().replace("\u202f", " ").replace("\xa0", " ") == "24,00 €"
    states = [(r.state, r.transmission) for r in counter.page.reservations.rows]
    assert states == [("Acceptée", "Non transmise")] * 2


def test_modifier_keeps_the_basket_and_abandonner_drops_it(qtbot, counter):
    new_family(counter.db, "Testeur", balance_cents=5000)
    open_family(qtbot, counter, "Testeur")
    booking = choose(counter)
    click_day(qtbot, booking, date(2026, 12, 21))
    booking.validate.click()
    counter.recap_dialog.modify.click()
    assert counter.recap_dialog.result_value is RecapResult.MODIFY
    assert len(booking.basket) == 1 and pending_days(booking) == {date(2026, 12, 21): Action.ADD}
    click_day(qtbot, booking, date(2026, 12, 21))  # clicking again undoes
    assert len(booking.basket) == 0
    click_day(qtbot, booking, date(2026, 12, 29))
    booking.validate.click()
    counter.recap_dialog.abandon.click()
    assert counter.recap_dialog.result_value is RecapResult.ABANDON
    assert len(booking.basket) == 0 and booking.pending.text() == "Aucune demande en cours"


def test_waitlisted_and_refused_lines(qtbot, counter):
    new_family(counter.db, "Testeur", balance_cents=5000)
    open_family(qtbot, counter, "Testeur")
    booking = choose(counter)
    full = booking.grid.cell_for(date(2026, 12, 22))
    assert full.state is DayState.FULL and full.can_book
    click_day(qtbot, booking, date(2026, 12, 22))
    booking.validate.click()
    dialog = counter.recap_dialog
    assert dialog.additions.rows[0].likely.value == "waitlisted"
    dialog.confirm.click()
    assert dialog.outcomes.outcomes[0].label == "En liste d'attente rang 4"
    dialog.close_button.click()
    assert booking.grid.cell_for(date(2026, 12, 22)).state is DayState.WAITLISTED
    assert any("rang 4" in a for a in counter.page.summary.alerts)

    # ALAE has no waitlist: its full Wednesday cannot be selected, and a forced request is refused
    booking = choose(counter, structure="ALAE Montech", activity="ALAE Mercredi après-midi")
    full_wednesday = next(c for c in booking.views[0].cells if c.state is DayState.FULL)
    assert not full_wednesday.can_book
    booking.basket.toggle(
        booking.checked_children()[0], booking.activity.currentData(), full_wednesday.day, Action.ADD
    )
    counter.recap.dialog = None
    booking.request_validation()  # the button follows clicks on the calendar; this line bypassed it
    dialog = counter.recap_dialog
    dialog.confirm.click()
    assert dialog.outcomes.outcomes[0].label == "Refusée : Complet : plus de place disponible ce jour-là"


def test_cancellation_in_green_refunds(qtbot, counter):
    family_id, (child,) = new_family(counter.db, "Testeur", balance_cents=1300)
    basket = Basket(family_id)
    basket.toggle(child, activity_id(counter.db, "CLSH-PV"), date(2026, 12, 28), Action.ADD)
    confirm(counter.db, actor(counter.db, Role.AGENT), basket, key=new_operation_key())
    open_family(qtbot, counter, "Testeur")
    booking = choose(counter)
    click_day(qtbot, booking, date(2026, 12, 28))
    assert pending_days(booking) == {date(2026, 12, 28): Action.REMOVE}
    booking.validate.click()
    dialog = counter.recap_dialog
    assert [(r.amount_cents, r.ok) for r in dialog.removals.rows] == [(1300, True)]
    assert dialog.additions_view.isHidden()
    dialog.confirm.click()
    assert dialog.outcomes.outcomes[0].label == "Annulée"
    dialog.close_button.click()
    assert balance(counter.db, family_id) == 1300
    assert booking.grid.cell_for(date(2026, 12, 28)).state is DayState.FREE


def test_copy_to_a_sibling(qtbot, counter):
    family_id, _ = new_family(counter.db, "Testeur", children=("Léa", "Tom"), balance_cents=10_000)
    open_family(qtbot, counter, "Testeur")
    booking = choose(counter)
    for d in (date(2026, 12, 21), date(2026, 12, 28)):
        click_day(qtbot, booking, d)
    booking.copy.click()
    dialog = booking.copy_dialog
    assert [dialog.targets.item(i).text() for i in range(dialog.targets.count())][
        0
    ] == "Tom – CLSH Petites vacances"
    dialog.targets.setCurrentRow(0)
    dialog.accept()
    assert len(booking.basket) == 4
    assert booking.status.text() == "2 jours copiés dans les demandes en cours."  # no message box to close
    booking.validate.click()
    counter.recap_dialog.confirm.click()
    assert [o.child_name for o in counter.recap_dialog.outcomes.outcomes] == ["Léa", "Léa", "Tom", "Tom"]
    assert {r.state for r in reservation_rows(counter.db, family_id)} == {"Acceptée"}


def test_family_in_debit_cannot_confirm(qtbot, counter):
    debtor = next(r for r in counter.families.model.rows if r.balance_cents < 0)
    open_family(qtbot, counter, debtor.name)
    assert counter.page.balance.property("debit") is True
    assert counter.page.alerts.itemAt(0).widget().text().startswith("Compte débiteur")
    booking = choose(counter, structure="ALAE Montech", child="", activity="ALAE Mercredi après-midi")
    free = next(c.day for c in booking.views[0].cells if c.state is DayState.FREE)
    click_day(qtbot, booking, free)
    booking.validate.click()
    dialog = counter.recap_dialog
    assert not dialog.confirm.isEnabled() and dialog.missing.isVisible()
    assert "Compte famille débiteur" in dialog.missing.text() and "Il manque" in dialog.missing.text()
    dialog._confirm()  # even forced, nothing happens
    assert dialog.outcomes is None
    dialog.modify.click()
    assert len(booking.basket) == 1


def test_whole_flow_with_the_keyboard_only(qtbot, counter):
    new_family(counter.db, "Testeur", balance_cents=5000)
    counter.top_bar.structure.setCurrentIndex(counter.top_bar.structure.findText("ALSH Montech"))
    qtbot.keyClicks(counter.families.search, "testeur")
    qtbot.waitUntil(lambda: counter.families.model.rowCount() == 1, timeout=3000)
    qtbot.keyClick(counter.families.search, Qt.Key.Key_Down)
    qtbot.keyClick(counter.families.search, Qt.Key.Key_Return)
    booking = counter.page.booking
    booking.activity.setCurrentIndex(booking.activity.findText("CLSH Petites vacances"))
    assert (booking.year, booking.month) == (2026, 12)  # the first month that can be booked
    qtbot.keyClick(booking.grid, Qt.Key.Key_PageDown)
    assert (booking.year, booking.month) == (2027, 1)
    qtbot.keyClick(booking.grid, Qt.Key.Key_PageUp)
    booking.grid.setFocus()
    start = booking.grid.focus_day
    assert start == date(2026, 12, 21)  # the first day that can change
    qtbot.keyClick(booking.grid, Qt.Key.Key_Space)
    qtbot.keyClick(booking.grid, Qt.Key.Key_Down)  # next week, same weekday
    qtbot.keyClick(booking.grid, Qt.Key.Key_Space)
    assert pending_days(booking) == {date(2026, 12, 21): Action.ADD, date(2026, 12, 28): Action.ADD}
    qtbot.keyClick(booking.grid, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    dialog = counter.recap_dialog
    assert dialog is not None and dialog.isVisible() and dialog.confirm.isDefault()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=3000)  # as the agent sees it
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert [o.label for o in dialog.outcomes.outcomes] == ["Acceptée", "Acceptée"]
    qtbot.keyClick(dialog.close_button, Qt.Key.Key_Space)
    assert not dialog.isVisible()


def test_every_activity_of_the_agents_structures_without_switching(qtbot, counter):
    new_family(counter.db, "Testeur", balance_cents=5000)
    open_family(qtbot, counter, "Testeur")
    booking = counter.page.booking
    every = ["ALAE Mercredi après-midi", "CLSH Petites vacances", "CLSH Vacances d'été"]
    counter.top_bar.structure.setCurrentIndex(counter.top_bar.structure.findText("ALAE Montech"))
    assert [booking.activity.itemText(i) for i in range(booking.activity.count())] == every
    counter.top_bar.structure.setCurrentIndex(counter.top_bar.structure.findText("ALSH Montech"))
    assert [booking.activity.itemText(i) for i in range(booking.activity.count())] == every
    assert counter.top_bar.agent.text() == "Agent : Sophie Martin"
    assert counter.top_bar.updated.text().startswith("Dernière mise à jour : ")


def test_new_family_form_shows_errors_then_creates(qtbot, counter):
    counter.families.new_family.click()
    dialog = counter.family_dialog
    dialog.email.setText("pas-un-email")
    dialog._try_save()
    assert dialog.isVisible() and "nom de la famille est obligatoire" in dialog.errors.text()
    assert "adresse e-mail invalide" in dialog.errors.text() and dialog.name.styleSheet()
    dialog.name.setText("Nouveau-Venu")
    dialog.email.setText("nouveau@example.org")
    dialog.adults[0][0].setText("Chloé")
    dialog.adults[0][1].setText("Nouveau-Venu")
    dialog._try_save()
    assert not dialog.isVisible()
    assert counter.page.title.text() == "Famille NOUVEAU-VENU"
    counter.page.add_child.click()
    child = counter.page.dialog
    child.first_name.setText("Maëlys")
    child.birth_date.setDate(child.birth_date.date().addYears(-30))
    child._try_save()
    assert child.isVisible() and "improbable" in child.errors.text()
    child.birth_date.setDate(child.birth_date.date().addYears(28))
    child.level.setCurrentText("PS")
    child._try_save()
    assert not child.isVisible()
    assert [c.first_name for c in counter.page.summary.children] == ["Maëlys"]
    [box] = counter.page.booking.child_boxes.values()
    assert box.text().startswith("Maëlys") and box.isChecked()
