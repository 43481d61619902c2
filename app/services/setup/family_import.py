"""Importing the families a town already has, from CSV (";" or ",", UTF-8 or Windows-1252) or Excel (.xlsx),
and exporting all families in the same format (the same columns, one row per child).

One row per child; the family's columns (responsible adult, contact, quotient familial, balances) are repeated
on each of its children's lines. Nothing is written until the administrator confirms the preview; the import is
one transaction; a family or child already known is not created again, so a second import of the same file
creates nothing. Opening balances become "Solde repris" ledger entries of the new families, never a direct
balance write.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...clock import local_today
from ...models import Adult, Child, Family, LedgerKind, Wallet, WalletKind, search_key
from ...text import count, date_parts, format_eur, plain_amount, short_date
from .. import audit
from ..actors import Actor
from ..bounds import checked
from ..errors import ValidationError
from ..families.edit import EMAIL, MAX_CHILD_AGE, SCHOOL_LEVELS, normalise_phone
from ..families.search import refresh_search_text
from ..families.view import WALLET_LABELS
from ..money import ledger
from ..money.amounts import parse_amount
from ..permissions import rule
from ..uow import Database, Shown

Progress = Callable[[int, int], None]
"""progress(done, total): called now and then during a long read or import."""

MAX_FILE_BYTES = 50_000_000
MAX_LINES = 100_000
MAX_BALANCE_CENTS = 10_000_000  # ± 100 000,00 €
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ImportFileError(ValidationError):
    """The file itself cannot be read (not a spreadsheet, empty, wrong separator, missing column…)."""


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str
    required: bool
    family: bool
    """A family column (repeated on each child's line) or a child column."""
    max_len: int
    synonyms: tuple[str, ...] = ()


FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "famille", "Famille (nom ou n° de dossier)", True, True, 120, ("foyer", "dossier", "n_dossier")
    ),
    ImportField("nom_famille", "Nom de la famille", False, True, 120, ("nom_de_famille",)),
    ImportField(
        "responsable_nom",
        "Nom du responsable",
        False,
        True,
        80,
        ("nom_responsable", "nom_parent", "parent_nom", "responsable"),
    ),
    ImportField(
        "responsable_prenom",
        "Prénom du responsable",
        False,
        True,
        80,
        ("prenom_responsable", "prenom_parent", "parent_prenom"),
    ),
    ImportField("email", "E-mail", False, True, 200, ("e_mail", "mail", "courriel", "adresse_email")),
    ImportField(
        "telephone", "Téléphone", False, True, 30, ("tel", "portable", "mobile", "telephone_famille")
    ),
    ImportField("adresse", "Adresse", False, True, 200, ("adresse_postale", "rue")),
    ImportField("code_postal", "Code postal", False, True, 10, ("cp",)),
    ImportField("ville", "Ville", False, True, 80, ("commune", "localite")),
    ImportField("quotient_familial", "Quotient familial", False, True, 10, ("qf", "quotient")),
    ImportField("enfant_nom", "Nom de l'enfant", True, False, 80, ("nom_enfant",)),
    ImportField("enfant_prenom", "Prénom de l'enfant", True, False, 80, ("prenom_enfant", "prenom")),
    ImportField(
        "enfant_naissance",
        "Date de naissance",
        True,
        False,
        20,
        ("date_naissance", "date_de_naissance", "naissance", "ne_le"),
    ),
    ImportField(
        "enfant_niveau", "Niveau scolaire", False, False, 20, ("niveau", "classe", "niveau_scolaire")
    ),
    ImportField("solde_alae", "Solde ALAE", False, True, 20, ()),
    ImportField("solde_alsh", "Solde ALSH", False, True, 20, ()),
    ImportField("solde_cantine", "Solde cantine", False, True, 20, ()),
)
BY_KEY = {f.key: f for f in FIELDS}
DEFAULT_HEADERS = [f.key for f in FIELDS if f.key not in ("solde_cantine", "nom_famille")]
BALANCE_FIELDS = {
    "solde_alae": WalletKind.ALAE,
    "solde_alsh": WalletKind.ALSH,
    "solde_cantine": WalletKind.CANTINE,
}
CHILD_FIELDS = [f.key for f in FIELDS if not f.family]
LEVELS = {search_key(level): level for level in SCHOOL_LEVELS if level} | {
    "6eme": "6e",
    "5eme": "5e",
    "4eme": "4e",
    "3eme": "3e",
    "petite section": "PS",
    "moyenne section": "MS",
    "grande section": "GS",
}


# --- reading the file ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    line: int
    """The line (CSV) or row (Excel) number in the file, the header being line 1."""
    cells: tuple[str, ...]


