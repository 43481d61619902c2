"""« Remise de chèques… » (a régisseur, from the closing window): the structure's cheques not yet deposited, each
ticked (all of them at first), the count and total of the ticked ones, « Créer le bordereau » and its preview; the
deposits already made, to print one again. Every service call goes through the window's operations."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...services.money.deposits import (
    DepositCheque,
    DepositMade,
    DepositRow,
    create_deposit,
    past_deposits,
    summary,
    undeposited_cheques,
)
from ...text import count, format_eur, moment, short_date
from ..context import CounterContext
from ..documents.print_preview import PrintPreview, Rendered, rendered
from ..keys import kept_keys
from ..operations import Failure
from ..table_model import Column, RowsModel
from ..widgets import date_edit, date_of, keyed, table_view

OPEN_TILL = QColor("#b45309")
"""A cheque whose till is still open: shown, not depositable yet."""

CHEQUE_COLUMNS = [
    Column("À remettre", lambda c: ""),
    Column("Reçu", lambda c: c.receipt),
    Column("Date", lambda c: short_date(c.day)),
    Column("Famille", lambda c: c.family),
    Column("Banque", lambda c: c.bank),
    Column("N° du chèque", lambda c: c.number),
    Column("Tireur", lambda c: c.drawer),
    Column("Montant", lambda c: format_eur(c.cents), right=True),
    Column(
        "Caisse",
        lambda c: (
            f"{c.agent} (ouverte)" if c.till_open else f"{c.agent} (manquant)" if c.missing else c.agent
        ),
        colour=lambda c: OPEN_TILL if c.till_open or c.missing else None,
        tooltip=lambda c: (
            f"La caisse de {c.agent} du {short_date(c.day)} n'est pas encore clôturée : ce chèque se remet une "
            "fois la caisse comptée et clôturée."
            if c.till_open
            else f"Manquant à la clôture de la caisse de {c.agent} du {short_date(c.day)} : cochez-le une fois "
            "retrouvé."
            if c.missing
            else f"Caisse de {c.agent} du {short_date(c.day)}, clôturée."
        ),
    ),
]


def _ready(cheque: DepositCheque) -> bool:
    """Ticked when the list is read: its till is closed and its agent had it then."""
    return not cheque.till_open and not cheque.missing


class ChequesModel(RowsModel):
    """The cheques not yet deposited, each with a check box in its first column: ticked when read, unless its till
    is still open (its box then off and greyed)."""

    ticked = Signal()

    def __init__(self) -> None:
        super().__init__(CHEQUE_COLUMNS)
        self.chosen: set[int] = set()

    def set_rows(self, rows: Any) -> None:
        self.chosen = {c.payment_id for c in rows if _ready(c)}
        super().set_rows(rows)
        self.ticked.emit()

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.column() != 0 or not index.isValid():
            return flags
        if self.rows[index.row()].till_open:
            return flags & ~Qt.ItemFlag.ItemIsEnabled
        return flags | Qt.ItemFlag.ItemIsUserCheckable

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if index.isValid() and index.column() == 0 and role == Qt.ItemDataRole.CheckStateRole:
            ticked = self.rows[index.row()].payment_id in self.chosen
            return Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
        return super().data(index, role)

    def setData(  # noqa: N802 - Qt's name
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if not index.isValid() or index.column() != 0 or role != Qt.ItemDataRole.CheckStateRole:
            return False
        self.tick(self.rows[index.row()].payment_id, Qt.CheckState(value) == Qt.CheckState.Checked)
        return True

    def tick(self, payment_id: int, on: bool) -> None:
        row = next(i for i, c in enumerate(self.rows) if c.payment_id == payment_id)
        if self.rows[row].till_open:
            return
        (self.chosen.add if on else self.chosen.discard)(payment_id)
        self.dataChanged.emit(self.index(row, 0), self.index(row, 0), [Qt.ItemDataRole.CheckStateRole])
        self.ticked.emit()

    def tick_all(self, on: bool) -> None:
        self.chosen = {c.payment_id for c in self.rows if _ready(c)} if on else set()
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0))
        self.ticked.emit()

    def chosen_cheques(self) -> list[DepositCheque]:
        return [c for c in self.rows if c.payment_id in self.chosen]


class DepositDialog(QDialog):
    """« Remise de chèques – <structure> »: the cheques to deposit, then the bordereau; the past deposits."""

    def __init__(
        self, parent: QWidget | None, ctx: CounterContext, structure_id: int, structure: str
    ) -> None:
        super().__init__(parent)
        self.ctx, self.structure_id = ctx, structure_id
        self.preview: PrintPreview | None = None
        self.setWindowTitle(f"Remise de chèques – {structure}")
        today = local_today(ctx.db.clock)
        self.cheques = ChequesModel()
        self.cheques_view = table_view(self.cheques, stretch=6)
        self.cheques_view.clicked.connect(self._clicked)
        self.only_days = QCheckBox("Seulement les chèques encaissés du")
        self.start, self.end = date_edit(date(today.year, today.month, 1)), date_edit(today)
        self.only_days.toggled.connect(lambda _on: self.refresh())
        self.start.dateChanged.connect(lambda _day: self.refresh())
        self.end.dateChanged.connect(lambda _day: self.refresh())
        days = QHBoxLayout()
        for widget in (self.only_days, self.start, QLabel("au"), self.end):
            days.addWidget(widget)
        days.addStretch(1)
        self.all_button = QPushButton("Tout cocher")
        self.none_button = QPushButton("Tout décocher")
        self.all_button.clicked.connect(lambda: self.cheques.tick_all(True))
        self.none_button.clicked.connect(lambda: self.cheques.tick_all(False))
        self.total = QLabel()
        self.total.setStyleSheet("font-weight:600;")
        self.create_button = keyed(QPushButton("&Créer le bordereau"), "Numéroter la remise et l'imprimer")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.make_deposit)
        self.errors = QLabel()
        self.errors.setObjectName("alert")
        self.errors.setTextFormat(Qt.TextFormat.PlainText)  # a message holds names: text, never markup
        self.errors.setWordWrap(True)
        self.errors.hide()
        self.cheques.ticked.connect(self._show_total)
        actions = QHBoxLayout()
        actions.addWidget(self.all_button)
        actions.addWidget(self.none_button)
        actions.addStretch(1)
        actions.addWidget(self.total)
        actions.addWidget(self.create_button)
        pending = QGroupBox("Chèques encaissés, pas encore remis en banque")
        pending_layout = QVBoxLayout(pending)
        pending_layout.addLayout(days)
        pending_layout.addWidget(self.cheques_view, 1)
        pending_layout.addLayout(actions)
        pending_layout.addWidget(self.errors)

        self.deposits = RowsModel(
            [
                Column("Bordereau", lambda d: d.number),
                Column("Fait le", lambda d: moment(d.created_at)),
                Column("Par", lambda d: d.agent),
                Column("Chèques", lambda d: str(d.cheque_count), right=True),
                Column("Montant", lambda d: format_eur(d.total_cents), right=True),
            ]
        )
        self.deposits_view = table_view(self.deposits, stretch=2)
        self.deposits_view.doubleClicked.connect(lambda _index: self.reprint())
        self.reprint_button = keyed(QPushButton("&Réimprimer…"), "Imprimer à nouveau le bordereau choisi")
        self.reprint_button.clicked.connect(self.reprint)
        past = QGroupBox("Bordereaux déjà faits")
        past_layout = QVBoxLayout(past)
        past_layout.addWidget(self.deposits_view, 1)
        reprint_row = QHBoxLayout()
        reprint_row.addStretch(1)
        reprint_row.addWidget(self.reprint_button)
        past_layout.addLayout(reprint_row)

        self.close_button = QPushButton("&Fermer")
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(pending, 3)
        layout.addWidget(past, 2)
        layout.addLayout(bottom)
        screen = self.screen().availableGeometry()
        self.resize(min(980, screen.width()), min(640, screen.height() - 48))
        ctx.ops.changed.connect(self._data_changed)
        self.refresh()

    # --- reading ----------------------------------------------------------------------------------------
    def _data_changed(self) -> None:
        if self.isVisible():
            self.refresh()

    def days(self) -> tuple[date | None, date | None]:
        return (date_of(self.start), date_of(self.end)) if self.only_days.isChecked() else (None, None)

    def refresh(self) -> None:
        ops, db, actor, sid = self.ctx.ops, self.ctx.db, self.ctx.actor, self.structure_id
        start, end = self.days()
        self.start.setEnabled(self.only_days.isChecked())
        self.end.setEnabled(self.only_days.isChecked())
        self.say(None)
        self.cheques.set_rows(
            ops.run(
                lambda: undeposited_cheques(db, actor, sid, start, end), default=[], on_error=self._failed
            )
        )
        self.deposits.set_rows(
            ops.run(lambda: past_deposits(db, actor, sid), default=[], on_error=self._failed)
        )
        self.reprint_button.setEnabled(bool(self.deposits.rows))

    def _clicked(self, index: QModelIndex) -> None:
        """A click anywhere on a cheque's row ticks or unticks it (not only on its box)."""
        if index.isValid() and index.column() != 0:
            cheque = self.cheques.rows[index.row()]
            self.cheques.tick(cheque.payment_id, cheque.payment_id not in self.cheques.chosen)

    def _show_total(self) -> None:
        chosen = self.cheques.chosen_cheques()
        cents = sum(c.cents for c in chosen)
        ready = [c for c in self.cheques.rows if not c.till_open]
        waiting = len(self.cheques.rows) - len(ready)
        later = f" ; {count(waiting, 'chèque')} en caisse ouverte" if waiting else ""
        missing = sum(c.missing for c in ready)
        later += (
            f" ; {count(missing, 'chèque manquant', 'chèques manquants')} à la clôture" if missing else ""
        )
        if not ready:
            self.total.setText("Aucun chèque à remettre" + later)
        else:
            ticked = count(len(chosen), "chèque coché", "chèques cochés")
            self.total.setText(f"{ticked} sur {len(ready)} : {format_eur(cents)}{later}")
        self.create_button.setEnabled(bool(chosen))

    def say(self, text: str | None) -> None:
        self.errors.setText(text or "")
        self.errors.setVisible(bool(text))

    def _failed(self, failure: Failure) -> None:
        self.say(failure.message)

    # --- the deposit ------------------------------------------------------------------------------------
    def make_deposit(self) -> None:
        """The ticked cheques into the structure's next deposit; its key is kept for the retries of the same
        selection. Once made, its bordereau is previewed."""
        ids = sorted(c.payment_id for c in self.cheques.chosen_cheques())
        db, actor, sid = self.ctx.db, self.ctx.actor, self.structure_id
        keys = kept_keys(self.ctx)
        operation = ("cheque_deposit", actor.agent_id, sid, tuple(ids))
        key = keys.key(operation)

        def done(made: DepositMade) -> None:
            keys.succeeded(operation)
            self.ctx.ops.notice(
                f"Bordereau {made.number} créé : {summary(made.cheque_count, made.total_cents)}."
            )
            self.refresh()
            self.print_deposit(made.id, made.number)

        def failed(failure: Failure) -> None:
            self.refresh()  # what another counter deposited meanwhile, or what really happened
            self.say(failure.message)

        self.ctx.ops.run(
            lambda: create_deposit(db, actor, sid, ids, key=key), done, write=True, on_error=failed
        )

    def selected_deposit(self) -> DepositRow | None:
        index = self.deposits_view.currentIndex()
        return self.deposits.rows[index.row()] if index.isValid() else None

    def reprint(self) -> None:
        deposit = self.selected_deposit()
        if deposit is None:
            self.say("Choisissez dans la liste le bordereau à réimprimer.")
            return
        self.print_deposit(deposit.id, deposit.number)

    def print_deposit(self, deposit_id: int, number: str) -> None:
        """The bordereau made and drawn on a worker thread, then previewed (print, save as PDF)."""
        from ...services.documents.deposit_slip import deposit_slip_pdf  # reportlab only when printing

        db, actor = self.ctx.db, self.ctx.actor

        def show(document: Rendered) -> None:
            self.preview = PrintPreview(
                self, document, f"Bordereau de remise de chèques {number}", f"{number}.pdf"
            )
            self.preview.open()

        self.ctx.ops.run(
            rendered(lambda: deposit_slip_pdf(db, actor, deposit_id)),
            show,
            background=True,
            on_error=self._failed,
        )
