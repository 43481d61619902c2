"""Setting a town up through the services: school years, local closings, agents, activities, families' import
with its bad inputs (on a migrated empty database, no demonstration data)."""

from __future__ import annotations

import csv
import io
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from app.clock import paris
from app.models import (
    Activity,
    ActivityDay,
    ActivityKind,
    AuditEntry,
    Child,
    Family,
    LedgerEntry,
    LedgerKind,
    Period,
    PeriodScope,
    PublicHoliday,
    Role,
    WalletKind,
)
from app.services.actors import Actor
from app.services.auth import AccountLocked, LoginRefused, change_password, login
from app.services.booking.basket import Action, Basket
from app.services.booking.validation import confirm
from app.services.counter import activities_for
from app.services.errors import PermissionDenied, ValidationError
from app.services.families.edit import FieldErrors
from app.services.sealing import opened
from app.services.setup import activities, agents, school_year
from app.services.setup.family_import import (
    DEFAULT_HEADERS,
    ImportFileError,
    ImportRejected,
    guess_mapping,
    import_families,
    preview_import,
    read_source,
)
from app.services.setup.install import InstallInput, NotAnEmptyDatabase, install
from app.services.setup.structures import StructureInput
from app.services.uow import new_operation_key

PASSWORD = "Mairie-2026!"


@pytest.fixture
def town(db):
    """A town set up through the installation service: one structure, its usual activities, 2026-2027."""
    db.clock.set(paris(date(2026, 11, 26), time(10, 0)))
    report = install(
        db,
        InstallInput(
            [StructureInput("ALSH Montech", city="Montech")],
            "nroques",
            "Nathalie Roques",
            PASSWORD,
            "C",
            "2026",
        ),
    )
    session = login(db, "nroques", PASSWORD)
    return db, session.actor, report.structure_ids[0]


def system(db) -> Actor:
    """The "système" agent every migrated database has (what the command line acts as)."""
    from app.services.actors import system_actor

    with db.reading() as uow:
        return system_actor(uow.session)


def days_of(db, code: str) -> set[date]:
    with db.reading() as uow:
        return set(uow.session.scalars(select(ActivityDay.day).join(Activity).where(Activity.code == code)))


def activity(db, code: str) -> int:
    with db.reading() as uow:
        return uow.session.scalar(select(Activity.id).where(Activity.code == code))


# --- installation and school years ------------------------------------------------------------------------


def test_installation_refuses_a_database_that_is_not_empty(town):
    db, _admin, _sid = town
    with pytest.raises(NotAnEmptyDatabase, match="base vide"):
        install(db, InstallInput([StructureInput("Autre")], "autre", "Autre", PASSWORD, "C"))
    with pytest.raises(FieldErrors) as bad:
        install(db, InstallInput([StructureInput("")], "X Y", "", "court", "C"))
    assert set(bad.value.fields) >= {"structure0.name"}


def test_days_never_fall_on_public_holidays_nor_in_school_holidays_and_nothing_is_made_twice(town):
    db, admin, _sid = town
    alae, pv = days_of(db, "ALAE-MER"), days_of(db, "CLSH-PV")
    assert (
        date(2026, 11, 11) not in alae and date(2026, 12, 23) not in alae
    )  # worked examples 3 and 4 (docs/architecture.md)
    assert date(2026, 12, 9) in alae and date(2027, 2, 24) in alae
    assert {date(2026, 12, 25), date(2027, 1, 1)}.isdisjoint(pv)  # example 13
    assert date(2026, 12, 21) in pv and date(2026, 12, 28) in pv
    with db.reading() as uow:
        noel = uow.session.scalar(select(Period).where(Period.name == "Vacances de Noël"))
        assert noel.opening_date == date(2026, 11, 14)  # example 8: 5 weeks before
        ete = uow.session.scalar(select(Period).where(Period.name == "Vacances d'été"))
        assert ete.opening_date == date(2027, 5, 6)
    again = school_year.generate_days(db, admin, "2026-2027")
    assert again.created == 0 and all(a.removed == 0 for a in again.activities)


