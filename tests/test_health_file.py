"""The children's « fiche sanitaire et contacts » (issue 34, item 2), on SQLite and PostgreSQL: saved and read back,
French messages for bad input, seen only by the agents with the right (and the family on the portal), on the
attendance list (a ⚠ and a page of the fiches) only for them, in the family's export, erased by the anonymisation
with nothing readable left in the audit trail."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import date, datetime, time, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.clock import paris
from app.models import (
    ActivityDay,
    Agent,
    AuditEntry,
    Base,
    ChildContact,
    ChildHealth,
    Reservation,
    ReservationStatus,
    Role,
)
from app.services.actors import Actor
from app.services.documents.attendance import attendance_pdf
from app.services.errors import FieldErrors, HealthAccessDenied, PermissionDenied, UnknownEntity
from app.services.families.forgetting import BalanceChoice, anonymise_family
from app.services.families.health import (
    HIDDEN,
    ContactInput,
    HealthInput,
    emergency_contact_counts,
    health_access,
    health_file,
    save_health_file,
)
from app.services.families.privacy import export_family
from app.services.setup.agents import agents, set_health_access
from app.services.uow import Database, new_operation_key
from tests.helpers import activity_id, actor, new_family, row_counts

NOW = paris(date(2026, 11, 26), time(10, 0))
ALLERGY = "Allergie sévère au kiwi (Zyrtec)"
DIET = "Végétarien strict"
WEDNESDAY = date(2026, 12, 9)


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


def agent(db: Database, login: str) -> Actor:
    with db.reading() as uow:
        a = uow.session.scalar(select(Agent).where(Agent.login == login))
        return Actor(a.id, a.role, a.full_name)


def full_input(**changes) -> HealthInput:
    data = HealthInput(
        has_allergy=True,
        allergies=ALLERGY,
        pai=True,
        pai_until=date(2027, 7, 4),
        diet=DIET,
        doctor_name="Dr Ribeiro",
        doctor_phone="0563112233",
        emergency=[
            ContactInput("Odilonne Kiwanuka", "grand-mère", "+33 6 12 34 56 78"),
            ContactInput(),
            ContactInput("Marc Kiwanuka", "oncle", "07.11.22.33.44"),
        ],
        pickup=[ContactInput("Jeanne Voisin", "voisine", "")],
        photos=False,
        leave_alone=None,
        medical=True,
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def pdf_text(pdf: bytes) -> tuple[str, list[str]]:
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    clean = [" ".join(p.replace("\xa0", " ").replace("\u202f", " ").split()) for p in pages]
    return " ".join(clean), clean


def booked_child(db: Database, name: str = "Kiwanuka") -> tuple[int, int]:
    """A new family whose child is accepted on the ALAE's Wednesday 9 December 2026."""
    family_id, (child_id,) = new_family(db, name, children=("Zoé",))
    with db.writing() as uow:
        s = uow.session
        day_id = s.scalar(
            select(ActivityDay.id).where(
                ActivityDay.activity_id == activity_id(db, "ALAE-MER"), ActivityDay.day == WEDNESDAY
            )
        )
        s.add(
            Reservation(
                child_id=child_id,
                activity_day_id=day_id,
                status=ReservationStatus.ACCEPTED,
                requested_at=NOW - timedelta(days=3),
                price_cents=900,
            )
        )
        uow.commit()
    return family_id, child_id


