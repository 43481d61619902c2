"""pytest-qt: money at the counter through the real widgets."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from app.models import Role
from app.services.counter import CounterSession, default_session
from app.services.money.amounts import format_eur
from tests.helpers import actor, balance, counter_window, new_family
from tests.test_counter_gui import NOW, choose, click_day, open_family


def _window(qtbot, db, role=Role.AGENT):
    db.clock.set(NOW)
    session = default_session(db)
    if role is not Role.AGENT:
        session = CounterSession(actor(db, role), session.structures)
    return counter_window(qtbot, db, session, exposed=True)


def test_take_the_missing_payment_from_the_recap_then_confirm(qtbot, demo_rw):
    family_id, _ = new_family(demo_rw, "Testeur", balance_cents=1000)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    for d in (date(2026, 12, 21), date(2026, 12, 28)):
        click_day(qtbot, booking, d)
    booking.validate.click()
    recap = window.recap_dialog
    assert not recap.confirm.isEnabled() and recap.pay.isVisible()
    assert "Il manque 16,00" in recap.missing.text().replace("\xa0", " ")
    recap.pay.click()
    payment = window.page.balances.dialog
    assert payment.amount.text() == "16,00" and payment.wallet.currentText() == "Porte-monnaie ALSH"
    payment._try_save()
    assert not payment.isVisible()
    assert window.messages[-1].startswith("Règlement de 16,00")
    assert recap.confirm.isEnabled() and recap.missing.isHidden() and not recap.pay.isVisible()
    recap.confirm.click()
    assert [o.label for o in recap.outcomes.outcomes] == ["Acceptée", "Acceptée"]
    recap.close_button.click()
    assert balance(demo_rw, family_id) == 0

    window.page.tabs.setCurrentWidget(window.page.balances)
    tab = window.page.balances
    assert tab.total.text() == format_eur(0)
    assert [w.balance_cents for w in tab.wallets.rows] == [0, 0, 0]
    labels = [e.label for e in tab.ledger.rows]
    assert labels[0].startswith("CLSH Petites vacances") and any(
        x.startswith("Règlement 2026-") for x in labels
    )
    assert tab.ledger.rows[0].running_cents == 0
    assert [p.amount_cents for p in tab.payments.rows] == [1600]
    assert not tab.reverse.isVisible() and not tab.adjust.isVisible()  # an agent cannot


def test_bad_amount_in_the_payment_dialog_is_refused_and_nothing_written(qtbot, demo_rw):
    family_id, _ = new_family(demo_rw, "Testeur")
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    dialog = window.page.balances.open_payment()
    for text in ("-5", "0", "12,345", "abc", "10001"):
        dialog.amount.setText(text)
        dialog._try_save()
        assert dialog.isVisible() and dialog.errors.isVisible() and dialog.amount.styleSheet()
    dialog.method.setCurrentText("Chèque")
    dialog.amount.setText("20")
    dialog._try_save()
    assert "numéro du chèque est obligatoire" in dialog.errors.text()
    assert balance(demo_rw, family_id) == 0 and window.page.balances.payments.rows == []


def test_supervisor_reverses_a_payment_and_prints_its_receipt(qtbot, demo_rw, tmp_path):
    family_id, _ = new_family(demo_rw, "Testeur")
    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    open_family(qtbot, window, "Testeur")
    tab = window.page.balances
    window.page.tabs.setCurrentWidget(tab)
    assert tab.reverse.isVisible() and tab.adjust.isVisible()
    dialog = tab.open_payment()
    dialog.amount.setText("65")
    dialog._try_save()
    tab.payment_view.selectRow(0)
    preview = tab.preview_selected_receipt()
    assert preview.count.text() == "1 page"
    pdf = preview.save(str(tmp_path / "recu.pdf"))
    preview.accept()
    text = " ".join(
        PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text().replace("\xa0", " ").split()
    )
    assert "65,00 €" in text and "TESTEUR" in text and "Espèces" in text
    tab.payment_view.selectRow(0)
    tab.reverse_selected()
    reason = tab.dialog
    reason._try_save()
    assert reason.isVisible() and "motif" in reason.errors.text()
    reason.reason.setText("erreur de famille")
    reason._try_save()
    assert not reason.isVisible()
    assert tab.payments.rows[0].reversed and balance(demo_rw, family_id) == 0
    tab.open_adjustment()
    adjustment = tab.dialog
    adjustment.amount.setText("-6,50")
    adjustment.reason.setText("journée non pointée")
    adjustment._try_save()
    assert balance(demo_rw, family_id) == -650
    assert window.page.balance.property("debit") is True


def test_aid_added_on_the_family_tab(qtbot, demo_rw):
    new_family(demo_rw, "Testeur")
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    window.page.add_aid.click()
    dialog = window.page.dialog
    dialog.kind.setCurrentIndex(dialog.kind.findText("CAF – Aide au temps libre"))
    dialog.amount.setText("4")
    dialog._try_save()
    assert not dialog.isVisible()
    assert [(a.name, a.wallet, a.amount_cents) for a in window.page.aids.rows] == [
        ("CAF – Aide au temps libre", "ALSH", 400)
    ]


def test_a_payment_from_the_recap_goes_to_the_regie_of_the_basket(qtbot, demo_rw, monkeypatch):
    """CLSH days validated, then the top bar back on ALAE: the payment for them is ALSH's (its till, its receipt
    numbers), and the dialog says so; a basket over two structures asks which."""
    from PySide6.QtWidgets import QInputDialog
    from sqlalchemy import select

    from app.models import Payment, Structure

    new_family(demo_rw, "Tilleul", balance_cents=0)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Tilleul")
    booking = choose(window)
    click_day(qtbot, booking, date(2026, 12, 21))
    booking.validate.click()
    recap = window.recap_dialog
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALAE Montech"))
    recap.pay.click()
    payment = window.page.balances.dialog
    assert payment.windowTitle().endswith("– ALSH Montech")
    payment._try_save()
    with demo_rw.reading() as uow:
        last = uow.session.scalar(select(Payment).order_by(Payment.id.desc()).limit(1))
        assert uow.session.get(Structure, last.structure_id).name == "ALSH Montech"
    recap.confirm.click()
    recap.close_button.click()

    # two structures in one basket (a basket made by the services: the screen books one structure at a time)
    from app.services.booking.basket import Action, Basket
    from app.services.booking.validation import recap as recap_of
    from tests.helpers import activity_id, structure_of

    with demo_rw.reading() as uow:
        from app.models import Child, Family

        child = uow.session.scalar(select(Child.id).join(Family).where(Family.name == "TILLEUL"))
    basket = Basket(window.page.summary.id)
    basket.toggle(child, activity_id(demo_rw, "CLSH-PV"), date(2026, 12, 22), Action.ADD)
    basket.toggle(child, activity_id(demo_rw, "ALAE-MER"), date(2026, 12, 9), Action.ADD)
    both = recap_of(demo_rw, actor(demo_rw, Role.AGENT), basket).structure_ids
    alae, alsh = structure_of(demo_rw, "ALAE-MER"), structure_of(demo_rw, "CLSH-PV")
    assert both == sorted([alae, alsh])
    asked = []

    def get_item(parent, title, label, items, current, editable):
        asked.append(list(items))
        return "ALAE Montech", True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(get_item))
    assert window._regie_of(window, both) == alae and sorted(asked[0]) == ["ALAE Montech", "ALSH Montech"]
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a: ("", False)))
    assert window._regie_of(window, both) is None  # cancelled: no payment dialog
