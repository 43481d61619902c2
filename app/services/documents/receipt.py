"""The payment receipt ("reçu") PDF."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer
from sqlalchemy import select

from ...models import Agent, LedgerEntry, LedgerKind, Payment, PaymentMethod, Structure
from ...text import amount_in_words, format_eur, long_moment, moment
from ..bounds import PersonName, checked
from ..errors import UnknownEntity
from ..families.view import WALLET_LABELS
from ..money.payments import METHOD_LABELS
from ..money.till import printed_receipt_number, regie_of
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
        when = long_moment(p.paid_at, weekday=False)
        drawer = opened_text(s, p.cheque_drawer) if p.cheque_drawer else ""
        method = METHOD_LABELS[p.method]
        if p.method is PaymentMethod.CHEQUE:
            method += f" n° {opened_text(s, p.cheque_number)} ({opened_text(s, p.cheque_bank)})"
            if drawer:
                method += f", tireur : {drawer}"
        adult = min(family.adults, key=lambda a: a.id, default=None)
        payer = drawer or (
            f"{adult.first_name} {adult.last_name.upper()}" if adult else f"la famille {family.name}"
        )
        address = ", ".join(x for x in (family.address, f"{family.postal_code} {family.city}".strip()) if x)
        number = printed_receipt_number(structure.code, p.receipt_number)
        purpose = f"alimentation du compte famille {family.name} – {WALLET_LABELS[p.wallet.kind]}"
        rows = [
            ("Reçu n°", number),
            ("Régie", regie_of(structure)),
            ("Date", when),
            ("Versé par", payer),
            ("Famille", family.name),
            ("Adresse", address or "—"),
            ("Montant", f"{format_eur(p.amount_cents)} ({amount_in_words(p.amount_cents)})"),
            ("Mode de règlement", method),
            ("Objet", purpose),
            ("Reçu par", agent.full_name if agent else "portail famille"),
        ]
        story: list[Flowable] = [Paragraph(esc(f"Reçu de règlement n° {number}"), st["title"])]
        if reversal is not None:  # no longer a proof of payment: said first and large
            by = s.get(Agent, reversal.agent_id) if reversal.agent_id else None
            story.append(Paragraph(esc("ANNULÉ"), st["cancelled"]))
            story.append(
                Paragraph(
                    esc(
                        f"Règlement annulé le {moment(reversal.created_at)}"
                        + (f" par {by.full_name}" if by else "")
                        + " : ce reçu n'atteste plus aucun versement."
                    ),
                    st["big"],
                )
            )
        else:
            story.append(
                Paragraph(
                    esc(
                        f"Reçu de {payer} la somme de {format_eur(p.amount_cents)} "
                        f"({amount_in_words(p.amount_cents)}) pour : {purpose}."
                    ),
                    st["big"],
                )
            )
        story += [
            Spacer(1, 5 * mm),
            table(None, rows, (0.3 * CONTENT_WIDTH, 0.7 * CONTENT_WIDTH)),
            Spacer(1, 6 * mm),
        ]
        if reversal is None:
            story.append(
                Paragraph(
                    esc(
                        "Ce reçu atteste le versement sur le compte famille (ALAE – ALSH – Cantine). "
                        "Il est à conserver."
                    ),
                    st["small"],
                )
            )
        return render(
            story,
            title=f"Reçu {number}",
            letterhead=Letterhead.of(structure),
            printed_at=db.clock.now(),
            printed_by=printed_by or (agent.full_name if agent else "Guichet Enfance"),
        )