def test_a_fiche_saved_and_read_back(db):
    admin = actor(db, Role.ADMIN)
    family_id, (child_id,) = new_family(db, "Kiwanuka", children=("Zoé",))
    empty = health_file(db, admin, child_id)
    assert empty.updated_at is None and empty.emergency == () and not empty.flagged(NOW.date())
    assert emergency_contact_counts(db, family_id) == {child_id: 0}

    save_health_file(db, admin, child_id, full_input())
    f = health_file(db, admin, child_id)
    assert (f.has_allergy, f.allergies, f.pai, f.pai_until, f.diet) == (
        True,
        ALLERGY,
        True,
        date(2027, 7, 4),
        DIET,
    )
    assert (f.doctor_name, f.doctor_phone) == ("Dr Ribeiro", "05 63 11 22 33")
    assert [(c.name, c.relation, c.phone) for c in f.emergency] == [
        ("Odilonne Kiwanuka", "grand-mère", "06 12 34 56 78"),
        ("Marc Kiwanuka", "oncle", "07 11 22 33 44"),
    ]
    assert [(c.name, c.phone) for c in f.pickup] == [("Jeanne Voisin", "")]
    assert (f.photos, f.photos_on, f.leave_alone, f.leave_alone_on, f.medical, f.medical_on) == (
        False,
        date(2026, 11, 26),
        None,
        None,
        True,
        date(2026, 11, 26),
    )
    assert f.answer("photos") == "non (le 26/11/2026)" and f.answer("leave_alone") == "sans réponse"
    assert f.flagged(NOW.date()) and emergency_contact_counts(db, family_id) == {child_id: 2}
    assert f.as_input().emergency[1] == ContactInput("Marc Kiwanuka", "oncle", "07 11 22 33 44")

    # a week later: photos now allowed (today's date), the other answers keep theirs
    db.clock.set(NOW + timedelta(days=7))
    save_health_file(db, admin, child_id, full_input(photos=True))
    f = health_file(db, admin, child_id)
    assert (f.photos, f.photos_on, f.medical_on) == (True, date(2026, 12, 3), date(2026, 11, 26))
    with db.reading() as uow:
        rows = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "child", AuditEntry.entity_id == str(child_id))
        ).all()
        from app.services.audit import opened

        trail = [(r.action, opened(uow.session, r)[1]) for r in rows]
    assert trail == [
        ("child.health.create", {"champs_modifiés": list(trail[0][1]["champs_modifiés"])}),
        ("child.health.update", {"champs_modifiés": ["photos"]}),
    ]
    assert "allergies" in trail[0][1]["champs_modifiés"]
    # the same fiche again: nothing to record
    save_health_file(db, admin, child_id, full_input(photos=True))
    with db.reading() as uow:
        assert uow.session.scalar(select(func.count()).where(AuditEntry.action.like("child.health%"))) == 2


def test_bad_input_says_why_in_french_and_changes_nothing(db):
    admin = actor(db, Role.ADMIN)
    _family_id, (child_id,) = new_family(db, "Kiwanuka", children=("Zoé",))
    cases = [
        (full_input(allergies=""), "allergies", "Allergie cochée : précisez laquelle"),
        (full_input(pai=False), "pai_until", "Date de fin de PAI sans PAI"),
        (
            full_input(pai_until=date(2026, 11, 25)),
            "pai_until",
            "Date de fin du PAI déjà passée : 25/11/2026",
        ),
        (full_input(doctor_phone="12 34"), "doctor_phone", "Téléphone du médecin invalide : « 12 34 »"),
        (
            full_input(emergency=[ContactInput("Odilonne Kiwanuka", "grand-mère", "")]),
            "emergency1phone",
            "Contact d'urgence n° 1 : le téléphone est obligatoire.",
        ),
        (
            full_input(pickup=[ContactInput("", "voisine", "0612345678")]),
            "pickup1name",
            "Personne autorisée n° 1 : le nom est obligatoire.",
        ),
        (
            full_input(pickup=[ContactInput(f"Personne {i}", "", "") for i in range(7)]),
            "pickup",
            "Personne autorisée : 6 personnes au plus.",
        ),
        (full_input(diet="x" * 201), "diet", "Régime alimentaire : trop long"),
    ]
    before = row_counts(db)
    for data, field, message in cases:
        with pytest.raises(FieldErrors) as refused:
            save_health_file(db, admin, child_id, data)
        assert message in refused.value.fields[field], refused.value.fields
    assert row_counts(db) == before

    # an end date kept from an earlier save may have passed since: the fiche stays editable
    save_health_file(db, admin, child_id, full_input(pai_until=date(2026, 12, 1)))
    db.clock.set(paris(date(2026, 12, 15), time(9, 0)))
    save_health_file(db, admin, child_id, full_input(pai_until=date(2026, 12, 1), diet=""))
    f = health_file(db, admin, child_id)
    assert f.pai_text(date(2026, 12, 15)) == "terminé le 01/12/2026" and not f.pai_in_force(
        date(2026, 12, 15)
    )
    assert f.flagged(date(2026, 12, 15))  # the allergy still
    save_health_file(db, admin, child_id, full_input(pai_until=date(2026, 12, 1), diet="", has_allergy=False))
    assert not health_file(db, admin, child_id).flagged(date(2026, 12, 15))  # an ended PAI marks no more


