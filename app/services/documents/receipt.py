"""The payment receipt ("reçu") PDF."""

from __future__ import annotations

from babel.dates import format_datetime
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer
from sqlalchemy import select

from ...clock import PARIS
from ...models import Agent, LedgerEntry, LedgerKind, Payment, PaymentMethod, Structure
from ..bounds import PersonName, checked
from ..errors import UnknownEntity
from ..families.view import WALLET_LABELS
from ..money.amounts import format_eur
from ..money.payments import METHOD_LABELS
from ..sealing import opened_text
from ..uow import Database
from .toolkit import CONTENT_WIDTH, Letterhead, esc, render, styles, table


@checked
def receipt_pdf(db: Database, payment_id: int, printed_by: PersonName = "") -> bytes:
    with db.reading() as uow:
        s = uow.session
        p = s.get(Payment, payment_id)
        if p is None:
            raise UnknownEntity(f"Règlement inconnu (n° {payment_id}).")
        family = p.family
        structure = s.get(Structure, p.structure_id)
        assert structure is not None  # payments.structure_id is a foreign key
        agent = s.get(Agent, p.agent_id) if p.agent_id else None
        reversal = s.scalar(
            select(LedgerEntry).where(LedgerEntry.payment_id == p.id, LedgerEntry.kind == LedgerKind.REVERSAL)
        )
        st = styles()
        when = format_datetime(
            p.paid_at.astimezone(PARIS), "d MMMM y 'à' HH:mm", tzinfo=PARIS, locale="fr_FR"
        )
        method = METHOD_LABELS[p.method]
        if p.method is PaymentMethod.CHEQUE:
            method += f" n° {opened_text(s, p.cheque_number)} ({opened_text(s, p.cheque_bank)})"
        address = ", ".join(x for x in (family.address, f"{family.postal_code} {family.city}".strip()) if x)
        rows = [
            ("Reçu n°", p.receipt_number),
            ("Date", when),
            ("Famille", family.name),
            ("Adresse", address or "—"),
            ("Montant", format_eur(p.amount_cents)),
            ("Mode de règlement", method),
            ("Porte-monnaie crédité", WALLET_LABELS[p.wallet.kind]),
            ("Reçu par", agent.full_name if agent else "portail famille"),
        ]
        story = [
            Paragraph(esc(f"Reçu de règlement n° {p.receipt_number}"), st["title"]),
            Paragraph(
                esc(f"Reçu de la famille {family.name} la somme de {format_eur(p.amount_cents)}."), st["big"]
            ),
            Spacer(1, 5 * mm),
            table(None, rows, (0.35 * CONTENT_WIDTH, 0.65 * CONTENT_WIDTH)),
            Spacer(1, 6 * mm),
        ]
        if reversal is not None:
            story.append(Paragraph(esc(f"Règlement annulé le {reversal.created_at.astimezone(PARIS):%d/%m/%Y} : "
                                       f"{opened_text(s, reversal.reason)}"), st["big"]))  # fmt: skip
        story.append(
            Paragraph(
                esc(
                    "Ce reçu atteste le versement sur le compte famille (ALAE – ALSH – Cantine). "
                    "Il est à conserver."
                ),  # fmt: skip
                st["small"],
            )
        )
        return render(
            story,
            title=f"Reçu {p.receipt_number}",
            letterhead=Letterhead.of(structure),
            printed_at=db.clock.now(),
            printed_by=printed_by or (agent.full_name if agent else "Guichet Enfance"),
        )
