"""The basket ("demandes en cours") and what the recap and the confirmation return.

Plain data, no database: the calendar toggles lines (orange = to book, green = to remove); nothing is written
until ``booking.confirm``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Annotated

from ...models import Reservation, WalletKind
from ..bounds import Text
from ..money.pricing import DayPrice
from .rules import BalanceCheck, RuleCheck, Verdict, check_balance


class Action(StrEnum):
    ADD = "add"
    REMOVE = "remove"


@dataclass(frozen=True)
class BasketLine:
    child_id: int
    activity_id: int
    day: date
    action: Action
    override_deadline: bool = False
    """Supervisor only: ignore the opening date and the booking/cancellation deadline for this line."""
    override_capacity: bool = False
    """Supervisor only: when the day is full, raise its capacity by one place to accept this line."""

    @property
    def key(self) -> tuple[int, int, date]:
        return (self.child_id, self.activity_id, self.day)

    @property
    def overridden(self) -> bool:
        return self.override_deadline or self.override_capacity


@dataclass
class Basket:
    family_id: int
    lines: list[BasketLine] = field(default_factory=list)
    override_reason: Annotated[str | None, Text(Reservation.override_reason)] = None

    def toggle(self, child_id: int, activity_id: int, day: date, action: Action) -> bool:
        """Click on a day: add the request, or undo it when it is already in the basket. True if now present."""
        for i, line in enumerate(self.lines):
            if line.key == (child_id, activity_id, day):
                del self.lines[i]
                return False
        self.lines.append(BasketLine(child_id, activity_id, day, action))
        return True

    def clear(self) -> None:
        """ "Annuler les opérations"."""
        self.lines.clear()
        self.override_reason = None

    def pending(self, child_id: int, activity_id: int) -> dict[date, Action]:
        return {
            ln.day: ln.action
            for ln in self.lines
            if ln.child_id == child_id and ln.activity_id == activity_id
        }

    def set_override(self, index: int, *, deadline: bool = False, capacity: bool = False) -> None:
        self.lines[index] = replace(self.lines[index], override_deadline=deadline, override_capacity=capacity)

    def grant_override(self, key: tuple[int, int, date], *, deadline: bool, capacity: bool) -> None:
        """A supervisor passes over the deadline and/or the capacity for the line with that key (added to what
        the line already had)."""
        for i, line in enumerate(self.lines):
            if line.key == key:
                self.lines[i] = replace(
                    line,
                    override_deadline=line.override_deadline or deadline,
                    override_capacity=line.override_capacity or capacity,
                )

    @property
    def additions(self) -> list[BasketLine]:
        return [ln for ln in self.lines if ln.action is Action.ADD]

    @property
    def removals(self) -> list[BasketLine]:
        return [ln for ln in self.lines if ln.action is Action.REMOVE]

    def __len__(self) -> int:
        return len(self.lines)


WAITLIST_MEANING = "débités seulement si une place se libère"


@dataclass(frozen=True)
class Total:
    """One figure of the recap's totals, the same for the counter and the portal (each renders the list)."""

    label: str
    cents: int
    note: str = ""
    debit: bool = False
    """Shown in red: a balance below zero."""
    line: int = 1
    """The counter puts the money asked on the first line and the balances on the second."""


class Likely(StrEnum):
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    REFUSED = "refused"


@dataclass(frozen=True)
class RecapLine:
    line: BasketLine
    child_name: str
    activity_name: str
    check: RuleCheck
    amount_cents: int
    """Price of an addition, refund of a removal (0 when nothing is refunded)."""
    places_left: int | None
    """Places left before this line (informative: it can change until confirmation)."""
    likely: Likely
    waitlist_rank: int | None = None
    reservation_id: int | None = None
    wallet_kind: WalletKind | None = None
    """The wallet an addition will be charged to (where a payment taken from the recap goes)."""
    price: DayPrice | None = None
    """An addition's price with its aids (« 13,00 € − CAF 4,00 € = 9,00 € »)."""
    structure_id: int | None = None
    """The structure of an addition's activity: the régie a payment for it goes to."""

    @property
    def ok(self) -> bool:
        return self.check.ok

    @property
    def overridable(self) -> bool:
        """A supervisor may pass over what stops this line: a booking or cancellation deadline, an opening date
        not reached, a full day (not a closed day, nor a child already booked)."""
        if self.line.overridden:
            return False
        if not self.ok:
            return self.check.verdict in (Verdict.NOT_OPEN, Verdict.TOO_FAR, Verdict.DEADLINE_PASSED)
        return self.line.action is Action.ADD and self.likely is not Likely.ACCEPTED