def test_only_agents_with_the_right_read_or_save_a_fiche(db):
    admin, plain = actor(db, Role.ADMIN), agent(db, "kbenali")
    _family_id, (child_id,) = new_family(db, "Kiwanuka", children=("Zoé",))
    assert health_access(db, admin.agent_id) and not health_access(db, plain.agent_id)
    before = row_counts(db)
    for call in (
        lambda: health_file(db, plain, child_id),
        lambda: save_health_file(db, plain, child_id, full_input()),
    ):
        with pytest.raises(HealthAccessDenied) as refused:
            call()
        assert "réservée aux agents ayant l'accès aux fiches sanitaires" in str(refused.value)
        assert "Administration → Agents" in str(refused.value)
    # an Actor claiming to be an administrator is not trusted: the database says who it is
    with pytest.raises(HealthAccessDenied):
        health_file(db, Actor(plain.agent_id, Role.ADMIN, "?"), child_id)
    assert row_counts(db) == before

    with pytest.raises(PermissionDenied, match="Action réservée à un administrateur : donner ou retirer"):
        set_health_access(db, plain, plain.agent_id, True)
    set_health_access(db, admin, plain.agent_id, True)
    assert next(a for a in agents(db) if a.id == plain.agent_id).health_access
    save_health_file(db, plain, child_id, full_input())
    assert health_file(db, plain, child_id).allergies == ALLERGY
    set_health_access(db, admin, plain.agent_id, False)
    with pytest.raises(HealthAccessDenied):
        health_file(db, plain, child_id)
    with db.reading() as uow:
        trail = uow.session.execute(
            select(AuditEntry.action, AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.action == "agent.health_access")
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(r) for r in trail] == [
        ("agent.health_access", {"health_access": False}, {"health_access": True}),
        ("agent.health_access", {"health_access": True}, {"health_access": False}),
    ]


def test_a_family_reads_and_saves_its_own_children_s_fiches_only(db):
    family_id, (child_id,) = new_family(db, "Kiwanuka", children=("Zoé",))
    _other, (stranger,) = new_family(db, "Autre", children=("Noé",))
    with db.writing() as uow:
        from app.models import Family
        from app.services.security import hash_password

        f = uow.session.get(Family, family_id)
        f.portal_login, f.portal_password_hash = "kiwanuka01", hash_password("cheval-tulipe-ardoise")
        uow.commit()
    me = Actor.family(family_id)
    save_health_file(db, me, child_id, full_input())
    assert health_file(db, me, child_id).diet == DIET
    with pytest.raises(UnknownEntity, match="Enfant inconnu"):
        health_file(db, me, stranger)
    with pytest.raises(UnknownEntity, match="Enfant inconnu"):
        save_health_file(db, me, stranger, full_input())
    with db.reading() as uow:
        row = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.health.create"))
        assert row.agent_id is None and row.family_id == family_id  # audited as the family