@dataclass
class SourceTable:
    filename: str
    kind: str
    """ "CSV" or "Excel"."""
    detail: str
    """e.g. "UTF-8, séparateur « ; »"."""
    headers: list[str]
    header_line: int
    rows: list[SourceRow]


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-'’.]+", "_", search_key(text)).strip("_")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _read_xlsx(filename: str, content: bytes, progress: Progress | None) -> SourceTable:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise ImportFileError(
            f"Le fichier « {filename} » n'est pas un classeur Excel (.xlsx) lisible."
        ) from exc
    try:
        sheet = book.worksheets[0]
        headers: list[str] | None = None
        header_line = 1
        rows: list[SourceRow] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = tuple(_cell_text(v).strip() for v in values)
            if headers is None:
                if any(cells):
                    headers, header_line = [c for c in cells], number
                continue
            if any(cells):
                rows.append(SourceRow(number, cells))
            if len(rows) > MAX_LINES:
                raise ImportFileError(f"Fichier trop grand : plus de {MAX_LINES} lignes.")
            if progress is not None and number % 2000 == 0:
                progress(number, 0)
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged workbook reads partly then fails anywhere
        raise ImportFileError(
            f"Le fichier « {filename} » n'est pas un classeur Excel (.xlsx) lisible."
        ) from exc
    finally:
        book.close()
    if headers is None:
        raise ImportFileError(f"Le fichier « {filename} » est vide.")
    while headers and not headers[-1]:
        headers.pop()
    return SourceTable(filename, "Excel", f"feuille « {sheet.title} »", headers, header_line, rows)


def _decode(filename: str, content: bytes) -> tuple[str, str]:
    for encoding, label in (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252")):
        try:
            return content.decode(encoding), label
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        f"Le fichier « {filename} » n'est ni en UTF-8 ni en Windows-1252."
    )  # pragma: no cover


def _read_csv(filename: str, content: bytes) -> SourceTable:
    text, encoding = _decode(filename, content)
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ImportFileError(f"Le fichier « {filename} » est vide.")
    header = lines[first]
    counts = {sep: len(next(csv.reader([header], delimiter=sep))) for sep in (";", ",")}
    separator = max(counts, key=lambda sep: counts[sep])
    if counts[separator] < 2:
        raise ImportFileError(
            f"Ligne {first + 1} (en-têtes) : séparateur de colonnes non reconnu ; les colonnes doivent être "
            "séparées par « ; » ou « , » (enregistrez le fichier au format CSV)."
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    headers: list[str] | None = None
    header_line = first + 1
    rows: list[SourceRow] = []
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            cells = tuple(c.strip() for c in record)
            if headers is None:
                if any(cells):
                    headers, header_line = list(cells), start
                continue
            if any(cells):
                rows.append(SourceRow(start, cells))
            if len(rows) > MAX_LINES:
                raise ImportFileError(f"Fichier trop grand : plus de {MAX_LINES} lignes.")
    except csv.Error as exc:
        raise ImportFileError(f"Ligne {line} : le fichier CSV est mal formé ({exc}).") from exc
    if headers is None:
        raise ImportFileError(
            f"Le fichier « {filename} » n'a aucune ligne d'en-têtes : toutes ses cellules sont vides."
        )
    sep = "point-virgule" if separator == ";" else "virgule"
    return SourceTable(filename, "CSV", f"{encoding}, séparateur {sep}", headers, header_line, rows)


def read_source(filename: str, content: bytes, progress: Progress | None = None) -> SourceTable:
    """Read a CSV or .xlsx file into rows of text cells; a file that cannot be read raises ImportFileError."""
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError(f"Le fichier « {name} » est trop lourd (50 Mo au plus).")
    if not content.strip():
        raise ImportFileError(f"Le fichier « {name} » est vide.")
    lower = name.lower()
    if lower.endswith(".xls") or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            f"Le fichier « {name} » est au format Excel 97-2003 (.xls) : enregistrez-le en .xlsx ou en CSV."
        )
    if lower.endswith((".xlsx", ".xlsm")) or content.startswith(b"PK\x03\x04"):
        return _read_xlsx(name, content, progress)
    if b"\x00" in content[:4096]:
        raise ImportFileError(f"Le fichier « {name} » n'est pas un fichier texte CSV ni un classeur .xlsx.")
    return _read_csv(name, content)


# --- the column mapping ----------------------------------------------------------------------------------

Mapping = dict[str, int | None]
"""field key → column index in the file (None: the file has no such column)."""


