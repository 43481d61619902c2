"""The family portal over HTTP, on SQLite and PostgreSQL: every page, the booking rules through the portal (the
rules' worked examples of ``tests.test_rules_examples`` included), and the security: sessions, CSRF, authorization,
lockout."""

from __future__ import annotations

import html
import io
import re
from datetime import date, time

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from app.clock import paris
from app.models import AuditEntry, Family, OutboxMessage, Reservation, ReservationStatus, Role
from app.services.booking import days
from app.services.end_of_day.mailer import SmtpSettings, send_pending
from app.services.families.privacy import issue_portal_password
from app.services.uow import new_operation_key
from app.web.app import create_app
from app.web.security import Limits
from tests.helpers import activity_id, actor, day_row, new_family
from tests.smtp_server import Server
from tests.test_rules_examples import EXAMPLES

NOW = paris(date(2026, 11, 26), time(10, 0))
SECRET = "un-secret-de-test-assez-long-pour-signer-les-cookies"
PUBLIC = "https://portail.ville.example"


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


@pytest.fixture
def client(db):
    app = create_app(
        db,
        secret_key=SECRET,
        public_url=PUBLIC,
        limits=Limits.relaxed(),
    )
    with TestClient(app, base_url="http://portail.test") as c:
        yield c


def text(response) -> str:
    """The page as read: entities decoded, French non-breaking spaces as spaces."""
    return html.unescape(response.text).replace("\u00a0", " ").replace("\u202f", " ")