def test_the_attendance_list_shows_the_fiches_to_an_agent_with_the_right_only(db):
    admin, plain = actor(db, Role.ADMIN), agent(db, "kbenali")
    _family_id, child_id = booked_child(db)
    save_health_file(db, admin, child_id, full_input())
    _other, bare = booked_child(db, "Sanscontact")
    alae = activity_id(db, "ALAE-MER")

    text, pages = pdf_text(attendance_pdf(db, alae, WEDNESDAY, admin.name, actor=admin))
    first = pages[0]
    assert "⚠ KIWANUKA Zoé" in first and "SANSCONTACT Zoé" in first and "⚠ SANSCONTACT" not in first
    assert "Aucun contact d'urgence" in first and ALLERGY not in first  # the list itself: one line per child
    start = next(i for i, p in enumerate(pages) if "Fiches sanitaires et contacts" in p)
    assert start == 1  # the list on its page, the fiches from the next one
    health = " ".join(pages[start:])
    for expected in (
        ALLERGY,
        "PAI : oui, jusqu'au 04/07/2027",
        f"Régime : {DIET}",
        "Médecin : Dr Ribeiro 05 63 11 22 33",
        "Odilonne Kiwanuka (grand-mère) 06 12 34 56 78",
        "Marc Kiwanuka (oncle) 07 11 22 33 44",
        "Jeanne Voisin (voisine)",
        "Seul ? · Photo NON · Soins oui",
        "Aucun contact d'urgence",
    ):
        assert expected in health, expected
    assert re.search(r"\d+ enfants signalés ⚠", health)

    for pdf in (
        attendance_pdf(db, alae, WEDNESDAY, "Karim Benali", actor=plain),
        attendance_pdf(db, alae, WEDNESDAY, "impression automatique"),  # the command line: no agent
    ):
        hidden, hidden_pages = pdf_text(pdf)
        assert "KIWANUKA Zoé" in hidden and "Aucun contact d'urgence" in hidden
        assert "⚠" not in hidden and "Fiches sanitaires" not in hidden
        assert (
            ALLERGY not in hidden
            and DIET not in hidden
            and "Odilonne" not in hidden
            and "Dr Ribeiro" not in hidden
        )
        assert len(hidden_pages) < len(pages)
    assert bare  # the child without a fiche is on both lists


def test_the_export_holds_the_fiches_and_the_anonymisation_erases_them(db):
    admin, plain = actor(db, Role.ADMIN), agent(db, "kbenali")
    family_id, child_id = booked_child(db)
    save_health_file(db, admin, child_id, full_input())

    export = export_family(db, admin, family_id)
    fiche = export["enfants"][0]["fiche_sanitaire"]
    assert (
        fiche["allergies"] == ALLERGY
        and fiche["régime_alimentaire"] == DIET
        and fiche["pai_jusqu_au"] == "2027-07-04"
    )
    assert [c["nom"] for c in fiche["contacts_d_urgence"]] == ["Odilonne Kiwanuka", "Marc Kiwanuka"]
    assert fiche["personnes_autorisées"] == [{"nom": "Jeanne Voisin", "lien": "voisine", "téléphone": ""}]
    assert fiche["autorisations"]["photos"] == "non (le 26/11/2026)"
    # an agent without the right exports the rest, and is told the fiche is not his to read
    hidden = export_family(db, plain, family_id)
    assert hidden["enfants"][0]["fiche_sanitaire"] == HIDDEN
    from app.services.documents.family_papers import family_export_pdf

    shown, _pages = pdf_text(family_export_pdf(db, export, "Nathalie Roques"))
    assert "Fiches sanitaires et contacts (1)" in shown and ALLERGY in shown
    assert "PAI jusqu'au 04/07/2027" in shown and "2027-07-04" not in shown  # a French date on paper
    assert "Odilonne Kiwanuka (grand-mère) 06 12 34 56 78" in shown
    withheld, _pages = pdf_text(family_export_pdf(db, hidden, "Karim Benali"))
    assert "(réservée aux agents ayant l'accès aux fiches sanitaires)" in withheld and ALLERGY not in withheld
    assert ALLERGY not in json.dumps(hidden, ensure_ascii=False)
    assert "Odilonne" not in json.dumps(hidden, ensure_ascii=False)

    assert raw_hits(db, ("kiwi", "Odilonne", "Végétarien strict")) == {
        "child_health.allergies",
        "child_health.diet",
        "child_contacts.name",
    }  # in clear in the fiche's own rows only: the audit trail has the changed fields' names, sealed

    anonymise_family(
        db, actor(db, Role.SUPERVISOR), family_id, balance=BalanceChoice.KEEP, key=new_operation_key()
    )
    with db.reading() as uow:
        s = uow.session
        assert (
            s.scalar(select(func.count()).select_from(ChildHealth).where(ChildHealth.child_id == child_id))
            == 0
        )
        assert (
            s.scalar(select(func.count()).select_from(ChildContact).where(ChildContact.child_id == child_id))
            == 0
        )
        rows = s.scalars(select(AuditEntry).where(AuditEntry.family_id == family_id)).all()
        from app.services.audit import opened
        from app.services.sealing import ERASED

        assert {opened(s, r)[1] for r in rows if r.action.startswith("child.health")} == {ERASED}
    assert raw_hits(db, ("kiwi", "Odilonne", "Végétarien strict", "Ribeiro")) == set()


