"""The CAF's hours on a fixed fortnight computed by hand (SQLite and PostgreSQL): an ALAE Wednesday and an ALSH
week of the Toussaint holidays, children of 4, 5, turning 6 during the week, and 8, present, absent, absent with a
certificate, not recorded, cancelled and waitlisted; two quotient-familial brackets and a family without a
quotient. Then the files (.xlsx opened with openpyxl, the CSV read back, the PDF's text), the command line, the
refusals, and the activity form's new fields."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app.models import (
    Activity,
    ActivityDay,
    ActivityKind,
    Agent,
    Attendance,
    AuditEntry,
    CafCategory,
    Child,
    Family,
    Reservation,
    ReservationStatus,
    Role,
    SchoolHoliday,
    Structure,
)
from app.services.actors import Actor
from app.services.booking.caf_hours import AgeBand, CafCounts, caf_hours, caf_periods, check_period
from app.services.documents.caf_hours import CafFormat, caf_csv, caf_pdf, caf_xlsx
from app.services.errors import PermissionDenied, ValidationError
from app.services.setup.activities import ActivityInput, activity_details, create_activity, save_activity
from tests.test_cli import run_app

AT = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
MON, TUE, WED, THU, FRI = (date(2026, 10, d) for d in (19, 20, 21, 22, 23))
ALAE_DAY = date(2026, 10, 14)
ALSH_MIN, ALAE_MIN = (
    10 * 60,
    5 * 60,
)  # 7:30–18:30 (11 h open, the CAF counts 10 h a day in extrascolaire), 13:30–18:30


def _agent(s, login: str, role: Role) -> Actor:
    agent = Agent(login=login, full_name=f"Agent {login}", role=role, created_at=AT)
    s.add(agent)
    s.flush()
    return Actor(agent.id, role, agent.full_name)


@pytest.fixture
def town(db):
    """Two activities made through the form's service, their days, four families; returns what the tests need."""
    with db.writing() as uow:
        s = uow.session
        st = Structure(code="LOISIRS", name="Accueil de loisirs Les Tilleuls", school_zone="C", city="Albi")
        s.add(st)
        s.flush()
        admin, supervisor, agent = (
            _agent(s, "admin1", Role.ADMIN),
            _agent(s, "chef1", Role.SUPERVISOR),
            _agent(s, "agent1", Role.AGENT),
        )
        sid = st.id
        uow.commit()
    alsh = create_activity(
        db,
        admin,
        ActivityInput(
            sid,
            ActivityKind.ALSH_HOLIDAYS,
            "CLSH Toussaint",
            "13,00",
            24,
            brackets=[(0, 700, "8,00"), (701, None, "13,00")],
            day_starts_at="7h30",
            day_ends_at="18:30",
            meal="2,50",
        ),
    )
    alae = create_activity(
        db, admin, ActivityInput(sid, ActivityKind.ALAE_WEDNESDAY, "ALAE Mercredi", "6,50", 30)
    )
    with db.writing() as uow:
        s = uow.session
        days = {}
        for aid, d in [(alae, ALAE_DAY)] + [(alsh, d) for d in (MON, TUE, WED, THU, FRI)]:
            row = ActivityDay(activity_id=aid, day=d, capacity=20)
            s.add(row)
            s.flush()
            days[aid, d] = row.id
        # an ALSH day closed: nothing on it counts
        closed = ActivityDay(activity_id=alsh, day=date(2026, 10, 16), capacity=20, closed=True)
        s.add(closed)

        def child(family: str, qf: int | None, first: str, born: date) -> int:
            fam = Family(name=family, quotient_familial=qf, created_at=AT)
            kid = Child(first_name=first, last_name=family.title(), birth_date=born, school_level="")
            fam.children.append(kid)
            s.add(fam)
            s.flush()
            return kid.id

        aline = child("ARNAUD", 500, "Aline", date(2022, 3, 10))  # 4
        bruno = child("BERNARD", 900, "Bruno", date(2020, 10, 21))  # 6 on Wednesday 21
        chloe = child("CARON", None, "Chloé", date(2020, 10, 25))  # 5 all the fortnight
        denis = child("DURAND", 900, "Denis", date(2018, 1, 15))  # 8

        def book(kid: int, aid: int, d: date, how: str) -> None:
            r = Reservation(
                child_id=kid,
                activity_day_id=days[aid, d],
                status=ReservationStatus.ACCEPTED,
                requested_at=AT,
                price_cents=1300,
            )
            if how == "P":
                r.attendance = Attendance.PRESENT
            elif how in ("A", "C"):
                r.attendance = Attendance.ABSENT
                r.certificate_at = AT if how == "C" else None
            elif how == "X":
                r.status, r.cancelled_at = ReservationStatus.CANCELLED, AT
            elif how == "W":
                r.status, r.waitlist_position = ReservationStatus.WAITLISTED, 1
            s.add(r)

        week = (MON, TUE, WED, THU, FRI)
        for kid, marks in ((aline, "PPAC."), (bruno, "PPPAX"), (chloe, "PW"), (denis, "PPPPP")):
            for d, how in zip(week, marks, strict=False):
                book(kid, alsh, d, how)
        s.add(
            Reservation(
                child_id=chloe,
                activity_day_id=closed.id,
                status=ReservationStatus.ACCEPTED,
                requested_at=AT,
                attendance=Attendance.PRESENT,
            )
        )
        for kid, how in ((aline, "P"), (denis, "P"), (bruno, "A")):
            book(kid, alae, ALAE_DAY, how)
        uow.commit()
    return {"sid": sid, "alsh": alsh, "alae": alae, "admin": admin, "supervisor": supervisor, "agent": agent}


