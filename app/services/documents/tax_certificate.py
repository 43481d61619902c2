"""The « attestation de frais de garde » PDF (article 200 quater B of the tax code): one page per family and
structure, with the amounts of ``money.tax_certificates``; one family's printed at the counter or downloaded from
the portal, or all of a year's at once (``tax_certificates_batch``: a PDF per family and structure in a folder, an
e-mail to each family with an address through the outbox)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...clock import local_today
from ...files import write_document
from ...models import Family, OutboxMessage
from ...text import amount_in_words, count, format_eur, long_date, short_date, signature
from .. import audit
from ..actors import Actor
from ..bounds import Text, Year, checked
from ..end_of_day.outbox import Email, queue_emails
from ..errors import (
    FileNotWritable,
    FilesNotPlaced,
    StructureIdentityMissing,
    UnknownEntity,
    ValidationError,
)
from ..money.tax_certificates import (
    TaxCertificate,
    certificates,
    check_year,
    eligible_children,
    family_certificate,
    missing_identity,
)
from ..permissions import rule
from ..setup.town_settings import portal_address
from ..uow import Database
from .toolkit import CONTENT_WIDTH, GRID, Letterhead, esc, render, signature_boxes, styles, table

LAW = "article 200 quater B du code général des impôts"
NET_SENTENCE = (
    "Les montants sont nets des aides déduites du prix de chaque journée (CAF, MSA, commune…) et des "
    "remboursements (journées annulées dans les délais, absences justifiées par un certificat médical) ; une "
    "absence non justifiée reste facturée. Les frais de nourriture (repas) en sont exclus."
)
PORTAL_PLACE = "« Mes attestations »"


def new_year(year: int) -> str:
    """« 1er janvier 2025 »."""
    return long_date(date(year, 1, 1), weekday=False)


def siret_text(siret: str) -> str:
    """« 213 101 231 00017 » (SIREN in threes, then the NIC); « non renseigné » when the structure has none."""
    if len(siret) != 14:
        return siret or "non renseigné"
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"


def _title(c: TaxCertificate) -> str:
    return f"Attestation de frais de garde {c.year} – {c.family_name}"


def _identities(organiser: list[str], family: list[str]) -> Table:
    """The organiser and the family side by side, each in a framed box with its heading."""
    st = styles()

    def cell(heading: str, lines: list[str]) -> Paragraph:
        first, *rest = lines
        return Paragraph(
            f"<font size=8 color='#455a64'>{esc(heading)}</font><br/><b>{esc(first)}</b><br/>"
            + "<br/>".join(esc(x) for x in rest),
            st["normal"],
        )

    t = Table(
        [[cell("Organisme d'accueil", organiser), "", cell("Bénéficiaire", family)]],
        colWidths=[0.54 * CONTENT_WIDTH, 0.04 * CONTENT_WIDTH, 0.42 * CONTENT_WIDTH],
    )
    t.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (0, 0), 0.5, GRID),
                ("BOX", (2, 0), (2, 0), 0.5, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return t


def certificate_story(c: TaxCertificate, today: date) -> list[Flowable]:
    """One certificate's page."""
    st = styles()
    o = c.organiser
    place = o.city or "…"
    who = o.regisseur_name or "………………… (nom du régisseur non renseigné)"
    organiser = [o.name, ", ".join(x for x in (o.address, f"{o.postal_code} {o.city}".strip()) if x)]
    organiser.append(f"SIRET : {siret_text(o.siret)}")
    if o.regie:
        organiser.append(o.regie)
    family = [f"Famille {c.family_name}", c.family_address or "adresse non renseignée"]
    story: list[Flowable] = [
        Paragraph(esc(f"Attestation de frais de garde – année {c.year}"), st["title"]),
        Paragraph(esc(f"Frais de garde des enfants de moins de 6 ans ({LAW})"), st["small"]),
        Spacer(1, 5 * mm),
        _identities(organiser, family),
        Spacer(1, 5 * mm),
        Paragraph(
            esc(
                f"Je soussigné(e), {who}, régisseur, certifie que les sommes ci-dessous ont été facturées à la "
                f"famille {c.family_name} par {o.name} pour l'accueil de ses {eligible_children(c.year)}, pour "
                f"les journées de l'année {c.year} :"
            ),
            st["normal"],
        ),
        Spacer(1, 3 * mm),
    ]
    w = CONTENT_WIDTH
    rows = [
        (
            f"{ch.first_name} {ch.last_name}",
            short_date(ch.birth_date),
            str(ch.days),
            format_eur(ch.charged_cents),
            format_eur(ch.meal_cents),
            format_eur(ch.amount_cents),
        )
        for ch in c.children
    ]
    story.append(
        table(
            ("Enfant", "Né(e) le", "Journées", "Facturé", "Repas déduits", "Montant retenu"),
            rows,
            (0.30 * w, 0.13 * w, 0.11 * w, 0.15 * w, 0.15 * w, 0.16 * w),
            right=(2, 3, 4, 5),
            total=(
                "Total de la famille",
                "",
                str(c.days),
                format_eur(sum(ch.charged_cents for ch in c.children)),
                format_eur(sum(ch.meal_cents for ch in c.children)),
                format_eur(c.total_cents),
            ),
        )
    )
    story += [
        Spacer(1, 4 * mm),
        Paragraph(esc(f"Montant total des frais de garde : {format_eur(c.total_cents)}"), st["big"]),
        Paragraph(esc(f"Arrêté à la somme de {amount_in_words(c.total_cents)}."), st["normal"]),
        Spacer(1, 3 * mm),
        Paragraph(esc(NET_SENTENCE), st["normal"]),
    ]
    if c.as_of is not None:
        story += [
            Spacer(1, 2 * mm),
            Paragraph(
                f"<b>{esc(f'Année en cours : sommes arrêtées au {long_date(c.as_of, weekday=False)}.')}</b>",
                st["normal"],
            ),
        ]
    story += [
        Spacer(1, 3 * mm),
        Paragraph(
            esc(
                "À conserver : montant à reporter dans la déclaration des revenus, rubrique « Frais de garde des "
                "enfants de moins de 6 ans » (un montant par enfant)."
            ),
            st["small"],
        ),
        Spacer(1, 6 * mm),
        KeepTogether(
            [
                Paragraph(esc(f"Fait à {place}, le {long_date(today, weekday=False)}."), st["normal"]),
                Spacer(1, 3 * mm),
                signature_boxes(
                    [("Cachet de l'organisme", ""), ("Le régisseur", o.regisseur_name or "nom non renseigné")]
                ),
            ]
        ),
    ]
    return story