def guess_mapping(headers: Sequence[str]) -> Mapping:
    """Each field's column, by its default header or a usual synonym (accents, case and spaces ignored)."""
    keys = [_header_key(h) for h in headers]
    mapping: Mapping = {}
    used: set[int] = set()
    for f in FIELDS:
        for wanted in (f.key, _header_key(f.label), *f.synonyms):
            index = next((i for i, k in enumerate(keys) if k == wanted and i not in used), None)
            if index is not None:
                mapping[f.key] = index
                used.add(index)
                break
        else:
            mapping[f.key] = None
    if mapping["famille"] is None and mapping["nom_famille"] is not None:  # the file's only family column
        mapping["famille"], mapping["nom_famille"] = mapping["nom_famille"], None
    return mapping


def missing_fields(mapping: Mapping) -> list[ImportField]:
    """The required columns the mapping leaves out; « famille » may be, when the responsible adult is there (the
    family is then his)."""
    by_adult = mapping.get("responsable_nom") is not None
    return [
        f
        for f in FIELDS
        if f.required and mapping.get(f.key) is None and not (f.key == "famille" and by_adult)
    ]


def check_mapping(table: SourceTable, mapping: Mapping) -> None:
    seen: dict[str, int] = {}
    for i, header in enumerate(table.headers):
        key = _header_key(header)
        if key and key in seen:
            raise ImportFileError(
                f"Ligne {table.header_line} (en-têtes) : colonne « {header} » en double (colonnes {seen[key] + 1} "
                f"et {i + 1}) : supprimez l'une des deux."
            )
        if key:
            seen[key] = i
    if not table.rows:
        raise ImportFileError(
            f"Le fichier « {table.filename} » n'a aucune ligne de données après ses en-têtes (ligne "
            f"{table.header_line})."
        )
    missing = [f"{f.key} (« {f.label} »)" for f in missing_fields(mapping)]
    if missing:
        raise ImportFileError(
            f"Ligne {table.header_line} (en-têtes) : colonne obligatoire absente : {', '.join(missing)} "
            f"(colonnes du fichier : {', '.join(h[:30] for h in table.headers) or 'aucune'})."
        )
    taken: dict[int, str] = {}
    for key, index in mapping.items():
        if index is None:
            continue
        if not 0 <= index < len(table.headers):
            raise ImportFileError(f"Colonne inexistante choisie pour « {BY_KEY[key].label} ».")
        if index in taken:
            raise ImportFileError(
                f"La colonne « {table.headers[index]} » est choisie deux fois "
                f"(« {BY_KEY[taken[index]].label} » et « {BY_KEY[key].label} »)."
            )
        taken[index] = key


# --- checking the lines ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineError:
    line: int
    column: str
    """The file's header of the faulty column ("" for the whole line)."""
    message: str

    def text(self) -> str:
        where = f"ligne {self.line}" + (f", colonne {self.column}" if self.column else "")
        return f"{where} : {self.message}"


@dataclass(frozen=True)
class LineNote:
    line: int
    message: str


@dataclass
class ChildPlan:
    line: int
    first_name: str
    last_name: str
    birth_date: date
    school_level: str
    existing_id: int | None = None


@dataclass
class FamilyPlan:
    key: tuple[str, str]
    lines: list[int]
    values: dict[str, object]
    """name, email, phone, address, postal_code, city, quotient_familial, adult (first, last) or None."""
    balances: dict[WalletKind, int]
    children: list[ChildPlan] = field(default_factory=list)
    existing_id: int | None = None

    @property
    def name(self) -> str:
        return str(self.values["name"])


def rejected(n: int) -> str:
    """« 1 ligne rejetée », « 5 lignes rejetées »."""
    return count(n, "ligne rejetée", "lignes rejetées")


@dataclass
class ImportPreview:
    filename: str
    detail: str
    lines: int
    families: list[FamilyPlan]
    rejected: list[LineError]
    duplicates: list[LineNote]

    @property
    def new_families(self) -> list[FamilyPlan]:
        return [f for f in self.families if f.existing_id is None]

    @property
    def existing_families(self) -> list[FamilyPlan]:
        return [f for f in self.families if f.existing_id is not None]

    @property
    def new_children(self) -> int:
        return sum(1 for f in self.families for c in f.children if c.existing_id is None)

    @property
    def existing_children(self) -> int:
        return sum(1 for f in self.families for c in f.children if c.existing_id is not None)

    @property
    def rejected_lines(self) -> list[int]:
        return sorted({e.line for e in self.rejected})

    @property
    def balances(self) -> dict[WalletKind, int]:
        total: dict[WalletKind, int] = defaultdict(int)
        for f in self.new_families:
            for kind, cents in f.balances.items():
                total[kind] += cents
        return dict(total)

    @property
    def writes_something(self) -> bool:
        return bool(self.new_families or self.new_children)

    def summary(self) -> list[str]:
        balances = ", ".join(
            f"{WALLET_LABELS[k]} {format_eur(v)}" for k, v in sorted(self.balances.items()) if v
        )
        out = [
            f"Fichier « {self.filename} » ({self.detail}) : "
            f"{count(self.lines, 'ligne de données', 'lignes de données')}.",
            f"- {count(len(self.new_families), 'famille')} à créer, "
            f"{count(self.new_children, 'enfant')} à créer"
            + (f" ; soldes repris : {balances}" if balances else ""),
            f"- {count(len(self.existing_families), 'famille')} et {count(self.existing_children, 'enfant')} "
            "déjà connus "
            "(rien n'est modifié)",
        ]
        if self.duplicates:
            out.append(
                f"- {count(len(self.duplicates), 'ligne en double ignorée', 'lignes en double ignorées')} :"
            )
            out += [f"  ligne {d.line} : {d.message}" for d in self.duplicates]
        if self.rejected:
            out.append(f"- {rejected(len(self.rejected_lines))} :")
            out += [f"  {e.text()}" for e in self.rejected]
        return out


