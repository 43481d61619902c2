"""The family import's French words: numbers with a thin space between the thousands and the noun that agrees
with them (« 12 000 lignes »), why a file could not be read or written, and the colour of an error."""

from __future__ import annotations

from ...text import plural
from ..operations import Failure

ERROR_STYLE = "color:#b00020;"


def grouped(n: int) -> str:
    """12000 → « 12 000 » (a narrow no-break space between the thousands)."""
    return f"{n:,}".replace(",", "\u202f")


def counted(n: int, singular: str, plural_form: str | None = None) -> str:
    """``n`` (thousands apart) and its noun in the singular or the plural: « 1 ligne », « 12 000 lignes »."""
    return f"{grouped(n)} {plural(n, singular, plural_form)}"


def os_reason(exc: OSError) -> str:
    """Why a file could not be read or written, in French (the system's own text is often English)."""
    if isinstance(exc, FileNotFoundError):
        return "fichier ou dossier introuvable"
    if isinstance(exc, PermissionError):
        return "accès refusé (droits insuffisants ou fichier ouvert dans un autre logiciel)"
    if isinstance(exc, IsADirectoryError):
        return "c'est un dossier, pas un fichier"
    if isinstance(exc, NotADirectoryError):
        return "le chemin ne désigne pas un dossier"
    return f"erreur du système ({exc.strerror or exc})"


def read_failure(failure: Failure, filename: str) -> str:
    """Why a step of the import failed: the system's reason when the file could not be read, else the service's."""
    if isinstance(failure.error, OSError):
        return f"Impossible de lire le fichier « {filename} » : {os_reason(failure.error)}."
    return failure.message