def raw_hits(db: Database, needles: tuple[str, ...]) -> set[str]:
    """Every table.column whose raw value (as stored: sealed values are ciphertext) holds one of ``needles``."""
    found = set()
    with db.reading() as uow:
        conn = uow.session.connection()
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is None or isinstance(value, bytes | int | float | date | datetime | time):
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    if any(n.lower() in text.lower() for n in needles):
                        found.add(f"{table.name}.{column}")
    return found


# --- the portal: « Mon compte » → the child ---------------------------------------------------------------------


def test_the_family_edits_its_child_s_fiche_on_the_portal(db):
    from fastapi.testclient import TestClient

    from app.web.app import create_app
    from app.web.security import Limits
    from tests.test_portal_http import SECRET, family_with_access, login, page_text, post

    family_id, (child_id,), identifier = family_with_access(db, "Kiwanuka", children=("Zoé",))
    _other, (stranger,) = new_family(db, "Autre", children=("Noé",))
    app = create_app(
        db, secret_key=SECRET, public_url="https://portail.ville.example", limits=Limits.relaxed()
    )
    with TestClient(app, base_url="http://portail.test") as client:
        login(client, identifier)
        account = page_text(client.get("/compte"))
        assert "Vos enfants" in account and "fiche sanitaire et contacts" in account
        assert f'href="/compte/enfant/{child_id}"' in client.get("/compte").text
        form = client.get(f"/compte/enfant/{child_id}")
        assert form.status_code == 200 and "Fiche sanitaire – Zoé Kiwanuka" in page_text(form)
        fields = {
            "has_allergy": "1",
            "allergies": ALLERGY,
            "pai": "1",
            "pai_until": "2027-07-04",
            "diet": DIET,
            "doctor_name": "Dr Ribeiro",
            "doctor_phone": "05 63 11 22 33",
            "emergency0_name": "Odilonne Kiwanuka",
            "emergency0_relation": "grand-mère",
            "emergency0_phone": "0612345678",
            "pickup0_name": "Jeanne Voisin",
            "photos": "non",
            "leave_alone": "",
            "medical": "oui",
        }
        # without the form's token: refused, nothing saved
        refused = client.post(f"/compte/enfant/{child_id}", data=fields, follow_redirects=False)
        assert refused.status_code == 403
        # a bad date and a bad phone: said in French, what was typed kept
        wrong = post(
            client,
            f"/compte/enfant/{child_id}",
            {**fields, "pai_until": "le 4 juillet", "emergency0_phone": "12"},
        )
        assert wrong.status_code == 400 and "Date de fin du PAI invalide : « le 4 juillet »" in page_text(
            wrong
        )
        wrong = post(client, f"/compte/enfant/{child_id}", {**fields, "emergency0_phone": "12"})
        assert wrong.status_code == 400
        assert "Contact d'urgence n° 1 : téléphone invalide « 12 »" in page_text(wrong) and DIET in wrong.text
        assert health_file(db, actor(db, Role.ADMIN), child_id).updated_at is None
        done = post(client, f"/compte/enfant/{child_id}", fields)
        assert done.status_code == 303 and done.headers["location"] == "/compte"
        assert "La fiche sanitaire de Zoé Kiwanuka est enregistrée." in page_text(client.get("/compte"))
        again = html.unescape(client.get(f"/compte/enfant/{child_id}").text)  # the values are in the fields
        assert ALLERGY in again and "06 12 34 56 78" in again and "réponse du 26/11/2026" in again
        # another family's child: not found, not shown
        other = client.get(f"/compte/enfant/{stranger}")
        assert other.status_code == 404 and "Noé" not in other.text
    f = health_file(db, actor(db, Role.ADMIN), child_id)
    assert (f.allergies, f.pai_until, f.photos, f.leave_alone, f.medical) == (
        ALLERGY,
        date(2027, 7, 4),
        False,
        None,
        True,
    )
    with db.reading() as uow:
        row = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "child.health.create"))
        assert row.agent_id is None and row.family_id == family_id


