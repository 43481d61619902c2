"""The family page: its header (name, balance and wallets), its alerts, and the tabs Réservation, Réservations, Soldes
et paiements, Famille, Fiche sanitaire (the agents with the right to the health files only), each in its own module.
Everything comes from plain rows returned by the services."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from ...services.families.view import FamilySummary, family_summary
from ...text import count, format_eur
from ..booking.booking_view import BookingView
from ..context import CounterContext
from ..documents.print_preview import PrintPreview, Rendered, print_document
from ..money.balances_tab import BalancesTab
from ..widgets import ElidedLabel
from .family_dialog import SavingDialog
from .family_tab import FamilyTab
from .health_tab import HealthTab
from .reservations_tab import ReservationsTab
from .tax_certificate_dialog import TaxCertificateDialog, ask_tax_certificate

MAX_ALERTS = 4
"""Alerts shown one by one above the tabs; the others are counted."""


class FamilyPage(QWidget):
    family_changed = Signal(int)

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.summary: FamilySummary | None = None
        self.preview: PrintPreview | None = None
        """The last preview opened from the page (a reservation sheet, a portal letter)."""
        self.title = ElidedLabel()  # a long name is cut, whole in its tooltip
        self.title.setObjectName("familyTitle")
        self.balance = QLabel()
        self.balance.setObjectName("balance")
        self.wallets = QLabel()
        self.alerts = QVBoxLayout()
        self.alerts.setSpacing(2)
        self.tax_certificate = QPushButton("Attestation de frais de garde…")
        self.tax_certificate.clicked.connect(lambda: self.open_tax_certificate())
        self.tax_dialog: TaxCertificateDialog | None = None

        self.booking = BookingView(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.booking, "Réservation")
        self.reservations_tab = ReservationsTab(ctx)
        # (lambdas: not clicked's bool as the days)
        self.reservations_tab.print_sheet.clicked.connect(lambda: self.print_sheet())
        self.reservations_tab.show_sheet.clicked.connect(lambda: self.preview_sheet())
        self.tabs.addTab(self.reservations_tab, "Réservations")
        self.balances = BalancesTab(ctx)
        self.tabs.addTab(self.balances, "Soldes et paiements")
        self.family_tab = FamilyTab(ctx, self._open_preview)
        self.family_tab.anonymised.connect(self._anonymised)
        self.tabs.addTab(self.family_tab, "Famille")
        self.health_tab = HealthTab(ctx)  # shown to the agents with the right to the health files only
        self.tabs.addTab(self.health_tab, "Fiche sanitaire")
        self.tabs.setTabVisible(self.tabs.indexOf(self.health_tab), False)
        # the tabs' rows and buttons, as the window and its tests reach them from the page
        self.reservations = self.reservations_tab.reservations
        self.aids = self.family_tab.aids
        self.add_child = self.family_tab.add_child
        self.add_aid = self.family_tab.add_aid
        self.anonymise = self.family_tab.anonymise

        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(QLabel("Solde"))
        header.addWidget(self.balance)
        header.addWidget(self.wallets)
        header.addWidget(self.tax_certificate)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(header)
        layout.addLayout(self.alerts)
        layout.addWidget(self.tabs, 1)

    # --- data ------------------------------------------------------------------------------------
    def show_family(self, family_id: int) -> bool:
        summary = self.ctx.ops.run(lambda: family_summary(self.ctx.db, family_id))
        if summary is None:
            return False
        self.summary = summary
        self._show_header(summary)
        self._show_alerts(summary.alerts)
        self.balances.set_family(summary)
        self.family_tab.set_family(summary)
        self.tabs.setTabVisible(self.tabs.indexOf(self.health_tab), self.health_tab.set_family(summary))
        self.reservations_tab.set_family(summary.id)
        self.booking.set_family(summary)
        return True

    def _show_header(self, summary: FamilySummary) -> None:
        """The family's name, its balance (red when in debit) and its wallets' balances."""
        self.title.setText(f"Famille {summary.name}")
        self.balance.setText(format_eur(summary.balance_cents))
        self.balance.setProperty("debit", summary.in_debit)
        self.balance.style().unpolish(self.balance)
        self.balance.style().polish(self.balance)
        self.wallets.setText(
            "("
            + " · ".join(
                f"{w.label} {format_eur(w.balance_cents)}" for w in summary.wallets if w.balance_cents
            )
            + ")"
            if any(w.balance_cents for w in summary.wallets)
            else ""
        )

    def _show_alerts(self, alerts: list[str]) -> None:
        """The first alerts one by one (a debit in red), the others counted."""
        while self.alerts.count():
            item = self.alerts.takeAt(0)
            assert item is not None, "count() > 0"
            widget = item.widget()
            if widget:
                widget.deleteLater()
        for text in alerts[:MAX_ALERTS]:
            label = QLabel(text)
            label.setTextFormat(Qt.TextFormat.PlainText)  # a child's name, a health note: text
            label.setObjectName("alert")
            label.setProperty("severe", text.startswith("Compte débiteur"))
            self.alerts.addWidget(label)
        if len(alerts) > MAX_ALERTS:
            self.alerts.addWidget(
                QLabel(f"… et {count(len(alerts) - MAX_ALERTS, 'autre alerte', 'autres alertes')}")
            )

    def refresh(self) -> None:
        if self.summary is not None:
            self.show_family(self.summary.id)

    def _anonymised(self, family_id: int) -> None:
        self.summary = None
        self.family_changed.emit(family_id)

    # --- the reservation sheet and the previews --------------------------------------------------
    def preview_sheet(
        self, around: list[date] | None = None, parent: QWidget | None = None
    ) -> PrintPreview | None:
        """The sheet made and drawn on a worker thread; the preview opens when it is ready (and is returned when
        the call ran inline). ``around``: the days just booked (from the outcome), whose school years it covers."""
        name = self.summary.name if self.summary is not None else ""
        self.preview = None
        if self.summary is not None:
            self.reservations_tab.make_sheet(
                self.summary.id,
                around,
                lambda document: self._open_preview(
                    document, f"Fiche de réservations {name}", f"fiche-{name.lower()}.pdf", parent
                ),
            )
        return self.preview

    def print_sheet(self, around: list[date] | None = None, parent: QWidget | None = None) -> None:
        """« Imprimer la fiche… », of the recap's outcome and of the Réservations tab alike: the family's sheet
        over the school years of ``around`` (the days just booked) or else over the tab's period, made on a worker
        thread, then straight to the system's print dialog (a print that cannot start is said). The tab's
        « Aperçu… » keeps the preview and « Enregistrer en PDF »."""
        if self.summary is not None:
            self.reservations_tab.make_sheet(
                self.summary.id,
                around,
                lambda document: print_document(document.pdf, parent or self, self.ctx.ops),
            )

    @property
    def last_sheet(self) -> Rendered | None:
        """The last reservation sheet made (printed or previewed)."""
        return self.reservations_tab.last_sheet

    def _open_preview(
        self, document: Rendered, title: str, filename: str, parent: QWidget | None = None
    ) -> None:
        self.preview = PrintPreview(parent or self, document, title, filename)
        self.preview.open()

    def open_tax_certificate(self) -> TaxCertificateDialog | None:
        """« Attestation de frais de garde… »: the year chosen, then the certificate's preview."""
        if self.summary is None:
            return None
        self.tax_dialog = ask_tax_certificate(
            self, self.ctx, self.summary.id, self.summary.name, self._open_preview
        )
        return self.tax_dialog

    # --- the Famille tab's actions, as the window reaches them -----------------------------------
    @property
    def dialog(self) -> SavingDialog:
        """The last form opened from the Famille tab (the family's, a child's, an aid's)."""
        return self.family_tab.dialog

    def open_child_dialog(self, child) -> None:
        self.family_tab.open_child_dialog(child)

    def issue_portal(self):
        return self.family_tab.issue_portal()

    def export_data(self, path: str | None = None):
        return self.family_tab.export_data(path)

    def anonymise_family(self):
        return self.family_tab.anonymise_family()
