"""The day's closings in the closing window: each agent's cash closing at the structure (validated by a
supervisor), the day's online payments that are in no till, « Rapport du jour… », « Remise de chèques… » (a
régisseur), and the past days' tills left open (closed late by a régisseur). The box shows what the closing window
read; the window runs the services."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...services.money.cash_closing import ClosingRow, OpenTill
from ...services.money.online import DayOnlinePayment
from ...text import count, format_eur, long_date, short_date
from ..context import CounterContext
from ..table_model import Column, RowsModel
from ..widgets import table_view


class DayClosingsBox(QGroupBox):
    """« Clôtures de caisse du <day> – <structure> »; ``late_row`` (the past days' tills left open) is placed by
    the window, beside the end of day where there is room."""

    def __init__(self, ctx: CounterContext, day: date, structure: str) -> None:
        super().__init__(f"Clôtures de caisse du {long_date(day)} – {structure}")
        self.closings = RowsModel(
            [
                Column("Agent", lambda c: c.agent),
                Column("Écart", lambda c: format_eur(c.discrepancy_cents), right=True),
                Column("État", lambda c: f"validée ({c.validated_by})" if c.validated_by else "à valider"),
                Column("Commentaire", lambda c: c.comment),
            ]
        )
        self.closings_view = table_view(self.closings)
        self.closings_view.setMinimumHeight(26 + 2 * 24 + 4)
        self.validate_button = QPushButton("Valider la clôture sélectionnée")
        self.validate_button.setVisible(ctx.may("closing.validate"))
        ctx.role_changed.connect(lambda: self.validate_button.setVisible(ctx.may("closing.validate")))
        self.report_button = QPushButton("Rapport du jour…")
        self.deposit_button = QPushButton("Remise de chèques…")
        """For a régisseur; placed by the window, beside « Fermer » (the day's row has no room left)."""
        self.deposit_button.setToolTip(
            "Les chèques encaissés et pas encore remis en banque : un bordereau numéroté à imprimer."
        )
        self.deposit_button.setVisible(ctx.may("closing.deposit"))
        ctx.role_changed.connect(lambda: self.deposit_button.setVisible(ctx.may("closing.deposit")))
        self.open_tills = QComboBox()
        """The tills of past days left open (a régisseur closes them late)."""
        self.late_button = QPushButton("Clôturer en retard…")
        self.late_row = QWidget()
        """The past days' tills left open, for a régisseur: beside the end of day, where there is room."""
        late_layout = QVBoxLayout(self.late_row)
        late_layout.setContentsMargins(0, 0, 0, 0)
        late_title = QLabel("Caisses restées ouvertes les jours passés :")
        late_title.setWordWrap(True)
        late_layout.addWidget(late_title)
        late_layout.addWidget(self.open_tills)
        late_buttons = QHBoxLayout()
        late_buttons.addStretch(1)
        late_buttons.addWidget(self.late_button)
        late_layout.addLayout(late_buttons)
        self.late_row.hide()
        self.online_note = QLabel()
        """The day's online payments: in no till, listed apart (the report lists them one by one)."""
        self.online_note.setStyleSheet("color:#37474f;")
        self.day_note = QLabel()
        self.day_note.setWordWrap(True)
        self.day_note.setStyleSheet("color:#b00020;")
        self.day_note.hide()
        actions = QHBoxLayout()
        actions.addWidget(self.validate_button)
        actions.addStretch(1)
        actions.addWidget(self.online_note)
        actions.addWidget(self.report_button)
        day_layout = QVBoxLayout(self)
        day_layout.addWidget(self.closings_view, 1)
        day_layout.addLayout(actions)
        day_layout.addWidget(self.day_note)

    def show_day(
        self, closings: list[ClosingRow], online: list[DayOnlinePayment], tills: list[OpenTill]
    ) -> None:
        """The day's closings, its online payments (counted, summed) and the past days' tills left open."""
        self.closings.set_rows(closings)
        total = format_eur(sum(p.amount_cents for p in online))
        self.online_note.setText(f"En ligne, hors caisse : {count(len(online), 'paiement')}, {total}")
        self.online_note.setToolTip(
            "Les paiements par carte sur le portail ne sont dans la caisse d'aucun agent : le rapport du jour les "
            "liste un à un, à rapprocher du relevé du site de paiement (PayFiP)."
        )
        self.open_tills.clear()
        for till in tills:
            self.open_tills.addItem(
                f"{till.agent} – {short_date(till.day)} ({count(till.payments, 'règlement')}, "
                f"{format_eur(till.cents)})",
                till,
            )
        self.late_row.setVisible(bool(tills))

    def selected_closing(self) -> ClosingRow | None:
        index = self.closings_view.currentIndex()
        return self.closings.rows[index.row()] if index.isValid() else None

    def report_in_preparation(self, busy: bool) -> None:
        """« Rapport du jour… » off while the report is made."""
        self.report_button.setEnabled(not busy)
        self.report_button.setText("Rapport en préparation…" if busy else "Rapport du jour…")

    def say(self, text: str | None) -> None:
        """A word under the day's closings (a report that could not be made, no letter to print); None: none."""
        if text is None:
            self.day_note.hide()
            return
        self.day_note.setText(text)
        self.day_note.show()
