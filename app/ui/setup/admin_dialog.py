"""Administration screens (administrators; the journal and closing a day for supervisors too): one window of
tabs, each a panel that reads and writes through the services itself; after a write in one, every tab is read
again."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QTabWidget, QVBoxLayout, QWidget

from ..context import CounterContext
from .admin_activities import ActivitiesPanel
from .admin_agents import AgentsPanel
from .admin_catalogue import AidsPanel, MessagesPanel
from .admin_days import DaysPanel, PeriodsPanel
from .admin_school_year import SchoolYearPanel
from .admin_structures import StructuresPanel
from .audit_panel import AuditPanel
from .caf_hours_dialog import CafHoursDialog
from .import_dialog import FamiliesPanel
from .tax_certificates_dialog import TaxCertificatesDialog

Tab = StructuresPanel | AgentsPanel | ActivitiesPanel | PeriodsPanel | DaysPanel | AidsPanel | MessagesPanel
"""A tab read again after a write in any tab (it says ``changed`` after its own writes)."""
P = TypeVar("P", bound=Tab)


class AdminDialog(QDialog):
    """Tabs: Structures, Agents, Activités, Année scolaire, Familles, Périodes (administrators), Journées, Aides,
    Messages (administrators), Journal."""

    def __init__(self, parent: QWidget | None, ctx: CounterContext) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Administration")
        self.tabs = QTabWidget()
        self.panels: list[Tab] = []
        self.role = ctx.actor.role
        ctx.role_changed.connect(self._role_changed)
        is_admin = ctx.may("administration")
        if is_admin:
            self.structures = self._add(StructuresPanel(ctx), "Structures")
            self.agents = self._add(AgentsPanel(ctx), "Agents")
            self.activities = self._add(ActivitiesPanel(ctx), "Activités")
            self.school_year = SchoolYearPanel(ctx)
            self.tabs.addTab(self.school_year, "Année scolaire")
            self.families = FamiliesPanel(ctx)
            self.tabs.addTab(self.families, "Familles")
            self.periods = self._add(PeriodsPanel(ctx), "Périodes")
        self.days = self._add(DaysPanel(ctx), "Journées")
        if is_admin:
            self.aids = self._add(AidsPanel(ctx), "Aides")
            self.messages = self._add(MessagesPanel(ctx), "Messages")
        self.journal = AuditPanel(ctx)
        self.tabs.addTab(self.journal, "Journal")
        close = QPushButton("&Fermer")
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        if ctx.may("booking.caf_hours.caf_hours"):
            self.caf_button = QPushButton("Heures &CAF…")
            self.caf_button.setToolTip("Les heures de présence et facturées d'une période, pour la CAF")
            self.caf_button.clicked.connect(self.open_caf_hours)
            bottom.addWidget(self.caf_button)
        if ctx.may("administration.tax_certificates"):
            self.tax_button = QPushButton("Attestations de &frais de garde…")
            self.tax_button.setToolTip("Les attestations fiscales d'une année, pour toutes les familles")
            self.tax_button.clicked.connect(self.open_tax_certificates)
            bottom.addWidget(self.tax_button)
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addLayout(bottom)
        self.resize(1180, 680)

        # the tabs' fields and actions, also under the names this window gives them
        d = self.days
        self.day_activity, self.day_month, self.day_rows, self.day_view = d.activity, d.month, d.rows, d.view
        self.capacity, self.day_reason, self.day_result = d.capacity, d.reason, d.result
        self._set_capacity, self._close_day = d.set_capacity, d.close_day
        if is_admin:
            p, a, m = self.periods, self.aids, self.messages
            self.period_activity, self.period_rows, self.period_view = p.activity, p.rows, p.view
            self.opening_date, self._change_opening = p.opening_date, p.change_opening
            self.aid_kind, self.aid_name, self.aid_rows = a.kind, a.name, a.rows
            self.msg_title, self.msg_body, self.message_rows = m.title, m.body, m.rows

    def open_caf_hours(self) -> CafHoursDialog:
        dialog = CafHoursDialog(self, self.ctx)
        dialog.open()
        return dialog

    def open_tax_certificates(self) -> TaxCertificatesDialog:
        dialog = TaxCertificatesDialog(self, self.ctx)
        dialog.open()
        return dialog

    def _add(self, panel: P, title: str) -> P:
        self.tabs.addTab(panel, title)
        panel.changed.connect(self.refresh)
        self.panels.append(panel)
        return panel

    def _role_changed(self) -> None:
        """An administrator changed this agent's role while the window was open: its tabs were those of the old
        role, so it closes (the services refuse what the new role may not do in any case)."""
        if self.ctx.actor.role is self.role or not self.isVisible():
            return
        self.reject()
        again = (
            " Rouvrez-la pour les onglets de votre nouveau rôle."
            if self.ctx.may("administration.days")
            else ""
        )
        self.ctx.ops.inform(
            "Rôle modifié",
            "Votre rôle vient d'être modifié par un administrateur : la fenêtre "
            f"d'administration est fermée.{again}",
        )

    def refresh(self) -> None:
        for panel in self.panels:
            panel.load()
        if hasattr(self, "journal"):
            self.journal.load()