def _count(n: int) -> str:
    """10000 → "10 000" (French thousands)."""
    return f"{n:,}".replace(",", "\u202f")


def is_reference(text: str) -> bool:
    """Whether the file's « famille » cell is a file number (« 1034 », « F-2019-042 ») rather than a name: digits, a
    short prefix of letters at most."""
    return bool(re.fullmatch(r"[A-Za-z]{0,4}[-/ ]?[0-9][0-9A-Za-z/-]{0,30}", text.strip()))


def _parse_date(text: str) -> date | None | str:
    """A date typed "jj/mm/aaaa" or "aaaa-mm-jj", as older software exports it too (None if empty); an error
    message otherwise."""
    raw = text.strip()
    if not raw:
        return None
    parts = date_parts(raw, spreadsheet=True)
    if parts is None:
        return f"date illisible « {raw[:20]} » (attendu jj/mm/aaaa ou aaaa-mm-jj)"
    try:
        return date(*parts)
    except ValueError:
        return f"date impossible « {raw[:20]} »"


class _Line:
    """One row checked: its family values, its child (if any) and its errors."""

    def __init__(self, row: SourceRow, table: SourceTable, mapping: Mapping, today: date) -> None:
        self.line = row.line
        self.errors: list[LineError] = []
        self.raw: dict[str, str] = {}
        if table.kind == "CSV" and len(row.cells) != len(table.headers):
            # « 81,40 » unquoted in a file separated by commas is two cells: the columns after it shift
            self._error(
                "",
                f"{len(row.cells)} cellules pour {len(table.headers)} colonnes : séparateur ou guillemet "
                "mal placé ? (avec la virgule pour séparateur, un montant comme « 81,40 » doit être "
                "entre guillemets ; enregistrez plutôt le fichier avec le point-virgule)",
            )
            self.family, self.child, self.headers = {}, None, {}
            return  # its cells are not where the header says: what they would say is noise
        for key, index in mapping.items():
            value = row.cells[index] if index is not None and index < len(row.cells) else ""
            header = table.headers[index] if index is not None else key
            f = BY_KEY[key]
            if CONTROL.search(value):
                self._error(header, "caractère de contrôle interdit dans la cellule")
                value = ""
            elif len(value) > f.max_len:
                self._error(
                    header, f"texte trop long ({_count(len(value))} caractères ; {f.max_len} au plus)"
                )
                value = ""
            self.raw[key] = value
        self.headers = {k: (table.headers[i] if i is not None else k) for k, i in mapping.items()}
        self.family = self._family()
        self.child = self._child(today)

    def _error(self, column: str, message: str) -> None:
        self.errors.append(LineError(self.line, column, message))

    def _family(self) -> dict[str, object]:
        r, h = self.raw, self.headers
        key = " ".join(r["famille"].split())
        reference = key if is_reference(key) else None
        # the family's name: its own column, else « famille » when it is a name, else the responsible adult's
        name = " ".join(
            (r["nom_famille"] or (key if key and reference is None else r["responsable_nom"])).split()
        ).upper()
        if not key and not r["responsable_nom"]:
            self._error(h["famille"], "famille manquante (son nom, son numéro de dossier ou son responsable)")
        elif not name:
            self._error(
                h["famille"],
                f"« {key} » est un numéro de dossier : le nom de la famille vient de la colonne "
                "nom_famille ou du nom du responsable, absents ici",
            )
        email = r["email"].strip().lower()
        if email and not EMAIL.match(email):
            self._error(h["email"], f"adresse e-mail invalide « {email[:60]} »")
        phone = None
        if r["telephone"]:
            phone = normalise_phone(r["telephone"]) if r["telephone"].isascii() else None
            if phone is None:
                self._error(h["telephone"], f"téléphone invalide « {r['telephone'][:30]} » (10 chiffres)")
        postal = r["code_postal"]
        if postal and not re.fullmatch(r"[0-9]{5}", postal):
            self._error(h["code_postal"], f"code postal invalide « {postal} » (5 chiffres)")
        qf = None
        if r["quotient_familial"]:
            if re.fullmatch(r"[0-9]{1,6}", r["quotient_familial"]) and int(r["quotient_familial"]) <= 100_000:
                qf = int(r["quotient_familial"])
            elif re.fullmatch(r"[-−][0-9]+", r["quotient_familial"]):
                self._error(h["quotient_familial"], f"quotient familial négatif « {r['quotient_familial']} »")
            else:
                self._error(
                    h["quotient_familial"],
                    f"quotient familial invalide « {r['quotient_familial']} » (nombre entier, ex. 850)",
                )
        first, last = " ".join(r["responsable_prenom"].split()), " ".join(r["responsable_nom"].split())
        if bool(first) != bool(last):
            column = h["responsable_prenom"] if not first else h["responsable_nom"]
            self._error(column, "le nom et le prénom du responsable vont ensemble")
        balances: dict[WalletKind, int] = {}
        for key, kind in BALANCE_FIELDS.items():
            if not r[key]:
                continue
            try:
                if not r[key].replace("\u202f", "").replace("\xa0", "").isascii():
                    raise ValidationError("chiffres non ASCII")
                cents = parse_amount(r[key])
            except ValidationError:
                self._error(h[key], f"montant invalide « {r[key]} » (ex. 12,50 ou -3,00)")
                continue
            if abs(cents) > MAX_BALANCE_CENTS:
                self._error(
                    h[key], f"solde hors limites « {r[key]} » (± {format_eur(MAX_BALANCE_CENTS)} au plus)"
                )
            elif cents:
                balances[kind] = cents
        return {
            "name": name,
            "reference": reference,
            "email": email or None,
            "phone": phone,
            "address": " ".join(r["adresse"].split()),
            "postal_code": postal,
            "city": " ".join(r["ville"].split()),
            "quotient_familial": qf,
            "adult": (first, last) if first else None,
            "balances": balances,
        }

    def _child(self, today: date) -> ChildPlan | None:
        r, h = self.raw, self.headers
        if not any(r[k] for k in CHILD_FIELDS):
            return None  # a family without children on this line
        first, last = " ".join(r["enfant_prenom"].split()), " ".join(r["enfant_nom"].split())
        if not first:
            self._error(h["enfant_prenom"], "prénom de l'enfant manquant")
        if not last:
            self._error(h["enfant_nom"], "nom de l'enfant manquant")
        born = _parse_date(r["enfant_naissance"])
        if born is None:
            self._error(h["enfant_naissance"], "date de naissance manquante")
        elif isinstance(born, str):
            self._error(h["enfant_naissance"], born)
        elif born > today:
            self._error(h["enfant_naissance"], f"date de naissance dans le futur ({short_date(born)})")
        elif today.year - born.year - ((today.month, today.day) < (born.month, born.day)) > MAX_CHILD_AGE:
            self._error(
                h["enfant_naissance"], f"date de naissance improbable pour un enfant ({short_date(born)})"
            )
        level = ""
        if r["enfant_niveau"]:
            level = LEVELS.get(search_key(r["enfant_niveau"]).replace("ème", "e"), "")
            if not level:
                self._error(
                    h["enfant_niveau"],
                    f"niveau scolaire inconnu « {r['enfant_niveau'][:20]} » "
                    f"({', '.join(x for x in SCHOOL_LEVELS if x)})",
                )
        if self.errors or not isinstance(born, date):
            return None
        return ChildPlan(self.line, first, last, born, level)

    @property
    def family_key(self) -> tuple[str, str]:
        """The family the line belongs to: the file's family column alone (its name or the town's file number) —
        never the e-mail, which families mistype (two keys would make two families, each with the whole opening
        balance)."""
        if self.raw["famille"].strip():
            return search_key(self.raw["famille"]), ""
        # no family column: the family is its responsible adult's (surname and first name)
        return search_key(self.raw["responsable_nom"], self.raw["responsable_prenom"]), "responsable"


