"""Counting a till at the closing (issue 28): the cheques ticked one by one against the till's list, the cash counted
by notes and coins, and a past day's till left open closed late by a régisseur. Plain dialogs over the values; the
closing window (``closing_dialog``) sends them to the services through the operations."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...services.money.amounts import MAX_AMOUNT_CENTS
from ...services.money.cash_closing import DENOMINATIONS, CountedInput, ExpectedCheque, OpenTill
from ...text import count, denomination, format_eur, short_date
from ..families.family_dialog import SavingDialog
from ..widgets import limit_of, said_not_cut


def counted_fields() -> dict[str, QLineEdit]:
    """The fields a till is counted in (``CountedInput``'s): plain, what is typed or pasted stays whole (no silent
    cut, no refused keystroke); the service says at the field what is wrong, and the limits are said in them."""
    comment = f"obligatoire en cas d'écart ({limit_of(CountedInput, 'comment')} caractères au plus)"
    return {
        "cash": said_not_cut(QLineEdit(), f"{format_eur(MAX_AMOUNT_CENTS)} au plus"),
        "cheque_count": said_not_cut(QLineEdit(), "ex. 3"),
        "cheque_total": said_not_cut(QLineEdit(), f"{format_eur(MAX_AMOUNT_CENTS)} au plus"),
        "card_total": said_not_cut(QLineEdit(), "total du ticket du terminal"),
        "comment": said_not_cut(QLineEdit(), comment),
    }


def _buttons(dialog: QDialog, ok: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Annuler")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class ChequeChecklist(QDialog):
    """« Cocher les chèques… »: each cheque of the till (receipt, bank, number, drawer, amount), ticked when it is
    in the drawer; the count and the total follow."""

    def __init__(
        self, parent: QWidget | None, cheques: list[ExpectedCheque], present: list[int] | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Chèques de la caisse")
        self.cheques = cheques
        self.list = QListWidget()
        for c in cheques:
            drawer = f" – tireur {c.drawer}" if c.drawer else ""
            item = QListWidgetItem(
                f"{c.receipt} · {c.bank} n° {c.number}{drawer} · {c.family} · {format_eur(c.cents)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, c.payment_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            ticked = present is None or c.payment_id in present
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.total = QLabel()
        self.list.itemChanged.connect(lambda _item: self._sum())
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Cochez chaque chèque présent dans la caisse ; un chèque non coché est noté manquant.")
        )
        layout.addWidget(self.list, 1)
        layout.addWidget(self.total)
        layout.addWidget(_buttons(self, "Retenir"))
        self.resize(640, 320)
        self._sum()

    def value(self) -> list[int]:
        return [
            int(self.list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _sum(self) -> None:
        ticked = set(self.value())
        cents = sum(c.cents for c in self.cheques if c.payment_id in ticked)
        self.total.setText(
            f"{count(len(ticked), 'chèque coché', 'chèques cochés')} sur {len(self.cheques)}, "
            f"{format_eur(cents)}"
        )


def _denomination_label(cents: int) -> str:
    return ("Billets de " if cents >= 500 else "Pièces de ") + denomination(cents)


class DenominationDialog(QDialog):
    """« Compter par coupures… »: how many of each note and coin; the total becomes the cash counted."""

    def __init__(self, parent: QWidget | None, detail: list[tuple[int, int]] | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Espèces par coupures")
        known = dict(detail or [])
        grid = QGridLayout()
        self.spins: dict[int, QSpinBox] = {}
        for i, cents in enumerate(DENOMINATIONS):
            spin = QSpinBox()
            spin.setRange(0, 100_000)
            spin.setValue(known.get(cents, 0))
            spin.valueChanged.connect(lambda _v: self._sum())
            self.spins[cents] = spin
            row, column = i % 8, (i // 8) * 2
            grid.addWidget(QLabel(_denomination_label(cents)), row, column)
            grid.addWidget(spin, row, column + 1)
        self.total = QLabel()
        self.total.setStyleSheet("font-weight:600;")
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.total)
        layout.addWidget(_buttons(self, "Reporter le total"))
        self._sum()

    def value(self) -> list[tuple[int, int]]:
        return [(cents, spin.value()) for cents, spin in self.spins.items() if spin.value()]

    def cents(self) -> int:
        return sum(cents * n for cents, n in self.value())

    def _sum(self) -> None:
        self.total.setText(f"Total des espèces : {format_eur(self.cents())}")


class LateClosingDialog(SavingDialog):
    """A régisseur closes a past day's till left open: what he counts now, with a comment (required when it differs
    from what the till should hold)."""

    def __init__(self, parent: QWidget | None, till: OpenTill) -> None:
        super().__init__(parent)
        self.till = till
        self.setWindowTitle(f"Clôture en retard – caisse de {till.agent} du {short_date(till.day)}")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Clôturer en retard")
        fields = counted_fields()
        self.fields = dict(fields)
        self.cash, self.cheque_count, self.cheque_total = (
            fields["cash"],
            fields["cheque_count"],
            fields["cheque_total"],
        )
        self.card_total, self.comment = fields["card_total"], fields["comment"]
        form = QFormLayout()
        form.addRow("Espèces comptées (€)", self.cash)
        form.addRow("Nombre de chèques", self.cheque_count)
        form.addRow("Total des chèques (€)", self.cheque_total)
        form.addRow("Ticket du terminal CB (€)", self.card_total)
        form.addRow("Commentaire", self.comment)
        layout = QVBoxLayout(self)
        note = QLabel(
            f"{count(till.payments, 'règlement')} au guichet ce jour-là pour {format_eur(till.cents)} "
            "(avant annulations). La clôture sera marquée « en retard », à votre nom ; un autre régisseur "
            "ou un administrateur la valide."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())

    def value(self) -> CountedInput:
        return CountedInput(
            self.cash.text().strip(),
            self.cheque_count.text().strip(),
            self.cheque_total.text().strip(),
            self.comment.text().strip(),
            self.card_total.text().strip(),
        )
