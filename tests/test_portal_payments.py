"""« Soldes et paiements » and the online payment over HTTP, on SQLite and PostgreSQL: the amount the
bookings in progress need suggested per wallet, « Payer par carte » to the payment site (the PayFiP double), the
site's notification and the family's return settled once, forged notifications refused, bad input refused in
French with nothing written, and the demonstration's own payment page."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.models import OnlinePayment, OnlinePaymentStatus, Payment, PaymentMethod, Role
from app.services.invariants import check
from app.services.money.online import PaymentSettingsInput, save_payment_settings
from app.services.money.online_backends import PaymentGateway
from app.web.app import create_app
from app.web.security import Limits
from tests.helpers import activity_id, actor, balance, row_counts, structure_of
from tests.payfip_double import REFUSED_CARD
from tests.test_online_payments import PAYFIP, wallet_of
from tests.test_portal_http import NOW, PUBLIC, SECRET, family_with_access, login, page_text, post, toggle


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    save_payment_settings(
        demo_rw,
        actor(demo_rw, Role.ADMIN),
        structure_of(demo_rw, "CLSH-PV"),
        PaymentSettingsInput("payfip_ws", dict(PAYFIP), True),
    )
    return demo_rw


def _client(db, gateway):
    app = create_app(db, secret_key=SECRET, public_url=PUBLIC, limits=Limits.relaxed(), payments=gateway)
    return TestClient(app, base_url="http://portail.test")


@pytest.fixture
def client(db, double):
    with _client(db, PaymentGateway(PUBLIC, payfip_double=double.url)) as c:
        yield c


def pay(client, wallet_id: int, structure_id: int, amount: str):
    return post(
        client,
        "/paiement",
        {"porte_monnaie": wallet_id, "structure": structure_id, "montant": amount},
        page="/soldes",
    )


def local(url: str) -> str:
    return url.removeprefix(PUBLIC)


def online_rows(db) -> list[OnlinePayment]:
    with db.reading() as uow:
        return list(uow.session.scalars(select(OnlinePayment).order_by(OnlinePayment.id)))


def test_soldes_suggests_what_the_bookings_need_then_a_payment_is_notified_returned_and_shown(
    client, db, double
):
    family_id, children, identifier = family_with_access(db, balance_cents=1_000)
    login(client, identifier)
    pv = activity_id(db, "CLSH-PV")
    for day in (date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 28)):
        toggle(client, children[0], pv, day)
    page = client.get("/soldes")
    text = page_text(page)
    # three days at 13,00 € against 10,00 €: 29,00 € missing, proposed on the ALSH wallet, editable
    assert (
        "demandent un paiement d'au moins 29,00 €" in text
        and "Montant proposé : 29,00 €, ce que vos demandes en cours demandent" in text
    )
    assert re.search(r'name="montant"[^>]*value="29,00"', page.text)
    assert "Payé à ALSH Montech" in text and "Porte-monnaie ALAE" in text
    alsh, wallet = structure_of(db, "CLSH-PV"), wallet_of(db, family_id)

    sent = pay(client, wallet, alsh, "50,00")
    assert sent.status_code == 303 and sent.headers["location"].startswith(
        f"{double.url}/tpa/paiementws.web?idop="
    )
    idop = parse_qs(urlsplit(sent.headers["location"]).query)["idop"][0]
    op = double.operations[idop]
    assert httpx.get(sent.headers["location"]).status_code == 200  # the double's page, as the family sees it
    double.pay(idop, "P")
    for _ in range(3):  # PayFiP's notification (server to server, no session, no CSRF), replayed
        notified = client.post(
            local(op.urlnotif),
            content=f"idOp={idop}",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert (notified.status_code, notified.text) == (200, "ok paid")
    back = client.get(local(op.urlredirect))
    text = page_text(back)
    assert "Paiement accepté : 50,00 € crédités sur votre porte-monnaie ALSH (ALSH Montech)" in text
    assert "Solde de votre compte : 60,00 €" in text and "Revenir à mes demandes" in text
    assert balance(db, family_id) == 6_000
    soldes = page_text(client.get("/soldes"))
    assert "Vos paiements en ligne" in soldes and "Payé · reçu 2026-" in soldes and op.refdet in soldes
    assert "Paiement en ligne 2026-" in soldes  # the history's ledger line
    # the basket is still there: the recap can be confirmed now
    assert "il manque" not in page_text(client.get("/recapitulatif"))
    with db.reading() as uow:
        assert (
            uow.session.scalar(
                select(func.count()).select_from(Payment).where(Payment.method == PaymentMethod.ONLINE)
            )
            == 1
        )
    assert check(db) == []


def test_a_return_without_notification_a_refused_card_and_an_abandonment(client, db, double):
    family_id, _children, identifier = family_with_access(db)
    login(client, identifier)
    alsh, wallet = structure_of(db, "CLSH-PV"), wallet_of(db, family_id)
    # paid on the double's page, its notification lost: the return alone settles it (PayFiP asked)
    first = pay(client, wallet, alsh, "20").headers["location"]
    done = httpx.post(
        f"{double.url}/tpa/paiementws.web",
        data={
            "idop": parse_qs(urlsplit(first).query)["idop"][0],
            "carte": "4970100000000000",
            "action": "payer",
        },
    )
    assert done.status_code == 303 and done.headers["location"].startswith(f"{PUBLIC}/paiement/retour/")
    assert "Paiement accepté : 20,00 €" in page_text(client.get(local(done.headers["location"])))
    # a refused card
    second = pay(client, wallet, alsh, "30").headers["location"]
    done = httpx.post(
        f"{double.url}/tpa/paiementws.web",
        data={"idop": parse_qs(urlsplit(second).query)["idop"][0], "carte": REFUSED_CARD, "action": "payer"},
    )
    text = page_text(client.get(local(done.headers["location"])))
    assert "Paiement refusé : rien n'a été débité ni crédité" in text and "autre carte" in text
    # « Annuler » on PayFiP's page: waiting for PayFiP to confirm it (two minutes), nothing credited
    third = pay(client, wallet, alsh, "40").headers["location"]
    done = httpx.post(
        f"{double.url}/tpa/paiementws.web",
        data={"idop": parse_qs(urlsplit(third).query)["idop"][0], "action": "annuler"},
    )
    text = page_text(client.get(local(done.headers["location"])))
    assert "en attente de confirmation" in text and "Inutile de payer une seconde fois" in text
    assert balance(db, family_id) == 2_000
    assert [r.status for r in online_rows(db)] == [
        OnlinePaymentStatus.PAID,
        OnlinePaymentStatus.REFUSED,
        OnlinePaymentStatus.PENDING,
    ]
    assert check(db) == []


def test_forged_notifications_and_another_familys_return_show_and_write_nothing(client, db, double):
    family_a, _c, login_a = family_with_access(db, "Alpha")
    family_b, _d, login_b = family_with_access(db, "Beta")
    alsh = structure_of(db, "CLSH-PV")
    login(client, login_a)
    a = pay(client, wallet_of(db, family_a), alsh, "50").headers["location"]
    post(client, "/deconnexion", {}, page="/")
    login(client, login_b)
    b = pay(client, wallet_of(db, family_b), alsh, "50").headers["location"]
    idop_a, idop_b = (parse_qs(urlsplit(u).query)["idop"][0] for u in (a, b))
    double.pay(idop_a, "P")
    before = row_counts(db)
    form = {"content-type": "application/x-www-form-urlencoded"}
    unknown = client.post("/paiement/notification/GE20261126ZZZZZZZZZZ", content="idOp=x", headers=form)
    assert unknown.status_code == 404
    crossed = client.post(local(double.operations[idop_b].urlnotif), content=f"idOp={idop_a}", headers=form)
    assert crossed.status_code == 400 and "autre paiement" in crossed.text
    assert row_counts(db) == before and balance(db, family_b) == 0
    # B (logged in) comes to A's return address: A's payment is settled (PayFiP says so), nothing of it shown to B
    page = page_text(client.get(local(double.operations[idop_a].urlredirect)))
    assert "Connectez-vous pour le retrouver" in page and "50,00" not in page
    assert balance(db, family_a) == 5_000 and balance(db, family_b) == 0
    assert check(db) == []


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "au moins 1,00 €"),
        ("-5", "au moins 1,00 €"),
        ("10000000", "hors limites"),
        ("cinquante", "Montant invalide"),
        ("1 000,01", "1 000,00 € au plus"),
    ],
)
def test_a_bad_amount_gets_a_french_refusal_and_nothing_is_written(client, db, double, amount, words):
    family_id, _children, identifier = family_with_access(db)
    login(client, identifier)
    before = row_counts(db)
    refused = pay(client, wallet_of(db, family_id), structure_of(db, "CLSH-PV"), amount)
    assert refused.status_code == 400 and words in page_text(refused)
    assert f'value="{amount}"' in refused.text  # what the family typed is kept
    assert row_counts(db) == before and double.calls == {}


def test_another_familys_wallet_a_closed_structure_and_a_form_without_its_token_are_refused(
    client, db, double
):
    family_a, _c, login_a = family_with_access(db, "Alpha")
    family_b, _d, _login_b = family_with_access(db, "Beta")
    alsh, alae = structure_of(db, "CLSH-PV"), structure_of(db, "ALAE-MER")
    login(client, login_a)
    before = row_counts(db)
    refused = pay(client, wallet_of(db, family_b), alsh, "50")
    assert refused.status_code == 400 and "pas celui de votre famille" in page_text(refused)
    refused = pay(client, wallet_of(db, family_a), 999_999, "50")
    assert refused.status_code == 400 and "Structure inconnue" in page_text(refused)
    refused = pay(client, wallet_of(db, family_a), "un", "50")
    assert refused.status_code == 400
    save_payment_settings(
        db, actor(db, Role.ADMIN), alae, PaymentSettingsInput("payfip_ws", dict(PAYFIP), False)
    )
    before = row_counts(db)
    refused = pay(client, wallet_of(db, family_a, "alae"), alae, "50")
    assert refused.status_code == 400 and "pas ouvert pour ALAE Montech : réglez au guichet" in page_text(
        refused
    )
    forged = client.post(
        "/paiement",
        data={"porte_monnaie": wallet_of(db, family_a), "structure": alsh, "montant": "50"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert row_counts(db) == before and double.calls == {} and balance(db, family_b) == 0
    soldes = page_text(client.get("/soldes"))
    assert "Porte-monnaie payés au guichet seulement : ALAE, Cantine." in soldes, soldes


def test_the_demonstrations_payment_page_pays_refuses_and_abandons(demo_rw):
    db = demo_rw
    db.clock.set(NOW)
    family_id, _children, identifier = family_with_access(db)
    with _client(db, PaymentGateway(PUBLIC)) as client:
        login(client, identifier)
        wallet, alsh = wallet_of(db, family_id), structure_of(db, "CLSH-PV")
        for choice, words in (
            ("payer", "Paiement accepté : 15,00 €"),
            ("refuser", "Paiement refusé"),
            ("abandonner", "Paiement abandonné"),
        ):
            sent = pay(client, wallet, alsh, "15")
            assert sent.status_code == 303 and sent.headers["location"].startswith(
                f"{PUBLIC}/paiement/demonstration?"
            )
            page = client.get(local(sent.headers["location"]))
            assert "ce site de paiement est fictif" in page_text(page) and "15,00 €" in page_text(page)
            fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
            done = client.post("/paiement/demonstration", data={**fields, "choix": choice})
            assert words in page_text(done)
        assert balance(db, family_id) == 1_500 and check(db) == []
    # a real town's portal refuses the demonstration's payment site: nothing to pay online in the demo town
    with _client(db, PaymentGateway(PUBLIC, allow_demo=False)) as client:
        login(client, identifier)
        assert "Le paiement en ligne n'est pas proposé" in page_text(client.get("/soldes"))
        assert client.get("/paiement/demonstration?transaction_id=x").status_code == 404
        refused = pay(client, wallet_of(db, family_id), structure_of(db, "CLSH-PV"), "15")
        assert refused.status_code == 400 and "pas ouvert" in page_text(refused)