FAMILY_COLUMN_OF = {
    "name": "famille",
    "reference": "famille",
    "email": "email",
    "phone": "telephone",
    "address": "adresse",
    "postal_code": "code_postal",
    "city": "ville",
    "quotient_familial": "quotient_familial",
    "adult": "responsable_nom",
    "balances": "solde_alsh",
}


def _shown(column: str, value: object) -> str:
    if value in (None, "", {}):
        return "(vide)"
    if column == "adult" and isinstance(value, tuple):
        return " ".join(value)
    return str(value)


def _differences(lines: list[_Line]) -> list[tuple[str, str]]:
    """Each family column on which the lines of one family disagree: (its header, « value » ligne n, …). An opening
    balance is a wallet's: two values for one wallet are a difference, the same one repeated is taken once."""
    found: list[tuple[str, str]] = []
    for column in lines[0].family:
        if column == "balances":
            for key, kind in BALANCE_FIELDS.items():
                values = {
                    ln.line: cast("dict[WalletKind, int]", ln.family["balances"]).get(kind, 0) for ln in lines
                }
                if len(set(values.values())) > 1:
                    found.append(
                        (
                            lines[0].headers[key],
                            ", ".join(f"« {format_eur(v)} » ligne {n}" for n, v in values.items()),
                        )
                    )
            continue
        by_line = {ln.line: ln.family[column] for ln in lines}
        if len({repr(v) for v in by_line.values()}) > 1:
            label = "e-mail" if column == "email" else lines[0].headers[FAMILY_COLUMN_OF[column]]
            found.append(
                (
                    lines[0].headers[FAMILY_COLUMN_OF[column]],
                    f"{label} " + ", ".join(f"« {_shown(column, v)} » ligne {n}" for n, v in by_line.items()),
                )
            )
    return found