def page_text(response) -> str:
    """The page's text without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def csrf(client, path: str = "/connexion") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def post(client, path: str, data: dict, page: str | None = None):
    return client.post(path, data={"csrf": csrf(client, page or path), **data}, follow_redirects=False)


def family_with_access(db, name="Portail", password="mot-de-passe-famille", **kwargs):
    """A family whose temporary password was changed already (its own ``password``)."""
    from app.services.families.portal import change_family_password

    family_id, children = new_family(db, name, **kwargs)
    letter = issue_portal_password(db, actor(db, Role.AGENT), family_id, by_email=False)
    change_family_password(db, family_id, letter.temporary_password, password)
    return family_id, children, letter.login


def login(client, identifier: str, password: str = "mot-de-passe-famille"):
    return post(client, "/connexion", {"identifiant": identifier, "mot_de_passe": password})


def toggle(client, child: int, activity: int, day: date, action: str = "add"):
    return post(
        client,
        "/reserver/jour",
        {"enfant": child, "activite": activity, "jour": day.isoformat(), "action": action},
        page="/reserver",
    )


# --- connexion ------------------------------------------------------------------------------------------------


def test_a_demo_family_logs_in_and_sees_every_page(client, db):
    with db.reading() as uow:
        demo_login = uow.session.scalar(select(Family.portal_login).where(Family.portal_login.is_not(None)))
    assert client.get("/", follow_redirects=False).headers["location"] == "/connexion"
    page = client.get("/connexion")
    assert page.status_code == 200 and '<html lang="fr">' in page.text and 'for="identifiant"' in page.text
    done = login(client, demo_login, "demo")
    assert done.status_code == 303 and done.headers["location"] == "/"
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    for path, words in [
        ("/", "Informations des structures"),
        ("/soldes", "Payer par carte"),
        ("/reserver", "Calendrier"),
        ("/reservations", "Vos réservations depuis un mois"),
        ("/compte", "Vos coordonnées"),
    ]:
        response = client.get(path)
        assert response.status_code == 200 and words in text(response), path
        assert response.headers["x-frame-options"] == "DENY"
    pdf = client.get("/reservations/fiche.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "Fiche de réservations" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert post(client, "/deconnexion", {}, page="/").headers["location"] == "/connexion"
    assert client.get("/soldes", follow_redirects=False).headers["location"] == "/connexion"


def test_the_sixth_wrong_password_finds_the_account_locked(client, db):
    _family_id, _children, identifier = family_with_access(db)
    for _ in range(4):
        wrong = login(client, identifier, "pas-le-bon")
        assert wrong.status_code == 401 and "Identifiant ou mot de passe incorrect" in text(wrong)
    assert "Trop d'essais : l'accès avec cet identifiant est bloqué jusqu'à 10:15" in text(
        login(client, identifier, "pas-le-bon")
    )
    sixth = login(client, identifier)  # the right password, too late
    assert sixth.status_code == 401 and "bloqué jusqu'à 10:15" in text(sixth)


def test_logins_are_rate_limited_per_address(db):
    app = create_app(db, secret_key=SECRET, public_url=PUBLIC, limits=Limits(login_per_address=(3, 60)))
    with TestClient(app) as c:
        codes = [login(c, "personne", "x").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_a_temporary_password_is_changed_before_anything_else(client, db):
    family_id, _children = new_family(db, "Provisoire")
    letter = issue_portal_password(db, actor(db, Role.AGENT), family_id, by_email=False)
    assert login(client, letter.login, letter.temporary_password).headers["location"] == "/mot-de-passe"
    assert client.get("/reserver", follow_redirects=False).headers["location"] == "/mot-de-passe"
    mismatch = post(
        client,
        "/mot-de-passe",
        {"actuel": letter.temporary_password, "nouveau": "aaaaaaaa1", "confirmation": "aaaaaaaa2"},
    )
    assert mismatch.status_code == 400 and "pas identiques" in text(mismatch)
    done = post(
        client,
        "/mot-de-passe",
        {"actuel": letter.temporary_password, "nouveau": "le-mien-enfin", "confirmation": "le-mien-enfin"},
    )
    assert done.headers["location"] == "/" and client.get("/reserver").status_code == 200


def test_a_forgotten_password_goes_through_a_single_use_link_never_the_password(client, db):
    family_id, _children, identifier = family_with_access(db, email="parent@example.org")
    sent = post(client, "/mot-de-passe-oublie", {"identifiant": identifier})
    assert sent.status_code == 200 and "lien" in text(sent)
    smtp = Server()
    try:
        send_pending(db, SmtpSettings("127.0.0.1", smtp.port, "none"))
    finally:
        smtp.stop()
    (mail,) = [m for m in smtp.recorder.messages if m.recipients == ["parent@example.org"]]
    body = mail.body  # the link is in the e-mail only (the outbox keeps no token)
    link = re.search(r"https://portail\.ville\.example(/nouveau-mot-de-passe\?jeton=\S+)", body).group(1)
    assert "mot-de-passe-famille" not in body
    client.cookies.clear()
    assert client.get(link).status_code == 200
    token = link.split("=", 1)[1]
    done = post(
        client,
        "/nouveau-mot-de-passe",
        {"jeton": token, "nouveau": "choisi-par-lien", "confirmation": "choisi-par-lien"},
        page=link,
    )
    assert done.headers["location"] == "/" and client.get("/").status_code == 200
    assert client.get(link).status_code == 410  # used
    client.cookies.clear()
    assert login(client, identifier, "choisi-par-lien").headers["location"] == "/"


# --- security ------------------------------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client, db):
    family_id, (child,), identifier = family_with_access(db, balance_cents=10_000)
    assert (
        client.post(
            "/connexion",
            data={"identifiant": identifier, "mot_de_passe": "mot-de-passe-famille"},
            follow_redirects=False,
        ).status_code
        == 403
    )
    login(client, identifier)
    pv = activity_id(db, "CLSH-PV")
    forged = client.post(
        "/reserver/jour",
        data={"csrf": "faux", "enfant": child, "activite": pv, "jour": "2026-12-21", "action": "add"},
    )
    assert forged.status_code == 403 and "expiré" in text(forged)
    toggle(client, child, pv, date(2026, 12, 21))
    assert client.post("/confirmer", data={}).status_code == 403
    with db.reading() as uow:
        assert uow.session.scalar(select(Reservation).where(Reservation.child_id == child)) is None


def test_a_family_cannot_read_or_book_for_another_family_s_child(client, db):
    _mine, (my_child, _sibling), identifier = family_with_access(
        db, balance_cents=10_000, children=("Léa", "Tom")
    )
    _theirs, (their_child,) = new_family(db, "Voisins", balance_cents=10_000)
    login(client, identifier)
    pv = activity_id(db, "CLSH-PV")
    assert client.get(f"/reserver?enfant={their_child}&activite={pv}").status_code == 404
    assert client.get(f"/reserver?enfant={my_child}&activite=999999").status_code == 404
    assert toggle(client, their_child, pv, date(2026, 12, 21)).status_code == 404
    toggle(client, my_child, pv, date(2026, 12, 21))
    copied = post(
        client, "/copier", {"enfant": my_child, "activite": pv, "vers": their_child}, page="/reserver"
    )
    assert copied.status_code == 404
    client.post("/confirmer", data={"csrf": csrf(client, "/recapitulatif")})
    with db.reading() as uow:
        assert uow.session.scalar(select(Reservation).where(Reservation.child_id == their_child)) is None
    tampered = TestClient(client.app)
    tampered.cookies.set("portail_famille", client.cookies.get("portail_famille")[:-4] + "AAAA")
    assert tampered.get("/soldes", follow_redirects=False).headers["location"] == "/connexion"


# --- booking -------------------------------------------------------------------------------------------------------


def test_three_holiday_days_one_full_confirmed_with_outcomes_and_the_sheet(client, db):
    family_id, (child, sibling), identifier = family_with_access(
        db, balance_cents=10_000, children=("Léa", "Tom")
    )
    pv = activity_id(db, "CLSH-PV")
    full = day_row(db, "CLSH-PV", date(2026, 12, 23))
    with db.reading() as uow:
        taken = len(
            list(
                uow.session.scalars(
                    select(Reservation.id).where(
                        Reservation.activity_day_id == full.id,
                        Reservation.status == ReservationStatus.ACCEPTED,
                    )
                )
            )
        )
    days.set_capacity(
        db, actor(db, Role.SUPERVISOR), full.id, taken, "test : journée complète", key=new_operation_key()
    )
    login(client, identifier)
    calendar = text(client.get(f"/reserver?enfant={child}&activite={pv}&mois=2026-12"))
    assert "Réserver le lundi 21 décembre" in calendar and "complet" in calendar
    for d in (date(2026, 12, 21), date(2026, 12, 28), date(2026, 12, 23)):
        assert toggle(client, child, pv, d).status_code == 303
    page = text(client.get(f"/reserver?enfant={child}&activite={pv}&mois=2026-12"))
    assert "3 demandes en cours" in page.replace("<strong>", "").replace("</strong>", "")
    assert page.count("à réserver") >= 3
    summary = text(client.get("/recapitulatif"))
    assert "Liste d'attente rang 1" in summary and "13,00 €" in summary and "Confirmer" in summary
    confirmed = post(client, "/confirmer", {}, page="/recapitulatif")
    assert confirmed.headers["location"] == "/resultat"
    result = text(client.get("/resultat"))
    assert result.count("Acceptée") == 2 and "En liste d'attente rang 1" in result
    mine = text(client.get("/reservations"))
    assert "Non transmise" in mine and "En liste d'attente rang 1" in mine
    sheet = PdfReader(io.BytesIO(client.get("/reservations/fiche.pdf").content)).pages[0].extract_text()
    assert "Léa" in sheet
    with db.reading() as uow:
        rows = list(uow.session.scalars(select(Reservation).where(Reservation.child_id == child)))
        assert sorted(r.status.value for r in rows) == ["accepted", "accepted", "waitlisted"]
        assert all(r.agent_id is None for r in rows)
        authors = {
            (e.agent_id, e.family_id)
            for e in uow.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity == "reservation", AuditEntry.entity_id.in_([str(r.id) for r in rows])
                )
            )
        }
        assert authors == {(None, family_id)}
    assert sibling  # (copied in the next test)


def test_copy_to_a_sibling_then_abandon(client, db):
    _family_id, (child, sibling), identifier = family_with_access(
        db, balance_cents=10_000, children=("Léa", "Tom")
    )
    pv = activity_id(db, "CLSH-PV")
    login(client, identifier)
    toggle(client, child, pv, date(2026, 12, 21))
    toggle(client, child, pv, date(2026, 12, 22))
    copied = post(client, "/copier", {"enfant": child, "activite": pv, "vers": sibling}, page="/reserver")
    assert copied.headers["location"].startswith(f"/reserver?enfant={sibling}")
    assert "2 jours copiés pour Tom" in text(client.get(copied.headers["location"]))
    summary = text(client.get("/recapitulatif"))
    assert summary.count("lundi 21 décembre 2026") == 2
    abandoned = post(client, "/reserver/annuler", {}, page="/recapitulatif")
    assert abandoned.headers["location"] == "/reserver"
    assert "rien n'a été enregistré" in text(client.get("/reserver"))


def test_an_uncovered_basket_says_what_is_missing_and_cannot_be_confirmed(client, db):
    _family_id, (child,), identifier = family_with_access(db, balance_cents=0)
    pv = activity_id(db, "CLSH-PV")
    login(client, identifier)
    toggle(client, child, pv, date(2026, 12, 21))
    summary = text(client.get("/recapitulatif"))
    assert "Il manque 13,00 €" in summary and "disabled" in summary
    assert "au moins 13,00 €" in page_text(client.get("/soldes"))
    refused = post(client, "/confirmer", {}, page="/recapitulatif")
    assert refused.headers["location"] == "/recapitulatif"
    assert "Solde insuffisant" in text(client.get("/recapitulatif"))
    with db.reading() as uow:
        assert uow.session.scalar(select(Reservation).where(Reservation.child_id == child)) is None


@pytest.mark.parametrize(("n", "code", "day", "at", "verdict", "words"), EXAMPLES)
def test_design_examples_through_the_portal(client, db, n, code, day, at, verdict, words):
    """The rules' worked example {n} (``test_rules_examples``), asked on the portal: its recap says the same as the
    counter's."""
    _family_id, (child,), identifier = family_with_access(db, balance_cents=100_000)
    db.clock.set(at)
    login(client, identifier)
    toggle(client, child, activity_id(db, code), day)
    summary = page_text(client.get("/recapitulatif"))
    if verdict.value == "ok":
        assert "Refusée : " not in summary, (n, summary)  # allowed by the rules (the day may still be full)
        assert any(
            w in summary for w in ("Acceptée", "Liste d'attente", "Complet (pas de liste d'attente)")
        ), n
    else:
        assert "Refusée : " in summary and words.lower() in summary.lower(), (n, summary)


