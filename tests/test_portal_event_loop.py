"""A family's request waiting on the database (a confirmation behind the days' locks, a login's argon2) does not hold
up the others served by the same uvicorn worker (the opening rush through the portal). The portal's
handlers run their blocking work in the server's threads, never on its event loop.

The check is on order, not on time: a confirmation is held inside the service until the test lets it go; meanwhile
another family's page must be answered."""

from __future__ import annotations

import inspect
import socket
import threading
from datetime import date

import httpx
import pytest
import uvicorn
from fastapi.routing import APIRoute

from app.web.app import create_app
from app.web.pages import validation as validation_pages
from app.web.security import Limits
from tests.helpers import activity_id
from tests.test_portal_http import NOW, PUBLIC, SECRET, family_with_access
from tests.test_portal_structure import portal_routes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(demo_rw):
    """The portal served by a real uvicorn (one worker, one event loop) in a thread of this process."""
    demo_rw.clock.set(NOW)
    app = create_app(demo_rw, secret_key=SECRET, public_url=PUBLIC, limits=Limits.relaxed())
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/connexion", timeout=1)
            break
        except httpx.HTTPError:
            threading.Event().wait(0.05)
    yield demo_rw, base
    server.should_exit = True
    thread.join(timeout=10)


def _csrf(page: str) -> str:
    import re

    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_a_confirmation_waiting_on_the_database_does_not_hold_up_another_family(served, monkeypatch):
    db, base = served
    _family, (child,), login = family_with_access(db, balance_cents=10_000)
    pv = activity_id(db, "CLSH-PV")
    inside, let_go = threading.Event(), threading.Event()
    real_confirm = validation_pages.confirm

    def held_confirm(*args, **kwargs):
        inside.set()
        let_go.wait(timeout=30)  # as behind the days' locks of another counter
        return real_confirm(*args, **kwargs)

    monkeypatch.setattr(validation_pages, "confirm", held_confirm)
    family = httpx.Client(base_url=base, timeout=60)
    family.post(
        "/connexion",
        data={
            "csrf": _csrf(family.get("/connexion").text),
            "identifiant": login,
            "mot_de_passe": "mot-de-passe-famille",
        },
    )
    token = _csrf(family.get("/reserver").text)
    family.post(
        "/reserver/jour",
        data={
            "csrf": token,
            "enfant": child,
            "activite": pv,
            "jour": date(2026, 12, 21).isoformat(),
            "action": "add",
        },
    )
    confirmed: list[httpx.Response] = []
    confirming = threading.Thread(
        target=lambda: confirmed.append(
            family.post("/confirmer", data={"csrf": token}, follow_redirects=False)
        )
    )
    confirming.start()
    try:
        assert inside.wait(timeout=30), "the confirmation never reached the service"
        other: list[httpx.Response] = []
        asking = threading.Thread(target=lambda: other.append(httpx.get(f"{base}/connexion", timeout=60)))
        asking.start()
        asking.join(timeout=15)
        answered_meanwhile = not asking.is_alive() and confirming.is_alive()
    finally:
        let_go.set()
        confirming.join(timeout=60)
    asking.join(timeout=60)
    assert answered_meanwhile, "another family's page waited for the held confirmation"
    assert other[0].status_code == 200
    assert confirmed[0].status_code == 303 and confirmed[0].headers["location"] == "/resultat"


def test_no_handler_of_the_portal_runs_on_the_event_loop(demo_rw):
    """Every route's own function is plain (uvicorn runs it in a thread): only the form's reading is awaited, by a
    dependency."""
    app = create_app(demo_rw, secret_key=SECRET, public_url=PUBLIC, limits=Limits.relaxed())
    routes = [(route, path) for route, path, _d in portal_routes(app) if isinstance(route, APIRoute)]
    on_the_loop = [path for route, path in routes if inspect.iscoroutinefunction(route.endpoint)]
    assert on_the_loop == [] and len(routes) > 20
