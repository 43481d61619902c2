"""The everyday case at the counter, counted in the agent's actions (issue #17).

Two siblings, five days of the Christmas holidays each (21–24 and 28 December 2026), 22 December full (its
waitlist takes them), the family pays what is missing, the agent confirms and prints the reservation sheet —
driven through the real widgets with real mouse and key events, on the demonstration database. A word typed in
one field is one action; each click, key or shortcut is one action. Printed: the list of actions of each path.

The agent is at work: the family before this one was booked for the holiday centre, so the counter remembers
the agent's activity (``CounterMemory``, per agent on this computer). The first family of a session costs two
more actions (the activity chosen in its list), also measured below.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPoint, Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from sqlalchemy import select

from app.models import ActivityDay, Child, Family, Payment, PaymentMethod, Reservation, ReservationStatus
from app.services.invariants import check
from app.ui.shell.main_window import MainWindow
from tests.test_counter_gui import NOW

CHRISTMAS = [date(2026, 12, d) for d in (21, 22, 23, 24, 28)]
MOUSE_TARGET, KEYBOARD_TARGET = 12, 16
ACTION_LISTS: dict[str, list[str]] = {}
"""Each path's actions, printed in the run's summary (conftest)."""


@dataclass
class Actions:
    """Real events sent to the widgets, each one counted and named."""

    qtbot: object
    done: list[str] = field(default_factory=list)

    def click(self, widget: QWidget, what: str, pos: QPoint | None = None, shift: bool = False) -> None:
        modifier = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
        where = pos if pos is not None else widget.rect().center()
        self.qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, modifier, where)  # type: ignore[attr-defined]
        self.done.append(f"clic : {what}")

    def type(self, widget: QWidget, text: str, what: str) -> None:
        self.qtbot.keyClicks(widget, text)  # type: ignore[attr-defined]
        self.done.append(f"saisie : « {text} » ({what})")

    def key(self, key: Qt.Key, what: str, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        """A key to whatever has the focus in the active window, as the agent's keyboard sends it."""
        target = QApplication.focusWidget() or QApplication.activeWindow()
        assert target is not None, f"no widget has the focus for {what}"
        self.qtbot.keyClick(target, key, modifier)  # type: ignore[attr-defined]
        if modifier & Qt.KeyboardModifier.AltModifier:
            self.qtbot.wait(150)  # a button's mnemonic clicks it with an animation (Qt: 100 ms)
        self.done.append(f"touche : {what}")

    def external(self, what: str) -> None:
        """An action in a window that is not the program's (the system's print dialog)."""
        self.done.append(f"système : {what}")


@pytest.fixture
def printed(monkeypatch, tmp_path):
    """The system's print dialog answered « Imprimer » with a PDF printer (its OK is counted by the test)."""
    files: list[str] = []

    def exec_(dialog: QPrintDialog) -> int:
        printer: QPrinter = dialog.printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        path = str(tmp_path / f"printed-{len(files)}.pdf")
        printer.setOutputFileName(path)
        files.append(path)
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(QPrintDialog, "exec", exec_)
    return files


def _window(qtbot, db) -> MainWindow:
    db.clock.set(NOW)
    window = MainWindow(db)
    window.ops.show_messages = False
    window.ops.asynchronous = False  # each step's result is there when the next key is sent
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10000)
    return window


def _family_with_two_children(db) -> tuple[int, str, list[int]]:
    """FOUCHER of the demo: two children, both free on the five days but 22 December (full, waitlist on)."""
    with db.reading() as uow:
        family = uow.session.scalar(select(Family).where(Family.name == "FOUCHER"))
        assert family is not None, "the demo has the FOUCHER family"
        children = list(
            uow.session.scalars(select(Child.id).where(Child.family_id == family.id).order_by(Child.id))
        )
    assert len(children) == 2
    return family.id, family.name, children


def _previous_family(qtbot, window: MainWindow) -> None:
    """The family served before: the agent chose the holiday centre in the activity list (not counted)."""
    window.families.search.setText("garnier")
    window.refresh_families("garnier")
    window.open_family(window.families.model.rows[0].id)
    booking = window.page.booking
    booking.activity.setCurrentIndex(booking.activity.findText("CLSH Petites vacances"))
    window.search_next("")  # its outcome closed with Échap: the search focused, its text selected


