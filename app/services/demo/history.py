"""Demo history: reservations in every state, charges and refunds, payments with gapless receipts."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from ...clock import PARIS, paris
from ...models import (
    Activity,
    ActivityDay,
    Agent,
    Attendance,
    Child,
    Family,
    LedgerKind,
    Payment,
    PaymentMethod,
    ReceiptCounter,
    Reservation,
    ReservationStatus,
    Role,
    Structure,
    Wallet,
    WalletKind,
)
from ...text import short_date
from .. import audit
from ..money import ledger
from ..money.pricing import day_price
from ..money.till import receipt_number
from ..sealing import seal
from .people import PeopleBuilder
from .reference import DemoSummary


class DemoBuilder(PeopleBuilder):
    def build(self) -> DemoSummary:
        first = int(self.school_year[:4])
        self._calendars(first)
        alae_structure, alsh_structure = self._structures()
        agents = self._agents([alae_structure, alsh_structure])
        alae, petites, ete = self._activities(alae_structure, alsh_structure)
        aid_types = self._aid_types()
        families = [self._family(i, aid_types) for i in range(40)]
        self.s.flush()
        self._reservations(families, alae, [petites, ete], agents)
        self._payments(families, {WalletKind.ALAE: alae_structure, WalletKind.ALSH: alsh_structure}, agents)
        self._messages(alae_structure, alsh_structure)
        audit.record(
            self.s,
            at=self.now,
            action="demo.load",
            entity="database",
            after={"today": self.today, "school_year": self.school_year, "families": len(families)},
        )
        self.s.flush()
        self._count(families)
        return self.summary

    def _reservations(
        self, families: list[Family], alae: Activity, alsh: list[Activity], agents: list[Agent]
    ) -> None:
        rng = self.rng
        counter_agents = [a for a in agents if a.role is not Role.ADMIN]
        children = [(f, c) for f in families for c in f.children]
        days = {
            a.id: list(
                self.s.scalars(
                    select(ActivityDay).where(ActivityDay.activity_id == a.id).order_by(ActivityDay.day)
                )
            )
            for a in [alae, *alsh]
        }
        alae_kids = [fc for fc in children if rng.random() < 0.55]
        for day in days[alae.id]:
            if day.day >= self.today + timedelta(days=40):
                break
            for family, child in alae_kids:
                if rng.random() < 0.55:
                    self._book(family, child, alae, day, counter_agents)
        # ALSH: each period, about a third of the children, a few days each.
        for activity in alsh:
            by_period: defaultdict[int, list[ActivityDay]] = defaultdict(list)
            for d in days[activity.id]:
                by_period[d.period_id or 0].append(d)
            for period_days in by_period.values():
                period = period_days[0].period
                if period is None or period.opening_date > self.today:
                    continue
                for family, child in children:
                    if rng.random() < 0.3:
                        for day in rng.sample(period_days, k=min(len(period_days), rng.randint(1, 5))):
                            self._book(family, child, activity, day, counter_agents)
        self.s.flush()
        self._full_days(children, alae, alsh[0], days, counter_agents)

    def _full_days(
        self,
        children: list[tuple[Family, Child]],
        alae: Activity,
        petites: Activity,
        days: dict[int, list[ActivityDay]],
        agents: list[Agent],
    ) -> None:
        """Fill one upcoming ALSH day (with a waitlist) and one upcoming Wednesday (refusals); nearly fill two."""
        upcoming_alsh = [
            d
            for d in days[petites.id]
            if d.day > self.today and d.period is not None and d.period.opening_date <= self.today
        ]
        upcoming_alae = [d for d in days[alae.id] if self.today + timedelta(days=7) < d.day]
        plans = []
        if upcoming_alsh:
            plans.append((petites, upcoming_alsh[min(1, len(upcoming_alsh) - 1)], 0, 3))
            for extra, missing in ((upcoming_alsh[2:3], 1), (upcoming_alsh[3:4], 2)):
                plans += [(petites, d, missing, 0) for d in extra]
        if upcoming_alae:
            plans.append((alae, upcoming_alae[0], 0, 2))
        for activity, day, left, overflow in plans:
            taken = {
                r.child_id
                for r in self.s.scalars(
                    select(Reservation).where(
                        Reservation.activity_day_id == day.id,
                        Reservation.status == ReservationStatus.ACCEPTED,
                    )
                )
            }
            candidates = [fc for fc in children if fc[1].id not in taken]
            self.rng.shuffle(candidates)
            need = day.capacity - left - len(taken)
            for family, child in candidates[:need]:
                self._book(family, child, activity, day, agents, allow_cancel=False, margin=0)
            for rank, (_family, child) in enumerate(candidates[need : need + overflow], start=1):
                requested = self.now - timedelta(hours=overflow + 1 - rank)  # FIFO: rank 1 asked first
                if activity.waitlist_enabled:
                    self._reservation(
                        child, day, ReservationStatus.WAITLISTED, requested, agents, position=rank
                    )
                else:
                    self._reservation(
                        child,
                        day,
                        ReservationStatus.REFUSED,
                        requested,
                        agents,
                        reason="Complet : plus de place disponible ce jour-là",
                    )
        self.s.flush()

    def _request_time(self, activity: Activity, day: ActivityDay) -> datetime:
        """When the family asked: between the day's opening and its booking deadline, never after now."""
        if day.period is not None:
            opened = day.period.opening_date
        else:
            opened = day.day - timedelta(days=activity.horizon_days or 90)
        latest = min(day.day - timedelta(days=8), self.today)
        span = max(0, (latest - opened).days)
        asked = opened + timedelta(days=self.rng.randint(0, span))
        if asked >= self.today or (day.day > self.today and self.rng.random() < 0.12):
            return self.now - timedelta(minutes=self.rng.randint(5, 80))
        return paris(asked, time(self.rng.randint(8, 18), self.rng.choice([0, 15, 30, 45])))

    def _book(
        self,
        family: Family,
        child: Child,
        activity: Activity,
        day: ActivityDay,
        agents: list[Agent],
        *,
        allow_cancel: bool = True,
        margin: int = 3,
    ) -> None:
        if day.day > self.today + timedelta(days=activity.horizon_days or 400):
            return
        if day.period is not None and day.period.opening_date > self.today:
            return
        accepted = (
            self.s.scalar(
                select(func.count()).where(
                    Reservation.activity_day_id == day.id, Reservation.status == ReservationStatus.ACCEPTED
                )
            )
            or 0
        )
        if accepted >= day.capacity - margin or self.s.scalar(
            select(Reservation.id).where(
                Reservation.child_id == child.id,
                Reservation.activity_day_id == day.id,
                Reservation.status.in_([ReservationStatus.ACCEPTED, ReservationStatus.WAITLISTED]),
            )
        ):
            return
        requested = self._request_time(activity, day)
        price = day_price(activity, day.day, family.quotient_familial, family.aids).cents
        res = self._reservation(child, day, ReservationStatus.ACCEPTED, requested, agents, price=price)
        wallet = self.wallets[(family.id, activity.wallet_kind)]
        label = f"{activity.name} – {child.first_name} – {short_date(day.day)}"
        if price:
            self._entry(wallet, LedgerKind.CHARGE, -price, label, requested, activity.structure_id, res)
        if allow_cancel and day.day > self.today + timedelta(days=20) and self.rng.random() < 0.06:
            cancelled = min(requested + timedelta(days=2), self.now - timedelta(minutes=30))
            res.status = ReservationStatus.CANCELLED
            res.cancelled_at = cancelled
            if price:
                self._entry(
                    wallet,
                    LedgerKind.REFUND,
                    price,
                    "Annulation – " + label,
                    cancelled,
                    activity.structure_id,
                    res,
                )
        elif day.day < self.today:
            absent = self.rng.random() < 0.07
            res.attendance = Attendance.ABSENT if absent else Attendance.PRESENT
            if absent and self.rng.random() < 0.4:
                res.certificate_at = paris(day.day + timedelta(days=1), time(10, 0))
                if price:
                    self._entry(
                        wallet,
                        LedgerKind.REFUND,
                        price,
                        "Certificat médical – " + label,
                        res.certificate_at,
                        activity.structure_id,
                        res,
                    )

    def _reservation(
        self,
        child: Child,
        day: ActivityDay,
        status: ReservationStatus,
        requested: datetime,
        agents: list[Agent],
        *,
        price: int | None = None,
        position: int | None = None,
        reason: str | None = None,
    ) -> Reservation:
        transmitted = None
        if requested.astimezone(PARIS).date() < self.today:
            transmitted = paris(requested.astimezone(PARIS).date(), time(23, 30))
        res = Reservation(
            child_id=child.id,
            activity_day_id=day.id,
            status=status,
            requested_at=requested,
            decided_at=requested,
            waitlist_position=position,
            refusal_reason=reason,
            price_cents=price,
            transmitted_at=transmitted,
            agent_id=self.rng.choice(agents).id if self.rng.random() < 0.5 else None,
        )
        self.s.add(res)
        self.s.flush()
        return res

    def _entry(
        self,
        wallet: Wallet,
        kind: LedgerKind,
        amount: int,
        label: str,
        at: datetime,
        structure_id: int,
        res: Reservation | None = None,
        payment: Payment | None = None,
    ) -> None:
        self.s.add(
            ledger.new_entry(
                self.s,
                wallet,
                kind=kind,
                amount_cents=amount,
                label=label,
                at=at,
                structure_id=structure_id,
                reservation_id=res.id if res is not None else None,
                payment_id=payment.id if payment is not None else None,
            )
        )
        wallet.balance_cents += amount

    # --- payments -------------------------------------------------------------------------------
    def _payments(
        self, families: list[Family], structures: dict[WalletKind, Structure], agents: list[Agent]
    ) -> None:
        """Payments so that balances end positive (most), zero or in debit, with gapless receipts."""
        rng = self.rng
        counter_agents = [a for a in agents if a.role is not Role.ADMIN]
        planned: list[tuple[datetime, Family, Wallet, int]] = []
        for i, family in enumerate(families):
            profile = "debit" if i % 6 == 2 else "zero" if i % 6 == 4 else "credit"
            for kind in (WalletKind.ALAE, WalletKind.ALSH):
                wallet = self.wallets[(family.id, kind)]
                spent = -wallet.balance_cents
                target = {
                    "credit": rng.choice([0, 650, 1300, 2000, 3900, 6500]),
                    "zero": 0,
                    "debit": -min(spent, rng.choice([650, 1300, 1950])) if kind is WalletKind.ALAE else 0,
                }[profile]
                amount = target + spent
                parts = [amount] if amount < 8000 else [amount - amount // 2, amount // 2]
                for j, part in enumerate(p for p in parts if p > 0):
                    day = self.today - timedelta(days=rng.randint(1, 70))
                    when = paris(
                        day, time(rng.randint(8, 17), rng.choice([0, 10, 20, 30, 40, 50]))
                    )  # opening hours
                    if i % 9 == 0 and j == 0:
                        when = self.now - timedelta(minutes=rng.randint(10, 60))  # taken today
                    planned.append((when, family, wallet, part))
        planned.sort(key=lambda p: (p[0], p[1].id, p[2].kind))
        seqs: Counter[tuple[int, int]] = Counter()
        for when, family, wallet, amount in planned:
            structure = structures[wallet.kind]
            year = when.astimezone(PARIS).year
            seqs[(structure.id, year)] += 1
            seq = seqs[(structure.id, year)]
            method = rng.choice(
                [PaymentMethod.CASH, PaymentMethod.CHEQUE, PaymentMethod.CARD, PaymentMethod.TRANSFER]
            )
            payment = Payment(
                structure_id=structure.id,
                family_id=family.id,
                wallet_id=wallet.id,
                receipt_year=year,
                receipt_seq=seq,
                receipt_number=receipt_number(year, seq),
                method=method,
                amount_cents=amount,
                cheque_bank=seal(
                    self.s,
                    family.id,
                    rng.choice(["Crédit Agricole", "La Banque Postale", "CIC", "Caisse d'Épargne"]),
                )
                if method is PaymentMethod.CHEQUE
                else None,
                cheque_number=seal(self.s, family.id, f"{rng.randint(1000000, 9999999)}")
                if method is PaymentMethod.CHEQUE
                else None,
                paid_at=when,
                business_date=when.astimezone(PARIS).date(),
                agent_id=rng.choice(counter_agents).id,
            )
            self.s.add(payment)
            self.s.flush()
            self._entry(
                wallet,
                LedgerKind.PAYMENT,
                amount,
                f"Règlement {payment.receipt_number}",
                when,
                structure.id,
                payment=payment,
            )
        for (structure_id, year), last in seqs.items():
            self.s.add(ReceiptCounter(structure_id=structure_id, year=year, last_seq=last))
        self.summary.payments = len(planned)
        self.s.flush()

    def _count(self, families: list[Family]) -> None:
        s, summary = self.s, self.summary
        summary.structures = s.scalar(select(func.count()).select_from(Structure)) or 0
        summary.agents = s.scalar(select(func.count()).select_from(Agent).where(Agent.system.is_(False))) or 0
        summary.families = len(families)
        summary.portal_logins = sorted(f.portal_login for f in families if f.portal_login)
        summary.children = sum(len(f.children) for f in families)
        summary.activity_days = s.scalar(select(func.count()).select_from(ActivityDay)) or 0
        for status, transmitted, n in s.execute(
            select(Reservation.status, Reservation.transmitted_at.is_not(None), func.count()).group_by(
                Reservation.status, Reservation.transmitted_at.is_not(None)
            )
        ):
            label = (
                status.value if transmitted or status is not ReservationStatus.ACCEPTED else "non transmise"
            )
            summary.reservations[label] += n
        for family in families:
            total = sum(self.wallets[(family.id, k)].balance_cents for k in WalletKind)
            summary.balances["débiteur" if total < 0 else "nul" if total == 0 else "créditeur"] += 1
