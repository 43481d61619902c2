"""pytest-qt: the set-up assistant of a real town on an empty database (SQLite and PostgreSQL), the first-run
choices, and the start-up path that logs the new administrator in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget, QWizard
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.bootstrap import migrate_shared_server, open_database
from app.config import resources_dir
from app.db import current_revision, head_revision, make_engine
from app.models import Activity, ActivityDay, Agent, Family, Role, Structure
from app.services.auth import login
from app.services.errors import ValidationError
from app.services.families.edit import FieldErrors
from app.services.setup.install import InstallInput, installed
from app.services.uow import Database
from app.settings import Settings
from app.ui.operations import Operations
from app.ui.setup.setup_wizard import SetupWizard
from app.ui.shell.application import (
    bring_server_schema_up,
    first_session,
    forget_unfinished_installation,
    open_main_window,
    setup_wizard_for,
    start_database,
)
from app.ui.shell.login_dialog import LoginDialog
from app.ui.shell.settings_dialog import FirstRunDialog

PASSWORD = "Mairie-2026!"
LOGO = resources_dir() / "icon.png"
USUAL = {"ALAE-MER", "CLSH-PV", "CLSH-ETE"}


@pytest.fixture
def fresh_db(backend: str, empty_url: str, clock) -> Iterator[Database]:
    """What start-up opens on a new counter: a new local file (migrated on opening) or a brand-new shared
    server migrated on confirmation (no supervisor exists yet)."""
    if backend == "postgresql":
        engine = make_engine(empty_url)
        migrate_shared_server(engine, "", "")
        engine.dispose()
    db = open_database(empty_url, clock=clock)
    yield db
    db.engine.dispose()


def new_wizard(qtbot, db: Database) -> SetupWizard:
    """The assistant as the application opens it: « Terminer » runs the installation through the operations."""
    ops = Operations()
    ops.show_messages = False
    wizard = setup_wizard_for(db, ops)
    wizard.ops = ops  # kept alive with the wizard
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def press(wizard: SetupWizard, which: str) -> None:
    """Click a wizard button as the agent would: "next", "back", "finish" or "cancel"."""
    button = {
        "next": QWizard.WizardButton.NextButton,
        "back": QWizard.WizardButton.BackButton,
        "finish": QWizard.WizardButton.FinishButton,
        "cancel": QWizard.WizardButton.CancelButton,
    }[which]
    wizard.button(button).click()


def fill_structure(wizard: SetupWizard, name: str, *, city: str = "Montech", email: str = "") -> None:
    page = wizard.structures
    page.name.setText(name)
    page.address.setText("12 allée des Écoles")
    page.postal_code.setText("82700")
    page.city.setText(city)
    page.phone.setText("05 63 64 82 44")
    page.email.setText(email)


def fill_admin(wizard: SetupWizard, *, confirm: str = PASSWORD) -> None:
    page = wizard.admin
    page.login.setText("NRoques ")
    page.full_name.setText("Nathalie  Roques")
    page.password.setText(PASSWORD)
    page.confirm.setText(confirm)


def go_to_summary(wizard: SetupWizard) -> None:
    press(wizard, "next")  # Bienvenue → Structures
    if not wizard.structures.name.text():
        fill_structure(wizard, "Accueil de loisirs de Montech")
    press(wizard, "next")
    fill_admin(wizard)
    press(wizard, "next")
    press(wizard, "next")  # Calendrier (zone C, year prepared) → Récapitulatif
    assert wizard.currentId() == SetupWizard.SUMMARY


def count(db: Database, model, *where) -> int:
    with db.reading() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def when_modal(action: Callable[[QWidget], None]) -> None:
    """Run ``action`` on the modal dialog as soon as it is open (exec() blocks the test until it closes)."""

    def attempt() -> None:
        widget = QApplication.activeModalWidget()
        if widget is None:
            QTimer.singleShot(20, attempt)
            return
        action(widget)

    QTimer.singleShot(0, attempt)


# --- the assistant, page by page -----------------------------------------------------------------------


def test_the_assistant_sets_up_two_structures_an_administrator_and_the_school_year(qtbot, fresh_db):
    wizard = new_wizard(qtbot, fresh_db)
    assert wizard.width() <= 1366 and wizard.height() <= 700  # fits a 1366×768 screen with its task bar
    welcome = wizard.welcome.text.text().replace("\u00a0", " ")
    assert (
        wizard.currentId() == SetupWizard.WELCOME
        and "Aucun compte n'est créé avec un mot de passe par défaut" in welcome
    )
    assert wizard.button(QWizard.WizardButton.NextButton).text().replace("&", "") == "Suivant >"
    assert wizard.button(QWizard.WizardButton.CancelButton).text() == "Annuler"
    press(wizard, "next")
    assert wizard.button(QWizard.WizardButton.BackButton).text().replace("&", "") == "< Précédent"
    page = wizard.structures
    fill_structure(wizard, "Accueil de loisirs de Montech", email="alsh@mairie-montech.fr")
    page.choose_file = lambda: str(LOGO)
    page.logo_button.click()
    assert page.logo_preview.pixmap() is not None and not page.logo_preview.pixmap().isNull()
    page.add_button.click()
    assert page.list.count() == 2 and page.city.text() == "Montech" and page.name.text() == ""
    page.name.setText("ALAE École Jules-Ferry")
    assert page.list.item(1).text() == "ALAE École Jules-Ferry"
    page.list.setCurrentRow(0)
    assert page.name.text() == "Accueil de loisirs de Montech"
    press(wizard, "next")
    fill_admin(wizard)
    press(wizard, "next")
    assert wizard.currentId() == SetupWizard.CALENDAR
    calendar = wizard.calendar
    assert calendar.zone_code == "C" and calendar.prepare.isChecked()
    assert [calendar.school_year.itemText(i) for i in range(2)] == ["2026-2027", "2027-2028"]
    press(wizard, "next")
    summary = wizard.summary.plain_text()
    for text in (
        "Accueil de loisirs de Montech",
        "ALAE École Jules-Ferry",
        "logo « icon.png »",
        "nroques",
        "Zone C",
        "Année scolaire 2026-2027 préparée",
    ):
        assert text in summary
    assert PASSWORD not in summary
    assert wizard.button(QWizard.WizardButton.FinishButton).text().replace("&", "") == "Terminer"
    assert installed(fresh_db) is None  # nothing written before « Terminer »
    press(wizard, "finish")

    assert wizard.result() == QWizard.DialogCode.Accepted and wizard.report is not None
    assert (wizard.admin_login, wizard.admin_password) == ("nroques", PASSWORD)
    db = fresh_db
    with db.reading() as uow:
        s = uow.session
        structures = {x.name: x for x in s.scalars(select(Structure))}
        assert set(structures) == {"Accueil de loisirs de Montech", "ALAE École Jules-Ferry"}
        montech = structures["Accueil de loisirs de Montech"]
        assert montech.logo == LOGO.read_bytes() and montech.email == "alsh@mairie-montech.fr"
        assert montech.school_zone == "C" and structures["ALAE École Jules-Ferry"].logo is None
        for structure in structures.values():
            codes = set(s.scalars(select(Activity.code).where(Activity.structure_id == structure.id)))
            assert codes == USUAL
        (admin,) = s.scalars(select(Agent).where(Agent.system.is_(False)))
        assert (admin.login, admin.full_name, admin.role) == ("nroques", "Nathalie Roques", Role.ADMIN)
        assert not admin.must_change_password
        assert {x.name for x in admin.structures} == set(structures)
    assert count(db, ActivityDay) > 2 * 35  # Wednesdays and holiday days of both structures

    session = login(db, wizard.admin_login, wizard.admin_password)
    window = open_main_window(db, session, wizard.report)
    qtbot.addWidget(window)
    assert window.top_bar.agent.text() == "Agent : Nathalie Roques" and not window.top_bar.admin.isHidden()
    assert window.top_bar.structure.count() == 2 and window.require_login
    boxes = [
        b.text().replace("\u00a0", " ")
        for b in window.findChildren(QMessageBox)
        if b.windowTitle() == "Mise en service"
    ]
    assert (
        boxes and "administrateur « nroques »" in boxes[0] and "Année scolaire 2026-2027 préparée" in boxes[0]
    )
    window.close()


def test_start_up_on_an_empty_database_runs_the_assistant_then_logs_the_administrator_in(qtbot, fresh_db):
    def drive(wizard) -> None:
        assert isinstance(wizard, SetupWizard)
        go_to_summary(wizard)
        press(wizard, "finish")

    when_modal(drive)
    session, report = first_session(fresh_db)
    assert session.actor.role is Role.ADMIN and session.actor.name == "Nathalie Roques"
    assert not session.must_change_password and [x.name for x in session.structures] == [
        "Accueil de loisirs de Montech"
    ]
    assert report.admin_login == "nroques" and report.generation is not None
    window = open_main_window(fresh_db, session, report)
    qtbot.addWidget(window)
    assert window.ctx.actor.agent_id == session.actor.agent_id and window.isVisible()
    window.close()


def test_cancelling_the_assistant_writes_nothing(qtbot, fresh_db):
    def drive(wizard) -> None:
        go_to_summary(wizard)
        press(wizard, "cancel")

    when_modal(drive)
    assert first_session(fresh_db) is None
    assert installed(fresh_db) is None and count(fresh_db, Activity) == 0


def test_passwords_that_differ_are_refused_on_the_administrator_page(qtbot, fresh_db):
    wizard = new_wizard(qtbot, fresh_db)
    press(wizard, "next")
    fill_structure(wizard, "ALSH Montech")
    press(wizard, "next")
    fill_admin(wizard, confirm="Mairie-2025!")
    press(wizard, "next")
    assert wizard.currentId() == SetupWizard.ADMIN
    assert "La confirmation ne correspond pas au mot de passe" in wizard.admin.errors.text().replace(
        "\u00a0", " "
    )
    assert wizard.admin.confirm.styleSheet() and not wizard.admin.password.styleSheet()
    wizard.admin.password.setText("court")
    wizard.admin.confirm.setText("court")
    press(wizard, "next")
    assert wizard.currentId() == SetupWizard.ADMIN and "de 12 à 128 caractères" in wizard.admin.errors.text()
    wizard.admin.login.setText("Nathalie Roques")  # a space and capitals: not an identifier
    press(wizard, "next")
    assert "Identifiant invalide" in wizard.admin.errors.text() and wizard.admin.login.styleSheet()
    assert installed(fresh_db) is None


def test_an_empty_structure_name_is_refused_on_the_structure_page(qtbot, fresh_db):
    wizard = new_wizard(qtbot, fresh_db)
    press(wizard, "next")
    press(wizard, "next")
    page = wizard.structures
    assert wizard.currentId() == SetupWizard.STRUCTURES
    assert page.errors.text() == "Le nom de la structure est obligatoire." and page.name.styleSheet()
    fill_structure(wizard, "ALSH Montech")
    page.add_button.click()
    page.name.setText("   ")
    page.email.setText("pas-une-adresse")
    page.list.setCurrentRow(0)
    press(wizard, "next")
    assert (
        wizard.currentId() == SetupWizard.STRUCTURES and page.list.currentRow() == 1
    )  # back on the wrong one
    text = page.errors.text().replace("\u00a0", " ")
    assert text.startswith("Structure n° 2 : Le nom de la structure est obligatoire.")
    assert "Adresse e-mail invalide" in text and page.email.styleSheet()
    page.remove_button.click()
    assert (
        page.list.count() == 1 and page.name.text() == "ALSH Montech" and not page.remove_button.isEnabled()
    )
    press(wizard, "next")
    assert wizard.currentId() == SetupWizard.ADMIN and installed(fresh_db) is None


def test_a_logo_that_is_not_an_image_is_refused_on_the_page(qtbot, fresh_db, tmp_path):
    wizard = new_wizard(qtbot, fresh_db)
    press(wizard, "next")
    fill_structure(wizard, "ALSH Montech")
    page = wizard.structures
    fake = tmp_path / "logo.png"
    fake.write_text("bonjour, je ne suis pas une image", encoding="utf-8")
    page.choose_file = lambda: str(fake)
    page.logo_button.click()
    assert page.errors.text() == "Le logo doit être une image PNG ou JPEG." and page.logo_preview.styleSheet()
    assert page.drafts[0].logo is None and page.logo_preview.text() == "Aucun logo"
    heavy = tmp_path / "lourd.png"
    heavy.write_bytes(LOGO.read_bytes()[:8] + b"\0" * 1_100_000)
    page.load_logo(heavy)
    assert "Logo trop lourd" in page.errors.text() and page.drafts[0].logo is None
    assert installed(fresh_db) is None
    go_to_summary(wizard)
    assert "logo de l'application" in wizard.summary.plain_text()
    press(wizard, "finish")
    with fresh_db.reading() as uow:
        assert uow.session.scalar(select(Structure.logo)) is None


def test_corse_and_dom_calendars_are_typed_later(qtbot, fresh_db):
    wizard = new_wizard(qtbot, fresh_db)
    press(wizard, "next")
    fill_structure(wizard, "Accueil de Bastia", city="Bastia")
    wizard.structures.postal_code.setText("20200")
    press(wizard, "next")
    fill_admin(wizard)
    press(wizard, "next")
    calendar = wizard.calendar
    calendar.zone.setCurrentIndex(calendar.zone.findData("Corse"))
    assert not calendar.prepare.isChecked() and not calendar.prepare.isEnabled()
    assert "n'est pas fourni" in calendar.zone_note.text()
    calendar.zone.setCurrentIndex(calendar.zone.findData("B"))
    assert calendar.prepare.isChecked() and calendar.prepare.isEnabled()
    calendar.zone.setCurrentIndex(calendar.zone.findData("Corse"))
    press(wizard, "next")
    assert "à préparer plus tard" in wizard.summary.plain_text()
    press(wizard, "finish")
    assert wizard.result() == QWizard.DialogCode.Accepted and wizard.report.generation is None
    with fresh_db.reading() as uow:
        assert uow.session.scalar(select(Structure.school_zone)) == "Corse"
    assert count(fresh_db, ActivityDay) == 0 and count(fresh_db, Activity) == 3


def test_errors_of_the_installation_keep_the_wizard_open_on_the_relevant_page(qtbot, fresh_db, monkeypatch):
    failures: list[Exception] = [
        FieldErrors({"structure0.email": "Adresse e-mail invalide : « x »."}),
        FieldErrors({"login": "Identifiant déjà pris."}),
        ValidationError(
            "Les vacances scolaires 2026-2027 de la zone C ne sont pas saisies : complétez le "
            "calendrier de l'année avant de générer les journées."
        ),
        OperationalError("INSERT", {}, Exception("server closed the connection")),
    ]

    def install(_db, _data: InstallInput):
        raise failures.pop(0)

    monkeypatch.setattr("app.services.setup.install.install", install)
    wizard = new_wizard(qtbot, fresh_db)
    go_to_summary(wizard)
    press(wizard, "finish")
    assert wizard.currentId() == SetupWizard.STRUCTURES and wizard.isVisible()
    assert (
        "Adresse e-mail invalide" in wizard.structures.errors.text() and wizard.structures.email.styleSheet()
    )
    assert wizard.structures.name.text() == "Accueil de loisirs de Montech"  # what was typed is kept
    press(wizard, "next")
    press(wizard, "next")
    press(wizard, "next")
    press(wizard, "finish")
    assert wizard.currentId() == SetupWizard.ADMIN and wizard.admin.errors.text() == "Identifiant déjà pris."
    assert wizard.admin.password.text() == PASSWORD
    press(wizard, "next")
    press(wizard, "next")
    press(wizard, "finish")
    assert wizard.currentId() == SetupWizard.CALENDAR
    text = wizard.calendar.errors.text().replace("\u00a0", " ")
    assert "ne sont pas saisies" in text and "décocher « Préparer l'année scolaire maintenant »" in text
    wizard.calendar.prepare.setChecked(False)
    press(wizard, "next")
    assert wizard.summary.errors.isHidden() and "à préparer plus tard" in wizard.summary.plain_text()
    press(wizard, "finish")
    assert wizard.currentId() == SetupWizard.SUMMARY and wizard.result() != QWizard.DialogCode.Accepted
    shown = wizard.summary.errors.text().replace("\u00a0", " ")
    assert shown.startswith(
        "La base de données ne répond pas ou a refusé l'opération ; rien n'a été enregistré."
    )
    assert wizard.report is None and installed(fresh_db) is None


def test_a_database_that_is_not_empty_gets_the_login_not_the_assistant(qtbot, demo_rw):
    assert installed(demo_rw) is not None
    seen = []

    def close(dialog) -> None:
        seen.append(type(dialog))
        dialog.reject()

    when_modal(close)
    assert first_session(demo_rw) is None and seen == [LoginDialog]
    agents = count(demo_rw, Agent)
    wizard = new_wizard(qtbot, demo_rw)  # e.g. another counter installed the town meanwhile
    go_to_summary(wizard)
    press(wizard, "finish")
    assert wizard.currentId() == SetupWizard.SUMMARY and wizard.result() != QWizard.DialogCode.Accepted
    assert "contient déjà des données" in wizard.summary.errors.text()
    assert count(demo_rw, Agent) == agents and count(demo_rw, Agent, Agent.login == "nroques") == 0


def test_a_brand_new_shared_server_is_prepared_on_a_plain_confirmation(qtbot, backend, empty_url):
    if backend != "postgresql":
        pytest.skip("a local file is migrated without asking")
    engine = make_engine(empty_url)
    try:
        asked = []

        def answer(label: str) -> Callable[[QWidget], None]:
            def click(box) -> None:
                asked.append(box.text().replace("\u00a0", " "))
                next(b for b in box.buttons() if b.text() == label).click()

            return click

        when_modal(answer("Annuler"))
        assert not bring_server_schema_up(engine) and current_revision(engine) is None
        assert "est vide" in asked[0] and "L'assistant de mise en service s'ouvrira ensuite" in asked[0]
        when_modal(answer("Préparer la base"))  # no supervisor is asked: none exists yet
        assert bring_server_schema_up(engine) and current_revision(engine) == head_revision()
    finally:
        engine.dispose()


# --- the first-run choices -------------------------------------------------------------------------------


def test_the_first_run_dialog_offers_the_demo_a_new_installation_and_a_server(qtbot):
    for button, choice in (("demo", "local"), ("install", "install"), ("server", "server")):
        dialog = FirstRunDialog()
        qtbot.addWidget(dialog)
        assert "Nouvelle installation sur ce poste (base vide, assistant de mise en service)" in (
            dialog.install.text().replace("&", "")
        )
        getattr(dialog, button).click()
        assert dialog.result() == FirstRunDialog.DialogCode.Accepted and dialog.choice == choice


@pytest.fixture
def counter_home(backend, tmp_path, monkeypatch) -> Settings:
    """A new counter: its own user data directory and settings file, no database URL in the environment."""
    if backend != "sqlite":
        pytest.skip("the first-run choice concerns this counter's local file")
    monkeypatch.setenv("GUICHET_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GUICHET_DB_URL", raising=False)
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


def first_run(choice: str) -> None:
    when_modal(lambda dialog: getattr(dialog, choice).click())


def families(db: Database) -> int:
    return count(db, Family)


def test_a_new_installation_is_remembered_and_never_gets_the_demonstration(qtbot, counter_home):
    settings = counter_home
    first_run("install")
    db = start_database(None, interactive=True, settings=settings)
    path = Path(db.engine.url.database)
    assert path.parent == Path(settings.store.fileName()).parent / "home" / "data"  # $GUICHET_HOME/data
    assert installed(db) is None and families(db) == 0  # empty: the assistant opens on it
    assert settings.mode == "local" and settings.demo is False
    db.engine.dispose()
    path.unlink()  # even a file created again later gets no demonstration: the choice is remembered
    again = start_database(None, interactive=True, settings=settings)
    assert installed(again) is None and families(again) == 0
    # the assistant cancelled: the next start asks the first-run question again, and the demo is reachable
    assert forget_unfinished_installation(settings, again) and settings.mode == ""
    again.engine.dispose()
    first_run("demo")
    demo = start_database(None, interactive=True, settings=settings)
    assert families(demo) == 40 and settings.demo is True
    assert not forget_unfinished_installation(settings, demo)
    demo.engine.dispose()


def test_an_installed_town_is_not_forgotten(qtbot, counter_home):
    settings = counter_home
    first_run("install")
    db = start_database(None, interactive=True, settings=settings)

    def drive(wizard) -> None:
        go_to_summary(wizard)
        press(wizard, "finish")

    when_modal(drive)
    session, _report = first_session(db)
    assert session.actor.role is Role.ADMIN
    assert not forget_unfinished_installation(settings, db) and settings.mode == "local"
    db.engine.dispose()
    later = start_database(None, interactive=True, settings=settings)  # no dialog: the saved choice
    assert installed(later) == "1 agent" and families(later) == 0
    later.engine.dispose()
