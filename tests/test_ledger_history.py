"""The history's running balance is the wallet's (issue 30, item 3): a family with money on its ALAE wallet and a
debt on its ALSH wallet sees, after each operation, the balance of that operation's wallet — the same rule on the
portal's « Soldes et paiements » and in the counter's balances tab (``payments.ledger_rows``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from fastapi.testclient import TestClient

from app.clock import paris
from app.models import LedgerKind, WalletKind
from app.services.money import ledger
from app.services.money.payments import ledger_rows
from app.web.app import create_app
from tests.helpers import new_family
from tests.test_portal_http import PUBLIC, SECRET, family_with_access, login, page_text

NOW = paris(date(2026, 11, 26), time(10, 0))


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


def _post(db, family_id: int, kind: WalletKind, cents: int, label: str, day: int) -> None:
    with db.writing() as uow:
        s = uow.session
        ledger.post(
            s,
            ledger.wallet_for(s, family_id, kind),
            kind=LedgerKind.ADJUSTMENT,
            amount_cents=cents,
            label=label,
            at=datetime(2026, 10, day, 9, 0, tzinfo=UTC),
        )
        uow.commit()


def _two_wallets(db, family_id: int) -> None:
    """ALSH −52,00 €, then ALAE +39,00 €, then ALSH +10,00 €: the family's account is −3,00 €."""
    _post(db, family_id, WalletKind.ALSH, -5200, "Dette ALSH", 1)
    _post(db, family_id, WalletKind.ALAE, 3900, "Avance ALAE", 2)
    _post(db, family_id, WalletKind.ALSH, 1000, "Acompte ALSH", 3)


def test_the_running_balance_is_the_operation_s_wallet(db):
    family_id, _ = new_family(db, "Deuxbourses", email=None)
    _two_wallets(db, family_id)
    rows = ledger_rows(db, family_id)
    assert [(r.wallet, r.label, r.amount_cents, r.running_cents) for r in rows] == [
        ("ALSH", "Acompte ALSH", 1000, -4200),
        ("ALAE", "Avance ALAE", 3900, 3900),  # not the account's −13,00 €
        ("ALSH", "Dette ALSH", -5200, -5200),
    ]
    shorter = ledger_rows(db, family_id, 2)
    assert [r.running_cents for r in shorter] == [-4200, 3900]  # the same on a shorter page


def test_the_portal_s_history_shows_each_wallet_s_balance(db):
    family_id, _children, identifier = family_with_access(db, "Deuxbourses", email=None)
    _two_wallets(db, family_id)
    web = create_app(db, secret_key=SECRET, public_url=PUBLIC)
    with TestClient(web, base_url="http://portail.test") as client:
        login(client, identifier)
        text = page_text(client.get("/soldes"))
    history = text[text.index("Historique de vos règlements") :]
    assert "ALAE Avance ALAE 39,00 € 39,00 €" in history
    assert "ALSH Acompte ALSH 10,00 € -42,00 €" in history.replace("−", "-")
    assert "-13,00 €" not in history.replace("−", "-")


def test_the_counter_s_balances_tab_shows_each_wallet_s_balance(qtbot, db):
    from tests.test_counter_gui import open_family
    from tests.test_payments_gui import _window

    family_id, _ = new_family(db, "Deuxbourses", email=None)
    _two_wallets(db, family_id)
    window = _window(qtbot, db)
    open_family(qtbot, window, "Deuxbourses")
    tab = window.page.balances
    model = tab.ledger
    shown = [
        [
            " ".join(str(model.data(model.index(r, c))).split()).replace("−", "-")
            for c in range(model.columnCount())
        ]
        for r in range(model.rowCount())
    ]
    assert [row[1:] for row in shown] == [
        ["ALSH", "Acompte ALSH", "10,00 €", "-42,00 €"],
        ["ALAE", "Avance ALAE", "39,00 €", "39,00 €"],
        ["ALSH", "Dette ALSH", "-52,00 €", "-52,00 €"],
    ]