def certificate_pdf(c: TaxCertificate, *, today: date, printed_at: datetime, printed_by: str) -> bytes:
    o = c.organiser
    address = ", ".join(x for x in (o.address, f"{o.postal_code} {o.city}".strip()) if x)
    contact = " · ".join(x for x in (o.phone, o.email, f"SIRET {siret_text(o.siret)}") if x)
    letterhead = Letterhead(o.name, address, contact, o.logo)
    return render(
        certificate_story(c, today),
        title=_title(c),
        letterhead=letterhead,
        printed_at=printed_at,
        printed_by=printed_by,
    )


@checked
def tax_certificate_pdf(db: Database, actor: Actor, family_id: int, year: Year, structure_id: int) -> bytes:
    """One family's certificate from one structure (at the counter, or the family's own on the portal). Audited.
    ``FutureYear``, ``NothingEligible`` (French)."""
    own = getattr(actor, "family_id", None)
    if own is not None and own != family_id:
        raise UnknownEntity(f"Famille inconnue (n° {family_id}).")
    today = local_today(db.clock)

    def work(s: Session) -> TaxCertificate:
        c = family_certificate(s, family_id, year, structure_id, today)
        audit.record(
            s,
            at=db.clock.now(),
            action="tax_certificate.print",
            entity="family",
            entity_id=family_id,
            agent_id=actor.agent_id,
            structure_id=structure_id,
            family_id=family_id,
            after={"year": year, "total_cents": c.total_cents, "portal": own is not None},
        )
        return c

    c = db.write(work, actor=actor, rule=rule("documents.tax_certificate.tax_certificate_pdf"))
    return certificate_pdf(
        c,
        today=today,
        printed_at=db.clock.now(),
        printed_by="portail famille" if own is not None else actor.name or "Guichet Enfance",
    )


FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def certificate_file_name(
    year: int, family_name: str, family_id: int, structure_name: str | None = None
) -> str:
    """« Attestation frais de garde 2025 - MARTIN (n° 12).pdf » (« - ALSH de Montech » added when a structure is
    named): a name every file system takes (Windows' forbidden characters ``<>:"/\\|?*`` replaced, accents kept),
    unique per family (and structure). The batch's files and the name proposed at the counter."""
    name = f"Attestation frais de garde {year} - {family_name} (n° {family_id})"
    if structure_name:
        name += f" - {structure_name}"
    return FORBIDDEN.sub("_", name)[:180].rstrip(" .") + ".pdf"


