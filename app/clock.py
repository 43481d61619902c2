"""Injected clocks: services never call ``datetime.now()`` themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock(Protocol):
    def now(self) -> datetime:
        """Current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock frozen at ``instant`` (aware); tests move it explicitly."""

    instant: datetime

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")

    def now(self) -> datetime:
        return self.instant.astimezone(UTC)

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.instant = instant


def local_now(clock: Clock) -> datetime:
    """Current Europe/Paris local time."""
    return clock.now().astimezone(PARIS)


def local_today(clock: Clock) -> date:
    return local_now(clock).date()


def paris(d: date, t: time = time(0, 0)) -> datetime:
    """Aware Europe/Paris datetime for a local date and wall-clock time."""
    return datetime.combine(d, t, tzinfo=PARIS)
