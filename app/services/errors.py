"""Typed domain errors. Each carries a French message for the agent (``str(error)``).

Services raise them; the GUI and the command line turn them into a message in one place each
(``app.ui.operations`` and ``app.__main__``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..config import command_line

if TYPE_CHECKING:  # the login window imports this module before the models (and SQLAlchemy) are loaded
    from ..models.enums import Role


class DomainError(Exception):
    """Base class: an expected refusal, explained to the agent in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigurationError(DomainError):
    pass


def cut(text: str, limit: int = 120) -> str:
    """A text typed or given on a command line, cut for a message when it is long: its start and its end (a path
    of 100 000 characters is not echoed whole)."""
    text = str(text)
    return text if len(text) <= limit else f"{text[: limit - 30]}…{text[-25:]} ({len(text)} caractères)"


class InvalidDatabaseUrl(ConfigurationError):
    def __init__(self, url: str, detail: str = "") -> None:
        msg = f"Adresse de base de données invalide : « {cut(url)} »"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg + ".")
        self.url = url


class DatabaseUnreachable(ConfigurationError):
    def __init__(self, target: str, detail: str = "") -> None:
        msg = f"Impossible de se connecter à la base de données {target}"
        if detail:
            msg += f" : {detail}"
        super().__init__(msg + ".")
        self.target = target


class DatabaseMissing(ConfigurationError):
    def __init__(self, target: str) -> None:
        super().__init__(
            f"La base de données {target} n'existe pas : vérifiez l'adresse donnée (--db). Une nouvelle base se "
            f"crée avec « {command_line('migrate')} » (ou « setup ») ou au premier démarrage de l'application."
        )
        self.target = target


class NetworkDatabase(ConfigurationError):
    """A local SQLite file on a network share, a mapped network drive or a synchronised folder (OneDrive): SQLite's
    WAL needs shared memory on a local disk, and a share or a sync client can corrupt the file."""

    def __init__(self, path: str, where: str) -> None:
        super().__init__(
            f"La base locale « {cut(path)} » est sur {where} : une base SQLite n'y est pas sûre (risque de corruption). "
            "Placez-la sur un disque de ce poste (par exemple le dossier proposé par défaut) ou, pour plusieurs "
            "guichets, utilisez un serveur partagé : « Se connecter à un serveur partagé… » (PostgreSQL)."
        )
        self.path = path
        self.where = where


class FileNotWritable(DomainError):
    """A document could not be written where the agent asked (open in another program, read-only, full disk)."""

    def __init__(self, path: str, reason: str, *, locked: bool = False) -> None:
        advice = (
            "fermez-le dans le programme qui l'a ouvert (un lecteur PDF, un tableur), puis recommencez, ou "
            "choisissez un autre nom"
            if locked
            else "choisissez un autre dossier ou un autre nom"
        )
        super().__init__(
            f"Impossible d'enregistrer « {cut(path)} » : {reason}. Rien n'a été modifié : {advice}."
        )
        self.path = path
        self.locked = locked


class DatabaseInUse(DomainError):
    """The local database is being written by another program: it cannot be replaced now."""

    def __init__(self, target: str) -> None:
        super().__init__(
            f"La base {target} est en cours d'utilisation par un autre programme (Guichet Enfance ouvert sur ce "
            "poste ?) : rien n'a été modifié. Fermez l'application puis recommencez."
        )
        self.target = target


class SchemaBehind(ConfigurationError):
    def __init__(self, current: str | None, head: str) -> None:
        where = f"version {current}" if current else "base vide"
        super().__init__(
            f"La base de données n'est pas à jour ({where}, version attendue {head}) : "
            f"lancez « {command_line('migrate')} » ou demandez-le à un superviseur."
        )
        self.current = current
        self.head = head


class SchemaUnknown(ConfigurationError):
    def __init__(self, current: str) -> None:
        super().__init__(
            f"La base de données est dans une version inconnue de cette application ({current}) : "
            "mettez l'application à jour."
        )
        self.current = current


class DatabaseNotEmpty(DomainError):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"La base de données contient déjà des données ({what}) : "
            "ajoutez --force pour les remplacer par la démonstration."
        )


class NotFound(DomainError):
    pass


class ValidationError(DomainError):
    """Bad input from the agent: nothing was written."""