def file_name(c: TaxCertificate, *, with_structure: bool) -> str:
    """The batch's file of a certificate (``certificate_file_name``)."""
    return certificate_file_name(
        c.year, c.family_name, c.family_id, c.organiser.name if with_structure else None
    )


def dedup_key(c: TaxCertificate) -> str:
    return f"tax-certificate:{c.family_id}:{c.organiser.id}:{c.year}"


def where_to_find(portal: str) -> str:
    """Where the family finds its PDF: the portal with its address (``portal``: the town's portal address, given
    only to a family with a portal login), else the counter."""
    if portal:
        return (
            f"Vous trouverez l'attestation (PDF) sur le portail famille, {portal}, page {PORTAL_PLACE}, ou au "
            "guichet du service enfance-jeunesse."
        )
    return "Pour obtenir l'attestation (PDF), demandez-la au guichet du service enfance-jeunesse."


def email_body(c: TaxCertificate, signature: str, portal: str = "") -> str:
    """The batch's e-mail to a family; ``portal``: the portal's address when the family has a login there and the
    town set it, "" otherwise (the counter)."""
    lines = [
        f"{ch.first_name} {ch.last_name} : {format_eur(ch.amount_cents)} ({count(ch.days, 'journée')})"
        for ch in c.children
    ]
    return (
        "Bonjour,\n\n"
        f"Votre attestation de frais de garde {c.year} ({LAW}) est disponible : {c.organiser.name} certifie les frais "
        f"de garde de vos {eligible_children(c.year)} :\n\n"
        + "\n".join(f"- {line}" for line in lines)
        + f"\n\nTotal : {format_eur(c.total_cents)}.\n\n{NET_SENTENCE}\n\n"
        f"{where_to_find(portal)}\n\n{signature}"
    )


@dataclass(frozen=True)
class BatchResult:
    year: int
    families: int
    """Families with at least one certificate."""
    pdfs: int
    emails_queued: int
    """E-mails queued by this run (none twice: a second run queues none)."""
    without_email: int
    """Families with a certificate and no e-mail address (to hand out at the counter or by post)."""
    folder: str

    def message(self) -> str:
        if not self.families:
            return f"Aucune famille n'a de frais de garde éligibles en {self.year} : aucune attestation."
        return (
            f"{count(self.families, 'famille éligible', 'familles éligibles')}, "
            f"{count(self.pdfs, 'attestation enregistrée', 'attestations enregistrées')} dans « {self.folder} », "
            f"{count(self.emails_queued, 'e-mail mis en attente d’envoi', 'e-mails mis en attente d’envoi')}, "
            f"{count(self.without_email, 'famille sans adresse e-mail', 'familles sans adresse e-mail')}."
        )