def _wait_shown(qtbot, getter):
    """A dialog shown (the mouse needs no active window)."""
    qtbot.waitUntil(lambda: getter() is not None and getter().isVisible(), timeout=10000)
    return getter()


def _wait_dialog(qtbot, getter):
    """A dialog shown and active (the keyboard's keys go to it)."""
    dialog = _wait_shown(qtbot, getter)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=10000)
    return dialog


def _end_state(db, family_id: int, children: list[int]) -> tuple[dict, list[Payment]]:
    with db.reading() as uow:
        rows = uow.session.execute(
            select(Reservation.child_id, ActivityDay.day, Reservation.status)
            .join(ActivityDay, ActivityDay.id == Reservation.activity_day_id)
            .where(Reservation.child_id.in_(children), ActivityDay.day.in_(CHRISTMAS))
        ).all()
        state = {(c, d): st for c, d, st in rows if st is not ReservationStatus.CANCELLED}
        payments = list(uow.session.scalars(select(Payment).where(Payment.family_id == family_id)))
        uow.session.expunge_all()
    return state, payments


def _check_result(db, window: MainWindow, family_id: int, children: list[int], paid_before: int, printed):
    """The database's end state: each child's five days accepted or waitlisted, the payment with its receipt
    number, the sheet made and printed, the invariants clean."""
    state, payments = _end_state(db, family_id, children)
    assert len(state) == 10, state
    for child in children:
        assert state[(child, date(2026, 12, 22))] is ReservationStatus.WAITLISTED
        for d in (date(2026, 12, 21), date(2026, 12, 24), date(2026, 12, 28)):
            assert state[(child, d)] is ReservationStatus.ACCEPTED
    # 23 December had one place left: the first child asked took it, the second waits
    assert Counter(state[(c, date(2026, 12, 23))] for c in children) == Counter(
        [ReservationStatus.ACCEPTED, ReservationStatus.WAITLISTED]
    )
    assert len(payments) == paid_before + 1
    payment = payments[-1]
    dialog = window.recap_dialog
    assert dialog is not None and dialog.receipts and dialog.receipts[-1].number == payment.receipt_number
    assert payment.receipt_number and dialog.recap.balance_after_cents >= 0 and not dialog.recap.missing_cents
    sheet = window.page.last_sheet
    assert sheet is not None
    text = PdfReader(io.BytesIO(sheet.pdf)).pages[0].extract_text()
    assert "Famille FOUCHER" in text and "En liste d'attente" in text
    assert len(printed) == 1 and len(PdfReader(printed[0]).pages) == len(sheet.pages) >= 1
    assert check(db) == []


