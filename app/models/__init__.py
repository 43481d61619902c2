"""SQLAlchemy mapped classes, one module per aggregate. No Qt here."""

from .activity import (
    Activity,
    ActivityDay,
    DeadlineRule,
    LocalClosing,
    Period,
    PriceBracket,
    PublicHoliday,
    SchoolHoliday,
)
from .audit import AuditEntry
from .base import Base, search_key
from .closing import ClosingLine, DayClosing
from .enums import (
    LIVE_STATUSES,
    ActivityKind,
    AidKind,
    Attendance,
    ClosingStatus,
    DeadlineKind,
    LedgerKind,
    OpeningKind,
    OutboxStatus,
    PaymentMethod,
    PeriodOpeningRule,
    PeriodScope,
    ReservationStatus,
    Role,
    WalletKind,
)
from .family import Adult, Child, Family, PortalResetToken
from .money import AidType, FamilyAid, LedgerEntry, Payment, ReceiptCounter, Wallet
from .notification import InfoMessage, OutboxMessage
from .operation import OperationRecord
from .organisation import Agent, Structure, agent_structures
from .reservation import Reservation

__all__ = [
    "LIVE_STATUSES",
    "Activity",
    "ActivityDay",
    "ActivityKind",
    "Adult",
    "Agent",
    "AidKind",
    "AidType",
    "Attendance",
    "AuditEntry",
    "Base",
    "Child",
    "ClosingLine",
    "ClosingStatus",
    "DayClosing",
    "DeadlineKind",
    "DeadlineRule",
    "Family",
    "PortalResetToken",
    "FamilyAid",
    "InfoMessage",
    "LedgerEntry",
    "LedgerKind",
    "LocalClosing",
    "OpeningKind",
    "OperationRecord",
    "OutboxMessage",
    "OutboxStatus",
    "Payment",
    "PaymentMethod",
    "Period",
    "PeriodOpeningRule",
    "PeriodScope",
    "PriceBracket",
    "PublicHoliday",
    "ReceiptCounter",
    "Reservation",
    "ReservationStatus",
    "Role",
    "SchoolHoliday",
    "Structure",
    "Wallet",
    "WalletKind",
    "agent_structures",
    "search_key",
]