@checked
def tax_certificates_batch(
    db: Database,
    actor: Actor,
    year: Year,
    folder: Annotated[str, Text(max_len=1000, label="dossier")],
    create_folder: bool = False,
) -> BatchResult:
    """Every certificate of a past year: one PDF per family (and structure, when several) in ``folder`` (an existing
    folder; the files written all or none), an e-mail to each family with an address (once: run again, it queues
    nothing more), audited. The current year is refused: its sums are not final (one family's is printed at the
    counter, « arrêtées au » that day); so is a year with a structure lacking its SIRET or régisseur's name
    (``StructureIdentityMissing``: the e-mails go once, never pointing at papers saying « non renseigné »).

    The order: everything checked (``create_folder``: the command line's folder made only then), each PDF written
    as it is made into a temporary folder inside ``folder``, the audited transaction (e-mails, audit row), then the
    files moved into place; any failure removes the temporary folder (and the folder made for the run)."""
    today = local_today(db.clock)
    check_year(year, today)
    if year == today.year:
        raise ValidationError(
            f"L'année {year} n'est pas terminée : les attestations de l'année s'éditent ensemble à partir du "
            f"{new_year(year + 1)}. Pour une famille, imprimez la sienne depuis sa fiche (sommes arrêtées à ce jour)."
        )
    target = Path(folder)
    if (
        not folder.strip()
        or (target.exists() and not target.is_dir())
        or not (create_folder or target.is_dir())
    ):
        raise ValidationError(f"Dossier introuvable : « {folder[:200]} ». Choisissez un dossier existant.")
    now = db.clock.now()
    portal = portal_address(db)
    with db.reading() as uow:
        found = certificates(uow.session, year, None)
    missing = {
        o.name: gaps
        for o in sorted({c.organiser.id: c.organiser for c in found}.values(), key=lambda o: (o.name, o.id))
        if (gaps := missing_identity(o))
    }
    if missing:
        raise StructureIdentityMissing(year, missing)
    several = len({c.organiser.id for c in found}) > 1
    names = [file_name(c, with_structure=several) for c in found]
    _check_replaceable(target, names)
    families = {c.family_id: c.email for c in found}

    def work(s: Session) -> int:
        keys = [dedup_key(c) for c in found if c.email]
        sent = (
            set(s.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys))))
            if keys
            else set()
        )
        rows = (
            {f.id: f for f in s.scalars(select(Family).where(Family.id.in_(list(families))))}
            if families
            else {}
        )
        emails = [
            Email(
                "tax_certificate",
                dedup_key(c),
                rows[c.family_id],
                f"Attestation de frais de garde {c.year} – {c.organiser.name}",
                email_body(
                    c,
                    f"{signature(c.organiser.city)} – {c.organiser.name}",
                    portal if rows[c.family_id].portal_login else "",
                ),
            )
            for c in found
            if c.email and dedup_key(c) not in sent
        ]
        queued = queue_emails(s, emails, now)
        audit.record(
            s,
            at=now,
            action="tax_certificate.batch",
            entity="tax_certificates",
            entity_id=year,
            agent_id=actor.agent_id,
            after={
                "year": year,
                "families": len(families),
                "pdfs": len(found),
                "emails_queued": queued,
                "without_email": sum(1 for e in families.values() if not e),
            },
        )
        return queued

    created = _make_folder(target) if create_folder else []
    staging: Path | None = None
    try:
        if found:
            staging = _staging_folder(target, year)
            printed_by = actor.name or "Guichet Enfance"
            for c, name in zip(found, names, strict=True):  # one PDF in memory at a time
                pdf = certificate_pdf(c, today=today, printed_at=now, printed_by=printed_by)
                write_document(staging / name, pdf, private=True)
        queued = db.write(work, actor=actor, rule=rule("documents.tax_certificate.tax_certificates_batch"))
        if staging is not None:
            _move_into_place(staging, target, names)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            staging = None
        for made in created:  # the folder the command line asked for, left empty: removed
            with contextlib.suppress(OSError):
                made.rmdir()
        raise
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return BatchResult(
        year, len(families), len(found), queued, sum(1 for e in families.values() if not e), str(target)
    )


def _check_replaceable(target: Path, names: list[str]) -> None:
    """Before anything is written: a file of an earlier run that cannot be replaced (open in a PDF reader on
    Windows, read-only) is said now, ``FileNotWritable``, nothing changed."""
    for name in names:
        path = target / name
        if path.is_dir():
            raise FileNotWritable(str(path), "c'est un dossier")
        if path.exists():
            try:
                with path.open("r+b"):
                    pass
            except OSError as exc:
                raise FileNotWritable(
                    str(path),
                    "le fichier est ouvert dans un autre programme ou en lecture seule",
                    locked=True,
                ) from exc


def _make_folder(target: Path) -> list[Path]:
    """The folder and its missing parents made (the command line's); the ones made, deepest first."""
    made = []
    at = target
    while not at.exists():
        made.append(at)
        at = at.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileNotWritable(str(target), exc.strerror or "dossier impossible à créer") from exc
    return made


def _staging_folder(target: Path, year: int) -> Path:
    """A temporary folder inside the target (its owner's only): the PDFs wait there until the transaction is
    written, then move in (a move within a folder is instant and does not copy)."""
    try:
        return Path(tempfile.mkdtemp(prefix=f".attestations-{year}-", dir=target))
    except OSError as exc:
        raise FileNotWritable(str(target), exc.strerror or "le dossier est protégé en écriture") from exc


def _move_into_place(staging: Path, target: Path, names: list[str]) -> None:
    """The staged PDFs moved into ``target``, all or none: an earlier run's files set aside first and put back if a
    move fails (``FilesNotPlaced``: the transaction is written by then)."""
    aside = staging / ".precedents"
    aside.mkdir()
    moved: list[tuple[str, bool]] = []
    try:
        for name in names:
            path = target / name
            kept = path.exists()
            if kept:
                os.replace(path, aside / name)
            moved.append((name, kept))
            os.replace(staging / name, path)
    except OSError as exc:
        for name, kept in reversed(moved):
            with contextlib.suppress(OSError):
                if not (staging / name).exists():
                    os.replace(target / name, staging / name)
                if kept:
                    os.replace(aside / name, target / name)
        raise FilesNotPlaced(str(target), exc.strerror or type(exc).__name__) from exc
