"""« Ma caisse » in the closing window: what the day's receipts expect beside what the agent counted (the cash, by
notes and coins if wished; the cheques, ticked one by one if wished; the card terminal's ticket), the comment, the
till's state. The box collects the counted amounts (``counted_input``) and shows what the service answered; the
closing window sends them to the service."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...services.money.cash_closing import ClosingRow, CountedInput, ExpectedCheque, MethodTotal
from ...text import format_eur, plain_amount
from ..families.family_dialog import INVALID
from ..operations import Failure
from ..table_model import Column, RowsModel
from ..widgets import table_view
from .till_count import ChequeChecklist, DenominationDialog, counted_fields


def fit_columns(view: QTableView) -> None:
    """``view`` at least as wide as its columns' contents: never a horizontal scroll bar nor a cut amount."""
    header, model = view.horizontalHeader(), view.model()
    width = sum(max(view.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(model.columnCount()))
    view.setMinimumWidth(width + 2 * view.frameWidth())


class CashBox(QGroupBox):
    """« Ma caisse – agent – structure »: which till it closes, this agent's at this structure (another structure's
    is closed from there)."""

    def __init__(self, agent: str, structure: str) -> None:
        super().__init__(f"Ma caisse – {agent} – {structure}")
        self.expected = RowsModel(
            [
                Column("Mode", lambda t: t.label),
                Column("Règlements", lambda t: str(t.count), right=True),
                Column("Montant attendu", lambda t: format_eur(t.cents), right=True),
            ]
        )
        counted = counted_fields()
        self.cash, self.cheque_count, self.cheque_total = (
            counted["cash"],
            counted["cheque_count"],
            counted["cheque_total"],
        )
        self.card_total, self.comment = counted["card_total"], counted["comment"]
        self.cheques_present: list[int] | None = None
        """The till's cheques ticked one by one (« Cocher… »); None: counted by number and total."""
        self.cash_detail: list[tuple[int, int]] | None = None
        """The cash counted by notes and coins (« Par coupures… »), while the cash typed is their total."""
        self.tick_button = QPushButton("Cocher les chèques…")
        self.tick_button.setToolTip(
            "Cocher chaque chèque de la caisse : un chèque non coché est noté manquant."
        )
        self.coins_button = QPushButton("Compter par coupures…")
        self.coins_button.setToolTip(
            "Compter les billets et les pièces : leur total devient les espèces comptées."
        )
        self.coins_button.clicked.connect(self.count_coins)
        self.cash.textEdited.connect(lambda _text: setattr(self, "cash_detail", None))
        self.fields: dict[str, QWidget] = dict(counted)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.errors = QLabel()
        self.errors.setObjectName("alert")
        self.errors.setTextFormat(
            Qt.TextFormat.PlainText
        )  # a service's message holds names: text, never markup
        self.errors.setProperty("severe", True)
        self.errors.setWordWrap(True)
        self.errors.hide()
        self.cash_button = QPushButton("Clôturer ma caisse")
        self.cash_button.setObjectName("primary")
        self.status.setStyleSheet("font-weight:600;")
        self.counted = QWidget()
        """What the agent counted, beside what was expected; hidden once the cash is closed."""
        form = QFormLayout(self.counted)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Espèces (€)", self.cash)
        form.addRow("Nb de chèques", self.cheque_count)
        form.addRow("Chèques (€)", self.cheque_total)
        form.addRow("Ticket CB (€)", self.card_total)

        self.card_total.setToolTip("Le total du ticket de fin de journée du terminal de carte bancaire")
        self.comment_row = QWidget()
        """The comment, the whole width of the box; hidden once the cash is closed."""
        comment_form = QFormLayout(self.comment_row)
        comment_form.setContentsMargins(0, 0, 0, 0)
        comment_form.addRow("Commentaire", self.comment)
        self.comment_label = comment_form.labelForField(self.comment)
        self.counted_labels = [
            form.labelForField(field)
            for field in (self.cash, self.cheque_count, self.cheque_total, self.card_total)
        ]
        expected_view = table_view(self.expected, stretch=0)
        expected_view.setFixedHeight(  # the four payment methods, no scroll bar
            expected_view.horizontalHeader().sizeHint().height() + 4 * 24 + 2 * expected_view.frameWidth()
        )
        expected_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        expected_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.expected_view = expected_view
        cash_row = QHBoxLayout()
        cash_row.addWidget(self.status, 1)
        for button in (self.coins_button, self.tick_button):  # the ways of counting more closely
            cash_row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        cash_row.addWidget(self.cash_button, 0, Qt.AlignmentFlag.AlignTop)
        for edit in (
            self.cash,
            self.cheque_count,
            self.cheque_total,
            self.card_total,
        ):  # « 100 000,00 » shows
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("100 000,00") + 16)
        self.expected_and_counted = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        """Expected and counted side by side, so that the day's closings below keep the height; one above the
        other when the dialog is too narrow for both (``arrange``)."""
        self.expected_and_counted.addWidget(expected_view, 1, Qt.AlignmentFlag.AlignTop)
        self.expected_and_counted.addWidget(self.counted, 1, Qt.AlignmentFlag.AlignTop)
        cash_layout = QVBoxLayout(self)
        cash_layout.addWidget(
            QLabel("Attendu d'après les reçus du jour (carte et virement repris tels quels) :")
        )
        cash_layout.addLayout(self.expected_and_counted)
        cash_layout.addWidget(self.comment_row)
        cash_layout.addWidget(self.errors)
        cash_layout.addLayout(cash_row)

    def arrange(self, dialog_width: int) -> None:
        """The counted fields beside the expected totals when the cash column (three fifths of the dialog, less
        its margins) holds both, else under them."""
        need = self.expected_view.minimumWidth() + self.counted.minimumSizeHint().width() + 12
        wide = dialog_width * 3 // 5 - 60 >= need
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.expected_and_counted.direction() != direction:
            self.expected_and_counted.setDirection(direction)
        # one above the other: the comment's field aligned with the counted ones
        label = 0 if wide else max(label.sizeHint().width() for label in self.counted_labels)
        self.comment_label.setMinimumWidth(label)

    def show_expected(self, totals: list[MethodTotal]) -> None:
        self.expected.set_rows(totals)
        fit_columns(self.expected_view)

    def show_till(self, mine: ClosingRow | None, structure: str) -> None:
        """The till open (the counted fields and the ways of counting offered) or closed (``mine``, its gap)."""
        self.cash_button.setEnabled(mine is None)
        self.coins_button.setVisible(mine is None)
        self.tick_button.setVisible(mine is None)
        for edit in self.fields.values():
            edit.setEnabled(mine is None)
        self.counted.setVisible(mine is None)
        self.comment_row.setVisible(mine is None)
        self.status.setText(
            f"Caisse {structure} clôturée (écart {format_eur(mine.discrepancy_cents)}) : plus aucun "
            f"règlement ne peut y être enregistré aujourd'hui par vous (une autre structure a sa propre caisse)."
            if mine
            else "Caisse ouverte."
        )

    # --- what was counted -------------------------------------------------------------------------------
    def counted_input(self) -> CountedInput:
        """What the agent counted, as the service reads it; the faulty fields' marks cleared."""
        for widget in self.fields.values():
            widget.setStyleSheet("")
            widget.setToolTip("")
        self.errors.hide()
        return CountedInput(
            self.cash.text().strip(),
            self.cheque_count.text().strip(),
            self.cheque_total.text().strip(),
            self.comment.text().strip(),
            self.card_total.text().strip(),
            None if self.cheques_present is None else list(self.cheques_present),
            None if self.cash_detail is None else list(self.cash_detail),
        )

    def show_failure(self, failure: Failure) -> None:
        """The message under the form; each faulty field marked, its own message as its tooltip, the first one
        focused (an empty count is asked for there)."""
        faulty = [self.fields[name] for name in failure.fields if name in self.fields]
        for name, message in failure.fields.items():
            if name in self.fields:
                self.fields[name].setStyleSheet(INVALID)
                self.fields[name].setToolTip(message)
        if faulty:
            faulty[0].setFocus()
        self.errors.setText(failure.message)
        self.errors.show()

    def tick_cheques(self, cheques: list[ExpectedCheque]) -> None:
        """The till's ``cheques`` ticked one by one: the count and total follow the ticks (and are no longer
        typed)."""
        dialog = ChequeChecklist(self.window(), cheques, self.cheques_present)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.cheques_present = dialog.value()
        ticked = set(self.cheques_present)
        cents = sum(c.cents for c in cheques if c.payment_id in ticked)
        self.cheque_count.setText(str(len(ticked)))
        self.cheque_total.setText(plain_amount(cents))
        for edit in (self.cheque_count, self.cheque_total):
            edit.setReadOnly(True)
            edit.setToolTip("D'après les chèques cochés (« Cocher un à un… »)")

    def count_coins(self) -> None:
        dialog = DenominationDialog(self.window(), self.cash_detail)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.cash_detail = dialog.value() or None
        cents = dialog.cents()
        self.cash.setText(plain_amount(cents))
