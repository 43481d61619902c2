"""Online payments seen from the counter (issue 26): in the family's payments with their state, reference and
transaction number; in no agent's till; listed apart, one by one, in the day's closing report and summed up by the
end of day, to reconcile with the payment site's statement."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader

from app.models import PaymentMethod, Role
from app.services.documents.closing_report import closing_report_pdf
from app.services.end_of_day.nightly import end_of_day
from app.services.money.amounts import format_eur
from app.services.money.cash_closing import CountedInput, close_cash, day_expected
from app.services.money.online import settle_online_payment, start_online_payment
from app.services.money.payments import PaymentInput, payment_rows, record_payment
from app.services.uow import new_operation_key
from tests.helpers import actor
from tests.test_online_payments import NOW, family, idop_of
from tests.test_payments_gui import _window


def _day(town, gateway, double):
    """ALSH Montech's day: an agent takes 30,00 € in cash, a family pays 50,00 € online, another's card is refused."""
    db, alsh = town
    agent = actor(db, Role.AGENT)
    counter_family, wallet, _who = family(db, "Guichet")
    record_payment(
        db,
        agent,
        alsh,
        PaymentInput(counter_family, "alsh", PaymentMethod.CASH, "30,00"),
        key=new_operation_key(),
    )
    online_family, wallet, who = family(db, "Enligne")
    paid = start_online_payment(db, gateway, who, alsh, wallet, "50")
    double.pay(idop_of(paid.url), "P")
    settle_online_payment(db, gateway, paid.reference)
    db.clock.set(NOW + timedelta(minutes=5))
    refused = start_online_payment(db, gateway, who, alsh, wallet, "20")
    double.pay(idop_of(refused.url), "R")
    settle_online_payment(db, gateway, refused.reference)
    return db, alsh, agent, online_family, paid.reference, refused.reference


def test_online_payments_are_in_no_till_and_listed_apart_in_the_report(town, gateway, double):
    db, alsh, agent, _family, paid, _refused = _day(town, gateway, double)
    expected = {t.method: (t.count, t.cents) for t in day_expected(db, agent, alsh)}
    assert PaymentMethod.ONLINE not in expected and expected[PaymentMethod.CASH][1] >= 3_000
    cash, cheques = expected[PaymentMethod.CASH][1], expected[PaymentMethod.CHEQUE]
    counted = CountedInput(format_eur(cash), str(cheques[0]), format_eur(cheques[1]))
    assert (
        close_cash(db, agent, alsh, counted, key=new_operation_key()) > 0
    )  # the till holds what the agent took: no discrepancy
    text = " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(closing_report_pdf(db, alsh, NOW.date()))).pages
    )
    text = " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())
    assert "Paiements en ligne du jour (hors caisse)" in text and paid in text and "50,00 €" in text
    assert "(test)" in text and "à rapprocher de son relevé" in text
    assert "Caisse non clôturée : portail" not in text
    règlements = text.split("Règlements du jour")[1].split("Paiements en ligne du jour")[0]
    assert "Carte en ligne" not in règlements and "30,00 €" in règlements
    lines = end_of_day(db, NOW.date(), actor(db, Role.ADMIN).agent_id)
    assert any(
        line.startswith("Paiements en ligne du 26/11/2026, ALSH Montech : 1 paiement, 50,00")
        for line in lines
    )


def test_the_familys_payments_list_its_online_ones_with_their_state_reference_and_transaction(
    town, gateway, double
):
    db, _alsh, _agent, family_id, paid, refused = _day(town, gateway, double)
    rows = payment_rows(db, family_id)
    assert [(r.method, r.state, r.receipt_number != "") for r in rows] == [
        ("Carte en ligne", "Refusé", False),
        ("Carte en ligne", "Payé en ligne", True),
    ]
    assert rows[0].id is None and rows[0].reference.startswith(f"réf. {refused} (test) · transaction")
    assert (
        rows[1].reference.startswith(f"réf. {paid} (test) · transaction {paid} ")
        and rows[1].agent == "portail"
    )


def test_the_payments_tab_shows_them_and_prints_no_receipt_for_an_unpaid_one(
    qtbot, town, gateway, double, tmp_path
):
    from tests.test_counter_gui import open_family

    db, _alsh, _agent, _family, paid, _refused = _day(town, gateway, double)
    window = _window(qtbot, db)
    open_family(qtbot, window, "Enligne")
    window.page.tabs.setCurrentWidget(window.page.balances)
    tab = window.page.balances
    model = tab.payments
    texts = [
        [model.data(model.index(r, c)) for c in range(model.columnCount())] for r in range(model.rowCount())
    ]
    assert texts[0][2] == "Carte en ligne" and texts[0][6] == "Refusé" and texts[1][6] == "Payé en ligne"
    assert paid in texts[1][7]
    tab.payment_view.selectRow(0)
    assert tab.preview_selected_receipt() is None and "règlement encaissé" in tab.status.text()
    dialog = tab.open_payment()  # « Carte en ligne » is the portal's: not a counter's method
    assert [dialog.method.itemText(i) for i in range(dialog.method.count())] == [
        "Espèces",
        "Chèque",
        "Carte bancaire",
        "Virement",
    ]
    dialog.reject()
    window.resize(1366, 768)
    tab.grab().save(str(tmp_path / "paiements.png"))


def test_the_closing_dialog_says_what_was_paid_online_today(qtbot, town, gateway, double, tmp_path):
    db, _alsh, _agent, _family, _paid, _refused = _day(town, gateway, double)
    window = _window(qtbot, db, Role.SUPERVISOR)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    window.top_bar.closing.click()
    dialog = window.closing_dialog
    qtbot.waitExposed(dialog)
    assert dialog.online_note.text().replace("\u202f", " ").replace("\xa0", " ") == (
        "En ligne, hors caisse : 1 paiement, 50,00 €"
    )
    assert "PayFiP" in dialog.online_note.toolTip()
    dialog.grab().save(str(tmp_path / "cloture.png"))
    (tmp_path / "arrete.pdf").write_bytes(closing_report_pdf(db, _alsh, NOW.date(), "Michel Durand"))
