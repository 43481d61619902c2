"""The recap's flow over the family page: the recap made from the basket, Confirmer on a worker thread, Encaisser
from the recap (the payment goes to the basket's régie), a supervisor's override, and what the page does once the
recap closes. The main window owns one; the recap dialog itself only shows and collects."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QInputDialog, QWidget

from ...models import WalletKind
from ...services.booking.basket import Basket, Likely, RecapLine
from ...services.booking.validation import confirm as confirm_basket
from ...services.booking.validation import recap as recap_of_basket
from ...services.money.payments import Receipt, suggested_amount
from ...services.uow import new_operation_key
from ..context import CounterContext
from ..families.family_page import FamilyPage
from .recap_dialog import RecapDialog, RecapResult


class RecapFlow:
    def __init__(
        self,
        ctx: CounterContext,
        page: FamilyPage,
        window: QWidget,
        next_family: Callable[[str], object] = lambda _typed: None,
    ) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.ops = ctx.ops
        self.page = page
        self.window = window
        self.dialog: RecapDialog | None = None
        self.next_family = next_family
        """The search for the next family, with what the agent started typing over the outcome."""

    def open(self) -> None:
        """The recap of the basket. Its operation key is made here, once: every Confirmer of this recap (after a
        failure, an unclear end, a double press) sends the same key, so the basket is never recorded twice and
        a retry after an unclear end shows what was recorded."""
        if self.dialog is not None and self.dialog.isVisible():
            return  # one recap at a time (Ctrl+Entrée pressed again over it)
        basket = self.page.booking.basket
        summary = self.ops.run(lambda: recap_of_basket(self.db, self.ctx.actor, basket))
        if summary is None:
            return
        key = new_operation_key()
        dialog = RecapDialog(self.window, summary, can_override=self.ctx.may("booking.override"))
        dialog.confirm_requested.connect(lambda: self._confirm(dialog, basket, key))
        dialog.finished.connect(lambda _code: self._recap_closed(dialog))
        dialog.next_family_requested.connect(self.next_family)
        dialog.pay_requested.connect(lambda: self._pay_from_recap(dialog))
        dialog.override_requested.connect(lambda lines, reason: self._override(dialog, basket, lines, reason))
        dialog.sheet_requested.connect(
            lambda: self.page.print_sheet(around=[ln.day for ln in basket.lines], parent=dialog)
        )
        dialog.receipt_requested.connect(
            lambda receipt: self.page.balances.preview_receipt(receipt.payment_id, receipt.number, dialog)
        )
        self.dialog = dialog
        dialog.open()
        dialog.activateWindow()  # its keys (Entrée, Ctrl+Entrée) are its own at once

    def _confirm(self, dialog: RecapDialog, basket: Basket, key: str) -> None:
        """Confirmer: on a worker thread (the window stays responsive, the status bar shows it running). A failure
        is shown in the recap, which keeps the basket for another try with the same key."""
        self.ops.run(
            lambda: confirm_basket(self.db, self.ctx.actor, basket, key=key),
            dialog.show_outcomes,
            write=True,
            background=True,
            on_error=dialog.show_failure,
        )

    def _pay_from_recap(self, dialog: RecapDialog) -> None:
        """ "Encaisser" from the recap: the payment dialog prefilled with the missing amount; then the recap says
        the payment, shows fresh figures and has Confirmer focused (Entrée confirms)."""
        missing = dialog.recap.missing_cents
        basket = self.page.booking.basket

        def paid(receipt: Receipt) -> None:
            dialog.note_payment(receipt)
            self.ops.run(lambda: recap_of_basket(self.db, self.ctx.actor, basket), dialog.set_recap)

        structure_id = self.regie_of(dialog, dialog.recap.structure_ids)
        if structure_id is None:
            return
        self.page.balances.open_payment(
            suggested_amount(missing),
            dialog.recap.main_wallet or WalletKind.ALSH,
            missing,
            parent=dialog,
            on_paid=paid,
            structure_id=structure_id,
        )

    def regie_of(self, parent: QWidget, structure_ids: list[int]) -> int | None:
        """The structure a payment from the recap goes to: the one of the basket's activities; over two
        structures, the agent chooses (None: he cancelled)."""
        if len(structure_ids) <= 1:
            return structure_ids[0] if structure_ids else self.ctx.structure_id
        names = {x.id: x.name for x in self.ctx.structures}
        choices = [names.get(i, f"Structure n° {i}") for i in structure_ids]
        chosen, ok = QInputDialog.getItem(
            parent,
            "Encaisser",
            "Les réservations sont dans plusieurs structures : pour laquelle ce règlement ?",
            choices,
            0,
            False,
        )
        return structure_ids[choices.index(chosen)] if ok and chosen in choices else None

    def _override(self, dialog: RecapDialog, basket: Basket, lines: list[RecapLine], reason: str) -> None:
        """A supervisor passes over refused lines (deadline, opening, full): the basket's lines carry it, the
        recap is made again; the confirmation checks the role again and records the reason in the journal."""
        for r in lines:
            basket.grant_override(
                r.line.key, deadline=not r.ok, capacity=r.ok and r.likely is not Likely.ACCEPTED
            )
        basket.override_reason = reason
        self.ops.run(lambda: recap_of_basket(self.db, self.ctx.actor, basket), dialog.set_recap)

    def _recap_closed(self, dialog: RecapDialog) -> None:
        if dialog.result_value in (RecapResult.CONFIRMED, RecapResult.ABANDON):
            self.page.booking.clear_basket()
        self.page.booking.refresh()
        self.page.booking.grid.setFocus()