def test_periods_generated_without_seeded_holidays_skip_public_holidays(db):
    """A structure created by hand, with no calendar in the database yet: generating loads the public
    holidays first, so that no bookable day falls on one (the defect of the old period import)."""
    admin = system(db)
    from app.services.setup.structures import create_structure

    create_structure(db, admin, StructureInput("ALSH Sud"))
    with db.reading() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PublicHoliday)) == 0
    school_year.generate_days(db, admin, "2027")
    days = days_of(db, "CLSH-PV") | days_of(db, "CLSH-ETE")
    assert date(2027, 11, 1) not in days and date(2027, 12, 27) in days  # Toussaint 2027 is a Monday
    assert date(2028, 7, 14) not in days and date(2028, 7, 13) in days
    assert date(2027, 11, 11) not in days_of(db, "ALAE-MER")


def test_the_calendar_is_editable_before_and_after_generation(town):
    db, admin, sid = town
    calendar = school_year.school_calendar(db, "C", "2027-2028")
    assert not calendar.stored and len(calendar.holidays) >= 5 and calendar.public_holidays
    week = timedelta(days=7)
    moved = [
        school_year.HolidayRow(h.name, h.start - week, h.end - week) if h.name == "Vacances de Noël" else h
        for h in calendar.holidays
    ]
    extra = [*calendar.public_holidays, school_year.PublicHolidayRow(date(2028, 3, 15), "Fête locale")]
    school_year.save_calendar(db, admin, "C", "2027-2028", moved, extra)
    assert school_year.school_calendar(db, "C", "2027-2028").stored
    school_year.generate_days(db, admin, "2027-2028")
    assert date(2028, 3, 15) not in days_of(db, "ALAE-MER")
    noel = next(h for h in moved if h.name == "Vacances de Noël")
    assert noel.start + timedelta(days=2) in days_of(db, "CLSH-PV")  # the Monday of the moved holidays
    # moved back after generation: the period and its days follow, the opening date too
    school_year.save_calendar(db, admin, "C", "2027-2028", calendar.holidays, extra)
    report = school_year.generate_days(db, admin, "2027-2028")
    pv = next(a for a in report.activities if a.activity == "CLSH Petites vacances")
    assert pv.periods_updated == 1 and pv.removed == 5 and pv.created == 5
    assert noel.start + timedelta(days=2) not in days_of(db, "CLSH-PV")
    with db.reading() as uow:
        period = uow.session.scalar(
            select(Period).where(Period.name == "Vacances de Noël", Period.school_year == "2027-2028")
        )
        assert period.start_date == noel.start + week and period.opening_date == period.start_date - 5 * week
    # after generation: a local closing removes the Wednesday, removing the closing brings it back
    closing = school_year.add_local_closing(db, admin, date(2028, 3, 22), "Fermeture exceptionnelle", sid)
    report = school_year.generate_days(db, admin, "2027-2028", [activity(db, "ALAE-MER")])
    assert report.activities[0].removed == 1 and date(2028, 3, 22) not in days_of(db, "ALAE-MER")
    school_year.remove_local_closing(db, admin, closing)
    report = school_year.generate_days(db, admin, "2027-2028", [activity(db, "ALAE-MER")])
    assert report.activities[0].created == 1 and date(2028, 3, 22) in days_of(db, "ALAE-MER")
    with pytest.raises(ValidationError, match="se chevauchent"):
        school_year.save_calendar(db, admin, "C", "2027-2028", [*moved, moved[1]], extra)
    with pytest.raises(ValidationError, match="précède"):
        school_year.save_calendar(
            db,
            admin,
            "C",
            "2027-2028",
            [school_year.HolidayRow("X", date(2027, 10, 5), date(2027, 10, 1))],
            extra,
        )


