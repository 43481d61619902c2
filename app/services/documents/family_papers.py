"""Papers for a family: the portal access letter, and the export of everything held about the family."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer
from sqlalchemy import select

from ...clock import local_today
from ...models import Family, Structure
from ...text import format_eur, long_date, short_date
from ..booking.kinds import all_kinds_text
from ..bounds import PersonName, Text, checked
from ..errors import UnknownEntity
from ..setup.town_settings import portal_access_sentence, portal_address
from ..uow import Database
from .toolkit import CONTENT_WIDTH, Letterhead, esc, render, styles, table


def _letterhead(db: Database, structure_id: int | None) -> Letterhead:
    with db.reading() as uow:
        s = uow.session
        structure = s.get(Structure, structure_id) if structure_id else None
        structure = structure or s.scalar(select(Structure).order_by(Structure.id))
        assert structure is not None  # papers are printed once the town has a structure
        return Letterhead.of(structure)


@checked
def portal_letter_pdf(
    db: Database,
    family_id: int,
    login: Annotated[str, Text(max_len=64, label="identifiant")],
    temporary_password: Annotated[str, Text(max_len=64, label="mot de passe")],
    printed_by: PersonName,
    structure_id: int | None = None,
) -> bytes:
    """The letter handed to the family: the portal's address (the town's setting), the identifier and the temporary
    password (never stored in clear)."""
    with db.reading() as uow:
        family = uow.session.get(Family, family_id)
        if family is None:
            raise UnknownEntity(f"Famille inconnue (n° {family_id}).")
        name, address = (
            family.name,
            ", ".join(x for x in (family.address, f"{family.postal_code} {family.city}".strip()) if x),
        )
    portal = portal_address(db)
    where = esc(portal_access_sentence(portal, login))
    if portal:  # the address as the family types it, in bold
        where = where.replace(esc(portal), f"<b>{esc(portal)}</b>", 1)
    st = styles()
    today = long_date(local_today(db.clock), weekday=False)
    story = [
        Paragraph(esc(f"Famille {name}"), st["big"]),
        Paragraph(esc(address), st["normal"]),
        Spacer(1, 10 * mm),
        Paragraph(esc(f"Le {today}"), st["normal"]),
        Spacer(1, 6 * mm),
        Paragraph(esc("Objet : votre accès au portail famille"), st["h2"]),
        Paragraph(
            esc(
                "Madame, Monsieur, voici vos codes d'accès au portail famille, qui permet de réserver en ligne "
                f"{all_kinds_text()} et de consulter votre solde."
            ),
            st["normal"],
        ),
        Spacer(1, 3 * mm),
        Paragraph(where, st["normal"]),
        Spacer(1, 5 * mm),
        table(
            None,
            [("Adresse du portail", portal)] * bool(portal)
            + [("Identifiant", login), ("Mot de passe provisoire", temporary_password)],
            (0.4 * CONTENT_WIDTH, 0.6 * CONTENT_WIDTH),
        ),
        Spacer(1, 5 * mm),
        Paragraph(
            esc(
                "Changez ce mot de passe à votre première connexion. Le service ne peut pas le relire : en cas "
                "d'oubli, un nouveau mot de passe provisoire vous sera remis."
            ),
            st["normal"],
        ),
    ]
    return render(
        story,
        title=f"Accès portail famille {name}",
        letterhead=_letterhead(db, structure_id),
        printed_at=db.clock.now(),
        printed_by=printed_by,
    )


def _health_row(child: dict[str, Any]) -> tuple[str, ...]:
    """A child's fiche sanitaire in the export's PDF (or why it is not there: no right to it)."""
    name = f"{child['prénom']} {child['nom']}"
    f = child.get("fiche_sanitaire")
    if not isinstance(f, dict):
        return (name, str(f or ""), "", "", "")
    until = f["pai_jusqu_au"]  # ISO in the export's data (a machine reads it), French on its paper
    pai = f"PAI jusqu'au {short_date(date.fromisoformat(until))}" if until else "PAI"
    health = [
        f"Allergies : {f['allergies'] or 'oui'}" if f["allergie"] or f["allergies"] else "",
        pai if f["pai"] else "",
        f"Régime : {f['régime_alimentaire']}" if f["régime_alimentaire"] else "",
        f"Médecin : {f['médecin']} {f['téléphone_du_médecin']}".strip() if f["médecin"] else "",
    ]

    def people(rows: list[dict[str, str]]) -> str:
        return " · ".join(
            " ".join(x for x in (r["nom"], f"({r['lien']})" if r["lien"] else "", r["téléphone"]) if x)
            for r in rows
        )

    a = f["autorisations"]
    return (
        name,
        " · ".join(x for x in health if x) or "—",
        people(f["contacts_d_urgence"]) or "aucun contact d'urgence",
        people(f["personnes_autorisées"]),
        f"photos {a['photos']} · sortie seul {a['sortie_seul']} · soins {a['intervention_médicale']}",
    )


@checked
def family_export_pdf(
    db: Database, data: dict[str, Any], printed_by: PersonName, structure_id: int | None = None
) -> bytes:
    """The export of ``privacy.export_family`` laid out for reading (right of access)."""
    st = styles()
    f = data["famille"]
    story: list[Flowable] = [Paragraph(esc(f"Données détenues sur la famille {f['nom']}"), st["title"])]
    story.append(
        table(
            None,
            [(k.replace("_", " "), str(v if v is not None else "—")) for k, v in f.items()],
            (0.35 * CONTENT_WIDTH, 0.65 * CONTENT_WIDTH),
        )
    )

    def money(cents: int | None) -> str:
        return format_eur(cents) if cents else ""

    def day(text: str | None) -> str:
        return (text or "")[:16].replace("T", " ")

    portal = data["compte_portail"]
    sections: list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]] = [
        (
            "Compte du portail famille",
            ("Identifiant", "Ouvert", "Mot de passe à changer"),
            [
                (
                    portal["identifiant"] or "—",
                    "oui" if portal["ouvert"] else "non",
                    "oui" if portal["mot_de_passe_à_changer"] else "non",
                )
            ],
        ),
        (
            "Responsables",
            ("Prénom", "Nom", "Lien", "Téléphone", "E-mail"),
            [
                (a["prénom"], a["nom"], a["lien"], a["téléphone"] or "", a["email"] or "")
                for a in data["responsables"]
            ],
        ),
        (
            "Enfants",
            ("Prénom", "Nom", "Naissance", "Niveau", "Remarques et santé"),
            [
                (c["prénom"], c["nom"], c["naissance"], c["niveau"], c["remarques_et_santé"])
                for c in data["enfants"]
            ],
        ),
        (
            "Fiches sanitaires et contacts",
            ("Enfant", "Santé", "Contacts d'urgence", "Autorisés à venir", "Autorisations"),
            [_health_row(c) for c in data["enfants"]],
        ),
        (
            "Aides",
            ("Aide", "Porte-monnaie", "Du", "Au", "Par jour"),
            [
                (a["aide"], a["porte_monnaie"], a["du"], a["au"], money(a["montant_centimes"]))
                for a in data["aides"]
            ],
        ),
        (
            "Soldes",
            ("Porte-monnaie", "Solde"),
            [(k, format_eur(v)) for k, v in data["porte_monnaie"].items()],
        ),
        (
            "Réservations",
            ("Enfant", "Journée", "Activité", "État", "Prix"),
            [
                (r["enfant"], r["journée"], r["activité"], r["état"], money(r["prix_centimes"]))
                for r in data["réservations"]
            ],
        ),
        (
            "Règlements",
            ("Reçu", "Date", "Mode", "Chèque", "Montant"),
            [
                (
                    p["reçu"],
                    p["date"][:10],
                    p["mode"] + (" (annulé)" if p["annulé"] else ""),
                    " ".join(x for x in (p["banque_du_chèque"], p["numéro_du_chèque"]) if x),
                    money(p["montant_centimes"]),
                )
                for p in data["règlements"]
            ],
        ),
        (
            "Paiements en ligne",
            ("Référence", "Commencé le", "État", "Montant"),
            [
                (o["référence"], day(o["commencé_le"]), o["état"], money(o["montant_centimes"]))
                for o in data["paiements_en_ligne"]
            ],
        ),
        (
            "Écritures",
            ("Date", "Nature", "Libellé", "Montant"),
            [
                (e["date"][:10], e["nature"], e["libellé"], format_eur(e["montant_centimes"]))
                for e in data["écritures"]
            ],
        ),
        (
            "E-mails",
            ("Créé le", "Objet", "État"),
            [(day(m["créé_le"]), m["objet"], m["état"]) for m in data["e-mails"]],
        ),
        (
            "Journal",
            ("Date", "Action", "Par"),
            [(day(j["date"]), j["action"], j["par"]) for j in data["journal"]],
        ),
    ]
    for title, header, rows in sections:
        story.append(Paragraph(esc(f"{title} ({len(rows)})"), st["h2"]))
        if rows:
            width = CONTENT_WIDTH / len(header)
            story.append(table(header, rows, [width] * len(header)))
    return render(
        story,
        title=f"Export des données {f['nom']}",
        letterhead=_letterhead(db, structure_id),
        printed_at=db.clock.now(),
        printed_by=printed_by,
    )