def _child_key(c: ChildPlan) -> tuple[str, str, date]:
    return search_key(c.first_name), search_key(c.last_name), c.birth_date


def _plan(
    s: Session, table: SourceTable, mapping: Mapping, today: date, progress: Progress | None = None
) -> ImportPreview:
    mapping = {f.key: mapping.get(f.key) for f in FIELDS}
    check_mapping(table, mapping)
    rejected: list[LineError] = []
    duplicates: list[LineNote] = []
    groups: dict[tuple[str, str], list[_Line]] = defaultdict(list)
    for n, row in enumerate(table.rows, start=1):
        checked = _Line(row, table, mapping, today)
        if checked.errors:
            rejected += checked.errors
        else:
            groups[checked.family_key].append(checked)
        if progress is not None and n % 1000 == 0:
            progress(n, len(table.rows))
    families: list[FamilyPlan] = []
    for key, lines in groups.items():
        first = lines[0]
        differences = _differences(lines)
        if differences:  # rejected together: which value would be right is the town's to say
            numbers = ", ".join(str(ln.line) for ln in lines)
            said = " ; ".join(text for _, text in differences)
            for ln in lines:
                rejected.append(
                    LineError(
                        ln.line,
                        ", ".join(header for header, _ in differences),
                        f"la famille « {first.family['name']} » est décrite différemment selon "
                        f"les lignes ({numbers}) : {said}",
                    )
                )
            continue
        plan = FamilyPlan(
            key,
            [ln.line for ln in lines],
            {k: v for k, v in first.family.items() if k != "balances"},
            dict(cast("dict[WalletKind, int]", first.family["balances"])),
        )
        seen: dict[tuple[str, str, date], int] = {}
        for ln in lines:
            if ln.child is None:
                continue
            ck = _child_key(ln.child)
            if ck in seen:
                duplicates.append(
                    LineNote(
                        ln.line,
                        f"même enfant que la ligne {seen[ck]} ({ln.child.first_name} {ln.child.last_name})",
                    )
                )
                continue
            seen[ck] = ln.line
            plan.children.append(ln.child)
        families.append(plan)
    _match_existing(s, families)
    rejected.sort(key=lambda e: (e.line, e.column))
    return ImportPreview(
        table.filename,
        f"{table.kind}, {table.detail}",
        len(table.rows),
        families,
        rejected,
        sorted(duplicates, key=lambda d: d.line),
    )


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _match_existing(s: Session, families: list[FamilyPlan]) -> None:
    """A family is known when a family has its file number (reference), or has its name and the same e-mail or one
    of the same children (same names and birth date); a child is known when its family has it already."""
    names = sorted({search_key(f.name) for f in families})
    references = sorted({str(f.values["reference"]) for f in families if f.values.get("reference")})
    known: dict[str, list[Family]] = defaultdict(list)
    by_reference: dict[str, Family] = {}
    for chunk in _chunks(names):
        for fam in s.scalars(
            select(Family)
            .where(Family.name_key.in_(chunk), Family.anonymized_at.is_(None))
            .options(selectinload(Family.children))
        ):
            known[fam.name_key].append(fam)
    for chunk in _chunks(references):
        for fam in s.scalars(
            select(Family)
            .where(Family.reference.in_(chunk), Family.anonymized_at.is_(None))
            .options(selectinload(Family.children))
        ):
            by_reference[str(fam.reference)] = fam
    for plan in families:
        match = by_reference.get(str(plan.values.get("reference") or ""))
        candidates = known.get(search_key(plan.name), [])
        wanted = {_child_key(c) for c in plan.children}
        if match is None and plan.values["email"]:
            match = next((f for f in candidates if (f.email or "").lower() == plan.values["email"]), None)
        if match is None:
            match = next((f for f in candidates if wanted & {_db_child_key(c) for c in f.children}), None)
        if match is None:
            continue
        plan.existing_id = match.id
        theirs = {_db_child_key(c): c.id for c in match.children}
        for child in plan.children:
            child.existing_id = theirs.get(_child_key(child))