def test_my_account_changes_the_e_mail_and_refuses_a_wrong_one(client, db):
    family_id, _children, identifier = family_with_access(db)
    login(client, identifier)
    wrong = post(client, "/compte", {"email": "pas-une-adresse", "telephone": ""})
    assert wrong.status_code == 400 and "adresse e-mail invalide" in text(wrong)
    done = post(client, "/compte", {"email": "nouveau@example.org", "telephone": "0563648244"})
    assert done.headers["location"] == "/compte"
    page = text(client.get("/compte"))
    assert "nouveau@example.org" in page and "05 63 64 82 44" in page
    with db.reading() as uow:
        entry = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "portal.contact"))
        assert entry.family_id == family_id and entry.agent_id is None


# --- after a review: what a careful attacker or a hurried parent would do -----------------------------------------


def test_every_form_is_refused_without_its_token(client, db):
    _family_id, _children, identifier = family_with_access(db, balance_cents=10_000)
    login(client, identifier)
    for path in (
        "/deconnexion",
        "/mot-de-passe",
        "/mot-de-passe-oublie",
        "/nouveau-mot-de-passe",
        "/reserver/jour",
        "/reserver/annuler",
        "/copier",
        "/confirmer",
        "/compte",
        "/connexion",
    ):
        assert client.post(path, data={"csrf": "x" * 43}, follow_redirects=False).status_code == 403, path
    assert client.get("/compte").status_code == 200  # still logged in: nothing happened