@dataclass(frozen=True)
class Recap:
    family_id: int
    family_name: str
    additions: list[RecapLine]
    removals: list[RecapLine]
    cost_cents: int
    refunds_cents: int
    balance_cents: int
    override_reason: str | None = None

    @property
    def balance_check(self) -> BalanceCheck:
        """The balance rule (``rules.check_balance``): the same function decides at confirmation."""
        return check_balance(
            balance_cents=self.balance_cents,
            additions_cents=self.cost_cents,
            refunds_cents=self.refunds_cents,
            has_additions=any(r.ok for r in self.additions),
        )

    @property
    def needed_cents(self) -> int:
        """What the balance rule weighs: every requested addition (waitlist included) minus the refunds."""
        return self.cost_cents - self.refunds_cents

    @property
    def charged_cents(self) -> int:
        """What the confirmation should debit now: the additions likely accepted."""
        return sum(r.amount_cents for r in self.additions if r.ok and r.likely is Likely.ACCEPTED)

    @property
    def waitlist_cents(self) -> int:
        """The additions likely waitlisted: debited only if a place frees (at the promotion)."""
        return sum(r.amount_cents for r in self.additions if r.ok and r.likely is Likely.WAITLISTED)

    @property
    def balance_after_cents(self) -> int:
        """The balance once confirmed, as the outcome will show it when nothing changes meanwhile: what is
        charged now and refunded, not the waitlisted estimate."""
        return self.balance_cents - self.charged_cents + self.refunds_cents

    @property
    def in_debit(self) -> bool:
        return self.balance_cents < 0

    def totals(self) -> list[Total]:
        """The recap's figures as the family and the agent read them, the same at the counter and on the portal:
        the reservations, the waitlist's part of them as its own sub-total (debited only if a place frees), the
        refunds, the balance now and after — the « solde après » leaves the waitlist out, as the outcome will."""
        figures = [Total("Réservations", self.cost_cents)]
        if self.waitlist_cents:
            figures.append(Total("dont liste d'attente", self.waitlist_cents, WAITLIST_MEANING))
        figures += [
            Total("Remboursements", self.refunds_cents),
            Total("Solde actuel", self.balance_cents, debit=self.balance_cents < 0, line=2),
            Total(
                "Solde après",
                self.balance_after_cents,
                debit=self.balance_after_cents < 0,
                line=2,
                note="liste d'attente non débitée" if self.waitlist_cents else "",
            ),
        ]
        return figures

    @property
    def missing_cents(self) -> int:
        """What the family must pay before confirming (0 for cancellations only, even in debit)."""
        return self.balance_check.missing_cents

    @property
    def can_confirm(self) -> bool:
        return self.balance_check.ok and bool(self.additions or self.removals)

    @property
    def main_wallet(self) -> WalletKind | None:
        """The wallet that carries most of the additions' cost."""
        costs: dict[WalletKind, int] = {}
        for r in self.additions:
            if r.ok and r.wallet_kind is not None:
                costs[r.wallet_kind] = costs.get(r.wallet_kind, 0) + r.amount_cents
        return max(costs, key=lambda k: costs[k]) if costs else None

    @property
    def structure_ids(self) -> list[int]:
        """The structures whose activities the additions are for (the régie of a payment taken from the recap;
        several: the agent chooses)."""
        return sorted({r.structure_id for r in self.additions if r.ok and r.structure_id is not None})

    @property
    def has_overrides(self) -> bool:
        return any(r.line.overridden for r in self.additions + self.removals)


class OutcomeStatus(StrEnum):
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    NOT_CANCELLED = "not_cancelled"


@dataclass(frozen=True)
class LineOutcome:
    line: BasketLine
    child_name: str
    activity_name: str
    status: OutcomeStatus
    reason: str = ""
    rank: int | None = None
    amount_cents: int = 0
    """Charged (accepted), refunded (cancelled), or the estimate debited if a place frees (waitlisted)."""
    reservation_id: int | None = None

    @property
    def label(self) -> str:
        """The portal's wording: acceptée / en liste d'attente rang n / refusée : motif / annulée."""
        if self.status is OutcomeStatus.ACCEPTED:
            return "Acceptée"
        if self.status is OutcomeStatus.WAITLISTED:
            return f"En liste d'attente rang {self.rank}"
        if self.status is OutcomeStatus.CANCELLED:
            return "Annulée"
        if self.status is OutcomeStatus.NOT_CANCELLED:
            return f"Annulation refusée : {self.reason}"
        return f"Refusée : {self.reason}"


@dataclass(frozen=True)
class ConfirmResult:
    outcomes: list[LineOutcome]
    balance_after_cents: int
    promoted_ids: list[int]
    batch_id: str

    @property
    def charged_cents(self) -> int:
        return sum(o.amount_cents for o in self.outcomes if o.status is OutcomeStatus.ACCEPTED)

    @property
    def refunded_cents(self) -> int:
        return sum(o.amount_cents for o in self.outcomes if o.status is OutcomeStatus.CANCELLED)

    @property
    def waitlist_cents(self) -> int:
        """The waitlisted lines' estimate: debited only if a place frees."""
        return sum(o.amount_cents for o in self.outcomes if o.status is OutcomeStatus.WAITLISTED)

    def totals(self) -> list[Total]:
        """The outcome's figures, the same for the counter and the portal: what was debited and refunded, the
        waitlist's estimate apart, and the balance after."""
        figures = [Total("Débité", self.charged_cents), Total("Remboursé", self.refunded_cents)]
        if self.waitlist_cents:
            figures.append(Total("Liste d'attente", self.waitlist_cents, WAITLIST_MEANING))
        figures.append(
            Total(
                "Solde après confirmation",
                self.balance_after_cents,
                debit=self.balance_after_cents < 0,
                line=2,
            )
        )
        return figures
