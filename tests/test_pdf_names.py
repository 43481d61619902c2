"""Names from every alphabet of Europe and Vietnam print (issue 29): every document uses one embedded TrueType family
(DejaVu, beside its licence in resources/fonts), and the names extract back identical."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from app.models import PaymentMethod, Role
from app.models import WalletKind as W
from app.services.documents.receipt import receipt_pdf
from app.services.documents.sheet import reservation_sheet_pdf
from app.services.money.payments import PaymentInput, record_payment
from app.services.uow import new_operation_key
from tests.helpers import actor, new_family, structure_of

NAMES = ("Nguyễn Thị Hương", "Ștefănescu", "Łukasz", "Gökhan", "Ørsted", "Żaneta", "Đặng")


def _text(pdf: bytes) -> str:
    return " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_every_name_prints_in_an_embedded_font_and_extracts_back(demo_rw):
    db = demo_rw
    sid = structure_of(db, "CLSH-PV")
    for name in NAMES:
        family_id, _ = new_family(db, name, children=("Hương",))
        receipt = record_payment(
            db,
            actor(db, Role.AGENT),
            sid,
            PaymentInput(family_id, W.ALSH, PaymentMethod.CHEQUE, "10", "Banque", "123", name),
            key=new_operation_key(),
        )
        for pdf in (receipt_pdf(db, receipt.payment_id), reservation_sheet_pdf(db, family_id)):
            assert name.upper() in _text(pdf) or name in _text(pdf), name
            fonts = set(re.findall(rb"/BaseFont\s*/([A-Za-z0-9+\-]+)", pdf))
            assert fonts and all(b"DejaVu" in f for f in fonts), fonts  # no standard font left
            assert b"/FontFile2" in pdf  # the TrueType program embedded (subset)


def test_the_font_ships_with_its_licence():
    from app.config import resources_dir

    fonts = resources_dir() / "fonts"
    assert (fonts / "DejaVuSansCondensed.ttf").is_file() and (
        fonts / "DejaVuSansCondensed-Bold.ttf"
    ).is_file()
    assert "Bitstream Vera" in (fonts / "LICENCE-DejaVu.txt").read_text(encoding="utf-8")