def _db_child_key(c: Child) -> tuple[str, str, date]:
    return search_key(c.first_name), search_key(c.last_name), c.birth_date


@checked
def preview_import(
    db: Database, table: SourceTable, mapping: Mapping | None = None, progress: Progress | None = None
) -> ImportPreview:
    """What the import would do, without writing anything."""
    mapping = guess_mapping(table.headers) if mapping is None else mapping
    with db.reading() as uow:
        return _plan(uow.session, table, mapping, local_today(db.clock), progress)


class ImportRejected(ValidationError):
    def __init__(self, preview: ImportPreview) -> None:
        shown = "\n".join(e.text() for e in preview.rejected[:20])
        more = f"\n… et {count(len(preview.rejected) - 20, 'autre')}." if len(preview.rejected) > 20 else ""
        super().__init__(
            f"{rejected(len(preview.rejected_lines))} : rien n'a été importé. Corrigez le "
            f"fichier, ou importez sans les lignes rejetées.\n{shown}{more}"
        )
        self.preview = preview


@dataclass(frozen=True)
class ImportResult:
    families_created: int
    children_created: int
    families_existing: int
    lines_rejected: int
    balances: dict[WalletKind, int]

    def lines(self) -> list[str]:
        balances = ", ".join(
            f"{WALLET_LABELS[k]} {format_eur(v)}" for k, v in sorted(self.balances.items()) if v
        )
        known = count(self.families_existing, "famille déjà connue", "familles déjà connues")
        out = [
            f"Import terminé : {count(self.families_created, 'famille')} et "
            f"{count(self.children_created, 'enfant')} créés, {known}."
        ]
        if balances:
            out.append(f"Soldes repris : {balances}.")
        if self.lines_rejected:
            out.append(
                count(self.lines_rejected, "ligne rejetée non importée", "lignes rejetées non importées")
                + "."
            )
        return out