def c(children, present, billed, unrecorded, certificate, minutes) -> CafCounts:
    return CafCounts(children, present, billed, unrecorded, certificate, present * minutes, billed * minutes)


def test_a_fortnight_computed_by_hand(db, town):
    report = caf_hours(db, town["supervisor"], date(2026, 10, 12), date(2026, 10, 23), town["sid"])
    by_name = {a.name: a for a in report.activities}
    assert list(by_name) == ["ALAE Mercredi", "CLSH Toussaint"]  # périscolaire first
    alsh, alae = by_name["CLSH Toussaint"], by_name["ALAE Mercredi"]
    assert (alsh.category, alsh.day_minutes, alsh.days_open) == (CafCategory.EXTRASCOLAIRE, 600, 5)
    assert alsh.opening_minutes == 660  # open 11 h, counted 10 h: the CAF's daily limit in extrascolaire
    assert (alae.category, alae.day_minutes, alae.days_open) == (CafCategory.PERISCOLAIRE, 300, 1)

    # ALSH: Aline P P A C · (2 present, 4 billed: the certificate is not, the unrecorded Friday is),
    # Bruno P P | P A (under 6 Monday and Tuesday, 6 from Wednesday; Friday cancelled), Chloé P (Tuesday on the
    # waitlist, the closed Friday before not counted), Denis P P P P P.
    assert alsh.total == c(4, 11, 14, 1, 1, ALSH_MIN)
    assert alsh.total.minutes_present == 110 * 60 and alsh.total.minutes_billed == 140 * 60
    bands = {r.band: r.counts for r in alsh.by_band}
    assert bands == {
        AgeBand.UNDER_6: c(3, 5, 7, 1, 1, ALSH_MIN),  # Aline 2/4, Bruno 2/2, Chloé 1/1
        AgeBand.SIX_AND_OVER: c(2, 6, 7, 0, 0, ALSH_MIN),  # Bruno 1/2, Denis 5/5
    }
    assert [(r.bracket, r.counts) for r in alsh.by_bracket] == [
        ("QF 0–700", c(1, 2, 4, 1, 1, ALSH_MIN)),
        ("QF 701–∞", c(2, 8, 9, 0, 0, ALSH_MIN)),
        ("QF inconnu", c(1, 1, 1, 0, 0, ALSH_MIN)),
    ]
    assert [(r.band, r.bracket, r.counts) for r in alsh.rows] == [
        (AgeBand.UNDER_6, "QF 0–700", c(1, 2, 4, 1, 1, ALSH_MIN)),
        (AgeBand.UNDER_6, "QF 701–∞", c(1, 2, 2, 0, 0, ALSH_MIN)),
        (AgeBand.UNDER_6, "QF inconnu", c(1, 1, 1, 0, 0, ALSH_MIN)),
        (AgeBand.SIX_AND_OVER, "QF 701–∞", c(2, 6, 7, 0, 0, ALSH_MIN)),
    ]
    # ALAE Wednesday 14 October: Aline present (4), Bruno absent billed (5 that day), Denis present (8)
    assert alae.total == c(3, 2, 3, 0, 0, ALAE_MIN)
    assert {r.band: r.counts for r in alae.by_band} == {
        AgeBand.UNDER_6: c(2, 1, 2, 0, 0, ALAE_MIN),
        AgeBand.SIX_AND_OVER: c(1, 1, 1, 0, 0, ALAE_MIN),
    }
    assert [(r.bracket, r.counts) for r in alae.by_bracket] == [("Tarif unique", alae.total)]
    # per category: one activity each here, the same figures
    totals = {t.category: t for t in report.totals}
    assert totals[CafCategory.EXTRASCOLAIRE].total == alsh.total
    assert totals[CafCategory.PERISCOLAIRE].total == alae.total
    assert {r.band: r.counts for r in totals[CafCategory.EXTRASCOLAIRE].by_band} == bands


