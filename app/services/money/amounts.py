"""Money helpers: exact cents and the parsing of a typed amount. Amounts are written by ``app.text`` (``format_eur``,
``plain_amount``): ``format_eur`` and ``MINUS`` are re-exported here for the screens that still import them from
this module (transition, issue 32)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ...text import MINUS, format_eur
from ..errors import ValidationError

__all__ = ["MAX_AMOUNT_CENTS", "MAX_PAYMENT_CENTS", "MINUS", "format_eur", "parse_amount"]

MAX_PAYMENT_CENTS = 1_000_000  # 10 000,00 €
MAX_AMOUNT_CENTS = 10_000_000  # 100 000,00 €: no amount typed anywhere goes beyond


def parse_amount(text: str) -> int:
    """Parse an amount typed by an agent ("13", "13,5", "13,50 €", "1 300,00") into cents.

    Raises ValidationError with a French message for anything else (more than two decimals, letters…).
    """
    if not isinstance(text, str):
        raise ValidationError("Montant invalide : un texte est attendu (ex. 13,50).")
    if len(text) > 30:
        raise ValidationError("Montant invalide : trop long.")
    raw = text.strip().replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    raw = raw.replace(MINUS, "-")  # an amount copied from a document
    if not raw:
        raise ValidationError("Montant manquant.")
    if not re.fullmatch(r"[+-]?[0-9]+([.,][0-9]+)?", raw):  # ASCII digits only: "١٢,٥٠" is not 12,50
        raise ValidationError(f"Montant invalide : « {text.strip()} ».")
    try:
        cents = Decimal(raw.replace(",", ".")) * 100
    except InvalidOperation as exc:  # pragma: no cover - the pattern above already filters
        raise ValidationError(f"Montant invalide : « {text.strip()} ».") from exc
    if cents != cents.to_integral_value():
        raise ValidationError(f"Montant invalide : « {text.strip()} » (deux décimales au plus).")
    if abs(cents) > MAX_AMOUNT_CENTS:
        raise ValidationError(
            f"Montant hors limites : « {text.strip()} » ({format_eur(MAX_AMOUNT_CENTS)} au plus)."
        )
    return int(cents)
