"""The portal's line (issue 20): a confirmation through HTTP (a family's « Confirmer » on the portal, served by
uvicorn in another process over the same database) against the service call alone (``confirm`` for that family):
what the web layer adds — the request, the session cookie, the CSRF check, the basket read from the cookie."""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from app.models import Family, Reservation
from app.services.actors import Actor
from app.services.booking.basket import Action, Basket
from app.services.booking.validation import confirm
from app.services.security import hash_password
from app.services.uow import Database, new_operation_key

from .dataset import Loaded
from .measure import NOW, Result, _fresh_family, _future_days, compare

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-portail"
SERVER = """
import sys
from datetime import UTC, datetime, timedelta
import uvicorn
from app.db import make_engine
from app.services.money.online_backends import PaymentGateway
from app.services.uow import Database
from app.web.app import create_app
from app.web.security import Limits

class Shifted:
    \"\"\"Real time moved by an offset: it runs (request order shows in requested_at).\"\"\"
    def __init__(self, offset): self.offset = offset
    def now(self): return datetime.now(UTC) + self.offset

url, port, offset, secret, double = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
public = f"http://127.0.0.1:{port}"
app = create_app(Database(make_engine(url), Shifted(timedelta(seconds=offset))), secret_key=secret,
                 public_url=public, limits=Limits((100_000, 60), (100_000, 60), 100_000),
                 payments=PaymentGateway(public, payfip_double=double or None))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def portal_server(
    url: str, now: datetime, secret: str = "x" * 40, payfip_double: str | None = None
) -> Iterator[str]:
    """The portal served by uvicorn in another process on ``url``, its clock at ``now`` and running; its address.
    ``payfip_double``: the PayFiP test double's address (the tests' setting of ``PaymentGateway``)."""
    offset = (now - datetime.now(UTC)).total_seconds()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, url, str(port), str(offset), secret, payfip_double or ""],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/connexion", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match is not None, page[:300]
    return match.group(1)


def _with_portal(db: Database, family_id: int) -> str:
    with db.writing() as uow:
        family = uow.session.get(Family, family_id)
        assert family is not None
        family.portal_login = family.portal_login or f"bench{family.id:06d}"
        family.portal_password_hash = hash_password(PASSWORD)
        family.portal_must_change = False
        login = family.portal_login
        uow.commit()
    return login


def portal_confirm(db: Database, loaded: Loaded, quick: bool) -> Result:
    rng = random.Random(11)
    runs = 12 if quick else 40
    activity = loaded.alsh_summer_id
    summer = _future_days(db, activity, 40)
    with db.reading() as uow:
        children = list(uow.session.scalars(select(Reservation.child_id).distinct().limit(3000)))

    def basket_for(child_family: tuple[int, int]) -> Basket:
        family_id, child = child_family
        with db.reading() as uow:
            taken = set(
                uow.session.scalars(
                    select(Reservation.activity_day_id).where(
                        Reservation.child_id == child, Reservation.status.in_(["accepted", "waitlisted"])
                    )
                )
            )
        basket = Basket(family_id)
        for d in rng.sample([d for d in summer if d.id not in taken], 10):
            basket.toggle(child, activity, d.day, Action.ADD)
        return basket

    ours, floor = [], []
    with portal_server(db.engine.url.render_as_string(hide_password=False), NOW) as base:
        for i in range(runs + 2):  # the first two warm up
            online = _fresh_family(db, rng, children)
            login = _with_portal(db, online[0])
            web_basket = basket_for(online)
            with httpx.Client(base_url=base, timeout=60) as web:
                web.post(
                    "/connexion",
                    data={
                        "csrf": _csrf(web.get("/connexion").text),
                        "identifiant": login,
                        "mot_de_passe": PASSWORD,
                    },
                )
                token = _csrf(web.get("/reserver").text)
                for line in web_basket.lines:
                    web.post(
                        "/reserver/jour",
                        data={
                            "csrf": token,
                            "enfant": line.child_id,
                            "activite": activity,
                            "jour": line.day.isoformat(),
                            "action": "add",
                        },
                    )
                start = time.perf_counter()
                done = web.post("/confirmer", data={"csrf": token}, follow_redirects=False)
                web_ms = (time.perf_counter() - start) * 1000
                assert done.headers.get("location") == "/resultat", done.text[:300]
            direct = _fresh_family(db, rng, children)
            _with_portal(db, direct[0])  # the same family account, acting through the service directly
            service_basket = basket_for(direct)
            start = time.perf_counter()
            confirm(db, Actor.family(direct[0]), service_basket, key=new_operation_key())
            service_ms = (time.perf_counter() - start) * 1000
            if i >= 2:
                ours.append(web_ms)
                floor.append(service_ms)
    return compare(
        "Confirmation par le portail (HTTP, 10 jours)",
        ours,
        floor,
        1.5,
        "p50",
        "le même panier confirmé par l'appel du service seul, dans ce processus",
    )
