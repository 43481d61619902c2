"""The daily closing report ("arrêté journalier") of a structure: cash per agent, receipts, absences, e-mails."""

from __future__ import annotations

from datetime import date

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer
from sqlalchemy import select

from ...models import (
    TILL_METHODS,
    Agent,
    ClosingStatus,
    Family,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentMethod,
    Structure,
)
from ...text import amount_in_words, clock_time, collation_key, format_eur, long_date, short_date
from ..bounds import PersonName, checked
from ..end_of_day.transmission import absences, absences_recorded, families_without_email
from ..errors import UnknownEntity
from ..money.cash_closing import closings_of_day
from ..money.online import online_payments_of_day
from ..money.payments import METHOD_LABELS
from ..money.till import regie_of
from ..sealing import opened_text
from ..uow import Database
from .toolkit import CONTENT_WIDTH, Letterhead, esc, render, signature_boxes, styles, table


def _count(n: int | None) -> str:
    return "" if n is None else str(n)


def _money(cents: int | None) -> str:
    return "" if cents is None else format_eur(cents)


@checked
def closing_report_pdf(db: Database, structure_id: int, day: date, printed_by: PersonName = "") -> bytes:
    with db.reading() as uow:
        s = uow.session
        structure = s.get(Structure, structure_id)
        if structure is None:
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        names: dict[int | None, str] = dict(s.execute(select(Agent.id, Agent.full_name)).all())
        payments = s.execute(
            select(Payment, Family.name)
            .join(Family, Payment.family_id == Family.id)
            .where(
                Payment.structure_id == structure_id,
                Payment.business_date == day,
                Payment.method.in_(TILL_METHODS),
            )
            .order_by(Payment.paid_at)
        ).all()
        cheques = {p.id: opened_text(s, p.cheque_number) for p, _ in payments if p.cheque_number}
        cheque_rows = [
            (
                p.receipt_number,
                opened_text(s, p.cheque_bank),
                opened_text(s, p.cheque_number),
                opened_text(s, p.cheque_drawer) if p.cheque_drawer else family,
                names.get(p.agent_id, "portail"),
                format_eur(p.amount_cents),
            )
            for p, family in payments
            if p.method is PaymentMethod.CHEQUE
        ]
        regie = regie_of(structure)
        code = structure.code
        reversals = {
            entry.payment_id: entry
            for entry in s.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.kind == LedgerKind.REVERSAL,
                    LedgerEntry.payment_id.in_([p.id for p, _ in payments]),
                )
            )
        }
    online = online_payments_of_day(db, structure_id, day)
    st = styles()
    closings = closings_of_day(db, structure_id, day)
    story = [
        Paragraph(esc(f"Arrêté journalier du {long_date(day)}"), st["title"]),
        Paragraph(
            esc(f"{structure.name} – clôture de caisse, règlements, absences et comptes-rendus"), st["normal"]
        ),
        Paragraph(esc(f"{regie} – reçus numérotés {code}-AAAA-NNNNNN"), st["normal"]),
        Spacer(1, 3 * mm),
        Paragraph(esc("Caisse par agent"), st["h2"]),
    ]
    closed_agents = set()
    for c in closings:
        closed_agents.add(c.agent)
        status = (
            "validée par " + c.validated_by if c.status is ClosingStatus.VALIDATED else "clôturée, à valider"
        )
        late = f", clôturée en retard par {c.late_by}" if c.late_by else ""
        story.append(Paragraph(esc(f"{c.agent} – caisse {status}{late}"), st["normal"]))
        rows: list[tuple[str, ...]] = []
        for label, e_count, e_cents, c_count, c_cents in c.lines:
            diff = None if c_cents is None else c_cents - e_cents
            rows.append(
                (label, _count(e_count), _money(e_cents), _count(c_count), _money(c_cents), _money(diff))
            )
        story.append(
            table(
                ("Mode", "Nb attendu", "Attendu", "Nb compté", "Compté", "Écart"),
                rows,
                [w * CONTENT_WIDTH for w in (0.24, 0.12, 0.16, 0.12, 0.18, 0.18)],
                right=(1, 2, 3, 4, 5),
                total=("Écart total", "", "", "", "", format_eur(c.discrepancy_cents)),
            )
        )
        for note in c.notes:
            story.append(Paragraph(esc(note), st["small"]))
        if c.comment:
            story.append(Paragraph(esc(f"Commentaire : {c.comment}"), st["small"]))
        story.append(Spacer(1, 3 * mm))
    takers = {names.get(p.agent_id, "portail") for p, _ in payments}
    for agent in sorted(takers - closed_agents, key=collation_key):
        story.append(Paragraph(esc(f"Caisse non clôturée : {agent}"), st["normal"]))
    if not closings and not payments:
        story.append(Paragraph(esc("Aucun règlement ni clôture ce jour."), st["small"]))

    story.append(Paragraph(esc("Règlements du jour"), st["h2"]))
    if payments:
        rows = []
        totals = dict.fromkeys(TILL_METHODS, 0)
        for p, family in payments:
            totals[p.method] += p.amount_cents
            method = METHOD_LABELS[p.method] + (f" n° {cheques[p.id]}" if p.id in cheques else "")
            rows.append(
                (
                    p.receipt_number,
                    clock_time(p.paid_at),
                    family,
                    method,
                    names.get(p.agent_id, "portail"),
                    format_eur(p.amount_cents),
                )
            )
            reversal = reversals.get(p.id)
            if reversal is not None:  # counted out of the till that took it, whoever reversed it and when
                totals[p.method] += reversal.amount_cents
                rows.append(
                    (
                        p.receipt_number,
                        f"{short_date(reversal.created_at, year=False)} {clock_time(reversal.created_at)}",
                        family,
                        f"Annulé par {names.get(reversal.agent_id, '?')}",
                        names.get(p.agent_id, "portail"),
                        format_eur(reversal.amount_cents),
                    )
                )
        story.append(
            table(
                ("Reçu", "Heure", "Famille", "Mode", "Agent", "Montant"),
                rows,
                [w * CONTENT_WIDTH for w in (0.15, 0.1, 0.23, 0.22, 0.16, 0.14)],
                right=(5,),
                total=("Total net", "", "", "", "", format_eur(sum(totals.values()))),
            )
        )
        story.append(
            Paragraph(
                esc(
                    "Net des annulations : "
                    + " · ".join(f"{METHOD_LABELS[m]} {format_eur(v)}" for m, v in totals.items() if v)
                ),
                st["small"],
            )
        )
        net = sum(totals.values())
    else:
        net = 0
        story.append(Paragraph(esc("Aucun règlement."), st["small"]))
    if cheque_rows:
        story.append(Paragraph(esc("Bordereau des chèques"), st["h2"]))
        story.append(
            table(
                ("Reçu", "Banque", "N° du chèque", "Tireur", "Agent", "Montant"),
                cheque_rows,
                [w * CONTENT_WIDTH for w in (0.15, 0.19, 0.14, 0.24, 0.15, 0.13)],
                right=(5,),
            )
        )

    story.append(Paragraph(esc("Paiements en ligne du jour (hors caisse)"), st["h2"]))
    if online:
        rows = [
            (
                p.receipt_number,
                clock_time(p.at),
                p.family,
                p.reference,
                p.transaction_id.removeprefix(p.reference).strip() + (" (test)" if p.test_mode else ""),
                format_eur(p.amount_cents),
            )
            for p in online
        ]
        story.append(
            table(
                ("Reçu", "Heure", "Famille", "Référence", "Transaction du site", "Montant"),
                rows,
                [w * CONTENT_WIDTH for w in (0.13, 0.07, 0.16, 0.24, 0.28, 0.12)],
                right=(5,),
                total=("Total", "", "", "", "", format_eur(sum(p.amount_cents for p in online))),
            )
        )
        story.append(
            Paragraph(
                esc(
                    "Encaissés par le site de paiement (PayFiP) : à rapprocher de son relevé, ils ne "
                    "sont dans la caisse d'aucun agent."
                ),
                st["small"],
            )
        )
    else:
        story.append(Paragraph(esc("Aucun paiement en ligne."), st["small"]))

    story.append(Paragraph(esc("Absences du jour"), st["h2"]))
    rows = [
        (
            a.child,
            a.family,
            a.activity,
            format_eur(a.price_cents),
            "remboursée (certificat médical)" if a.certificate else "facturée",
        )
        for a in absences(db, structure_id, day)
    ]
    if rows:
        story.append(
            table(
                ("Enfant", "Famille", "Activité", "Prix", "Situation"),
                rows,
                [w * CONTENT_WIDTH for w in (0.22, 0.2, 0.24, 0.1, 0.24)],
                right=(3,),
            )
        )
        story.append(
            Paragraph(
                esc("Un certificat médical présenté dans les 48 heures rembourse la journée."), st["small"]
            )
        )
    else:
        story.append(Paragraph(esc("Aucune absence pointée."), st["small"]))

    earlier = [a for a in absences_recorded(db, structure_id, day) if a.day != day]
    if earlier:
        story.append(
            Paragraph(esc("Absences et certificats enregistrés ce jour pour d'autres journées"), st["h2"])
        )
        rows = [
            (
                short_date(a.day),
                a.child,
                a.family,
                a.activity,
                format_eur(a.price_cents),
                "remboursée (certificat médical)" if a.certificate else "facturée",
            )
            for a in earlier
        ]
        story.append(
            table(
                ("Journée", "Enfant", "Famille", "Activité", "Prix", "Situation"),
                rows,
                [w * CONTENT_WIDTH for w in (0.12, 0.19, 0.17, 0.2, 0.1, 0.22)],
                right=(4,),
            )
        )

    story.append(Paragraph(esc("Familles sans adresse e-mail"), st["h2"]))
    missing = families_without_email(db, structure_id, day)
    story.append(
        Paragraph(
            esc(", ".join(missing) + " : le compte-rendu n'a pas pu leur être envoyé.")
            if missing
            else esc("Toutes les familles ayant fait une demande ce jour recevront leur compte-rendu."),
            st["normal"],
        )
    )
    closing_words: list[Flowable] = [Spacer(1, 4 * mm)]
    closing_words.append(
        Paragraph(
            esc(
                f"Arrêté le présent état à la somme de {amount_in_words(net)} ({format_eur(net)}), "
                "encaissée aux caisses de la régie ce jour, hors paiements en ligne."
            ),
            st["normal"],
        )
    )
    closing_words.append(Spacer(1, 4 * mm))
    signers = sorted({c.agent for c in closings} | (takers if payments else set()), key=collation_key)
    boxes = [("Les agents", "\n".join(signers) or "—"), ("Le régisseur", "Nom, date et signature")]
    closing_words.append(signature_boxes(boxes))
    story.append(KeepTogether(closing_words))  # the sum and the signatures on one page
    return render(
        story,
        title=f"Arrêté journalier {structure.name} {short_date(day)}",
        letterhead=Letterhead.of(structure),
        printed_at=db.clock.now(),
        printed_by=printed_by or "Guichet Enfance",
    )
