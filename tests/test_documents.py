"""Printed documents: the family reservation sheet and the attendance list (text extracted with pypdf)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from pypdf import PdfReader
from reportlab.platypus import Paragraph
from sqlalchemy import select

from app.clock import paris
from app.models import Activity, ActivityDay, Child, Family, Reservation, ReservationStatus
from app.services.documents.attendance import attendance_pdf
from app.services.documents.sheet import reservation_sheet_pdf
from app.services.documents.toolkit import styles
from app.services.errors import UnknownEntity, ValidationError
from app.services.families.search import refresh_search_text
from app.services.money.amounts import format_eur
from tests.helpers import activity_id, new_family
from tests.test_cli import assert_one_line_french_error, run_app

NOW = paris(date(2026, 11, 26), time(10, 0))
ASKED = datetime(2026, 9, 10, 8, 0, tzinfo=UTC)


def text_of(pdf: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split()), len(reader.pages)


def _add(s, child_id, day_id, status, *, price=None, position=None, reason=None, transmitted=True):
    s.add(
        Reservation(
            child_id=child_id,
            activity_day_id=day_id,
            status=status,
            requested_at=ASKED,
            price_cents=price,
            waitlist_position=position,
            refusal_reason=reason,
            transmitted_at=ASKED if transmitted else None,
        )
    )


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


def test_reservation_sheet_lists_every_state_with_french_amounts_over_several_pages(db):
    family_id, (lea, noe) = new_family(db, "Lefèvre-N'Diaye", children=("Léa", "Noé"), balance_cents=2600)
    with db.writing() as uow:
        s = uow.session
        days = list(
            s.scalars(
                select(ActivityDay)
                .join(Activity)
                .where(Activity.code == "ALAE-MER")
                .order_by(ActivityDay.day)
            )
        )
        for d in days:  # a whole school year of Wednesdays for Léa: many pages
            _add(s, lea, d.id, ReservationStatus.ACCEPTED, price=650, transmitted=d.day < date(2026, 11, 26))
        pv = list(
            s.scalars(
                select(ActivityDay).join(Activity).where(Activity.code == "CLSH-PV").order_by(ActivityDay.day)
            )
        )
        _add(s, noe, pv[0].id, ReservationStatus.ACCEPTED, price=1300)
        _add(s, noe, pv[1].id, ReservationStatus.WAITLISTED, position=2, transmitted=False)
        _add(
            s,
            noe,
            pv[2].id,
            ReservationStatus.REFUSED,
            reason="Complet : plus de place disponible ce jour-là",
        )
        _add(s, noe, pv[3].id, ReservationStatus.CANCELLED, price=1300)
        uow.commit()
    text, pages = text_of(reservation_sheet_pdf(db, family_id, printed_by="Sophie Martin"))
    assert pages >= 2 and f"Page 1/{pages}" in text and f"Page {pages}/{pages}" in text
    for expected in (
        "Fiche de réservations – Famille LEFÈVRE-N'DIAYE",
        "Léa Lefèvre-N'Diaye",
        "Noé Lefèvre-N'Diaye",
        "Du 1er septembre 2026 au 31 août 2027",
        "ALAE Mercredi après-midi – décembre 2026",
        "Non transmise",
        "Transmise",
        "Acceptée",
        "En liste d'attente rang 2",
        "Refusée : Complet : plus de place disponible ce jour-là",
        "Annulée",
        "6,50 €",
        "13,00 €",
        "Solde du compte famille au 26/11/2026 : 26,00 €",
        "Sophie Martin",
    ):
        assert expected in text, expected
    expected_total = " ".join(
        format_eur(650 * len(days) + 1300).replace("\xa0", " ").replace("\u202f", " ").split()
    )
    assert f"Total des réservations acceptées sur la période : {expected_total}" in text


def test_sheet_range_and_bad_input(db):
    family_id, _ = new_family(db, "Vide")
    text, pages = text_of(reservation_sheet_pdf(db, family_id, date(2026, 12, 1), date(2026, 12, 31)))
    assert "Du 1er décembre 2026 au 31 décembre 2026" in text and "Aucune réservation sur la période" in text
    with pytest.raises(ValidationError, match="Période invalide"):
        reservation_sheet_pdf(db, family_id, date(2026, 12, 31), date(2026, 12, 1))
    with pytest.raises(UnknownEntity, match="Famille inconnue"):
        reservation_sheet_pdf(db, 987654)


def test_attendance_list_of_300_children_with_waitlist(db):
    pv = activity_id(db, "CLSH-ETE")
    with db.writing() as uow:
        s = uow.session
        day = s.scalar(select(ActivityDay).where(ActivityDay.activity_id == pv).order_by(ActivityDay.day))
        day.capacity = 300
        family = Family(name="GRANDE-FAMILLE", phone="05 63 00 00 00", created_at=ASKED)
        for i in range(303):
            family.children.append(
                Child(
                    first_name=f"Élève{i:03d}",
                    last_name="Ñúñez" if i % 2 else "Çelik",
                    birth_date=date(2016, 1, 1) + timedelta(days=i),
                    school_level="CE1",
                    notes="PAI asthme" if i % 10 == 0 else "",
                )
            )
        refresh_search_text(family)
        s.add(family)
        s.flush()
        for i, child in enumerate(family.children):
            if i < 300:
                _add(s, child.id, day.id, ReservationStatus.ACCEPTED, price=1300)
            else:
                _add(s, child.id, day.id, ReservationStatus.WAITLISTED, position=i - 299)
        uow.commit()
        the_day = day.day
    text, pages = text_of(attendance_pdf(db, pv, the_day, printed_by="Michel Durand"))
    assert pages >= 5 and f"Page {pages}/{pages}" in text
    assert "300 enfants pour 300 places · 3 en liste d'attente" in text
    assert "ÇELIK Élève000" in text and "ÑÚÑEZ Élève299" in text and "PAI asthme" in text
    assert "Liste d'attente" in text and "ÇELIK Élève302" not in text.split("Liste d'attente")[0]
    assert "Présent" in text and "05 63 00 00 00" in text


def test_attendance_bad_input(db):
    with pytest.raises(UnknownEntity, match="Activité inconnue"):
        attendance_pdf(db, 4242, date(2026, 12, 21))
    with pytest.raises(UnknownEntity, match="n'a pas de journée le 25/12/2026"):
        attendance_pdf(db, activity_id(db, "CLSH-PV"), date(2026, 12, 25))


def test_print_command_line(db, tmp_path):
    url = db.engine.url.render_as_string(hide_password=False)
    with db.reading() as uow:
        family_id = uow.session.scalar(select(Family.id).order_by(Family.id))
    ok = run_app(
        "print",
        "sheet",
        "--db",
        url,
        "--family",
        str(family_id),
        "--from",
        "2026-09-01",
        "--to",
        "2026-12-31",
        str(tmp_path / "fiche.pdf"),
    )
    assert ok.returncode == 0, ok.stderr
    assert "Fiche de réservations – Famille" in text_of((tmp_path / "fiche.pdf").read_bytes())[0]
    pv = activity_id(db, "CLSH-PV")
    ok = run_app(
        "print",
        "attendance",
        "--db",
        url,
        "--activity",
        str(pv),
        "--day",
        "2026-12-22",
        str(tmp_path / "p.pdf"),
    )
    assert ok.returncode == 0, ok.stderr
    assert "Liste de présence – CLSH Petites vacances" in text_of((tmp_path / "p.pdf").read_bytes())[0]
    for args, words in (
        (("sheet", "--family", "999999", "x.pdf"), "Famille inconnue"),
        (("attendance", "--activity", "999", "--day", "2026-12-22", "x.pdf"), "Activité inconnue"),
        (("attendance", "--activity", str(pv), "--day", "2026-12-25", "x.pdf"), "n'a pas de journée"),
        (("attendance", "--activity", str(pv), "--day", "2026-13-45", "x.pdf"), "date invalide"),
    ):
        result = run_app("print", args[0], "--db", url, *args[1:])
        assert_one_line_french_error(result, words)


def _pixels(pdf: bytes) -> list:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=2).to_pil().convert("L") for page in document]
    finally:
        document.close()


def test_the_fast_table_draws_what_a_reportlab_table_draws():
    """``PlainTable`` (drawn straight on the canvas) and ``table()`` (a reportlab Table) give the same pages: grid,
    zebra, header repeated on a split, wrapped long cells, right-aligned amounts, totals, titled groups kept
    together, the presence box."""
    from PIL import ImageChops
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer

    from app.services.documents import attendance, sheet
    from app.services.documents.toolkit import Letterhead, PlainTable, render, table

    header = ("N°", "Enfant", "Niveau", "Âge", "Téléphone", "Remarques", "Présent")
    rows = [
        (
            str(i),
            f"NOM{i} Élève",
            "CE1",
            "8 ans",
            "05 63 00 00 00",
            ("PAI asthme, allergie aux arachides & <lait>, " * (i % 4)).strip(),
            "",
        )
        for i in range(1, 90)
    ]
    boxed = table(header, rows, attendance.COLUMNS)
    boxed.setStyle([("BOX", (6, 1), (6, -1), 0.8, colors.black)])
    days = [
        (f"mer. 0{i}/10/2025", "Refusée : " + "motif très long " * (i * 3), "Transmise", "6,50 €")
        for i in range(1, 6)
    ]
    month = (("Jour", "État", "Transmission", "Prix"), days, sheet.COLUMNS)
    total = ("Total du mois", "", "", "32,50 €")
    slow: list = [boxed]
    fast: list = [PlainTable(header, rows, attendance.COLUMNS, box=6)]
    for k in range(6):
        slow.append(
            KeepTogether(
                [
                    Paragraph(f"<b>Groupe {k}</b>", styles()["normal"]),
                    Spacer(1, 1 * mm),
                    table(*month, right=(3,), total=total),
                    Spacer(1, 3 * mm),
                ]
            )
        )
        fast.append(PlainTable(*month, right=(3,), total=total, title=f"Groupe {k}"))
    at = datetime(2026, 1, 1, tzinfo=UTC)
    pages = [
        _pixels(
            render(
                story, title="t", letterhead=Letterhead("Structure", "Rue", ""), printed_at=at, printed_by="x"
            )
        )
        for story in (slow, fast)
    ]
    assert len(pages[0]) == len(pages[1]) >= 5
    for a, b in zip(*pages, strict=True):
        different = sum(ImageChops.difference(a, b).histogram()[65:])
        assert different < 20, different
