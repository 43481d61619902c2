"""pytest-qt: « Remise de chèques… » from the closing window (a régisseur): the cheques not yet deposited, all
ticked, the count and total following the ticks, « Créer le bordereau » and its preview, a reprint, a cheque taken
meanwhile by another counter, and no button for a plain agent."""

from __future__ import annotations

import io
import os
from datetime import date

from pypdf import PdfReader
from PySide6.QtCore import Qt

from app.models import PaymentMethod, Role
from app.models import WalletKind as W
from app.services.money.deposits import create_deposit, undeposited_cheques
from app.services.money.payments import PaymentInput, record_payment
from app.services.uow import new_operation_key
from app.text import count, format_eur
from tests.helpers import actor, new_family, structure_of
from tests.test_cheque_deposits import close_till
from tests.test_counter_gui import NOW
from tests.test_payments_gui import _window

TODAY = date(2026, 11, 26)


def _closing(qtbot, db, role: Role):
    window = _window(qtbot, db, role)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    window.top_bar.closing.click()
    return window, window.closing_dialog


def _cheques(db) -> list[int]:
    sid = structure_of(db, "CLSH-PV")
    family, _ = new_family(db, "Remise")
    return [
        record_payment(
            db,
            actor(db, Role.AGENT),
            sid,
            PaymentInput(family, W.ALSH, PaymentMethod.CHEQUE, amount, bank, number, drawer),
            key=new_operation_key(),
        ).payment_id
        for amount, bank, number, drawer in (
            ("40", "Crédit Agricole", "1000001", "Jean-Pierre Martin"),
            ("25,50", "Banque Postale", "2000002", ""),
            ("18", "CIC", "3000003", ""),
        )
    ]


