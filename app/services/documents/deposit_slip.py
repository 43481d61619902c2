"""The « Bordereau de remise de chèques » PDF: the cheques of one deposit (bank, number, drawer, receipt, amount),
their count and total, the régisseur's signature and the bank's stamp. A long deposit runs over several pages, the
table's header repeated on each."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from ...models import Agent, Structure
from ...text import amount_in_words, count, format_eur, long_date, moment
from ..actors import Actor
from ..bounds import checked
from ..money.deposits import slip_of
from ..money.till import regie_of
from ..uow import Database
from .toolkit import CONTENT_WIDTH, Letterhead, esc, render, signature_boxes, styles, table

WIDTHS = (0.05, 0.27, 0.14, 0.29, 0.13, 0.12)
"""N°, bank, cheque number, drawer, receipt, amount (fractions of the page's width)."""


@checked
def deposit_slip_pdf(db: Database, actor: Actor, deposit_id: int) -> bytes:
    """The bordereau of a deposit, printed when it is made and again whenever asked (it never changes)."""
    with db.reading() as uow:  # who may: checked by ``@checked`` (``permissions.RULES``)
        s = uow.session
        slip = slip_of(s, deposit_id)
        structure = s.get(Structure, slip.structure_id)
        assert structure is not None  # cheque_deposits.structure_id is a foreign key
        printer = s.get(Agent, actor.agent_id) if actor.agent_id is not None else None
        letterhead = Letterhead.of(structure)
        regie, regisseur, siret = regie_of(structure), structure.regisseur_name.strip(), structure.siret
    st = styles()
    n, total = len(slip.cheques), slip.total_cents
    facts = [
        ("Régie", regie),
        ("Structure", structure.name + (f" – SIRET {siret}" if siret else "")),
        ("Régisseur", regisseur or "—"),
        ("Date de la remise", long_date(slip.business_date, weekday=False)),
        ("Établi par", f"{slip.agent}, le {moment(slip.created_at)}"),
    ]
    rows = [
        (str(i), c.bank, c.number, c.drawer, c.receipt, format_eur(c.cents))
        for i, c in enumerate(slip.cheques, start=1)
    ]
    story: list[Flowable] = [
        Paragraph(esc(f"Bordereau de remise de chèques n° {slip.number}"), st["title"]),
        table(None, facts, (0.25 * CONTENT_WIDTH, 0.75 * CONTENT_WIDTH)),
        Spacer(1, 5 * mm),
        table(
            ("N°", "Banque", "N° du chèque", "Tireur", "Reçu", "Montant"),
            rows,
            [w * CONTENT_WIDTH for w in WIDTHS],
            right=(0, 5),
            total=("", "Total", "", count(n, "chèque"), "", format_eur(total)),
        ),
        Spacer(1, 4 * mm),
    ]
    signer = f"{regisseur}\n" if regisseur else "Nom, "
    story.append(
        KeepTogether(
            [
                Paragraph(
                    f"<b>{esc(f'Nombre de chèques : {n}')}</b> – <b>{esc(f'Montant total : {format_eur(total)}')}"
                    f"</b> ({esc(amount_in_words(total))})",
                    st["normal"],
                ),
                Spacer(1, 2 * mm),
                Paragraph(
                    esc(
                        "Chèques remis à l'encaissement au crédit du compte de la régie. Bordereau établi en deux "
                        "exemplaires : l'un reste à la banque, l'autre, visé par elle, revient à la régie."
                    ),
                    st["small"],
                ),
                Spacer(1, 5 * mm),
                signature_boxes(
                    [
                        ("Le régisseur", f"{signer}date et signature"),
                        ("Cachet de la banque ou du Trésor", "Date de réception"),
                    ],
                    height=32 * mm,
                ),
            ]
        )
    )
    return render(
        story,
        title=f"Bordereau de remise de chèques {slip.number}",
        letterhead=letterhead,
        printed_at=db.clock.now(),
        printed_by=printer.full_name if printer else "Guichet Enfance",
    )
