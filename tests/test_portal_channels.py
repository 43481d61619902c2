"""Both channels at once: families on the portal over real HTTP and agents at their counters, booking
the same days on the shared PostgreSQL server; and a counter's calendar showing a place taken online."""

from __future__ import annotations

import multiprocessing as mp
import re
import threading
import time
import traceback
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

import httpx
import pytest
from sqlalchemy import select, update

from app.clock import paris
from app.models import ActivityDay, Reservation, ReservationStatus, Role
from app.services.booking.month_view import DayState
from app.services.families.portal import change_family_password
from app.services.families.privacy import issue_portal_password
from app.services.invariants import check
from app.services.uow import new_operation_key
from bench.portal import portal_server
from tests.helpers import activity_id, actor, new_family

PORTAL_CLIENTS = COUNTERS = 8
CHILDREN = 2  # per family: siblings booked together
DAYS = [date(2027, 2, d) for d in (8, 9, 10, 11, 12, 15, 16, 17, 18, 19)]  # the winter holidays, zone C
CAPACITY = 3  # 16 families × 2 children ask each day: more than 10 times its places
TARGET = paris(date(2027, 1, 11), dtime(18, 0))  # bookings open since 4 January
PASSWORD = "mot-de-passe-famille"
SECRET = "une-cle-de-session-commune-aux-processus-du-portail"


class ShiftedClock:
    """Real time moved to ``TARGET``: it runs, so that request order is visible in ``requested_at``."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def _portal_family(
    base: str, login: str, children: list[int], activity: int, start: float, out: list
) -> None:
    """One family at home: logs in, clicks its days for both children, then « Confirmer » at ``start``."""
    try:
        with httpx.Client(base_url=base, timeout=120) as web:
            token = _csrf(web.get("/connexion").text)
            assert (
                web.post(
                    "/connexion", data={"csrf": token, "identifiant": login, "mot_de_passe": PASSWORD}
                ).status_code
                == 303
            )
            token = _csrf(web.get("/reserver").text)
            for child in children:
                for d in DAYS:
                    web.post(
                        "/reserver/jour",
                        data={
                            "csrf": token,
                            "enfant": child,
                            "activite": activity,
                            "jour": d.isoformat(),
                            "action": "add",
                        },
                    )
            while time.time() < start:
                time.sleep(0.005)
            done = web.post("/confirmer", data={"csrf": token}, follow_redirects=False)
            assert done.headers.get("location") == "/resultat", done.text[:500]
            result = web.get("/resultat").text
            out.append(("ok", result.count("Acceptée"), result.count("En liste d&#39;attente rang")))
    except Exception:  # noqa: BLE001 - reported to the test
        out.append(("error", traceback.format_exc(), 0))


def _counter(
    url: str,
    offset: float,
    families: list[tuple[int, list[int]]],
    activity: int,
    agent_id: int,
    start: float,
    results,
) -> None:
    """One counter: an agent confirms, for a family at the desk, both children's days at ``start``."""
    from app.db import make_engine
    from app.services.actors import Actor
    from app.services.booking.basket import Action, Basket
    from app.services.booking.validation import confirm
    from app.services.uow import Database

    engine = make_engine(url)
    db = Database(engine, ShiftedClock(timedelta(seconds=offset)))
    labels, errors = [], []
    try:
        while time.time() < start:
            time.sleep(0.005)
        for family_id, children in families:
            basket = Basket(family_id)
            for child in children:
                for d in DAYS:
                    basket.toggle(child, activity, d, Action.ADD)
            try:
                labels += [
                    o.status.value
                    for o in confirm(
                        db, Actor(agent_id, Role.AGENT), basket, key=new_operation_key()
                    ).outcomes
                ]
            except Exception:  # noqa: BLE001
                errors.append(traceback.format_exc())
    finally:
        engine.dispose()
        results.put((labels, errors))