# --- the counter: the Fiche sanitaire tab and Administration → Agents ----------------------------------------


def test_the_counter_s_tab_for_an_agent_with_the_right_only(qtbot, db):
    from app.services.counter import CounterSession, default_session
    from tests.helpers import counter_window
    from tests.test_counter_gui import open_family

    _family_id, child_id = booked_child(db)
    admin = counter_window(qtbot, db, CounterSession(actor(db, Role.ADMIN), default_session(db).structures))
    open_family(qtbot, admin, "Kiwanuka")
    page = admin.page
    tab = page.health_tab
    assert page.tabs.isTabVisible(page.tabs.indexOf(tab))
    assert [f.child_name for f in tab.rows.rows] == ["Zoé Kiwanuka"]
    assert tab.rows.data(tab.rows.index(0, 4)) == "aucun contact d'urgence"
    famille = page.family_tab.children_model
    assert famille.data(famille.index(0, len(famille.columns) - 1)) == "aucun contact d'urgence"

    dialog = tab.open_dialog(tab.rows.rows[0])
    dialog.has_allergy.setChecked(True)  # no text: the service's message, on the form
    dialog._try_save()
    assert dialog.isVisible() and "Allergie cochée" in dialog.errors.text()
    dialog.allergies.setPlainText(ALLERGY)
    dialog.diet.setText(DIET)
    name, relation, phone = dialog.emergency.rows[0]
    name.setText("Odilonne Kiwanuka")
    relation.setText("grand-mère")
    phone.setText("0612345678")
    dialog.photos.buttons[False].setChecked(True)
    dialog._try_save()
    assert not dialog.isVisible(), dialog.errors.text()
    f = health_file(db, actor(db, Role.ADMIN), child_id)
    assert (f.allergies, f.diet, f.photos, [c.phone for c in f.emergency]) == (
        ALLERGY,
        DIET,
        False,
        ["06 12 34 56 78"],
    )
    assert tab.rows.rows[0].allergies == ALLERGY  # read again after the save
    assert tab.rows.data(tab.rows.index(0, 0)) == "⚠ Zoé Kiwanuka"
    assert famille.data(famille.index(0, len(famille.columns) - 1)) == "1 contact"

    plain = counter_window(qtbot, db, CounterSession(agent(db, "kbenali"), default_session(db).structures))
    open_family(qtbot, plain, "Kiwanuka")
    assert not plain.page.tabs.isTabVisible(plain.page.tabs.indexOf(plain.page.health_tab))
    assert plain.page.health_tab.rows.rows == []


def test_the_administrator_gives_and_takes_the_right(qtbot, db):
    from app.services.counter import CounterSession, default_session
    from tests.helpers import counter_window

    window = counter_window(qtbot, db, CounterSession(actor(db, Role.ADMIN), default_session(db).structures))
    dialog = window.open_admin()
    dialog.tabs.setCurrentWidget(dialog.agents)
    panel = dialog.agents
    panel.select_login("kbenali")
    form = panel.open_edit()
    assert form.health_access.text() == "Accès aux fiches sanitaires" and not form.health_access.isChecked()
    form.health_access.setChecked(True)
    form._try_save()
    row = next(a for a in panel.rows.rows if a.login == "kbenali")
    assert row.health_access and health_access(db, row.id)
    column = [c.header for c in panel.rows.columns].index("Fiches sanitaires")
    shown = panel.rows.rows.index(row)
    assert panel.rows.data(panel.rows.index(shown, column)) == "accès"
    panel.select_login("kbenali")
    form = panel.open_edit()
    assert form.health_access.isChecked()
    form.health_access.setChecked(False)
    form._try_save()
    assert not health_access(db, row.id)