def test_a_closing_on_a_booked_day_is_reported_not_silently_removed(town):
    db, admin, sid = town
    from tests.helpers import new_agent, new_family

    agent = new_agent(db, "sbernard", "Sophie Bernard", Role.AGENT, [sid])

    family_id, (child,) = new_family(db, balance_cents=5000)
    basket = Basket(family_id)
    basket.toggle(child, activity(db, "ALAE-MER"), date(2026, 12, 9), Action.ADD)
    confirm(db, agent, basket, key=new_operation_key())
    school_year.add_local_closing(db, admin, date(2026, 12, 9), "Grève", None)
    report = school_year.generate_days(db, admin, "2026-2027")
    alae = next(a for a in report.activities if a.activity.startswith("ALAE"))
    assert alae.removed == 0 and len(alae.conflicts) == 1 and "09/12/2026" in alae.conflicts[0]
    assert date(2026, 12, 9) in days_of(db, "ALAE-MER")
    assert any("fermez cette journée" in line for line in report.lines())


def test_zones_without_a_package_calendar_must_be_typed(db):
    admin = system(db)
    calendar = school_year.school_calendar(db, "Corse", "2026-2027")
    assert calendar.holidays == [] and "saisissez" in calendar.note
    from app.services.setup.structures import create_structure

    create_structure(db, admin, StructureInput("Ajaccio", zone="Corse"))
    with pytest.raises(ValidationError, match="ne sont pas saisies"):
        school_year.generate_days(db, admin, "2026-2027")
    for bad in ("26", "2026-2028", "abcd", "1850"):
        with pytest.raises(ValidationError):
            school_year.parse_school_year(bad)
    assert school_year.parse_school_year(2026) == school_year.parse_school_year("2026-2027") == "2026-2027"


# --- agents -----------------------------------------------------------------------------------------------


def test_agents_created_reset_disabled_and_the_last_admin_kept(town):
    db, admin, sid = town
    issued = agents.create_agent(db, admin, "KBenali", "Karim Benali", Role.AGENT, [sid])
    assert issued.login == "kbenali" and len(issued.password) == 12
    first = login(db, "kbenali", issued.password)
    assert first.must_change_password
    change_password(db, first.actor, issued.password, "cheval-tulipe-ardoise")
    assert not login(db, "kbenali", "cheval-tulipe-ardoise").must_change_password
    with pytest.raises(FieldErrors, match="déjà pris"):
        agents.create_agent(db, admin, "kbenali", "Autre", Role.AGENT, [sid])
    with pytest.raises(FieldErrors, match="une structure au moins"):
        agents.create_agent(db, admin, "sansstructure", "Sans Structure", Role.AGENT, [])
    with pytest.raises(PermissionDenied):
        agents.create_agent(db, first.actor, "x1", "X", Role.ADMIN, [sid])
    # locked after five failures, unlocked by the administrator
    for _ in range(5):
        with pytest.raises((LoginRefused, AccountLocked)):
            login(db, "kbenali", "faux")
    with pytest.raises(AccountLocked):
        login(db, "kbenali", "cheval-tulipe-ardoise")
    agents.unlock(db, admin, issued.agent_id)
    login(db, "kbenali", "cheval-tulipe-ardoise")
    # reset: a new temporary password, to change at the next login
    reset = agents.reset_password(db, admin, issued.agent_id)
    with pytest.raises(LoginRefused):
        login(db, "kbenali", "cheval-tulipe-ardoise")
    assert login(db, "kbenali", reset.password).must_change_password
    # disabled: cannot log in, history kept
    agents.set_active(db, admin, issued.agent_id, False)
    with pytest.raises(LoginRefused):
        login(db, "kbenali", reset.password)
    # the last administrator can be neither demoted nor disabled
    with pytest.raises(ValidationError, match="dernier administrateur"):
        agents.set_role(db, admin, admin.agent_id, Role.SUPERVISOR)
    with pytest.raises(ValidationError, match="dernier administrateur"):
        agents.set_active(db, admin, admin.agent_id, False)
    agents.set_active(db, admin, issued.agent_id, True)
    agents.set_role(db, admin, issued.agent_id, Role.ADMIN)
    agents.set_role(db, admin, admin.agent_id, Role.SUPERVISOR)  # another admin exists now
    rows = {r.login: r for r in agents.agents(db)}
    assert rows["kbenali"].role_label == "administrateur" and rows["nroques"].role_label == "régisseur"
    with db.reading() as uow:
        actions = set(uow.session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "agent")))
    assert {
        "agent.create",
        "agent.unlock",
        "agent.password_reset",
        "agent.disable",
        "agent.enable",
        "agent.role",
    } <= actions