def test_portal_families_and_counters_share_the_places_without_overbooking(backend, demo_rw):
    if backend != "postgresql":
        pytest.skip("several counters and the portal at once: the shared PostgreSQL server")
    db = demo_rw
    activity = activity_id(db, "CLSH-PV")
    with db.writing() as uow:
        uow.session.execute(
            update(ActivityDay)
            .where(ActivityDay.activity_id == activity, ActivityDay.day.in_(DAYS))
            .values(capacity=CAPACITY)
        )
        uow.commit()
    names = [f"Enligne{i}" for i in range(PORTAL_CLIENTS)] + [f"Guichet{i}" for i in range(COUNTERS)]
    families = [new_family(db, n, balance_cents=50_000, children=("Léa", "Tom")) for n in names]
    logins = []
    for family_id, _children in families[:PORTAL_CLIENTS]:
        letter = issue_portal_password(db, actor(db, Role.AGENT), family_id, by_email=False)
        change_family_password(db, family_id, letter.temporary_password, PASSWORD)
        logins.append(letter.login)
    offset = (TARGET - datetime.now(UTC)).total_seconds()
    url = db.engine.url.render_as_string(hide_password=False)
    with portal_server(url, TARGET, SECRET) as base:
        start = time.time() + 8  # logins and clicks first; then everybody confirms at once
        ctx = mp.get_context("spawn")
        results = ctx.Queue()
        agent = actor(db, Role.AGENT).agent_id
        counters = [
            ctx.Process(
                target=_counter,
                args=(url, offset, [families[PORTAL_CLIENTS + i]], activity, agent, start, results),
            )
            for i in range(COUNTERS)
        ]
        for p in counters:
            p.start()
        online: list = []
        threads = [
            threading.Thread(
                target=_portal_family, args=(base, logins[i], families[i][1], activity, start, online)
            )
            for i in range(PORTAL_CLIENTS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        collected = [results.get(timeout=300) for _ in counters]
        for p in counters:
            p.join(timeout=60)
    assert [o for o in online if o[0] == "error"] == [] and len(online) == PORTAL_CLIENTS
    assert [e for _labels, errors in collected for e in errors] == []
    at_counter = Counter(label for labels, _ in collected for label in labels)
    asked = len(DAYS) * CHILDREN * (PORTAL_CLIENTS + COUNTERS)
    assert sum(o[1] + o[2] for o in online) + sum(at_counter.values()) == asked
    assert sum(o[1] for o in online) + at_counter["accepted"] == CAPACITY * len(DAYS)  # every place, no more

    with db.reading() as uow:
        s = uow.session
        for d in DAYS:
            rows = list(
                s.scalars(
                    select(Reservation)
                    .join(ActivityDay)
                    .where(ActivityDay.activity_id == activity, ActivityDay.day == d)
                )
            )
            accepted = [r for r in rows if r.status is ReservationStatus.ACCEPTED]
            queued = sorted(
                (r for r in rows if r.status is ReservationStatus.WAITLISTED),
                key=lambda r: r.waitlist_position,
            )
            assert len(accepted) == CAPACITY, d  # 0 overbooking
            assert [r.waitlist_position for r in queued] == list(range(1, len(rows) - CAPACITY + 1))
            assert [r.requested_at for r in queued] == sorted(r.requested_at for r in queued)  # request order
            assert max(r.requested_at for r in accepted) <= min(r.requested_at for r in queued)
            channels = {r.agent_id is None for r in rows}
            assert channels == {True, False}, d  # both channels asked for every day
    assert check(db) == []


def test_a_place_taken_online_shows_at_the_counter_within_a_second(qtbot, demo_rw):
    from fastapi.testclient import TestClient

    from app.db import make_engine
    from app.services.uow import Database
    from app.web.app import create_app
    from tests.test_counter_gui import choose, open_family
    from tests.test_payments_gui import _window

    _at_desk, _children = new_family(demo_rw, "Testeur", balance_cents=5000)
    online, (child,) = new_family(demo_rw, "Enligne", balance_cents=5000)
    letter = issue_portal_password(demo_rw, actor(demo_rw, Role.AGENT), online, by_email=False)
    change_family_password(demo_rw, online, letter.temporary_password, PASSWORD)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    day = date(2026, 12, 28)
    places = booking.grid.cell_for(day).places_left
    assert booking.grid.cell_for(day).state is DayState.FREE and places
    portal_db = Database(make_engine(demo_rw.engine.url.render_as_string(hide_password=False)), demo_rw.clock)
    try:
        with TestClient(create_app(portal_db, secret_key=SECRET, public_url="http://testserver")) as web:
            web.post(
                "/connexion",
                data={
                    "csrf": _csrf(web.get("/connexion").text),
                    "identifiant": letter.login,
                    "mot_de_passe": PASSWORD,
                },
            )
            token = _csrf(web.get("/reserver").text)
            web.post(
                "/reserver/jour",
                data={
                    "csrf": token,
                    "enfant": child,
                    "activite": activity_id(demo_rw, "CLSH-PV"),
                    "jour": day.isoformat(),
                    "action": "add",
                },
            )
            assert (
                web.post("/confirmer", data={"csrf": token}, follow_redirects=False).headers["location"]
                == "/resultat"
            )
            committed = time.monotonic()
        qtbot.waitUntil(lambda: booking.grid.cell_for(day).places_left == places - 1, timeout=1000)
        assert time.monotonic() - committed < 1.0
    finally:
        portal_db.engine.dispose()
        window.close()
