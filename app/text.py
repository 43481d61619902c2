"""French formats and wording, the one home shared by every layer (services, documents, e-mails, command line,
counter screens, family portal): dates, times, amounts, counted nouns, the labels of the school zones.

- Dates: ``long_date`` (« lundi 1er septembre 2026 », « 1er septembre 2026 », « 21 décembre »), ``short_date``
  (« 01/09/2026 », « lun. 01/09/2026 », « 01/09 »), ``month_year`` (« décembre 2026 »), ``MONTHS``, ``WEEKDAYS``;
  ``read_date`` reads « 04/07/2027 » (or ISO) back;
  the first day of a month is written « 1er », every other day by its number. An aware datetime is read in Paris
  time.
- Times: ``clock_time`` (« 14:05 »), ``moment`` (« 01/09/2026 à 14:05 »), ``long_moment`` (« lundi 1er septembre
  2026 à 14:05 »).
- Amounts (cents in, Babel's fr_FR out): ``format_eur`` (« 13,00 € », « −4,50 € », « 1 234,50 € » with a narrow
  no-break space), ``plain_amount`` (« 12,50 », what a field shows), ``denomination`` (« 20 € », a note or a
  coin), ``amount_in_words``.
- Counts: ``count`` / ``plural`` (CLDR's rule through Babel: in French 0 and 1 take the singular, « 0 jour copié »,
  « 1 place »; 2 and more the plural, « 5 jours copiés »; a million and more is "many" in CLDR and takes the plural
  too).
- Labels: ``ZONE_LABELS`` / ``zone_label`` (« Zone C »).

Nothing here imports the models, the services, Qt or the web: the login window imports it before SQLAlchemy.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from babel import Locale
from babel.dates import get_day_names, get_month_names
from babel.numbers import format_currency, format_decimal

from .clock import PARIS

LOCALE = "fr_FR"


@cache
def _locale() -> Locale:
    return Locale.parse(LOCALE)


# --- dates -----------------------------------------------------------------------------------------------------

MONTHS: tuple[str, ...] = tuple(get_month_names("wide", locale=LOCALE)[m] for m in range(1, 13))
"""« janvier » … « décembre »: ``MONTHS[d.month - 1]``."""
WEEKDAYS: tuple[str, ...] = tuple(get_day_names("wide", locale=LOCALE)[d] for d in range(7))
"""« lundi » … « dimanche »: ``WEEKDAYS[d.weekday()]`` (Monday is 0, as Python counts)."""
_SHORT_WEEKDAYS: tuple[str, ...] = tuple(get_day_names("abbreviated", locale=LOCALE)[d] for d in range(7))


def _paris(at: datetime) -> datetime:
    """An aware instant in Paris time (what the family and the agent read); a naive one is already local."""
    return at.astimezone(PARIS) if at.tzinfo is not None else at


def _day(d: date) -> date:
    """The calendar day of a date, or of an instant in Paris time."""
    if isinstance(d, datetime):
        return _paris(d).date()
    return d


def day_of_month(d: date) -> str:
    """« 1er » for the first day of a month, as French writes it; the number for every other day (« 2 », « 21 »)."""
    day = _day(d).day
    return "1er" if day == 1 else str(day)


@lru_cache(maxsize=512)
def month_year(d: date) -> str:
    """« décembre 2026 »."""
    d = _day(d)
    return f"{MONTHS[d.month - 1]} {d.year}"


@lru_cache(maxsize=4096)
def _long_date(d: date, weekday: bool, year: bool) -> str:
    words = [WEEKDAYS[d.weekday()]] if weekday else []
    words += [day_of_month(d), MONTHS[d.month - 1]]
    if year:
        words.append(str(d.year))
    return " ".join(words)


def long_date(d: date, *, weekday: bool = True, year: bool = True) -> str:
    """« lundi 1er septembre 2026 »; without the weekday « 1er septembre 2026 » (a letter's date, a period), without
    the year either « 21 décembre »."""
    return _long_date(_day(d), weekday, year)


def short_date(d: date, *, weekday: bool = False, year: bool = True) -> str:
    """« 01/09/2026 » (tables, labels, subjects); with the weekday « lun. 01/09/2026 », without the year « 01/09 »."""
    d = _day(d)
    text = f"{d.day:02d}/{d.month:02d}" + (f"/{d.year:04d}" if year else "")
    return f"{_SHORT_WEEKDAYS[d.weekday()]} {text}" if weekday else text


def date_parts(text: str, *, spreadsheet: bool = False) -> tuple[int, int, int] | None:
    """(year, month, day) of a date typed as French writes it, « 04/07/2027 » (« 4/7/2027 » too), or as a date field
    sends it, « 2027-07-04 »; None for anything else (a two-digit year, words). ``spreadsheet``: also what older
    software exports, « 2027-7-4 » and « 2027-07-04 00:00:00 ». The numbers are not checked as a date."""
    raw = text.strip()
    iso = (
        r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00)?)?"
        if spreadsheet
        else r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    )
    if m := re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", raw):
        day, month, year = (int(x) for x in m.groups())
    elif m := re.fullmatch(iso, raw):
        year, month, day = (int(x) for x in m.groups())
    else:
        return None
    return year, month, day


def read_date(text: str) -> date:
    """A date typed as French writes it or as a date field sends it (``date_parts``); ValueError for anything else
    (« 31/02/2027 », a two-digit year, words)."""
    parts = date_parts(text)
    if parts is None:
        raise ValueError(f"not a date: {text.strip()!r}")
    return date(*parts)


def clock_time(at: time | datetime, *, seconds: bool = False) -> str:
    """« 14:05 » (« 14:05:09 » with the seconds); an aware instant in Paris time."""
    if isinstance(at, datetime):
        at = _paris(at).timetz()
    text = f"{at.hour:02d}:{at.minute:02d}"
    return f"{text}:{at.second:02d}" if seconds else text


def moment(at: datetime, *, compact: bool = False, seconds: bool = False) -> str:
    """An instant in Paris time: « 01/09/2026 à 14:05 » in a sentence, « 01/09/2026 14:05 » ``compact`` (a table's
    column, a log line)."""
    return f"{short_date(at)}{' ' if compact else ' à '}{clock_time(at, seconds=seconds)}"


def long_moment(at: datetime, *, weekday: bool = True) -> str:
    """« lundi 1er septembre 2026 à 14:05 » (Paris time); without the weekday « 1er septembre 2026 à 14:05 »."""
    return f"{long_date(at, weekday=weekday)} à {clock_time(at)}"


# --- amounts ---------------------------------------------------------------------------------------------------

MINUS = "\u2212"
"""The minus sign of a negative amount (« −2,00 € »), not the hyphen Babel writes."""


@lru_cache(maxsize=4096)
def format_eur(cents: int) -> str:
    """``1300`` → ``"13,00 €"``, ``-450`` → ``"−4,50 €"``, ``123450`` → ``"1 234,50 €"``: Babel's fr_FR (a narrow
    no-break space between the thousands, a no-break space before « € ») and a true minus sign."""
    text = format_currency(Decimal(cents) / 100, "EUR", locale=LOCALE)
    return MINUS + text[1:] if text.startswith("-") else text


def denomination(cents: int) -> str:
    """A note or a coin: « 20 € », « 2 € », « 0,50 € » (no « ,00 » on a whole number of euros)."""
    text = format_eur(cents)
    return text.replace(",00", "") if cents % 100 == 0 else text


def plain_amount(cents: int) -> str:
    """``1250`` → ``"12,50"``: the figure without « € » nor thousands separator, as a field shows it for the agent to
    change and a spreadsheet reads it back (``parse_amount`` reads it); a negative one with a hyphen (« -4,50 »)."""
    return format_decimal(Decimal(cents) / 100, "0.00", locale=LOCALE)


def amount_in_words(cents: int) -> str:
    """An amount written out as a régie writes it (« arrêté à la somme de … », a receipt): « soixante-deux euros »,
    « un euro et cinq centimes », « cent trente-huit euros et cinquante centimes », « un million d'euros ». The
    numbers are num2words' (French rules: « vingt et un », « quatre-vingts »); a negative amount starts with
    « moins »."""
    from num2words import num2words

    sign, cents = ("moins ", -cents) if cents < 0 else ("", cents)
    euros, rest = divmod(cents, 100)
    words = num2words(euros, lang="fr")
    unit = "euro" if euros in (0, 1) else "euros"
    # « un million d'euros », « deux milliards d'euros »
    text = f"{words} d'euros" if euros and euros % 1_000_000 == 0 else f"{words} {unit}"
    if rest:
        centimes = f"{num2words(rest, lang='fr')} {'centime' if rest == 1 else 'centimes'}"
        text = f"{text} et {centimes}" if euros else centimes
    return sign + text


# --- labels ----------------------------------------------------------------------------------------------------

ZONE_LABELS = {"A": "Zone A", "B": "Zone B", "C": "Zone C", "Corse": "Corse", "DOM": "DOM (outre-mer)"}
"""The school holiday zones (``config.SCHOOL_ZONES``) as a list or a summary shows them."""


def zone_label(zone: str) -> str:
    """« Zone C », « DOM (outre-mer) »; a zone the application does not know by its code."""
    return ZONE_LABELS.get(zone, zone)


# --- counts ----------------------------------------------------------------------------------------------------


def is_singular(n: int) -> bool:
    """French singular for ``n`` (0 and 1)."""
    return _locale().plural_form(abs(n)) == "one"


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``singular`` or ``plural_form`` for ``n``, without the number: ``plural(5, "jour copié", "jours copiés")``
    → "jours copiés". A single word may leave out its plural form when it only takes an "s" ("place")."""
    if plural_form is None:
        if " " in singular:
            raise ValueError(f"give the plural of « {singular} »")
        plural_form = singular + "s"
    return singular if is_singular(n) else plural_form