# --- activities -------------------------------------------------------------------------------------------


def test_activities_created_with_the_seed_defaults_archived_and_never_deleted_once_booked(town):
    db, admin, sid = town
    new = activities.create_activity(
        db,
        admin,
        activities.ActivityInput(
            sid,
            ActivityKind.ALSH_HOLIDAYS,
            "Stage sportif",
            "15,50",
            16,
            period_scope=PeriodScope.SHORT,
            brackets=[(0, 800, "10"), (801, None, "15,50")],
        ),
    )
    detail = next(a for a in activities.activity_details(db) if a.id == new)
    assert detail.wallet is WalletKind.ALSH and detail.waitlist_enabled and detail.booking.days == 2
    assert detail.cancel.days == 15 and detail.brackets == [(0, 800, 1000), (801, None, 1550)]
    report = school_year.generate_days(db, admin, "2026-2027", [new])
    assert report.activities[0].created == 28 and report.activities[0].skipped_past == 10  # Toussaint is gone
    activities.set_archived(db, admin, new, True)
    assert new not in [a.id for a in activities_for(db, [sid])]
    activities.set_archived(db, admin, new, False)
    activities.delete_activity(db, admin, new)  # never booked: it may go
    assert new not in [a.id for a in activities.activity_details(db)]
    from tests.helpers import new_family

    family_id, (child,) = new_family(db, balance_cents=5000)
    basket = Basket(family_id)
    basket.toggle(child, activity(db, "CLSH-PV"), date(2026, 12, 21), Action.ADD)
    confirm(db, admin, basket, key=new_operation_key())
    with pytest.raises(ValidationError, match="archivez-la"):
        activities.delete_activity(db, admin, activity(db, "CLSH-PV"))
    with pytest.raises(ValidationError, match="porte-monnaie"):
        activities.update_activity(db, admin, activity(db, "CLSH-PV"), wallet_kind=WalletKind.ALAE)
    with pytest.raises(ValidationError, match="date fixe"):
        activities.create_activity(
            db,
            admin,
            activities.ActivityInput(
                sid,
                ActivityKind.ALSH_HOLIDAYS,
                "Été bis",
                "13",
                10,
                period_opening_rule=activities.PeriodOpeningRule.FIXED_DATE,
            ),
        )


# --- families' import -------------------------------------------------------------------------------------


def csv_bytes(rows: list[dict[str, str]], *, sep: str = ";", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DEFAULT_HEADERS, delimiter=sep, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


ROW = {
    "famille": "Dupont-Lefèvre",
    "responsable_nom": "Dupont",
    "responsable_prenom": "Hélène",
    "email": "dupont@example.org",
    "telephone": "05 63 00 00 01",
    "adresse": "1 rue de l'Église",
    "code_postal": "82700",
    "ville": "Montech",
    "quotient_familial": "850",
    "enfant_nom": "Dupont",
    "enfant_prenom": "Léa",
    "enfant_naissance": "12/03/2018",
    "enfant_niveau": "CE2",
    "solde_alae": "12,50",
    "solde_alsh": "-3,00",
}


def counts(db) -> tuple[int, int, int]:
    with db.reading() as uow:
        s = uow.session
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Family, Child, LedgerEntry))