def test_a_period_of_the_first_week_only_and_the_other_structures(db, town):
    report = caf_hours(db, town["admin"], date(2026, 10, 19), date(2026, 10, 20))
    (alsh,) = report.activities
    assert alsh.total == c(4, 7, 7, 0, 0, ALSH_MIN)  # Mon–Tue: A P P, B P P, C P, D P P
    assert report.scope_text == "toutes les structures"


def test_the_files(db, town, tmp_path):
    report = caf_hours(db, town["supervisor"], date(2026, 10, 12), date(2026, 10, 23), town["sid"])
    wb = load_workbook(io.BytesIO(caf_xlsx(report)))
    ws = wb["Heures CAF"]
    assert ws["A1"].value == "Heures CAF (prestation de service)"
    assert "du 12 octobre 2026 au 23 octobre 2026" in ws["A2"].value
    assert [cell.value for cell in ws[4]][:7] == [
        "Structure",
        "Activité",
        "Catégorie CAF",
        "Horaires",
        "Âge",
        "Quotient familial",
        "Enfants",
    ]
    rows = {(r[1], r[4], r[5]): r for r in ws.iter_rows(min_row=5, values_only=True)}
    total = rows["CLSH Toussaint", "tous âges", "tous QF"]
    assert total[2:4] == ("extrascolaire", "07:30–18:30 (11\xa0h, 10\xa0h comptées)")
    assert total[6:] == (4, 11, 110, 14, 140, 1, 1)
    assert rows["CLSH Toussaint", "moins de 6 ans", "QF 701–∞"][6:11] == (1, 2, 20, 2, 20)
    assert rows["ALAE Mercredi", "6 ans et plus", "tous QF"][6:11] == (1, 1, 5, 1, 5)
    assert rows["Total périscolaire", "tous âges", "tous QF"][6:11] == (3, 2, 10, 3, 15)
    assert ws.cell(row=5, column=9).number_format == "0.00"

    raw = caf_csv(report)
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][0] == "Structure" and len(lines) == ws.max_row - 3
    by_key = {(r[1], r[4], r[5]): r for r in lines[1:]}
    assert by_key["CLSH Toussaint", "6 ans et plus", "tous QF"][6:] == ["2", "6", "60", "7", "70", "0", "0"]
    # a half hour shows with a decimal comma
    half = caf_csv(caf_hours(db, town["admin"], date(2026, 10, 14), date(2026, 10, 14)))
    assert b";2;10;3;15;" in half

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(caf_pdf(report, "Chef"))).pages)
    assert len(PdfReader(io.BytesIO(caf_pdf(report, "Chef"))).pages) == 1
    for expected in (
        "Heures CAF (prestation de service)",
        "du 12 octobre 2026 au 23 octobre 2026",
        "extrascolaire",
        "110 h",
        "140 h",
        "QF 701–∞",
        "QF inconnu",
    ):
        assert expected in text.replace("\xa0", " "), expected
    assert CafFormat.of(".XLSX") is CafFormat.XLSX
    with pytest.raises(ValidationError, match="xlsx, .csv ou .pdf"):
        CafFormat.of(".ods")


