"""Helpers for booking tests on a writable demo copy: fresh families with a known balance, actors, counts."""

from __future__ import annotations

import codecs
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import func, select

from app.models import (
    Activity,
    ActivityDay,
    Agent,
    AidType,
    AuditEntry,
    Child,
    Family,
    FamilyAid,
    LedgerEntry,
    LedgerKind,
    OnlinePayment,
    OutboxMessage,
    Payment,
    PaymentSettings,
    Reservation,
    Role,
    WalletKind,
)
from app.services.actors import Actor
from app.services.families.search import refresh_search_text
from app.services.money import ledger
from app.services.uow import Database

SETUP_TIME = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def new_family(
    db: Database,
    name: str = "Testeur",
    *,
    children: tuple[str, ...] = ("Léa",),
    balance_cents: int = 0,
    aids: tuple[tuple[str, int, date, date], ...] = (),
    email: str | None = "test@example.org",
) -> tuple[int, list[int]]:
    """A family with children and ``balance_cents`` on its ALSH wallet (aids: (aid type kind, cents, from, to))."""
    with db.writing() as uow:
        s = uow.session
        family = Family(name=name.upper(), email=email, phone="05 63 11 22 33", created_at=SETUP_TIME)
        for first in children:
            family.children.append(Child(first_name=first, last_name=name, birth_date=date(2018, 3, 1)))
        refresh_search_text(family)
        s.add(family)
        s.flush()
        ledger.open_wallets(s, family)
        if balance_cents:
            wallet = ledger.wallet_for(s, family.id, WalletKind.ALSH)
            ledger.post(
                s,
                wallet,
                kind=LedgerKind.ADJUSTMENT,
                amount_cents=balance_cents,
                label="Solde de départ (test)",
                at=SETUP_TIME,
            )
        for kind, cents, start, end in aids:
            aid_type = s.scalar(select(AidType).where(AidType.kind == kind))
            s.add(
                FamilyAid(
                    family_id=family.id,
                    aid_type_id=aid_type.id,
                    wallet_kind=WalletKind.ALSH,
                    amount_cents=cents,
                    valid_from=start,
                    valid_to=end,
                )
            )
        uow.commit()
        return family.id, [c.id for c in family.children]


def activity_id(db: Database, code: str) -> int:
    with db.reading() as uow:
        return uow.session.scalar(select(Activity.id).where(Activity.code == code))


def structure_of(db: Database, code: str) -> int:
    with db.reading() as uow:
        return uow.session.scalar(select(Activity.structure_id).where(Activity.code == code))


def day_row(db: Database, code: str, d: date) -> ActivityDay:
    with db.reading() as uow:
        return uow.session.scalar(
            select(ActivityDay).join(Activity).where(Activity.code == code, ActivityDay.day == d)
        )


def actor(db: Database, role: Role) -> Actor:
    with db.reading() as uow:
        agent = uow.session.scalar(
            select(Agent).where(Agent.role == role, Agent.system.is_(False)).order_by(Agent.id)
        )
        return Actor(agent.id, agent.role, agent.full_name)


def new_agent(db: Database, login: str, name: str, role: Role, structure_ids: list[int]) -> Actor:
    """An agent created by the administrator who has already chosen his own password (a temporary one lets him do
    nothing else)."""
    from app.services.auth import change_password
    from app.services.setup.agents import create_agent

    issued = create_agent(db, actor(db, Role.ADMIN), login, name, role, structure_ids)
    me = Actor(issued.agent_id, role, name)
    change_password(db, me, issued.password, "ardoise-tulipe-cheval-2026")
    return me


def balance(db: Database, family_id: int) -> int:
    with db.reading() as uow:
        from app.models import Wallet

        return (
            uow.session.scalar(select(func.sum(Wallet.balance_cents)).where(Wallet.family_id == family_id))
            or 0
        )


