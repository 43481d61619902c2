"""Enumerations shared by the models and the services (values are what the database stores)."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class WalletKind(enum.StrEnum):
    ALAE = "alae"
    ALSH = "alsh"
    CANTINE = "cantine"


class ActivityKind(enum.StrEnum):
    """How an activity's days are laid out: ALAE Wednesdays or ALSH holiday periods.

    Each member has its entry in ``app.services.booking.kinds`` (labels, defaults, day generator) and its value in
    the ``activities.kind`` CHECK constraint (a migration); a member without them is refused."""

    ALAE_WEDNESDAY = "alae_wednesday"
    ALSH_HOLIDAYS = "alsh_holidays"


class OpeningKind(enum.StrEnum):
    """When a day becomes bookable: a rolling horizon (today + N days) or its period's opening date."""

    ROLLING = "rolling"
    PERIOD = "period"


class PeriodOpeningRule(enum.StrEnum):
    FIXED_DATE = "fixed_date"
    WEEKS_BEFORE = "weeks_before"
    AFTER_PREVIOUS_HOLIDAYS = "after_previous_holidays"


class PeriodScope(enum.StrEnum):
    """Which school holidays an ALSH activity runs in: the short ones, the summer, or all."""

    SHORT = "short"
    SUMMER = "summer"
    ALL = "all"


class DeadlineKind(enum.StrEnum):
    COUNTED_DAYS = "counted_days"
    LAST_WEEKDAY = "last_weekday"


class ReservationStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    REFUSED = "refused"
    CANCELLED = "cancelled"


LIVE_STATUSES = (ReservationStatus.ACCEPTED, ReservationStatus.WAITLISTED)


class Attendance(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"


class LedgerKind(enum.StrEnum):
    PAYMENT = "payment"
    CHARGE = "charge"
    REFUND = "refund"
    REVERSAL = "reversal"
    ADJUSTMENT = "adjustment"
    OPENING = "opening"
    """ "Solde repris": the balance a family had in the town's previous software, imported once."""


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    CHEQUE = "cheque"
    CARD = "card"
    TRANSFER = "transfer"
    ONLINE = "online"
    """« Carte en ligne »: paid by the family on the portal (PayFiP…); in no till (docs/regie.md)."""


TILL_METHODS = (PaymentMethod.CASH, PaymentMethod.CHEQUE, PaymentMethod.CARD, PaymentMethod.TRANSFER)
"""The methods a counter takes: what a till holds and a cash closing counts (not the online payments)."""


class OnlinePaymentStatus(enum.StrEnum):
    """An online payment's state: pending until the backend says how it ended (paid once, or not at all)."""

    PENDING = "pending"
    PAID = "paid"
    REFUSED = "refused"
    ABANDONED = "abandoned"
    EXPIRED = "expired"


class AidKind(enum.StrEnum):
    CAF = "caf"
    MSA = "msa"
    EMPLOYER = "employer"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    """Handed to the SMTP server by a sender that has not said how it ended: if that sender died, the message is
    sent again (same Message-ID) once its lease has expired — at least once, rarely twice."""
    SENT = "sent"
    FAILED = "failed"


class ClosingStatus(enum.StrEnum):
    CLOSED = "closed"
    VALIDATED = "validated"


class CafCategory(enum.StrEnum):
    """How the CAF's prestation de service counts an activity's hours: the Wednesdays are périscolaire since the
    Plan mercredi, the holidays extrascolaire."""

    PERISCOLAIRE = "periscolaire"
    EXTRASCOLAIRE = "extrascolaire"


class ContactKind(enum.StrEnum):
    """A person on a child's health and emergency file: to call in an emergency, or allowed to pick the child up."""

    EMERGENCY = "emergency"
    PICKUP = "pickup"
