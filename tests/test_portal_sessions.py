"""The portal's sessions and what an attacker finds at its door: sessions that end for real (logout, a
new password, a lockout, a new temporary password from the counter), pages nobody's browser keeps, inputs too long
or with NUL answered with a French page, French 404/500 pages with the security headers, a login that tells
nothing of which identifiers exist, random identifiers, limits kept in the database (so they hold across the
workers) and a reset link that is never stored in clear."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import OutboxMessage, PortalResetToken, Role
from app.services.families.privacy import issue_portal_password
from app.web.app import create_app
from app.web.security import Limits
from tests.helpers import actor, new_family
from tests.test_portal_http import NOW, PUBLIC, SECRET, family_with_access, login, page_text, post


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


def _app(db, limits: Limits | None = None):
    return create_app(db, secret_key=SECRET, public_url=PUBLIC, limits=limits or Limits.relaxed())


@pytest.fixture
def web(db):
    return _app(db)


def _client(web) -> TestClient:
    return TestClient(web, base_url="http://portail.test")


@pytest.fixture
def client(web):
    with _client(web) as c:
        yield c


LOGGED_IN_PAGES = ["/", "/soldes", "/reserver", "/reservations", "/compte"]


# --- sessions that end ------------------------------------------------------------------------------------------


def test_a_cookie_copied_before_logout_opens_nothing_after_it(db, client):
    _fid, _children, ident = family_with_access(db)
    assert login(client, ident).status_code == 303
    stolen = dict(client.cookies)
    assert client.get("/soldes").status_code == 200
    post(client, "/deconnexion", {}, page="/")
    with TestClient(client.app, base_url="http://portail.test", cookies=stolen) as thief:
        answer = thief.get("/soldes", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/connexion"


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(db, web):
    _fid, _children, ident = family_with_access(db)
    with _client(web) as phone, _client(web) as office:
        login(phone, ident)
        login(office, ident)
        assert office.get("/soldes").status_code == 200
        answer = post(
            phone,
            "/mot-de-passe",
            {
                "actuel": "mot-de-passe-famille",
                "nouveau": "Tout-autre-mot-42",
                "confirmation": "Tout-autre-mot-42",
            },
        )
        assert answer.status_code == 303
        assert phone.get("/soldes").status_code == 200
        assert office.get("/soldes", follow_redirects=False).headers["location"] == "/connexion"


def test_a_lockout_and_a_new_temporary_password_end_the_open_sessions(db, web):
    fid, _children, ident = family_with_access(db)
    with _client(web) as family, _client(web) as guesser:
        login(family, ident)
        for _ in range(5):
            login(guesser, ident, "pas-le-bon-mot")
        assert family.get("/soldes", follow_redirects=False).headers["location"] == "/connexion"
    db.clock.set(NOW + timedelta(minutes=16))
    with _client(web) as family:
        login(family, ident)
        assert family.get("/soldes").status_code == 200
        issue_portal_password(db, actor(db, Role.AGENT), fid, by_email=False)
        assert family.get("/soldes", follow_redirects=False).headers["location"] == "/connexion"


def test_a_session_ends_after_its_hours_on_the_server_clock(db, client):
    _fid, _children, ident = family_with_access(db)
    login(client, ident)
    db.clock.set(NOW + timedelta(hours=4, minutes=1))
    assert client.get("/soldes", follow_redirects=False).headers["location"] == "/connexion"


@pytest.mark.parametrize("path", LOGGED_IN_PAGES)
def test_no_logged_in_page_is_kept_by_a_browser_or_a_proxy(db, client, path):
    _fid, _children, ident = family_with_access(db)
    login(client, ident)
    answer = client.get(path)
    assert answer.status_code == 200
    assert "no-store" in answer.headers["cache-control"]


# --- inputs and error pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"identifiant": "x" * 5000, "mot_de_passe": "secret"},
        {"identifiant": "famille", "mot_de_passe": "p" * 5000},
        {"identifiant": "fam\x00ille", "mot_de_passe": "secret"},
        {"identifiant": "famille", "mot_de_passe": "se\x00cret"},
    ],
)
def test_oversized_or_nul_credentials_answer_a_french_page(client, fields):
    answer = post(client, "/connexion", fields)
    assert answer.status_code in (400, 401, 413, 422)
    assert "text/html" in answer.headers["content-type"]
    assert "Identifiant ou mot de passe incorrect" in page_text(answer)


def test_a_reset_token_of_any_length_answers_a_french_page(client):
    for token in ("a" * 1001, "b" * 20000, "é" * 300, "x\x00y" * 10):
        shown = client.get("/nouveau-mot-de-passe", params={"jeton": token})
        assert shown.status_code in (400, 410, 414, 422), shown.status_code
        assert "Ce lien n'est plus valable" in page_text(shown)
        sent = post(
            client,
            "/nouveau-mot-de-passe",
            {"jeton": token, "nouveau": "Un-mot-de-passe-42", "confirmation": "Un-mot-de-passe-42"},
            page="/mot-de-passe-oublie",
        )
        assert sent.status_code in (400, 410, 413, 422), sent.status_code
        assert "Ce lien n'est plus valable" in page_text(sent)


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(client):
    answer = client.post(
        "/connexion",
        content=b"identifiant=" + b"x" * 200_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413
    assert "trop volumineuse" in page_text(answer)
    assert answer.headers["x-frame-options"] == "DENY"


def test_unknown_pages_answer_in_french_with_the_security_headers(client):
    answer = client.get("/wp-login.php")
    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]
    assert "Page introuvable" in page_text(answer)
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    wrong_method = client.put("/connexion")
    assert wrong_method.status_code == 405 and "text/html" in wrong_method.headers["content-type"]


def test_a_failure_answers_a_french_500_page_with_the_security_headers(db):
    web = _app(db)

    @web.get("/panne")
    def broken() -> None:
        raise RuntimeError("boom")

    with TestClient(web, base_url="http://portail.test", raise_server_exceptions=False) as c:
        answer = c.get("/panne")
    assert answer.status_code == 500
    assert "text/html" in answer.headers["content-type"]
    assert "Une erreur est survenue" in page_text(answer) and "boom" not in answer.text
    assert answer.headers["x-frame-options"] == "DENY"
    assert "no-store" in answer.headers["cache-control"]


# --- the login tells nothing ---------------------------------------------------------------------------------------


def _refusal(client, identifier: str) -> str:
    answer = login(client, identifier, "pas-le-bon-mot")
    return re.sub(r"\d\d:\d\d", "HH:MM", page_text(answer)), answer.status_code


def test_an_unknown_identifier_locks_exactly_as_an_existing_one(db, client):
    _fid, _children, ident = family_with_access(db)
    known = [_refusal(client, ident) for _ in range(6)]
    unknown = [_refusal(client, "personne-9999") for _ in range(6)]
    assert [status for _t, status in known] == [status for _t, status in unknown]
    assert [t.replace(ident, "X") for t, _s in known] == [
        t.replace("personne-9999", "X") for t, _s in unknown
    ]
    assert "bloqué" in known[-1][0]
    assert "administrateur" not in known[-1][0]
    assert "service enfance-jeunesse" in known[-1][0]


def test_identifiers_issued_at_the_counter_are_not_sequential(db):
    logins = []
    for i in range(3):
        fid, _children = new_family(db, f"Hasard{i}")
        logins.append(issue_portal_password(db, actor(db, Role.AGENT), fid, by_email=False).login)
    assert not any(re.fullmatch(r"famille\d+", x) for x in logins)
    assert len(set(logins)) == 3 and all(len(x) >= 8 for x in logins)


# --- limits in the database, reset link never stored ------------------------------------------------------------


def test_the_login_limit_per_address_holds_across_two_workers(db):
    limits = Limits(login_per_address=(3, 300), reset_per_address=(100, 900), reset_per_day=3)
    first, second = _app(db, limits), _app(db, limits)  # two uvicorn workers: two apps, one database
    with _client(first) as a, _client(second) as b:
        assert login(a, "quelquun", "faux-mot-1").status_code == 401
        assert login(b, "quelquun2", "faux-mot-2").status_code == 401
        assert login(a, "quelquun3", "faux-mot-3").status_code == 401
        assert login(b, "quelquun4", "faux-mot-4").status_code == 429


def test_reset_emails_are_limited_per_account_and_per_address_across_workers(db):
    fid, _children, ident = family_with_access(db, email="famille.limite@example.org")
    limits = Limits(login_per_address=(100, 300), reset_per_address=(5, 900), reset_per_day=3)
    first, second = _app(db, limits), _app(db, limits)
    with _client(first) as a, _client(second) as b:
        for i in range(8):
            who = a if i % 2 else b
            assert post(who, "/mot-de-passe-oublie", {"identifiant": ident}).status_code in (200, 429)
    with db.reading() as uow:
        mails = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.family_id == fid, OutboxMessage.kind == "portal_reset")
        ).all()
    assert len(mails) == 3
    with _client(first) as a:
        for _ in range(5):
            post(a, "/mot-de-passe-oublie", {"identifiant": "personne"})
        assert post(a, "/mot-de-passe-oublie", {"identifiant": "personne"}).status_code == 429


def test_the_reset_link_is_stored_nowhere_in_clear(db, client):
    fid, _children, ident = family_with_access(db, email="famille.lien@example.org")
    post(client, "/mot-de-passe-oublie", {"identifiant": ident})
    with db.reading() as uow:
        mail = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.family_id == fid)).one()
        token_hash = uow.session.scalars(
            select(PortalResetToken.token_hash).where(PortalResetToken.family_id == fid)
        ).one()
    assert f"{PUBLIC}/nouveau-mot-de-passe?jeton=" in mail.body
    assert not re.search(r"jeton=[A-Za-z0-9_-]{20}", mail.body) and not re.search(
        r"[A-Za-z0-9_-]{40}", mail.body
    )
    assert len(token_hash) == 64


def test_the_reset_answer_is_sent_before_anything_is_looked_up(db, web, monkeypatch):
    """The same answer, at the same moment, for a registered address and an unknown one: the lookup and the
    e-mail are written after the answer has left (the answer's time tells nothing)."""
    from app.services.families import portal

    events: list[str] = []
    real = portal.request_reset
    monkeypatch.setattr(portal, "request_reset", lambda *a, **k: (events.append("lookup"), real(*a, **k))[1])
    family_with_access(db, email="famille.temps@example.org")
    with _client(web) as c:
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/mot-de-passe-oublie").text).group(1)
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
    import asyncio

    async def call(identifier: str) -> list[str]:
        events.clear()
        body = f"csrf={token}&identifiant={identifier}".encode()
        sent: list[dict] = []

        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            if message["type"] == "http.response.body" and not message.get("more_body"):
                events.append("answered")
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/mot-de-passe-oublie",
            "raw_path": b"/mot-de-passe-oublie",
            "query_string": b"",
            "root_path": "",
            "scheme": "http",
            "server": ("portail.test", 80),
            "client": ("10.0.0.1", 1234),
            "http_version": "1.1",
            "app": web,
            "headers": [
                (b"host", b"portail.test"),
                (b"cookie", cookie.encode()),
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
        await web(scope, receive, send)
        return list(events)

    assert asyncio.run(call("famille.temps%40example.org")) == ["answered", "lookup"]
    assert asyncio.run(call("personne%40example.org")) == ["answered", "lookup"]


# --- found by a review: the sender, the guard's row, a busy database, IPv6, static files ------------------------


def test_a_reset_e_mail_queued_by_an_older_version_does_not_stop_the_outbox(db):
    from app.models import Family, OutboxStatus
    from app.services.end_of_day.mailer import SmtpSettings, send_pending
    from app.services.end_of_day.outbox import queue_email
    from tests.smtp_server import Server

    fid, _children, _ident = family_with_access(db, email="ancienne.version@example.org")
    with db.writing() as uow:
        family = uow.session.get(Family, fid)
        queue_email(
            uow.session,
            kind="portal_reset",
            dedup_key="portal-reset-3fa9c0e1d2b34c5d6e7f8091a2b3c4d5",
            family=family,
            subject="Portail famille : choisir un nouveau mot de passe",
            body=f"Bonjour,\n\n{PUBLIC}/nouveau-mot-de-passe?jeton=ancien-jeton-de-la-version-11\n",
            now=NOW,
        )
        queue_email(
            uow.session,
            kind="test",
            dedup_key="apres-l-ancien",
            family=family,
            subject="Après",
            body="Bonjour.",
            now=NOW,
        )
        uow.commit()
    smtp = Server()
    try:
        report = send_pending(db, SmtpSettings("127.0.0.1", smtp.port, "none"))
    finally:
        smtp.stop()
    assert report.sent == 2 and len(smtp.recorder.messages) == 2
    with db.reading() as uow:
        assert {m.status for m in uow.session.scalars(select(OutboxMessage))} == {OutboxStatus.SENT}


def test_a_reset_e_mail_sent_again_after_an_interruption_is_a_new_e_mail_with_the_only_link_that_works(
    db, client
):
    from app.services.end_of_day import mailer
    from app.services.families import portal
    from tests.smtp_server import Server

    fid, _children, ident = family_with_access(db, email="interrompu@example.org")
    post(client, "/mot-de-passe-oublie", {"identifiant": ident})
    first = mailer._claim(db)  # the sender takes it… and dies before the server answers
    assert first is not None
    db.clock.set(NOW + timedelta(minutes=30))  # its lease has run out
    smtp = Server()
    try:
        mailer.send_pending(db, mailer.SmtpSettings("127.0.0.1", smtp.port, "none"))
    finally:
        smtp.stop()
    (mail,) = smtp.recorder.messages
    token = re.search(r"jeton=(\S+)", mail.body).group(1)
    assert mail.message_id != first[5]  # not dropped as a copy of the first, whose link no longer works
    assert portal.reset_link_valid(db, token)
    assert not portal.reset_link_valid(db, re.search(r"jeton=(\S+)", first[4]).group(1))


def test_failures_are_forgotten_after_a_day_alike_for_an_account_and_an_unknown_identifier(db, client):
    _fid, _children, ident = family_with_access(db)
    for who in (ident, "personne-inconnue"):
        db.clock.set(NOW)
        for _ in range(4):
            login(client, who, "pas-le-bon-mot")
        db.clock.set(NOW + timedelta(days=1, minutes=1))
        answer = page_text(login(client, who, "pas-le-bon-mot"))
        assert "Identifiant ou mot de passe incorrect" in answer and "bloqué" not in answer, who


def test_a_busy_database_is_not_called_a_wrong_password_nor_counted(db, client, monkeypatch):
    from app.models import PortalAttempt
    from app.services.errors import BusyRetryExhausted
    from app.services.families import portal

    _fid, _children, ident = family_with_access(db)

    def busy(*_a, **_k):
        raise BusyRetryExhausted()

    monkeypatch.setattr(portal, "family_login", busy)
    answer = login(client, ident)
    assert answer.status_code != 401 and "incorrect" not in page_text(answer)
    assert "text/html" in answer.headers["content-type"]
    with db.reading() as uow:
        assert uow.session.scalars(select(PortalAttempt)).all() == []


def test_an_ipv6_subscriber_counts_as_one_address():
    from app.web.security import address_key

    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::42") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.7") == "192.0.2.7" == address_key("192.0.2.7")
    assert address_key("testclient") == "testclient"


def test_the_static_files_may_be_kept_and_nothing_else(client):
    assert client.get("/static/portail.css").headers["cache-control"] == "max-age=3600"
    assert client.get("/connexion").headers["cache-control"] == "no-store"


def test_a_server_brought_up_to_date_from_a_counter_gives_the_new_tables_to_its_roles(
    backend, pg_database_factory
):
    """« Mettre à jour la base du serveur » (a counter, the owner's login) and not ``python -m app migrate``: the
    portal's new tables get the services' and counters' rights too, or every family login would be refused."""
    if backend != "postgresql":
        pytest.skip("roles and rights: PostgreSQL")
    from sqlalchemy import text

    from app.bootstrap import migrate_shared_server
    from app.db import make_engine, upgrade
    from app.pg_security import grant_roles
    from app.services.security import hash_password

    engine = make_engine(pg_database_factory())
    try:
        upgrade(engine, "0011")
        counter, service = grant_roles(engine)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO agents (login, full_name, role, active, failed_logins, must_change_password, "
                    "system, created_at, password_hash) VALUES ('regisseur', 'Régisseur', 'supervisor', true, "
                    "0, false, false, now(), :h)"
                ),
                {"h": hash_password("mot-de-passe-du-regisseur")},
            )
        migrate_shared_server(engine, "regisseur", "mot-de-passe-du-regisseur")
        with engine.connect() as conn:

            def may(role: str, what: str) -> bool:
                query = text("SELECT has_table_privilege(:r, 'portal_sessions', :w)")
                return bool(conn.execute(query, {"r": role, "w": what}).scalar_one())

            assert may(service, "INSERT") and may(service, "SELECT")
            assert not may(counter, "INSERT") and not may(counter, "SELECT")
            ends = "SELECT has_column_privilege(:r, 'portal_sessions', 'ended_at', 'UPDATE')"
            assert conn.execute(text(ends), {"r": counter}).scalar_one()  # it only ends a family's sessions
            # 0013's cheque deposits, append-only for the counters once the server is brought up to date
            deposits = "SELECT has_table_privilege(:r, 'cheque_deposits', :w)"
            assert conn.execute(text(deposits), {"r": counter, "w": "INSERT"}).scalar_one()
            assert not conn.execute(text(deposits), {"r": counter, "w": "UPDATE"}).scalar_one()
    finally:
        engine.dispose()