def count(n: int, singular: str, plural_form: str | None = None) -> str:
    """The number and its noun: ``count(5, "jour copié", "jours copiés")`` → "5 jours copiés", ``count(1, "place")``
    → "1 place",
    ``count(2, "demande en cours", "demandes en cours")`` → "2 demandes en cours"."""
    return f"{n} {plural(n, singular, plural_form)}"


@cache
def _collator() -> Any:
    from pyuca import Collator  # the Unicode Collation Algorithm with its default table (DUCET)

    return Collator()


def collation_key(*parts: str | None) -> tuple[int, ...]:
    """The key that sorts names as a French reader expects (« Adam, Élise, ÉLUARD, Emma, Maëlys, Œdipe, Zoé »):
    accents, case and letters of every alphabet of Europe and Vietnam ordered by the Unicode collation, not by
    their code points (which put « É » and « Œ » after « Z »)."""
    return tuple(_collator().sort_key(" ".join(p for p in parts if p)))


def of(name: str) -> str:
    """« de » before a name, elided before a vowel sound as French writes it: « d'Emma », « d'Élise »,
    « d'Yvan » (a vowel), « de Lucas », « de Yanis » (a consonant y)."""
    first = name.strip()[:1]
    bare = unicodedata.normalize("NFKD", first)[:1].casefold()
    vowel = bare in "aeiouœæ" or (bare == "y" and name.strip()[1:2].casefold() not in "aeiouéèêà")
    return f"d'{name}" if first and vowel else f"de {name}"