def test_the_reset_link_names_the_portal_s_address_whatever_host_the_request_gives(client, db):
    family_id, _children, identifier = family_with_access(db, email="parent@example.org")
    token = csrf(client, "/mot-de-passe-oublie")
    client.post(
        "/mot-de-passe-oublie",
        data={"csrf": token, "identifiant": identifier},
        headers={"host": "piege.example"},
    )
    with db.reading() as uow:
        body = uow.session.scalar(select(OutboxMessage.body).where(OutboxMessage.family_id == family_id))
    assert "https://portail.ville.example/nouveau-mot-de-passe?jeton=" in body and "piege" not in body


def test_a_new_password_ends_the_other_sessions(client, db):
    family_id, _children, identifier = family_with_access(db)
    login(client, identifier)
    with TestClient(client.app) as other:  # the same family on another computer
        login(other, identifier)
        changed = post(
            other,
            "/mot-de-passe",
            {
                "actuel": "mot-de-passe-famille",
                "nouveau": "un-autre-secret",
                "confirmation": "un-autre-secret",
            },
        )
        assert (
            changed.headers["location"] == "/" and other.get("/soldes").status_code == 200
        )  # this one goes on
    assert client.get("/soldes", follow_redirects=False).headers["location"] == "/connexion"
    login(client, identifier, "un-autre-secret")
    issue_portal_password(
        db, actor(db, Role.AGENT), family_id, by_email=False
    )  # the counter issues a new one
    assert client.get("/soldes", follow_redirects=False).headers["location"] == "/connexion"


