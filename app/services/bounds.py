"""What a service accepts, checked at its boundary with a French message: types, text lengths, number ranges.

The bounds are declared once, next to the model: a text parameter is annotated ``Annotated[str, Text(Family.name)]``
and takes its length and its French label from that column (``String(120)``, ``info={"label": …}``); a number is
annotated ``Annotated[int, Range(0, 10_000, "capacité")]`` or takes the range in the column's ``info``. The forms
read the same bounds (``QLineEdit.setMaxLength``). Nothing reaches the database that it would refuse: NUL and
control characters, non-ASCII digits, a 100 000-character name, an id of 2**70, a date in year 9999, a string
where a date is expected.

``@checked`` on a service function validates every argument from its annotations before the body runs; a wrong
type raises ``BadArgument`` (a ValidationError), never ``KeyError`` or ``AttributeError``.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import re
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Any, ParamSpec, TypeVar, get_args, get_origin, get_type_hints

from ..text import short_date
from .errors import ValidationError

P = ParamSpec("P")
R = TypeVar("R")

MAX_ID = 2**31 - 1
MAX_INT = 2**31 - 1
MAX_ITEMS = 100_000
DEFAULT_TEXT = 1_000
"""A text parameter without a declared column: at most this many characters."""
LONG_TEXT = 4_000
"""A column without a length (TEXT): at most this many characters."""
YEARS = (2000, 2100)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")


class BadArgument(ValidationError):
    """An argument of the wrong type or out of its bounds: nothing was written."""


@dataclass(frozen=True)
class Text:
    """A text bounded like a column (``Text(Family.name)``) or explicitly (``Text(max_len=80, label="motif")``)."""

    column: Any = None
    max_len: int | None = None
    label: str | None = None
    multiline: bool = False
    min_len: int = 0
    """The least length (an operation key may not be empty: every caller would share it)."""

    @property
    def limit(self) -> int:
        if self.max_len is not None:
            return self.max_len
        if self.column is not None:
            column = self.column.property.columns[0]
            length = getattr(column.type, "length", None) or column.info.get("length")
            return int(length) if length else LONG_TEXT
        return DEFAULT_TEXT

    def name(self, fallback: str) -> str:
        if self.label:
            return self.label
        if self.column is not None:
            info = self.column.property.columns[0].info
            return str(info.get("label", fallback))
        return fallback


@dataclass(frozen=True)
class Range:
    lo: int
    hi: int
    label: str | None = None


@dataclass(frozen=True)
class Years:
    """The years a date may fall in (default 2000 to 2100; a birth date goes back further)."""

    lo: int
    hi: int


NAMES = {
    "day": "jour",
    "birth_date": "date de naissance",
    "valid_from": "début de validité",
    "valid_to": "fin de validité",
    "start": "début",
    "end": "fin",
    "opening": "date d'ouverture",
    "today": "date du jour",
    "since": "depuis",
    "year": "année",
    "month": "mois",
    "limit": "nombre de lignes",
    "key": "clé d'opération",
    "amount": "montant",
    "reason": "motif",
    "query": "recherche",
}
"""French words for parameter names, in messages about a parameter that has no label of its own."""


def _label(name: str) -> str:
    return NAMES.get(name, f"paramètre « {name} »")


def text(value: object, bound: Text, name: str = "texte") -> str:
    """A text within its bound: a str, no NUL or control character (new lines only where multi-line)."""
    label = bound.name(name)
    if not isinstance(value, str):
        raise BadArgument(f"{_cap(label)} : texte attendu.")
    pattern = CONTROL if bound.multiline else CONTROL_ONE_LINE
    if pattern.search(value):
        raise BadArgument(f"{_cap(label)} : caractère de contrôle interdit.")
    if len(value) > bound.limit:
        raise BadArgument(
            f"{_cap(label)} : trop long ({_count(len(value))} caractères ; {bound.limit} au plus)."
        )
    if len(value.strip()) < bound.min_len:
        raise BadArgument(f"{_cap(label)} : {bound.min_len} caractères au moins.")
    return value


def integer(value: object, lo: int = -MAX_INT, hi: int = MAX_INT, label: str = "nombre") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadArgument(f"{_cap(label)} : nombre entier attendu.")
    if not lo <= value <= hi:
        raise BadArgument(
            f"{_cap(label)} : {_count(value) if abs(value) < 10**12 else 'valeur'} hors limites "
            f"({_count(lo)} à {_count(hi)})."
        )
    return value


def identifier(value: object, label: str = "numéro") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise BadArgument(f"{_cap(label)} invalide.")
    return value


def calendar_date(value: object, label: str = "date", years: tuple[int, int] = YEARS) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise BadArgument(f"{_cap(label)} : date attendue.")
    if not years[0] <= value.year <= years[1]:
        raise BadArgument(f"{_cap(label)} : {short_date(value)} hors des années {years[0]} à {years[1]}.")
    return value


def ascii_digits(value: str, label: str) -> str:
    """Digits typed in a number are ASCII (١٢ or 𝟏𝟐 are refused, not read as 12)."""
    if any(ch.isdigit() and not ("0" <= ch <= "9") for ch in value):
        raise BadArgument(f"{_cap(label)} : chiffres non reconnus (0 à 9 seulement).")
    return value


def _cap(label: str) -> str:
    return label[:1].upper() + label[1:]


def _count(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


# --- checking a call from its annotations ----------------------------------------------------------------


def _check(value: Any, hint: Any, name: str, meta: tuple[Any, ...] = ()) -> Any:
    """``value`` checked (and an enum coerced from its text) against the annotation ``hint``."""
    origin = get_origin(hint)
    if origin is Annotated:
        base, *extra = get_args(hint)
        return _check(value, base, name, tuple(extra))
    if origin in (typing.Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        errors: list[BadArgument] = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _check(value, option, name, meta)
            except BadArgument as exc:
                errors.append(exc)
        raise errors[0] if errors else BadArgument(f"{_cap(_label(name))} invalide.")
    if hint is Any or hint is object:
        return value
    if origin in (list, Sequence, tuple, set, frozenset) or hint in (list, tuple):
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set | frozenset):
            raise BadArgument(f"{_cap(_label(name))} : liste attendue.")
        if len(value) > MAX_ITEMS:
            raise BadArgument(f"{_cap(_label(name))} : trop d'éléments ({len(value)}).")
        args = get_args(hint)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise BadArgument(f"{_cap(_label(name))} : {len(args)} éléments attendus.")
            return tuple(_check(v, a, name, meta) for v, a in zip(value, args, strict=True))
        if args and origin is not tuple:
            return (
                type(value)(_check(v, args[0], name, meta) for v in value)
                if not isinstance(value, list)
                else [_check(v, args[0], name, meta) for v in value]
            )
        return value
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise BadArgument(f"{_cap(_label(name))} : table attendue.")
        return value
    if origin is not None and inspect.isclass(origin) and origin.__module__ == "collections.abc":
        if origin.__name__ == "Callable":
            if not callable(value):
                raise BadArgument(f"{_cap(_label(name))} : fonction attendue.")
            return value
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise BadArgument(f"{_cap(_label(name))} : oui ou non attendu.")
        return value
    if hint is float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or value != value
            or abs(value) > 1e9
        ):
            raise BadArgument(f"{_cap(_label(name))} : nombre attendu.")
        return value
    if hint is int:
        span = next((m for m in meta if isinstance(m, Range)), None)
        if span is not None:
            return integer(value, span.lo, span.hi, span.label or _label(name))
        if name == "id" or name.endswith("_id"):
            return identifier(value, f"numéro ({name})")
        return integer(value, label=_label(name))
    if hint is str:
        bound = next((m for m in meta if isinstance(m, Text)), Text())
        return text(value, bound, _label(name))
    if hint is date:
        years = next((m for m in meta if isinstance(m, Years)), None)
        return calendar_date(value, _label(name), (years.lo, years.hi) if years else YEARS)
    if hint is time:
        if not isinstance(value, time):
            raise BadArgument(f"{_cap(_label(name))} : heure attendue.")
        return value
    if hint is datetime:
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise BadArgument(f"{_cap(_label(name))} : date et heure avec fuseau attendues.")
        return value
    if inspect.isclass(hint) and issubclass(hint, enum.Enum):
        if isinstance(value, hint):
            return value
        try:
            return hint(value)
        except (ValueError, TypeError) as exc:
            raise BadArgument(f"{_cap(_label(name))} : valeur inconnue.") from exc
    if inspect.isclass(hint) and dataclasses.is_dataclass(hint):
        if not isinstance(value, hint):
            raise BadArgument(f"{_cap(_label(name))} : {hint.__name__} attendu.")
        _check_fields(value)
        return value
    if inspect.isclass(hint):
        if not isinstance(value, hint):
            raise BadArgument(f"{_cap(_label(name))} : {hint.__name__} attendu.")
        return value
    return value


_FIELD_HINTS: dict[type, dict[str, Any]] = {}


def _field_hints(cls: type) -> dict[str, Any]:
    if cls not in _FIELD_HINTS:
        _FIELD_HINTS[cls] = get_type_hints(cls, include_extras=True)
    return _FIELD_HINTS[cls]


def _check_fields(obj: Any) -> None:
    """A dataclass input checked field by field; a text field out of bounds is a field error of the form."""
    from .errors import FieldErrors

    hints = _field_hints(type(obj))
    errors: dict[str, str] = {}
    for f in dataclasses.fields(obj):
        if f.name not in hints:
            continue
        try:
            checked_value = _check(getattr(obj, f.name), hints[f.name], f.name)
        except BadArgument as exc:
            errors[f.name] = str(exc)
            continue
        if checked_value is not getattr(obj, f.name):
            object.__setattr__(obj, f.name, checked_value)  # an enum given as its text (frozen or not)
    if errors:
        raise FieldErrors(errors)


def checked(fn: Callable[P, R]) -> Callable[P, R]:
    """Validate every argument of a service call from its annotations before the call (see the module's doc)."""
    signature = inspect.signature(fn)
    hints: dict[str, Any] | None = None
    from .permissions import RULES

    service = f"{fn.__module__.removeprefix('app.services.')}.{fn.__name__}"

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        nonlocal hints
        if hints is None:
            hints = get_type_hints(fn, include_extras=True)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise BadArgument("Appel invalide : paramètres manquants ou en trop.") from exc
        for name, value in bound.arguments.items():
            if name in hints and name != "return":
                bound.arguments[name] = _check(value, hints[name], name)
        if service in RULES and "actor" in bound.arguments and "db" in bound.arguments:
            _let_in(bound.arguments["db"], bound.arguments["actor"], RULES[service])
        return fn(*bound.args, **bound.kwargs)

    setattr(wrapper, "__checked__", True)  # noqa: B010 - marks a service boundary for the tests
    return wrapper


def _let_in(db: Any, actor: Any, rule: Any) -> None:
    """Who may call the service (``permissions.RULES``), checked first, from the database: a refusal says so before
    any other message. The write checks it again in its own transaction."""
    from .actors import authorize

    with db.reading() as uow:
        authorize(uow.session, actor, rule)


# --- the usual bounds of the services' parameters (from the columns that keep them) ------------------------


def _column(model: str, attribute: str) -> Any:
    from .. import models

    return getattr(getattr(models, model), attribute)


SearchText = Annotated[str, Text(max_len=100, label="recherche")]
Reason = Annotated[str, Text(max_len=400, label="motif")]
DayReason = Annotated[str, Text(_column("ActivityDay", "closed_reason"))]
AmountText = Annotated[str, Text(max_len=30, label="montant")]
PersonName = Annotated[str, Text(_column("Agent", "full_name"))]
OperationKey = Annotated[str, Text(max_len=36, label="clé d'opération", min_len=8)]
"""Required by every service that moves money or places: the caller makes it once per operation
(``uow.new_operation_key``) and sends the same one again when it retries, so that a retry never records twice."""
PasswordText = Annotated[str, Text(max_len=128, label="mot de passe")]
Capacity = Annotated[int, Range(0, 10_000, "capacité")]
Year = Annotated[int, Range(YEARS[0], YEARS[1], "année")]
Month = Annotated[int, Range(1, 12, "mois")]
RowLimit = Annotated[int, Range(1, 10_000, "nombre de lignes")]
Offset = Annotated[int, Range(0, MAX_ID, "position dans la liste")]