def test_half_hours_are_exact(db, town):
    details = {d.name: d for d in activity_details(db)}
    alae = details["ALAE Mercredi"]
    save_activity(
        db,
        town["admin"],
        alae.id,
        ActivityInput(
            town["sid"], ActivityKind.ALAE_WEDNESDAY, "ALAE Mercredi", "6,50", 30, day_ends_at="19h00"
        ),
    )
    report = caf_hours(db, town["admin"], ALAE_DAY, ALAE_DAY)
    (alae_report,) = report.activities
    assert alae_report.total.minutes_billed == 3 * 330
    assert b";3;16,5;" in caf_csv(report)


def test_bad_periods_and_roles(db, town):
    with pytest.raises(ValidationError, match="un an au plus"):
        caf_hours(db, town["admin"], date(2026, 9, 1), date(2029, 8, 31))
    with pytest.raises(ValidationError, match="Période vide"):
        caf_hours(db, town["admin"], date(2026, 10, 23), date(2026, 10, 12))
    check_period(date(2026, 9, 1), date(2027, 8, 31))  # a whole year
    with pytest.raises(ValidationError):
        check_period(date(2026, 9, 1), date(2027, 9, 1))
    with pytest.raises(PermissionDenied, match="heures CAF"):
        caf_hours(db, town["agent"], date(2026, 10, 12), date(2026, 10, 23))


def test_the_periods_offered(db, town):
    with db.writing() as uow:
        for name, start, end in (
            ("Vacances de la Toussaint", date(2026, 10, 17), date(2026, 11, 1)),
            ("Pont de l'Ascension", date(2027, 5, 6), date(2027, 5, 8)),
        ):
            uow.session.add(
                SchoolHoliday(zone="C", name=name, school_year="2026-2027", start_date=start, end_date=end)
            )
        uow.commit()
    choices = caf_periods(db, town["sid"], date(2026, 11, 26))
    holidays = [c for c in choices if c.label.endswith("(2026-2027)")]
    assert holidays[0].label == "Vacances de la Toussaint (2026-2027)"
    assert (holidays[0].start, holidays[0].end) == (date(2026, 10, 17), date(2026, 11, 1))
    assert not any(c.label.startswith("Pont") for c in choices)  # l'Ascension's « pont » is no period
    months = [c for c in choices if c.label.startswith(("Septembre", "Février", "Août"))]
    assert [(c.start, c.end) for c in months] == [
        (date(2026, 9, 1), date(2026, 9, 30)),
        (date(2027, 2, 1), date(2027, 2, 28)),
        (date(2027, 8, 1), date(2027, 8, 31)),
    ]


