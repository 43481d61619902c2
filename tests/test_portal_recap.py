"""The portal's recap is the counter's: one service result (``Recap.totals``), two renderings — the
waitlist's part of the reservations as its own sub-total, the « solde après » without it, and the outcome's figures
the same as the recap's when nothing changed in between."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from fastapi.testclient import TestClient

from app.clock import paris
from app.services.booking.basket import Action, Basket
from app.services.booking.validation import recap
from app.services.families import portal
from app.services.money.amounts import format_eur
from app.web.app import create_app
from app.web.security import Limits
from tests.helpers import activity_id
from tests.test_portal_http import NOW, PUBLIC, SECRET, family_with_access, login, page_text, post, toggle

FREE_DAY, FULL_DAY = (
    date(2026, 12, 21),
    date(2026, 12, 22),
)  # the demonstration's 22nd is full, with a waitlist


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


@pytest.fixture
def client(db):
    with TestClient(
        create_app(db, secret_key=SECRET, public_url=PUBLIC, limits=Limits.relaxed()),
        base_url="http://portail.test",
    ) as c:
        yield c


def _figures(shown: str) -> dict[str, str]:
    return dict(
        re.findall(
            r"(Réservations|dont liste d'attente|Remboursements|Solde actuel|Solde après"
            r"(?: confirmation)?|Débité|Remboursé|Liste d'attente) (−?[\d  ]+,\d\d €)",
            shown,
        )
    )


def test_the_portal_shows_the_counter_s_totals_with_the_waitlist_apart(db, client):
    family_id, (child,), identifier = family_with_access(db, balance_cents=5_900)
    pv = activity_id(db, "CLSH-PV")
    login(client, identifier)
    for day in (FREE_DAY, FULL_DAY):
        toggle(client, child, pv, day)
    shown = page_text(client.get("/recapitulatif"))
    basket = Basket(family_id)
    for day in (FREE_DAY, FULL_DAY):
        basket.toggle(child, pv, day, Action.ADD)
    session = portal.family_login(db, identifier, "mot-de-passe-famille")
    expected = recap(db, session.actor, basket)
    assert expected.waitlist_cents == 1300 and expected.balance_after_cents == 5_900 - 1_300
    figures = _figures(shown)
    assert figures == {t.label: format_eur(t.cents).replace("\xa0", " ") for t in expected.totals()}, shown
    assert figures["Solde après"] == "46,00 €" and figures["dont liste d'attente"] == "13,00 €"
    assert "débités seulement si une place se libère" in shown and "Montant estimé" not in shown
    done = post(client, "/confirmer", {}, page="/recapitulatif")
    outcome = page_text(client.get(done.headers["location"]))
    assert _figures(outcome)["Solde après confirmation"] == figures["Solde après"]
    assert "Liste d'attente 13,00 €" in outcome and "En liste d'attente rang" in outcome


def test_every_line_refused_says_nothing_was_recorded_not_non_transmises(db, client):
    _family_id, (child,), identifier = family_with_access(db, balance_cents=5_900)
    db.clock.set(paris(date(2026, 12, 6), time(23, 0)))  # Wednesday 9 may be booked until Sunday 6, 23:59
    login(client, identifier)
    toggle(client, child, activity_id(db, "ALAE-MER"), date(2026, 12, 9))
    db.clock.set(paris(date(2026, 12, 7), time(0, 0)))  # …and the family confirms a minute too late
    post(client, "/confirmer", {}, page="/recapitulatif")
    outcome = page_text(client.get("/resultat"))
    assert "Refusée" in outcome
    assert "Aucune demande n'a été enregistrée" in outcome and "Non transmises" not in outcome