@checked
def import_families(
    db: Database,
    actor: Actor,
    table: SourceTable,
    mapping: Mapping | None = None,
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the file in one transaction (all or nothing). With rejected lines it writes nothing unless
    ``skip_invalid``; families and children already known are left as they are."""
    mapping = guess_mapping(table.headers) if mapping is None else mapping

    def work(s: Session) -> ImportResult:
        now = db.clock.now()
        preview = _plan(s, table, mapping, local_today(db.clock), progress)
        if preview.rejected and not skip_invalid:
            raise ImportRejected(preview)
        result = _write(s, actor, now, preview, progress)
        audit.record(
            s,
            at=now,
            action="family.import_file",
            entity="import",
            entity_id=table.filename[:60],
            agent_id=actor.agent_id,
            after={
                "file": table.filename,
                "lines": preview.lines,
                "families_created": result.families_created,
                "children_created": result.children_created,
                "families_existing": result.families_existing,
                "rejected_lines": preview.rejected_lines[:200],
                "balances": {k.value: v for k, v in result.balances.items()},
            },
        )
        return result

    return db.write(
        work,
        actor=actor,
        rule=rule("setup.family_import.import_families"),
        changed=(Shown.FAMILIES, Shown.ACCOUNTS),
    )


def _write(
    s: Session, actor: Actor, now: datetime, preview: ImportPreview, progress: Progress | None
) -> ImportResult:
    label = f"Solde repris (import du {short_date(now)})"
    total = len(preview.families)
    created: list[tuple[FamilyPlan, Family]] = []
    children = 0
    for n, plan in enumerate(preview.families, start=1):
        new_children = [
            Child(
                first_name=c.first_name,
                last_name=c.last_name,
                birth_date=c.birth_date,
                school_level=c.school_level,
            )
            for c in plan.children
            if c.existing_id is None
        ]
        children += len(new_children)
        if plan.existing_id is not None:
            if new_children:
                family = s.get(Family, plan.existing_id)
                assert family is not None
                family.children.extend(new_children)
                refresh_search_text(family)
                s.flush()
                for child in new_children:
                    audit.record(
                        s,
                        at=now,
                        action="child.import",
                        entity="child",
                        entity_id=child.id,
                        agent_id=actor.agent_id,
                        family_id=family.id,
                        after={
                            "first_name": child.first_name,
                            "last_name": child.last_name,
                            "birth_date": child.birth_date,
                        },
                    )
        else:
            v = plan.values
            family = Family(
                name=v["name"],
                reference=v["reference"],
                email=v["email"],
                phone=v["phone"],
                address=v["address"],
                postal_code=v["postal_code"],
                city=v["city"],
                quotient_familial=v["quotient_familial"],
                created_at=now,
                children=new_children,
                wallets=[Wallet(kind=kind, balance_cents=0) for kind in WalletKind],
            )
            if v["adult"] is not None:
                first, last = cast("tuple[str, str]", v["adult"])
                family.adults = [
                    Adult(
                        first_name=first,
                        last_name=last,
                        relationship_label="",
                        phone=v["phone"],
                        email=v["email"],
                    )
                ]
            refresh_search_text(family)
            s.add(family)
            created.append((plan, family))
        if n % 200 == 0 or n == total:
            s.flush()
            if progress is not None:
                progress(n, total)
    s.flush()
    entries = ledger.LedgerBatch(s)
    for plan, family in created:
        wallets = {w.kind: w for w in family.wallets}
        for kind, cents in sorted(plan.balances.items()):
            entries.add(
                wallets[kind],
                kind=LedgerKind.OPENING,
                amount_cents=cents,
                label=label,
                at=now,
                agent_id=actor.agent_id,
            )
        audit.record(
            s,
            at=now,
            action="family.import",
            entity="family",
            entity_id=family.id,
            agent_id=actor.agent_id,
            family_id=family.id,
            after={
                "name": family.name,
                "email": family.email,
                "lines": plan.lines,
                "children": [f"{c.first_name} {c.last_name}" for c in family.children],
                "opening_balances": {k.value: v for k, v in plan.balances.items()},
            },
        )
    s.flush()
    entries.apply()
    s.flush()
    return ImportResult(
        len(created), children, len(preview.existing_families), len(preview.rejected_lines), preview.balances
    )


# --- exporting -------------------------------------------------------------------------------------------


@checked
def export_families(db: Database, actor: Actor) -> bytes:
    """Every family (not anonymised) in the import format: CSV, UTF-8 with BOM, ";" separator (what French
    spreadsheets open directly); one line per child, the family's columns repeated; current balances. An
    administrator's, audited (the personal data of every family leaves the application)."""
    headers = [f.key for f in FIELDS]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    exported = 0
    with db.reading() as uow:
        s = uow.session
        stmt = (
            select(Family)
            .where(Family.anonymized_at.is_(None))
            .options(selectinload(Family.adults), selectinload(Family.children), selectinload(Family.wallets))
            .order_by(Family.name_key, Family.id)
        )
        for family in s.scalars(stmt):
            adult = family.adults[0] if family.adults else None
            balances = {w.kind: w.balance_cents for w in family.wallets}
            common = {
                "famille": family.reference or family.name,
                "nom_famille": family.name,
                "responsable_nom": adult.last_name if adult else "",
                "responsable_prenom": adult.first_name if adult else "",
                "email": family.email or "",
                "telephone": family.phone or "",
                "adresse": family.address,
                "code_postal": family.postal_code,
                "ville": family.city,
                "quotient_familial": ""
                if family.quotient_familial is None
                else str(family.quotient_familial),
                "solde_alae": plain_amount(balances.get(WalletKind.ALAE, 0)),
                "solde_alsh": plain_amount(balances.get(WalletKind.ALSH, 0)),
                "solde_cantine": plain_amount(balances.get(WalletKind.CANTINE, 0)),
            }
            kids: Sequence[Child | None] = family.children or [None]
            for child in kids:
                row = dict(common)
                row.update(
                    {
                        "enfant_nom": child.last_name if child else "",
                        "enfant_prenom": child.first_name if child else "",
                        "enfant_naissance": short_date(child.birth_date) if child else "",
                        "enfant_niveau": child.school_level if child else "",
                    }
                )
                writer.writerow([row[h] for h in headers])
            exported += 1

    def work(s: Session) -> None:
        audit.record(
            s,
            at=db.clock.now(),
            action="family.export_all",
            entity="family",
            agent_id=actor.agent_id,
            after={"familles": exported},
        )

    db.write(work, actor=actor, rule=rule("setup.family_import.export_families"))
    return out.getvalue().encode("utf-8-sig")