def test_the_command_line(db, town, db_url, tmp_path):
    out = tmp_path / "heures.xlsx"
    result = run_app(
        "caf-hours",
        "--db",
        db_url,
        "--from",
        "2026-10-12",
        "--to",
        "2026-10-23",
        "--structure",
        "loisirs",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "heures CAF du 12 octobre 2026 au 23 octobre 2026" in result.stdout
    ws = load_workbook(out)["Heures CAF"]
    assert ws.cell(row=5, column=2).value == "ALAE Mercredi"
    pdf = tmp_path / "heures.pdf"
    assert (
        run_app(
            "caf-hours", "--db", db_url, "--from", "2026-10-12", "--to", "2026-10-23", str(pdf)
        ).returncode
        == 0
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    long = run_app("caf-hours", "--db", db_url, "--from", "2026-09-01", "--to", "2029-08-31", str(out))
    assert long.returncode == 2 and long.stderr.startswith("Erreur : Les heures CAF se déclarent sur un an")
    unknown = run_app(
        "caf-hours",
        "--db",
        db_url,
        "--from",
        "2026-10-12",
        "--to",
        "2026-10-23",
        "--structure",
        "X",
        str(out),
    )
    assert unknown.returncode == 2 and "Structure inconnue : « X » (codes : LOISIRS)" in unknown.stderr
    ods = run_app("caf-hours", "--db", db_url, "--from", "2026-10-12", "--to", "2026-10-23", "x.ods")
    assert ods.returncode == 2 and "Format inconnu" in ods.stderr


# --- the activity form's new fields ------------------------------------------------------------------------


def test_the_form_saves_hours_category_and_meal_and_keeps_them(db, town):
    details = {d.name: d for d in activity_details(db)}
    alsh, alae = details["CLSH Toussaint"], details["ALAE Mercredi"]
    assert (alsh.day_starts_at, alsh.day_ends_at, alsh.meal_cents) == (time(7, 30), time(18, 30), 250)
    assert (alae.day_starts_at, alae.day_ends_at, alae.caf_category, alae.meal_cents) == (
        time(13, 30),
        time(18, 30),
        CafCategory.PERISCOLAIRE,
        0,
    )
    base = (town["sid"], ActivityKind.ALSH_HOLIDAYS, "CLSH Toussaint", "13,00", 24)
    brackets = [(0, 700, "8,00"), (701, None, "13,00")]
    save_activity(
        db,
        town["admin"],
        alsh.id,
        ActivityInput(*base, brackets=brackets, day_starts_at="8 h", caf_category=CafCategory.PERISCOLAIRE),
    )
    with db.reading() as uow:
        a = uow.session.get(Activity, alsh.id)
        assert (a.day_starts_at, a.day_ends_at, a.caf_category, a.meal_cents) == (
            time(8, 0),
            time(18, 30),  # not given: kept
            CafCategory.PERISCOLAIRE,
            250,  # kept
        )
        audit = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "activity.update").order_by(AuditEntry.id.desc())
        ).first()
        assert audit is not None
        assert (audit.before["day_starts_at"], audit.after["day_starts_at"]) == ("07:30", "08:00")
        assert (audit.after["caf_category"], audit.after["meal_cents"]) == ("periscolaire", 250)
    for kwargs, message in (
        ({"day_starts_at": "19h", "day_ends_at": "18h30"}, "La journée finit après son début"),
        ({"day_ends_at": "25:00"}, "Heure de fermeture invalide : « 25:00 »"),
        ({"day_starts_at": "midi"}, "Heure d'ouverture invalide"),
        ({"meal": "13,01"}, "ne peut pas dépasser le prix de la journée"),
        ({"meal": "-1"}, "ne peut pas être négative"),
    ):
        with pytest.raises(ValidationError, match=message):
            save_activity(db, town["admin"], alsh.id, ActivityInput(*base, brackets=brackets, **kwargs))
    with pytest.raises(ValidationError, match="dépasser le prix"):  # a lower price under the meal kept
        save_activity(
            db, town["admin"], alsh.id, ActivityInput(*base[:3], "2,00", 24, brackets=[(0, None, "2,00")])
        )
    with db.reading() as uow:
        a = uow.session.get(Activity, alsh.id)
        assert (a.day_starts_at, a.meal_cents, a.price_cents) == (time(8, 0), 250, 1300)  # nothing changed