def test_the_flag_is_drawn_by_the_documents_embedded_font():
    """The ⚠ of the attendance list is a glyph of DejaVu Sans Condensed, the font every document embeds (the
    standard Helvetica has none: it would print a black box)."""
    from reportlab.pdfbase.pdfmetrics import getFont

    from app.services.documents.attendance import FLAG
    from app.services.documents.toolkit import FONT, FONT_BOLD

    for name in (FONT, FONT_BOLD):
        assert ord(FLAG) in getFont(name).face.charToGlyph, name


# --- the review's points: remarks, the right given in one transaction, French formats, the portal's date -------


def test_the_child_s_remarks_invite_no_health_data(qtbot, db):
    """The child's « Remarques » are shown to every agent and printed on every attendance list: their placeholder
    sends health data to the fiche sanitaire, and the demonstration keeps its allergies, PAI and diets there."""
    from app.models import Child
    from app.ui.families.family_dialog import ChildDialog

    dialog = ChildDialog(None, "Kiwanuka", NOW.date())
    qtbot.addWidget(dialog)
    hint = dialog.notes.placeholderText()
    assert "fiche sanitaire" in hint and not re.search(r"allerg|\bPAI\b|traitement", hint, re.IGNORECASE), (
        hint
    )

    health_words = re.compile(r"allerg|\bPAI\b|asthm|porc|régime|arachide", re.IGNORECASE)
    with db.reading() as uow:
        s = uow.session
        notes = [n for n in s.scalars(select(Child.notes)) if n]
        assert [n for n in notes if health_words.search(n)] == []
        fiches = s.scalars(select(ChildHealth)).all()
    assert any(f.has_allergy and "Arachides" in f.allergies for f in fiches)
    assert any(f.pai and "Ventoline" in f.allergies for f in fiches)
    assert any(f.diet == "Sans porc" for f in fiches)


class _JournalDown:
    """``audit.record`` failing on one action: what comes after the agent's row in its transaction fails."""

    def __init__(self, action: str) -> None:
        from app.services import audit

        self.action, self.record = action, audit.record

    def __call__(self, s, **kw):
        from app.services.errors import ValidationError

        if kw.get("action") == self.action:
            raise ValidationError("Journal indisponible.")
        return self.record(s, **kw)


def test_an_agent_is_given_the_right_in_the_same_transaction(qtbot, db, monkeypatch):
    from app.services import audit
    from app.services.counter import CounterSession, default_session
    from app.services.setup.agents import create_agent, update_agent
    from tests.helpers import counter_window

    admin = actor(db, Role.ADMIN)
    window = counter_window(qtbot, db, CounterSession(admin, default_session(db).structures))
    panel = window.open_admin().agents
    form = panel.open_new()
    form.login.setText("lgarcia")
    form.full_name.setText("Léa Garcia")
    next(iter(form.structures.values())).setChecked(True)
    form.health_access.setChecked(True)
    monkeypatch.setattr(audit, "record", _JournalDown("agent.health_access"))
    form._try_save()
    assert form.isVisible() and "Journal indisponible." in form.errors.text()
    assert "lgarcia" not in [a.login for a in agents(db)]  # the right failed: no agent either
    monkeypatch.undo()
    form._try_save()
    assert not form.isVisible(), form.errors.text()
    made = next(a for a in agents(db) if a.login == "lgarcia")
    assert made.health_access and health_access(db, made.id)
    with db.reading() as uow:
        trail = uow.session.execute(
            select(AuditEntry.action, AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.entity == "agent", AuditEntry.entity_id == str(made.id))
            .order_by(AuditEntry.id)
        ).all()
    assert [r.action for r in trail] == ["agent.create", "agent.health_access"]
    assert (trail[1].before, trail[1].after) == ({"health_access": False}, {"health_access": True})

    # the services: a creation without the right gives none; a change of name and right is one transaction
    sid = made.structure_ids[0]
    plain = create_agent(db, admin, "tmartin", "Théo Martin", Role.AGENT, [sid])
    assert not health_access(db, plain.agent_id)
    monkeypatch.setattr(audit, "record", _JournalDown("agent.health_access"))
    with pytest.raises(Exception, match="Journal indisponible"):
        update_agent(
            db,
            admin,
            plain.agent_id,
            full_name="Théo Martin-Roux",
            role=Role.AGENT,
            structure_ids=[sid],
            health_access=True,
        )
    monkeypatch.undo()
    row = next(a for a in agents(db) if a.id == plain.agent_id)
    assert (row.full_name, row.health_access) == ("Théo Martin", False)
    update_agent(
        db,
        admin,
        plain.agent_id,
        full_name="Théo Martin-Roux",
        role=Role.AGENT,
        structure_ids=[sid],
        health_access=True,
    )
    row = next(a for a in agents(db) if a.id == plain.agent_id)
    assert (row.full_name, row.health_access) == ("Théo Martin-Roux", True)
    # the same right again (None: unchanged too): nothing recorded for it
    update_agent(
        db, admin, plain.agent_id, full_name="Théo Martin-Roux", role=Role.AGENT, structure_ids=[sid]
    )
    update_agent(
        db,
        admin,
        plain.agent_id,
        full_name="Théo Martin-Roux",
        role=Role.AGENT,
        structure_ids=[sid],
        health_access=True,
    )
    with db.reading() as uow:
        actions = uow.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity == "agent", AuditEntry.entity_id == str(plain.agent_id))
            .order_by(AuditEntry.id)
        ).all()
    assert sorted(actions) == ["agent.create", "agent.health_access", "agent.update"]