def test_confirmer_sent_twice_confirms_once(client, db):
    _family_id, (child,), identifier = family_with_access(db, balance_cents=10_000)
    pv = activity_id(db, "CLSH-PV")
    login(client, identifier)
    toggle(client, child, pv, date(2026, 12, 21))
    toggle(client, child, pv, date(2026, 12, 28))
    token = csrf(client, "/recapitulatif")
    before = dict(client.cookies)  # a double click: the second request leaves with the same cookie
    first = client.post("/confirmer", data={"csrf": token}, follow_redirects=False)
    client.cookies.clear()
    client.cookies.update(before)
    second = client.post("/confirmer", data={"csrf": token}, follow_redirects=False)
    assert first.headers["location"] == second.headers["location"] == "/resultat"
    result = text(client.get("/resultat"))
    assert result.count("Acceptée") == 2 and "Refusée" not in result
    with db.reading() as uow:
        assert (
            len(uow.session.scalars(select(Reservation.id).where(Reservation.child_id == child)).all()) == 2
        )


def test_the_session_cookie_stays_under_4_kb_with_a_full_basket(client, db):
    from app.web.session import MAX_BASKET

    _family_id, (child,), identifier = family_with_access(db, balance_cents=10_000)
    pv = activity_id(db, "CLSH-PV")
    login(client, identifier)
    token = csrf(client, "/reserver")
    for n in range(MAX_BASKET + 1):
        day = date(2027, 1, 1).fromordinal(date(2027, 1, 1).toordinal() + n)
        response = client.post(
            "/reserver/jour",
            data={"csrf": token, "enfant": child, "activite": pv, "jour": day.isoformat(), "action": "add"},
            follow_redirects=False,
        )
    assert len(client.cookies.get("portail_famille")) < 4000
    assert f"Au plus {MAX_BASKET} demandes" in text(client.get(response.headers["location"]))


def test_a_family_acting_for_itself_writes_only_through_the_portal_s_services(db):
    from app.services.actors import Actor
    from app.services.errors import PermissionDenied

    family_id, _children, _identifier = family_with_access(db)
    with pytest.raises(PermissionDenied):
        issue_portal_password(db, Actor.family(family_id), family_id, by_email=False)
