"""French wording shared by the services, the command line and the screens: counted nouns with their plural.

The plural rule is CLDR's, through Babel: in French, 0 and 1 take the singular ("0 jour copié", "1 place"),
2 and more the plural ("5 jours copiés"); a million and more is "many" in CLDR and takes the plural too.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

from babel import Locale


@cache
def _locale() -> Locale:
    return Locale.parse("fr_FR")


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
