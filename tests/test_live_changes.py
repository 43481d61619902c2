"""What wakes the counters (issue 30, item 4): on PostgreSQL a write NOTIFYs the counters, which read everything on
screen again, only when it changed something they show — places and reservations, balances, families, the town's
set-up. A family logging in on the portal (a failure counted, a journal line), an agent logging in, a reset link
asked for: none of these is a change of places, and none wakes sixteen counters."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.clock import paris
from app.models import PaymentMethod, Role
from app.models import WalletKind as W
from app.services.auth import login as agent_login
from app.services.money.payments import PaymentInput, record_payment
from app.services.uow import CHANGES_CHANNEL, new_operation_key
from app.web.app import create_app
from tests.helpers import activity_id, actor, new_family, structure_of
from tests.test_portal_http import PUBLIC, SECRET, family_with_access

NOW = paris(date(2026, 11, 26), time(10, 0))


@pytest.fixture
def db(demo_rw, backend):
    if backend != "postgresql":
        pytest.skip("NOTIFY / LISTEN: the shared PostgreSQL server (SQLite counters poll the file's version)")
    demo_rw.clock.set(NOW)
    return demo_rw


@pytest.fixture
def listener(db):
    url = db.engine.url
    params: dict[str, Any] = {
        "host": url.host,
        "port": url.port or 5432,
        "dbname": url.database,
        "user": url.username,
        "password": url.password,
    }
    conn = psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v is not None})
    conn.execute(f"LISTEN {CHANGES_CHANNEL}")
    yield conn
    conn.close()


def heard(conn: psycopg.Connection, wait: float = 0.5) -> list[str]:
    """The notifications that arrived (their payloads), waiting ``wait`` seconds after the last one."""
    return [n.payload for n in conn.notifies(timeout=wait)]


def _csrf(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def test_a_portal_login_wakes_no_counter_a_booking_does(db, listener):
    family_id, (child,), identifier = family_with_access(
        db, "Veille", balance_cents=5000, email="veille@example.org"
    )
    heard(listener)  # the family's file and its access, written at the counter
    agent_login(db, "mdurand", "demo")
    assert heard(listener) == []  # the agent's login: nothing the other counters show
    web = create_app(db, secret_key=SECRET, public_url=PUBLIC)
    with TestClient(web, base_url="http://portail.test") as client:
        wrong = client.post(
            "/connexion",
            data={
                "csrf": _csrf(client, "/connexion"),
                "identifiant": identifier,
                "mot_de_passe": "pas-le-bon",
            },
        )
        assert wrong.status_code in (200, 400, 401, 403)  # refused, counted, audited
        assert heard(listener) == []
        done = client.post(
            "/connexion",
            data={
                "csrf": _csrf(client, "/connexion"),
                "identifiant": identifier,
                "mot_de_passe": "mot-de-passe-famille",
            },
            follow_redirects=False,
        )
        assert done.status_code == 303
        for page in ("/", "/soldes", "/reservations", "/compte"):
            assert client.get(page).status_code == 200
        assert heard(listener) == []  # logged in and reading: no counter woken
        token = _csrf(client, "/reserver")
        client.post(
            "/reserver/jour",
            data={
                "csrf": token,
                "enfant": child,
                "activite": activity_id(db, "CLSH-PV"),
                "jour": "2026-12-28",
                "action": "add",
            },
        )
        assert heard(listener) == []  # the basket is the family's own until it confirms
        confirmed = client.post("/confirmer", data={"csrf": token}, follow_redirects=False)
        assert confirmed.headers["location"] == "/resultat"
    [payload] = heard(listener)  # one notification for the confirmation, naming what changed
    assert "places" in payload.split(",")


def test_a_payment_at_the_counter_still_wakes_the_others(db, listener):
    """A balance is on every counter's family page (and decides whether a basket may be confirmed)."""
    family_id, _children = new_family(db, "Reglement")
    heard(listener)
    record_payment(
        db,
        actor(db, Role.AGENT),
        structure_of(db, "CLSH-PV"),
        PaymentInput(family_id, W.ALSH, PaymentMethod.CASH, "20,00"),
        key=new_operation_key(),
    )
    [payload] = heard(listener)
    assert "accounts" in payload.split(",")