def row_counts(db: Database) -> dict[str, int]:
    """Rows of every table a booking writes, to show that a refused operation wrote nothing."""
    with db.reading() as uow:
        s = uow.session
        return {
            model.__tablename__: s.scalar(select(func.count()).select_from(model))
            for model in (
                Reservation,
                LedgerEntry,
                AuditEntry,
                OutboxMessage,
                ActivityDay,
                Payment,
                OnlinePayment,
                PaymentSettings,
            )
        } | {"capacity": s.scalar(select(func.sum(ActivityDay.capacity)))}


# --- killing a process the hard way, on any system -------------------------------------------------------------

HARD_KILL = getattr(signal, "SIGKILL", signal.SIGTERM)
"""kill -9 on POSIX; on Windows ``os.kill`` with any other signal than the console's Ctrl events is
TerminateProcess, as immediate (signal.SIGKILL does not exist there)."""
KILLED_EXIT = -HARD_KILL if os.name == "posix" else HARD_KILL
"""The exit code of a process killed so: minus the signal on POSIX, TerminateProcess's code on Windows."""


def kill_hard(pid: int) -> None:
    """End the process at once, with no clean-up of any kind (a counter's computer switched off)."""
    os.kill(pid, HARD_KILL)


def counter_window(qtbot: Any, db: Database, session: Any = None, *, exposed: bool = False) -> Any:
    """The counter's main window as the GUI tests drive it: operations inline, no message box (what they would say
    is collected in ``window.messages``), shown (and exposed, when asked)."""
    from app.ui.shell.main_window import MainWindow

    window = MainWindow(db, session) if session is not None else MainWindow(db)
    window.ops.show_messages = False
    window.ops.asynchronous = False  # confirmations inline; the threaded path has its own tests
    window.messages = []
    window.ops.failed.connect(window.messages.append)
    window.ops.informed.connect(window.messages.append)
    qtbot.addWidget(window)
    window.show()
    if exposed:
        qtbot.waitExposed(window)
    return window


# --- what a child process writes: in its own encoding -------------------------------------------------------------


def child_encoding(env: Mapping[str, str] | None = None) -> str:
    """The encoding a Python child started with ``env`` (default: this process's environment) reads its piped
    standard input and writes its piped output and errors in: ``PYTHONIOENCODING`` when set, UTF-8 in UTF-8 mode
    (``PYTHONUTF8=1``), else its locale's — cp1252 on a French Windows, as the scheduled ``nightly`` writes its
    log, and in ``scripts/windows_like.sh``. Tests decode a child's output with it: read as UTF-8, the « é » a
    Windows child wrote is a decoding error or a mojibake (issue 33). The locale's is asked of a child, not of this
    process: on Linux, Qt switched this one to UTF-8 when its application started."""
    env = os.environ if env is None else env
    forced = env.get("PYTHONIOENCODING", "").split(":")[0].strip()
    if forced:
        return forced
    if env.get("PYTHONUTF8") == "1":
        return "utf-8"
    return _locale_encoding(tuple(env.get(name, "") for name in LOCALE_VARIABLES))


LOCALE_VARIABLES = ("LC_ALL", "LC_CTYPE", "LANG")


@cache
def _locale_encoding(chosen: tuple[str, ...]) -> str:
    """The encoding of a locale (LC_ALL, LC_CTYPE, LANG), as a Python child started in it sees it."""
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARIABLES and k != "PYTHONWARNINGS"}
    env.update({name: value for name, value in zip(LOCALE_VARIABLES, chosen, strict=True) if value})
    probe = [sys.executable, "-c", "import locale; print(locale.getencoding())"]
    return subprocess.run(
        probe, capture_output=True, encoding="ascii", env=env, timeout=60, check=True
    ).stdout.strip()


def as_printed(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` as the program prints it to a child's output in its encoding (``child_encoding``): the characters
    the code page lacks folded as ``app.console`` folds them (« 10\u202f000 » is « 10 000 » in cp1252)."""
    from app.console import ERRORS, fold_unencodable

    codecs.register_error(ERRORS, fold_unencodable)
    encoding = child_encoding(env)
    return text.encode(encoding, ERRORS).decode(encoding)