def _plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_a_regisseur_deposits_the_ticked_cheques_and_prints_the_slip(qtbot, demo_rw):
    db = demo_rw
    db.clock.set(NOW)
    sid = structure_of(db, "CLSH-PV")
    mine = _cheques(db)
    close_till(db, sid)  # the agent's till counted: its cheques may go to the bank; the other tills stay open
    window, closing = _closing(qtbot, db, Role.SUPERVISOR)
    assert closing.day_box.deposit_button.isVisible()
    closing.day_box.deposit_button.click()
    dialog = closing.deposit_dialog
    qtbot.waitExposed(dialog)
    every = undeposited_cheques(db, actor(db, Role.SUPERVISOR), sid)
    ready = [c for c in every if not c.till_open]
    model = dialog.cheques
    assert [c.payment_id for c in model.rows] == [c.payment_id for c in every]
    assert (
        model.chosen == {c.payment_id for c in ready} and set(mine) <= model.chosen
    )  # the open tills' unticked
    waiting = len(every) - len(ready)
    assert waiting > 0  # the demonstration's other tills of today
    later = f" ; {waiting} chèque{'s' if waiting > 1 else ''} en caisse ouverte"
    total = format_eur(sum(c.cents for c in ready))
    n = len(ready)
    assert _plain(dialog.total.text()) == _plain(
        f"{n} chèque{'s' if n > 1 else ''} coché{'s' if n > 1 else ''} sur {n} : {total}{later}"
    )
    opened = next(i for i, c in enumerate(model.rows) if c.till_open)
    assert not model.flags(model.index(opened, 0)) & Qt.ItemFlag.ItemIsEnabled
    assert model.data(model.index(opened, 8)).endswith("(ouverte)")
    dialog.cheques_view.clicked.emit(model.index(opened, 3))  # not ticked by a click either
    assert model.rows[opened].payment_id not in model.chosen

    dialog.only_days.setChecked(True)  # today's cheques only
    dialog.start.setDate(TODAY)
    dialog.end.setDate(TODAY)
    today = undeposited_cheques(db, actor(db, Role.SUPERVISOR), sid, TODAY, TODAY)
    assert [c.payment_id for c in model.rows] == [c.payment_id for c in today]
    assert [c.payment_id for c in today][-3:] == mine
    rows = {c.payment_id: i for i, c in enumerate(model.rows)}
    assert [model.data(model.index(rows[i], 6)) for i in mine] == ["Jean-Pierre Martin", "REMISE", "REMISE"]
    n = len([c for c in today if not c.till_open])
    later = "" if n == len(today) else f" ; {count(len(today) - n, 'chèque')} en caisse ouverte"
    dialog.none_button.click()
    assert _plain(dialog.total.text()) == f"0 chèque coché sur {n} : 0,00 €{later}"
    assert not dialog.create_button.isEnabled()
    for i in mine:
        model.setData(model.index(rows[i], 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert _plain(dialog.total.text()) == f"3 chèques cochés sur {n} : 83,50 €{later}"
    model.setData(
        model.index(rows[mine[2]], 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole
    )
    assert _plain(dialog.total.text()) == f"2 chèques cochés sur {n} : 65,50 €{later}"
    dialog.cheques_view.clicked.emit(model.index(rows[mine[2]], 4))  # a click on the row ticks or unticks it
    assert model.chosen == set(mine)
    dialog.cheques_view.clicked.emit(model.index(rows[mine[2]], 2))
    assert model.chosen == set(mine[:2])

    dialog.create_button.click()
    preview = dialog.preview
    assert (
        preview is not None
        and preview.windowTitle() == "Aperçu – Bordereau de remise de chèques REM-2026-0001"
    )
    text = _plain(" ".join(PdfReader(io.BytesIO(preview.pdf)).pages[0].extract_text().split()))
    assert "Crédit Agricole 1000001 Jean-Pierre Martin" in text and "Banque Postale 2000002 REMISE" in text
    assert "CIC" not in text and "Total 2 chèques 65,50 €" in text
    preview.accept()
    left = [c for c in today if c.payment_id not in mine[:2]]
    assert [c.payment_id for c in model.rows] == [c.payment_id for c in left]  # the unticked stay
    assert model.chosen == {c.payment_id for c in left if not c.till_open} and mine[2] in model.chosen
    if os.environ.get("GUICHET_DEPOSIT_SCREENSHOT"):  # docs/remise-cheques.png, as on a 1366×768 screen
        dialog.resize(980, 620)
        qtbot.wait(50)
        dialog.grab().save(os.environ["GUICHET_DEPOSIT_SCREENSHOT"])
    assert [(d.number, d.cheque_count, d.total_cents) for d in dialog.deposits.rows] == [
        ("REM-2026-0001", 2, 6550)
    ]
    assert _plain(window.messages[-1]) == "Bordereau REM-2026-0001 créé : 2 chèques, 65,50 €."

    dialog.deposits_view.setCurrentIndex(dialog.deposits.index(0, 0))
    dialog.reprint_button.click()
    assert dialog.preview is not preview and dialog.preview.pdf.startswith(b"%PDF")
    dialog.preview.accept()

    # another counter deposits the last cheque meanwhile: said, nothing written here, the list read again
    create_deposit(db, actor(db, Role.ADMIN), sid, [mine[2]], key=new_operation_key())
    dialog.create_button.click()
    assert "est déjà dans le bordereau REM-2026-0002" in dialog.errors.text() and dialog.errors.isVisible()
    assert [c.payment_id for c in model.rows] == [c.payment_id for c in today if c.payment_id not in mine]
    assert [d.number for d in dialog.deposits.rows] == ["REM-2026-0002", "REM-2026-0001"]
    dialog.close_button.click()
    closing.day_box.deposit_button.click()  # the same window again, read again
    assert closing.deposit_dialog is dialog and dialog.isVisible() and dialog.errors.isHidden()


def test_a_plain_agent_has_no_remise_de_cheques(qtbot, demo_rw):
    _window_, closing = _closing(qtbot, demo_rw, Role.AGENT)
    assert not closing.day_box.deposit_button.isVisible()
