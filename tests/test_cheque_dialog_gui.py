"""A cheque at the counter in three actions after « Encaisser »: the method (a click or Alt+C), the number, Entrée —
the amount prefilled, the bank proposed from the family's last cheque; without one, the cursor waits in the bank
and Entrée there goes on to the number."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from app.models import Family, Payment, PaymentMethod
from app.services.money.payments import last_cheque_bank
from app.ui.money.payment_dialog import PaymentDialog


def _dialog(qtbot, bank: str = "") -> PaymentDialog:
    dialog = PaymentDialog(None, 1, "DUPONT", -2000, "20,00", missing_cents=2000, bank=bank)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=10000)  # its keys are its own
    return dialog


def test_a_cheque_moves_the_cursor_to_its_bank_then_entree_to_its_number(qtbot):
    dialog = _dialog(qtbot)
    assert dialog.focusWidget() is dialog.amount and dialog.amount.text() == "20,00"
    assert not dialog.bank.isEnabled()
    qtbot.keyClick(dialog.amount, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)  # « &Chèque »
    qtbot.waitUntil(lambda: dialog.method.currentData() is PaymentMethod.CHEQUE, timeout=5000)
    assert dialog.bank.isEnabled() and dialog.focusWidget() is dialog.bank
    qtbot.keyClicks(dialog.bank, "Banque Postale")
    submitted: list[bool] = []
    dialog.submitted.connect(lambda: submitted.append(True))
    qtbot.keyClick(dialog.bank, Qt.Key.Key_Return)
    assert dialog.focusWidget() is dialog.number and not submitted  # not sent without its number
    qtbot.keyClicks(dialog.number, "1234567")
    qtbot.keyClick(dialog.number, Qt.Key.Key_Return)
    assert submitted
    value = dialog.value()
    assert (value.method, value.amount, value.cheque_bank, value.cheque_number) == (
        PaymentMethod.CHEQUE,
        "20,00",
        "Banque Postale",
        "1234567",
    )


def test_the_bank_of_the_family_s_last_cheque_is_proposed(qtbot):
    dialog = _dialog(qtbot, bank="Crédit Agricole")
    dialog.method.button(PaymentMethod.CHEQUE).click()
    assert dialog.bank.text() == "Crédit Agricole" and dialog.focusWidget() is dialog.number


def test_the_last_cheque_s_bank_is_read_from_the_family_s_payments(demo_db):
    with demo_db.reading() as uow:
        s = uow.session
        with_cheque = s.scalar(
            select(Payment.family_id).where(Payment.method == PaymentMethod.CHEQUE).limit(1)
        )
        without = s.scalar(
            select(Family.id).where(
                Family.id.not_in(select(Payment.family_id).where(Payment.method == PaymentMethod.CHEQUE))
            )
        )
    assert last_cheque_bank(demo_db, with_cheque)  # opened from its sealed column
    assert last_cheque_bank(demo_db, without) == ""