HAND_MADE = re.compile(r"strftime|:%d/%m|%d/%m/%Y|\{'s' if|\{\"s\" if|'s' if [a-z_]+ > 1")


def test_the_health_file_writes_french_formats_through_app_text():
    """Dates and plurals of the health file's screens, portal page and papers come from app/text.py (short_date, the
    portal's « date » filter, count / plural), not from a format or an « s » written by hand."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sources = [
        "app/services/families/health.py",
        "app/ui/families/health_tab.py",
        "app/ui/families/health_dialog.py",
        "app/ui/families/family_tab.py",
        "app/web/pages/health.py",
        "app/web/templates/fiche_sanitaire.html",
        "app/services/documents/attendance.py",
        "app/services/documents/family_papers.py",
    ]
    found = [
        f"{name}:{n}: {line.strip()}"
        for name in sources
        for n, line in enumerate((root / name).read_text(encoding="utf-8").splitlines(), start=1)
        if HAND_MADE.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("typed", "saved"),
    [("04/07/2027", date(2027, 7, 4)), ("5/7/2027", date(2027, 7, 5)), ("2027-07-06", date(2027, 7, 6))],
)
def test_the_portal_reads_a_pai_end_date_typed_in_french_or_iso(db, typed, saved):
    """A browser without a date picker sends what the family typed: « 04/07/2027 » as the example says, or ISO."""
    from fastapi.testclient import TestClient

    from app.web.app import create_app
    from app.web.security import Limits
    from tests.test_portal_http import SECRET, family_with_access, login, page_text, post

    _family_id, (child_id,), identifier = family_with_access(db, "Kiwanuka", children=("Zoé",))
    app = create_app(
        db, secret_key=SECRET, public_url="https://portail.ville.example", limits=Limits.relaxed()
    )
    fields = {"pai": "1", "pai_until": typed, "diet": DIET}
    with TestClient(app, base_url="http://portail.test") as client:
        login(client, identifier)
        for bad in ("31/02/2027", "04/07/27", "2027-13-01", "le 4 juillet"):
            before = row_counts(db)
            wrong = post(client, f"/compte/enfant/{child_id}", {**fields, "pai_until": bad})
            assert wrong.status_code == 400
            assert f"Date de fin du PAI invalide : « {bad} » (ex. 04/07/2027)" in page_text(wrong)
            assert f'value="{bad}"' in html.unescape(wrong.text)  # what was typed, kept to correct
            assert row_counts(db) == before
        assert health_file(db, actor(db, Role.ADMIN), child_id).updated_at is None
        done = post(client, f"/compte/enfant/{child_id}", fields)
        assert done.status_code == 303, page_text(done)
        again = client.get(f"/compte/enfant/{child_id}").text
        assert f'value="{saved.isoformat()}"' in again  # the date field's own format
    f = health_file(db, actor(db, Role.ADMIN), child_id)
    assert (f.pai, f.pai_until, f.diet) == (True, saved, DIET)