def test_with_the_mouse(qtbot, demo_rw, printed):
    family_id, name, children = _family_with_two_children(demo_rw)
    paid_before = len(_end_state(demo_rw, family_id, children)[1])
    window = _window(qtbot, demo_rw)
    _previous_family(qtbot, window)
    act = Actions(qtbot)

    assert window.families.search.hasFocus() and window.families.search.selectedText() == "garnier"
    act.type(window.families.search, "fouch", "recherche de la famille (la précédente sélectionnée)")
    assert window.families.search.text() == "fouch"
    qtbot.waitUntil(lambda: [r.name for r in window.families.model.rows][:1] == [name], timeout=10000)
    table = window.families.table
    act.click(
        table.viewport(), "la famille dans la liste", table.visualRect(table.model().index(0, 0)).center()
    )
    booking = window.page.booking
    assert booking.activity.currentText() == "CLSH Petites vacances" and (booking.year, booking.month) == (
        2026,
        12,
    )
    second = booking.child_boxes[children[1]]
    act.click(second, "cocher le deuxième enfant", QPoint(8, second.height() // 2))
    assert booking.checked_children() == children
    grid = booking.grid
    act.click(grid, "la semaine du 21 décembre (sem. 52)", grid.week_rect(date(2026, 12, 21)).center())
    assert date(2026, 12, 22) not in {d for (_c, d) in grid.pending}  # full: its waitlist is asked on its own
    act.click(grid, "le 22 décembre (complet : liste d'attente)", grid.cell_rect(date(2026, 12, 22)).center())
    act.click(grid, "le 28 décembre", grid.cell_rect(date(2026, 12, 28)).center())
    assert {d for (_c, d) in grid.pending} == set(CHRISTMAS) and len(grid.pending) == 10
    act.click(booking.validate, "Valider")
    recap = _wait_dialog(qtbot, lambda: window.recap_dialog)
    assert recap.pay.isVisible() and not recap.confirm.isEnabled()
    act.click(recap.pay, "Encaisser…")
    payment = _wait_dialog(qtbot, lambda: window.page.balances.dialog)
    assert payment.amount.text()  # the missing amount, prefilled
    from PySide6.QtWidgets import QDialogButtonBox

    act.click(payment.buttons.button(QDialogButtonBox.StandardButton.Save), "Enregistrer le règlement")
    qtbot.waitUntil(lambda: not payment.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: recap.confirm.hasFocus(), timeout=10000)  # Confirmer focused for Entrée
    assert recap.confirm.isEnabled()
    act.click(recap.confirm, "Confirmer")
    assert recap.outcomes is not None and recap.sheet.isVisible() and recap.receipt.isVisible()
    act.click(recap.sheet, "Imprimer la fiche…")
    act.external("« Imprimer » dans la fenêtre d'impression")

    ACTION_LISTS["avec la souris"] = act.done
    print("\nAvec la souris :", len(act.done), "actions\n  " + "\n  ".join(act.done))
    _check_result(demo_rw, window, family_id, children, paid_before, printed)
    assert len(act.done) <= MOUSE_TARGET


def test_with_the_keyboard_only(qtbot, demo_rw, printed):
    family_id, name, children = _family_with_two_children(demo_rw)
    paid_before = len(_end_state(demo_rw, family_id, children)[1])
    window = _window(qtbot, demo_rw)
    _previous_family(qtbot, window)
    act = Actions(qtbot)
    Alt, Shift, Ctrl = (
        Qt.KeyboardModifier.AltModifier,
        Qt.KeyboardModifier.ShiftModifier,
        Qt.KeyboardModifier.ControlModifier,
    )

    window.page.booking.grid.setFocus()  # wherever the agent left it
    act.key(Qt.Key.Key_H, "Alt+H (Rechercher)", Alt)
    assert window.families.search.hasFocus()
    act.type(window.families.search, "fouch", "recherche de la famille")
    act.key(Qt.Key.Key_Return, "Entrée (ouvrir la famille)")
    booking = window.page.booking
    assert window.page.title.text() == f"Famille {name}"
    assert booking.activity.currentText() == "CLSH Petites vacances" and (booking.year, booking.month) == (
        2026,
        12,
    )
    assert booking.grid.hasFocus() and booking.grid.focus_day == date(2026, 12, 21)
    act.key(Qt.Key.Key_2, "Alt+2 (cocher le deuxième enfant)", Alt)
    assert booking.checked_children() == children and booking.grid.hasFocus()
    for _ in range(3):
        act.key(Qt.Key.Key_Right, "Maj+→ (du 21 au 24)", Shift)
    act.key(Qt.Key.Key_Right, "→")
    act.key(Qt.Key.Key_Right, "→ (le 28)")
    assert booking.grid.focus_day == date(2026, 12, 28)
    act.key(Qt.Key.Key_Space, "Espace (le 28)")
    assert {d for (_c, d) in booking.grid.pending} == set(CHRISTMAS) and len(booking.grid.pending) == 10
    act.key(Qt.Key.Key_Return, "Ctrl+Entrée (Valider)", Ctrl)
    recap = _wait_dialog(qtbot, lambda: window.recap_dialog)
    act.key(Qt.Key.Key_E, "Alt+E (Encaisser…)", Alt)
    payment = _wait_dialog(qtbot, lambda: window.page.balances.dialog)
    act.key(Qt.Key.Key_Return, "Entrée (enregistrer le règlement)")
    qtbot.waitUntil(lambda: not payment.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is recap, timeout=10000)
    act.key(Qt.Key.Key_Return, "Entrée (Confirmer)")
    assert recap.outcomes is not None
    act.key(Qt.Key.Key_I, "Alt+I (Imprimer la fiche…)", Alt)
    act.external("Entrée dans la fenêtre d'impression")

    ACTION_LISTS["au clavier seul"] = act.done
    print("\nAu clavier :", len(act.done), "actions\n  " + "\n  ".join(act.done))
    _check_result(demo_rw, window, family_id, children, paid_before, printed)
    assert len(act.done) <= KEYBOARD_TARGET


def test_the_first_family_of_a_session_costs_the_activity_choice(qtbot, demo_rw):
    """Nothing remembered yet: the activity is chosen in its list (two clicks, or Alt+A and its initial), then
    the calendar opens on its first month with bookable days."""
    _family_id, name, _children = _family_with_two_children(demo_rw)
    window = _window(qtbot, demo_rw)
    window.families.search.setText("fouch")
    window.refresh_families("fouch")
    window.open_family(window.families.model.rows[0].id)
    booking = window.page.booking
    act = Actions(qtbot)
    act.key(Qt.Key.Key_A, "Alt+A (Activité)", Qt.KeyboardModifier.AltModifier)
    assert booking.activity.hasFocus()
    act.key(Qt.Key.Key_C, "C (CLSH Petites vacances)")
    assert booking.activity.currentText() == "CLSH Petites vacances"
    assert (booking.year, booking.month) == (2026, 12)
    ACTION_LISTS["première famille de la session, en plus"] = act.done
    print("\nPremière famille de la session : +", len(act.done), "actions :", "; ".join(act.done))


# --- the second scenario: a cheque from the recap, days with gaps, the first family of a session and the next one --

GAPS = [date(2026, 12, d) for d in (21, 22, 24, 29, 30)]
"""Five days with gaps (not the 23rd, nor the 28th); the 22nd is full (its waitlist takes them)."""
SEARCH = {"LEFÉBURE": "lefeb", "ROGER": "roger"}
"""What the agent types to find each family (the search ignores accents; QTest types ASCII only)."""
SECOND = {"first": (16, 22), "next": (14, 20)}
"""The issue's targets (mouse, keyboard only) for the first family of a session and for the next one."""


def _two_children_and_a_cheque(db, name: str) -> tuple[int, list[int], str]:
    """A demo family with two children whose last payment by cheque gave the bank the dialog proposes."""
    from app.services.money.payments import last_cheque_bank

    with db.reading() as uow:
        family = uow.session.scalar(select(Family).where(Family.name == name))
        assert family is not None
        children = list(
            uow.session.scalars(select(Child.id).where(Child.family_id == family.id).order_by(Child.id))
        )
    assert len(children) == 2
    bank = last_cheque_bank(db, family.id)
    assert bank, f"{name} paid by cheque before"
    return family.id, children, bank


def _type_over(act: Actions, qtbot, window: MainWindow, text: str, what: str) -> None:
    """A word typed wherever the focus is, each letter to the widget that has the focus then (the outcome hands
    the first letter to the search)."""
    for letter in text:
        modal = QApplication.activeModalWidget()  # the outcome over the counter gets the keys, as on screen
        target = (modal.focusWidget() or modal) if modal is not None else QApplication.focusWidget()
        if target is None:  # offscreen, no window may be active: the keys go where the counter put the focus
            shown = window.recap_dialog if window.recap_dialog and window.recap_dialog.isVisible() else window
            target = shown.focusWidget() or shown
        assert target is not None
        qtbot.keyClicks(target, letter)
    if QApplication.activeWindow() is None:  # offscreen: the closed outcome does not hand activation back
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10000)
    act.done.append(f"saisie : « {text} » ({what})")


def _booked(grid) -> int:
    """The days a child already has (booked or waiting): nothing to ask for them."""
    return sum(1 for m in grid.months for c in m.view.cells if c.day in GAPS and c.reservation_id is not None)


def _drag(act: Actions, qtbot, grid, first: date, last: date) -> None:
    start, end = grid.cell_rect(first).center(), grid.cell_rect(last).center()
    qtbot.mousePress(grid, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(grid, end)
    qtbot.mouseRelease(grid, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    act.done.append(f"glisser : du {first:%d} au {last:%d} décembre")


def _check_gaps(db, window: MainWindow, family_id: int, children: list[int], bank: str) -> None:
    with db.reading() as uow:
        rows = uow.session.execute(
            select(Reservation.child_id, ActivityDay.day, Reservation.status)
            .join(ActivityDay, ActivityDay.id == Reservation.activity_day_id)
            .where(Reservation.child_id.in_(children), ActivityDay.day.in_(GAPS))
            .where(Reservation.status != ReservationStatus.CANCELLED)
        ).all()
        payment = uow.session.scalars(
            select(Payment).where(Payment.family_id == family_id).order_by(Payment.id.desc())
        ).first()
    state = {(c, d): st for c, d, st in rows}
    assert len(state) == 10, state  # each child has the five days (a day held before stays as it was)
    assert ReservationStatus.WAITLISTED in {state[(child, date(2026, 12, 22))] for child in children}
    assert payment is not None and payment.method is PaymentMethod.CHEQUE
    dialog = window.recap_dialog
    assert dialog is not None and dialog.receipts[-1].number == payment.receipt_number
    assert check(db) == []


def _mouse_family(qtbot, window: MainWindow, act: Actions, name: str, number: str, first: bool) -> None:
    """One family with the mouse (and the words typed), from wherever the previous one left the counter."""
    _type_over(act, qtbot, window, SEARCH[name], "recherche de la famille")
    qtbot.waitUntil(lambda: [r.name for r in window.families.model.rows][:1] == [name], timeout=10000)
    table = window.families.table
    act.click(table.viewport(), "la famille", table.visualRect(table.model().index(0, 0)).center())
    booking = window.page.booking
    if first:  # nothing remembered yet: the activity chosen in its list
        act.click(booking.activity, "la liste des activités")
        view = booking.activity.view()
        qtbot.waitUntil(view.isVisible, timeout=10000)
        qtbot.wait(QApplication.doubleClickInterval() + 50)  # a release sooner is the opening click's own
        index = booking.activity.model().index(booking.activity.findText("CLSH Petites vacances"), 0)
        act.click(view.viewport(), "CLSH Petites vacances", view.visualRect(index).center())
    assert booking.activity.currentText() == "CLSH Petites vacances"
    assert (booking.year, booking.month) == (2026, 12)
    second = list(booking.child_boxes.values())[1]
    act.click(second, "cocher le deuxième enfant", QPoint(8, second.height() // 2))
    grid = booking.grid
    _drag(act, qtbot, grid, date(2026, 12, 21), date(2026, 12, 22))
    act.click(grid, "le 24 décembre", grid.cell_rect(date(2026, 12, 24)).center())
    _drag(act, qtbot, grid, date(2026, 12, 29), date(2026, 12, 30))
    assert {d for (_c, d) in grid.pending} == set(GAPS) and len(grid.pending) == 10 - _booked(grid)
    act.click(booking.validate, "Valider")
    recap = _wait_shown(qtbot, lambda: window.recap_dialog)
    act.click(recap.pay, "Encaisser…")
    payment = _wait_shown(qtbot, lambda: window.page.balances.dialog)
    act.click(payment.method.button(PaymentMethod.CHEQUE), "Chèque", QPoint(8, 8))
    assert payment.bank.text() and payment.focusWidget() is payment.number  # the family's bank proposed
    act.type(payment.number, number, "n° du chèque")
    from PySide6.QtWidgets import QDialogButtonBox

    act.click(payment.buttons.button(QDialogButtonBox.StandardButton.Save), "Encaisser")
    qtbot.waitUntil(lambda: not payment.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: recap.confirm.isEnabled(), timeout=10000)
    act.click(recap.confirm, "Confirmer")
    assert recap.outcomes is not None
    act.click(recap.sheet, "Imprimer la fiche…")
    act.external("« Imprimer » dans la fenêtre d'impression")


def _keyboard_family(qtbot, window: MainWindow, act: Actions, name: str, number: str, first: bool) -> None:
    Alt, Shift, Ctrl = (
        Qt.KeyboardModifier.AltModifier,
        Qt.KeyboardModifier.ShiftModifier,
        Qt.KeyboardModifier.ControlModifier,
    )
    _type_over(act, qtbot, window, SEARCH[name], "recherche de la famille")
    qtbot.waitUntil(lambda: [r.name for r in window.families.model.rows][:1] == [name], timeout=10000)
    act.key(Qt.Key.Key_Return, "Entrée (ouvrir la famille)")
    booking = window.page.booking
    assert window.page.title.text() == f"Famille {name}"
    if first:
        act.key(Qt.Key.Key_A, "Alt+A (Activité)", Alt)
        act.key(Qt.Key.Key_C, "C (CLSH Petites vacances)")
        qtbot.waitUntil(booking.grid.hasFocus, timeout=10000)  # the choice made, the cursor in the calendar
    assert booking.activity.currentText() == "CLSH Petites vacances"
    assert booking.grid.hasFocus() and booking.grid.focus_day == date(2026, 12, 21)
    act.key(Qt.Key.Key_2, "Alt+2 (cocher le deuxième enfant)", Alt)
    act.key(Qt.Key.Key_Right, "Maj+→ (21 et 22)", Shift)
    act.key(Qt.Key.Key_Down, "↓ (le 29)")
    act.key(Qt.Key.Key_Right, "Maj+→ (29 et 30)", Shift)
    act.key(Qt.Key.Key_Up, "↑ (le 23)")
    act.key(Qt.Key.Key_Right, "→ (le 24)")
    act.key(Qt.Key.Key_Space, "Espace (le 24)")
    grid = booking.grid
    assert {d for (_c, d) in grid.pending} == set(GAPS) and len(grid.pending) == 10 - _booked(grid)
    act.key(Qt.Key.Key_Return, "Ctrl+Entrée (Valider)", Ctrl)
    recap = _wait_dialog(qtbot, lambda: window.recap_dialog)
    act.key(Qt.Key.Key_E, "Alt+E (Encaisser…)", Alt)
    payment = _wait_dialog(qtbot, lambda: window.page.balances.dialog)
    act.key(Qt.Key.Key_C, "Alt+C (Chèque)", Alt)
    assert payment.number.hasFocus()
    act.type(payment.number, number, "n° du chèque")
    act.key(Qt.Key.Key_Return, "Entrée (encaisser)")
    qtbot.waitUntil(lambda: not payment.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is recap and recap.confirm.hasFocus(), timeout=10000)
    act.key(Qt.Key.Key_Return, "Entrée (Confirmer)")
    assert recap.outcomes is not None
    act.key(Qt.Key.Key_I, "Alt+I (Imprimer la fiche…)", Alt)
    act.external("Entrée dans la fenêtre d'impression")


@pytest.mark.parametrize("way", ["souris", "clavier"])
def test_a_cheque_from_the_recap_for_two_families_in_a_row(qtbot, demo_rw, printed, way):
    """The issue's second scenario, for the first family of a session and the next one: two children, five days
    with gaps (one full), a cheque from the recap (the bank the family's last cheque gave), the sheet printed;
    the next family starts by typing its name over the first one's outcome."""
    families = [("LEFÉBURE", "1234567"), ("ROGER", "7654321")]  # ROGER's younger child has the 22nd already
    known = [_two_children_and_a_cheque(demo_rw, name) for name, _ in families]
    window = _window(qtbot, demo_rw)
    assert window.families.search.hasFocus()  # a session starts in the search
    run = _mouse_family if way == "souris" else _keyboard_family
    for (name, number), (family_id, children, bank), which in zip(families, known, SECOND, strict=True):
        act = Actions(qtbot)
        run(qtbot, window, act, name, number, which == "first")
        ACTION_LISTS[
            f"chèque, {way}, famille {'suivante' if which == 'next' else 'première de la session'}"
        ] = act.done
        print(f"\n{way}, {which} :", len(act.done), "actions\n  " + "\n  ".join(act.done))
        _check_gaps(demo_rw, window, family_id, children, bank)
        mouse, keyboard = SECOND[which]
        assert len(act.done) <= (mouse if way == "souris" else keyboard)
    assert len(printed) == 2