def signature(town: str | None) -> str:
    """How the town's e-mails and letters to families end."""
    return f"Le service enfance-jeunesse de la mairie de {town}" if town else "Le service enfance-jeunesse"


def debit_warning(amount: str) -> str:
    """What a family is told when its account is in debit (``amount``: the debt, formatted)."""
    return (
        f"Attention : votre compte est débiteur de {amount} ; merci de le régulariser au guichet ou par paiement "
        "en ligne, sans quoi aucune nouvelle réservation ne pourra être acceptée."
    )


# --- hours (the CAF's hours) -------------------------------------------------------------------------------


def hours_number(minutes: int) -> str:
    """``330`` → ``"5,5"``, ``20`` → ``"0,33"``, ``74100`` → ``"1235"``: hours with a decimal comma (two decimals
    at most, rounded), no thousands separator — what a French spreadsheet reads back as a number."""
    return format_decimal(round(Decimal(minutes) / 60, 2), "0.##", locale=LOCALE)


def hours_text(minutes: int) -> str:
    """``330`` → ``"5,5 h"``, ``74100`` → ``"1 235 h"``: decimal hours for a reader (a narrow no-break space
    between the thousands)."""
    return format_decimal(round(Decimal(minutes) / 60, 2), "#,##0.##", locale=LOCALE) + "\xa0h"


def duration_text(minutes: int) -> str:
    """``300`` → ``"5 h"``, ``330`` → ``"5 h 30"``, ``605`` → ``"10 h 05"``: a day's opening hours."""
    h, m = divmod(minutes, 60)
    return f"{h}\xa0h" if m == 0 else f"{h}\xa0h\xa0{m:02d}"
