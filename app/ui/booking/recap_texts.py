"""What the recap says in words: its totals (the service's ``Total`` lines as HTML), the amount the balance rule
still asks before Confirmer, the payment taken from the recap, the note under the tables and what to do after a
failed confirmation."""

from __future__ import annotations

from ...services.booking.basket import Recap, Total
from ...services.errors import OutcomeUnknown
from ...services.money.payments import Receipt
from ...text import format_eur
from ..operations import Failure
from ..theme import DEBIT


def totals_html(totals: list[Total]) -> str:
    """The service's totals (``Recap.totals``, ``ConfirmResult.totals``: the portal shows the same), on two lines."""
    lines: dict[int, list[str]] = {}
    for t in totals:
        bold = f"<b style='color:{DEBIT.name()}'>" if t.debit else "<b>"
        text = f"{t.label} : {bold}{format_eur(t.cents)}</b>"
        if t.note:
            text += f" <i>({t.note})</i>"
        lines.setdefault(t.line, []).append(text)
    return "<br>".join(" &nbsp;·&nbsp; ".join(parts) for _n, parts in sorted(lines.items()))


def missing_text(recap: Recap) -> str:
    """The balance rule's verdict when money is missing: how much the family must pay before Confirmer."""
    why = "Compte famille débiteur. " if recap.in_debit else ""
    text = (
        f"{why}Il manque {format_eur(recap.missing_cents)} : la famille doit régler au moins ce montant "
        "avant de confirmer"
    )
    if recap.waitlist_cents:
        text += " (la liste d'attente compte : elle sera débitée si une place se libère)"
    return text + "."


def recap_note(recap: Recap) -> str:
    """Under the tables: the places are checked again at the confirmation; a supervisor's override and why."""
    note = (
        "Une vérification des places est faite au moment de la confirmation. Les réservations confirmées "
        "restent « Non transmises » jusqu'à la clôture de la journée."
    )
    if recap.has_overrides:
        note += f"\nDépassement accordé par un régisseur : {recap.override_reason}"
    return note


def payment_text(receipt: Receipt) -> str:
    """A payment taken from the recap: its amount, its receipt's number and the new balance."""
    return (
        f"Règlement de {format_eur(receipt.amount_cents)} encaissé : reçu n° {receipt.number}. "
        f"Nouveau solde : {format_eur(receipt.balance_after_cents)}."
    )


def failure_note(failure: Failure) -> str:
    """After a failed confirmation: what the agent can do (the server did not answer: confirm again, safely)."""
    if isinstance(failure.error, OutcomeUnknown):
        return (
            "Cliquez de nouveau sur Confirmer quand le serveur répond : les demandes ne seront "
            "pas enregistrées deux fois et leur résultat s'affichera."
        )
    return "Les demandes en cours sont conservées : vous pouvez confirmer de nouveau, modifier ou abandonner."