def test_import_accepts_both_date_formats_both_separators_cp1252_and_xlsx(town):
    db, admin, _sid = town
    rows = [ROW, ROW | {"enfant_prenom": "Noé", "enfant_naissance": "2020-06-30", "enfant_niveau": "gs"}]
    for content in (csv_bytes(rows), csv_bytes(rows, sep=","), csv_bytes(rows, encoding="cp1252")):
        table = read_source("familles.csv", content)
        preview = preview_import(db, table)
        assert not preview.rejected and preview.new_children == 2 and len(preview.new_families) == 1
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(DEFAULT_HEADERS)
    for row in rows:
        values = [row[h] for h in DEFAULT_HEADERS]
        values[DEFAULT_HEADERS.index("enfant_naissance")] = date(2018, 3, 12)  # a real Excel date
        values[DEFAULT_HEADERS.index("quotient_familial")] = 850
        values[DEFAULT_HEADERS.index("solde_alae")] = 12.5
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_source("familles.xlsx", buffer.getvalue())
    assert table.kind == "Excel"
    result = import_families(db, admin, table)
    assert result.families_created == 1 and result.children_created == 2
    with db.reading() as uow:
        entries = uow.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.OPENING)).all()
        assert sorted(e.amount_cents for e in entries) == [-300, 1250]
        assert all(opened(uow.session, e.label).startswith("Solde repris") for e in entries)
        family = uow.session.scalar(select(Family))
        assert family.quotient_familial == 850 and family.adults[0].first_name == "Hélène"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("familles.xlsx", b"ceci n'est pas un classeur", "n'est pas un classeur Excel (.xlsx) lisible"),
        ("familles.csv", b"", "est vide"),
        (
            "familles.csv",
            "\t".join(DEFAULT_HEADERS).encode() + b"\r\nA\tB\r\n",
            "Ligne 1 (en-têtes) : séparateur",
        ),
        ("familles.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "Excel 97-2003"),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_a_french_message(town, name, content, expected):
    with pytest.raises(ImportFileError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        read_source(name, content)


def test_a_missing_required_column_names_it(town):
    db, _admin, _sid = town
    headers = [h for h in DEFAULT_HEADERS if h != "enfant_naissance"]
    content = (";".join(headers) + "\r\n" + ";".join(ROW[h] for h in headers) + "\r\n").encode()
    table = read_source("familles.csv", content)
    with pytest.raises(
        ImportFileError, match="Ligne 1 \\(en-têtes\\) : colonne obligatoire absente : enfant_naissance"
    ):
        preview_import(db, table)


def test_bad_lines_are_named_by_line_and_column_and_nothing_is_written(town):
    db, admin, _sid = town
    before = counts(db)
    rows = [
        ROW,
        ROW | {"famille": "Martin", "email": "martin@example.org", "enfant_naissance": "31/02/2019"},
        ROW | {"famille": "Durand", "email": "durand-sans-arobase"},
        ROW | {"famille": "Long", "email": "", "ville": "x" * 10_000},
        ROW | {"famille": "Chiffres", "email": "", "quotient_familial": "١٢٣"},
        ROW | {"famille": "Solde", "email": "", "solde_alsh": "12,345"},
        ROW | {"famille": "Nul", "email": "", "enfant_prenom": "A\x00B"},
        ROW | {"enfant_prenom": "Noé", "enfant_naissance": "2019-07-01", "solde_alsh": "5,00"},  # disagrees
    ]
    table = read_source("familles.csv", csv_bytes(rows))
    preview = preview_import(db, table)
    texts = [e.text() for e in preview.rejected]
    assert "ligne 3, colonne enfant_naissance : date impossible « 31/02/2019 »" in texts
    assert "ligne 4, colonne email : adresse e-mail invalide « durand-sans-arobase »" in texts
    assert "ligne 5, colonne ville : texte trop long (10\u202f000 caractères ; 80 au plus)" in texts
    assert any(t.startswith("ligne 6, colonne quotient_familial : quotient familial invalide") for t in texts)
    assert any(t.startswith("ligne 7, colonne solde_alsh : montant invalide") for t in texts)
    assert "ligne 8, colonne enfant_prenom : caractère de contrôle interdit dans la cellule" in texts
    disagree = [t for t in texts if "décrite différemment" in t]
    assert len(disagree) == 2 and all("(2, 9)" in t for t in disagree)  # both lines of that family, named
    assert preview.rejected_lines == [2, 3, 4, 5, 6, 7, 8, 9]
    with pytest.raises(ImportRejected, match="8 lignes rejetées : rien n'a été importé"):
        import_families(db, admin, table)
    assert counts(db) == before


def test_a_mapping_chosen_by_hand_imports_other_headers(town):
    db, admin, _sid = town
    content = (
        "Nom de famille;Mail;Prénom;Nom enfant;Né(e) le;Solde ALSH\r\n"
        "Bernard;bernard@example.org;Jules;Bernard;01/09/2017;20,00\r\n"
    ).encode()
    table = read_source("autre-logiciel.csv", content)
    mapping = guess_mapping(table.headers)
    assert mapping["famille"] == 0 and mapping["email"] == 1 and mapping["enfant_prenom"] == 2
    assert mapping["enfant_nom"] == 3 and mapping["enfant_naissance"] is None and mapping["solde_alsh"] == 5
    mapping["enfant_naissance"] = 4  # "Né(e) le", chosen by the administrator
    result = import_families(db, admin, table, mapping)
    assert result.families_created == 1 and result.balances == {WalletKind.ALSH: 2000}
    clerk = agents.create_agent(db, admin, "sbernard", "Sophie Bernard", Role.AGENT, [_sid])
    with pytest.raises(PermissionDenied):  # the role is read from the database, whatever the caller claims
        import_families(db, Actor(clerk.agent_id, Role.ADMIN, "Sophie Bernard"), table, mapping)


def test_public_holidays_stored_by_calendar_year_are_completed_for_the_school_year(demo_rw):
    """The demo stored public holidays up to December 2028: the school year 2028-2029 gets its 2029 ones from
    the package (a half-year with none stored is filled), so no day is generated on 1 May 2029."""
    calendar = school_year.school_calendar(demo_rw, "C", "2028-2029")
    days = [p.day for p in calendar.public_holidays]
    assert date(2028, 11, 11) in days and date(2029, 5, 1) in days and date(2029, 1, 1) in days


def test_the_school_year_prepared_in_december_creates_no_day_already_gone_and_a_past_year_asks(db):
    """Issue 29: on 6 December the Wednesdays and holidays already gone are not created (and the report says how
    many); a school year already over is prepared only when asked with « past »."""
    db.clock.set(paris(date(2026, 12, 6), time(10, 0)))
    report = install(
        db,
        InstallInput(
            [StructureInput("ALSH Montech", city="Montech")],
            "nroques",
            "Nathalie Roques",
            PASSWORD,
            "C",
            "2026",
        ),
    )
    assert report.generation is not None
    skipped = sum(a.skipped_past for a in report.generation.activities)
    assert skipped > 0 and any("journées passées non créées" in line for line in report.generation.lines())
    assert min(days_of(db, "ALAE-MER")) == date(2026, 12, 9) and min(days_of(db, "CLSH-PV")) >= date(
        2026, 12, 7
    )
    admin = login(db, "nroques", PASSWORD).actor
    with pytest.raises(ValidationError, match="2025-2026 est terminée"):
        school_year.generate_days(db, admin, "2025")
    old = school_year.generate_days(db, admin, "2025", past=True)
    assert old.created > 0 and all(a.skipped_past == 0 for a in old.activities)