class FieldErrors(ValidationError):
    """Several invalid fields of a form: ``fields`` maps a field name to its French message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("\n".join(fields.values()))
        self.fields = fields


class PermissionDenied(DomainError):
    """Not for this role (``need``: the least that may; None: the family's own action on the portal)."""

    WHO = {
        "agent": "aux agents",
        "supervisor": "à un superviseur (régisseur)",
        "admin": "à un administrateur",
    }

    def __init__(self, what: str, need: Role | str | None = "supervisor", *, family: bool = False) -> None:
        if family:
            who = "au guichet"
        elif need is None:
            who = "à la famille, sur le portail"
        else:
            who = self.WHO[str(need)]  # a Role is a str (StrEnum)
        super().__init__(f"Action réservée {who} : {what}.")
        self.need = need


class HealthAccessDenied(PermissionDenied):
    """An agent without the right to the children's health files (``Agent.health_access``; GDPR art. 9)."""

    def __init__(self, what: str) -> None:
        DomainError.__init__(
            self,
            f"Action réservée aux agents ayant l'accès aux fiches sanitaires : {what}. "
            "Un administrateur peut vous le donner (Administration → Agents).",
        )
        self.need = None


class DatabaseRefused(PermissionDenied):
    """The shared server refused this counter's login the write (``pg_security``): said as the server says it."""

    def __init__(self, message: str) -> None:
        DomainError.__init__(self, f"Refusé par le serveur : {message}")
        self.need = None


class UnknownEntity(NotFound):
    """An identifier that does not exist (child, family, activity, day, reservation…)."""


class UnknownActivityKind(DomainError):
    """A kind of activity the application has no entry for (``app.services.booking.kinds``): refused, never laid
    out like another kind."""

    def __init__(self, kind: str, known: Sequence[str]) -> None:
        super().__init__(
            f"Type d'activité inconnu de l'application : « {cut(kind, 40)} » (types connus : {', '.join(known)}). "
            "Ses journées et ses réglages par défaut ne sont pas définis : rien n'a été fait."
        )
        self.kind = kind


class WrongFamily(ValidationError):
    pass


class WrongStructure(ValidationError):
    pass


class DateOutsideCalendar(ValidationError):
    pass


class EmptyBasket(ValidationError):
    def __init__(self) -> None:
        super().__init__("Aucune demande en cours : cliquez sur des jours du calendrier avant de valider.")


class OverrideReasonRequired(ValidationError):
    def __init__(self) -> None:
        super().__init__("Un dépassement de délai ou de capacité exige un motif.")


class ReasonRequired(ValidationError):
    """A supervisor's correction without its reason (« de l'annulation du règlement »)."""

    def __init__(self, of_what: str) -> None:
        super().__init__(f"Indiquez le motif {of_what}.")


class InsufficientBalance(DomainError):
    """The basket costs more than the account holds (or the account is in debit): nothing was written."""

    def __init__(self, missing_cents: int, message: str) -> None:
        super().__init__(message)
        self.missing_cents = missing_cents


class AccountInDebit(InsufficientBalance):
    pass


class InvalidCapacity(ValidationError):
    pass


class CertificateRefused(DomainError):
    pass


class BusyRetryExhausted(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "La base de données est très occupée : l'opération n'a pas pu aboutir, rien n'a été enregistré. "
            "Réessayez dans un instant."
        )


class ConnectionLost(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "La connexion à la base de données a été perdue pendant l'opération : rien n'a été enregistré. "
            "Vos demandes en cours sont conservées ; réessayez quand le serveur répond."
        )


class OutcomeUnknown(DomainError):
    """The COMMIT was sent but its answer was lost, and the server could not be asked yet."""

    def __init__(self, keyed: bool = True) -> None:
        then = (
            "Réessayez quand le serveur répond : elle ne sera pas enregistrée deux fois."
            if keyed
            else "Vérifiez quand le serveur répond avant de la refaire."
        )
        super().__init__(
            f"La connexion au serveur a été perdue au moment d'enregistrer : l'opération a peut-être été "
            f"enregistrée. {then}"
        )


class FutureYear(ValidationError):
    """A childcare tax certificate asked for a year not begun: nothing printed, nothing written."""


class NothingEligible(NotFound):
    """No childcare tax certificate: nothing charged in that year for a child under 6 on 1 January."""


class StructureIdentityMissing(ValidationError):
    """A year's childcare tax certificates refused: a structure that certifies some has no SIRET or no régisseur's
    name (the papers, and the e-mails sent once, would say « non renseigné »). Nothing written, no e-mail."""

    def __init__(self, year: int, missing: dict[str, tuple[str, ...]]) -> None:
        gaps = " ; ".join(f"{' et '.join(what)} de « {name} »" for name, what in missing.items())
        super().__init__(
            f"Attestations de frais de garde {year} non éditées : il manque {gaps}. Renseignez-les dans "
            "Administration → Structures, puis recommencez. Rien n'a été enregistré, aucun e-mail envoyé."
        )
        self.year = year
        self.structures = list(missing)


class FilesNotPlaced(DomainError):
    """A year's childcare tax certificates recorded (e-mails queued, audited) but their files could not be moved
    into the folder afterwards: the earlier files are left as they were; run again (no e-mail goes twice)."""

    def __init__(self, folder: str, reason: str) -> None:
        super().__init__(
            f"Les attestations sont enregistrées et les e-mails mis en attente, mais les fichiers n'ont pas pu être "
            f"placés dans « {cut(folder)} » : {reason}. Les fichiers déjà présents sont inchangés. Réglez le "
            "problème puis recommencez : les fichiers seront écrits, aucun e-mail ne partira deux fois."
        )
        self.folder = folder
