"""The town's « adresse du portail famille »: an administrator's setting (a web address, audited),
written on the portal access letter and in the access e-mail, so that a family knows where to type its identifier;
set in Administration → Familles, where the town's retention period is."""

from __future__ import annotations

import io
from datetime import date, time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.clock import paris
from app.models import AuditEntry, Family, Role
from app.services.documents.family_papers import portal_letter_pdf
from app.services.end_of_day.mailer import SmtpSettings
from app.services.errors import PermissionDenied, ValidationError
from app.services.families.privacy import issue_portal_password
from app.services.setup.town_settings import portal_address, save_portal_address
from tests.helpers import actor, new_family
from tests.smtp_server import Server

NOW = paris(date(2026, 11, 26), time(10, 0))
ADDRESS = "https://portail.ville.fr"


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_address_is_an_administrator_s_audited_web_address(db):
    assert portal_address(db) == ""
    admin = actor(db, Role.ADMIN)
    assert save_portal_address(db, admin, f"  {ADDRESS}/ ") == ADDRESS
    assert portal_address(db) == ADDRESS
    for wrong in (
        "portail.ville.fr",
        "ftp://portail.ville.fr",
        "https://",
        "https://portail ville.fr",
        "https://moi:secret@portail.ville.fr",
        "https://portail.ville.fr:80a",
    ):
        with pytest.raises(ValidationError, match="adresse du portail famille"):
            save_portal_address(db, admin, wrong)
    with pytest.raises(PermissionDenied):
        save_portal_address(db, actor(db, Role.SUPERVISOR), "https://ailleurs.example")
    save_portal_address(db, admin, "http://192.168.1.20:8000/portail")
    save_portal_address(db, admin, "http://192.168.1.20:8000/portail")  # the same: nothing written again
    assert portal_address(db) == "http://192.168.1.20:8000/portail"
    with db.reading() as uow:
        rows = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "town.portal_address").order_by(AuditEntry.id)
        ).all()
    assert [(r.before, r.after, r.agent_id) for r in rows] == [
        ({"adresse": ""}, {"adresse": ADDRESS}, admin.agent_id),
        ({"adresse": ADDRESS}, {"adresse": "http://192.168.1.20:8000/portail"}, admin.agent_id),
    ]
    assert save_portal_address(db, admin, "") == "" and portal_address(db) == ""


def test_the_access_letter_gives_the_portal_s_address(db):
    family_id, _ = new_family(db, "Adresse", email=None)
    with db.writing() as uow:
        family = uow.session.get(Family, family_id)
        family.address, family.postal_code, family.city = "3 rue des Écoles", "82700", "Montech"
        uow.commit()
    save_portal_address(db, actor(db, Role.ADMIN), ADDRESS)
    credentials = issue_portal_password(db, actor(db, Role.AGENT), family_id, by_email=False)
    pdf = portal_letter_pdf(db, family_id, credentials.login, credentials.temporary_password, "Sophie Martin")
    text = _text(pdf)
    assert "Famille ADRESSE 3 rue des Écoles, 82700 Montech" in text  # the family's own address, still
    assert f"Rendez-vous sur {ADDRESS} avec l'identifiant {credentials.login}" in text
    assert f"Adresse du portail {ADDRESS}" in text and credentials.temporary_password in text
    assert text.count(ADDRESS) == 2


def test_without_the_setting_the_letter_says_to_ask_the_service(db):
    family_id, _ = new_family(db, "Sansadresse", email=None)
    credentials = issue_portal_password(db, actor(db, Role.AGENT), family_id, by_email=False)
    text = _text(
        portal_letter_pdf(db, family_id, credentials.login, credentials.temporary_password, "Sophie")
    )
    assert "http" not in text and credentials.login in text
    assert "l'adresse du portail famille auprès du service" in text


def test_the_access_e_mail_gives_the_portal_s_address(db):
    family_id, _ = new_family(db, "Courriel", email="courriel@example.org")
    save_portal_address(db, actor(db, Role.ADMIN), ADDRESS)
    smtp = Server()
    try:
        credentials = issue_portal_password(
            db,
            actor(db, Role.AGENT),
            family_id,
            by_email=True,
            smtp=SmtpSettings("127.0.0.1", smtp.port, "none"),
        )
    finally:
        smtp.stop()
    assert credentials.emailed
    [message] = smtp.recorder.messages
    body = " ".join(message.body.split())
    assert f"Rendez-vous sur {ADDRESS} avec l'identifiant {credentials.login}" in body
    assert credentials.temporary_password in body


def test_an_administrator_sets_the_address_in_the_families_tab(qtbot, db):
    from app.ui.setup.import_dialog import FamiliesPanel
    from tests.test_admin_gui import _window

    window = _window(qtbot, db)
    panel = FamiliesPanel(window.ctx)
    qtbot.addWidget(panel)
    portal = panel.portal_address
    assert portal.address.text() == ""
    portal.address.setText("portail.ville.fr")
    portal.save.click()
    assert "commence par https://" in portal.error.text() and portal_address(db) == ""
    portal.address.setText(f"{ADDRESS}/")
    portal.save.click()
    assert portal_address(db) == ADDRESS and portal.address.text() == ADDRESS and portal.error.text() == ""
    assert any(ADDRESS in m for m in window.messages + [window.statusBar().currentMessage()])
    assert FamiliesPanel(window.ctx).portal_address.address.text() == ADDRESS
