"""Administration → Familles → « Portail famille »: the address of the town's family portal, written on the portal
access letter and in the access e-mail (``services.setup.town_settings``)."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ...services.setup import town_settings
from ..context import CounterContext
from ..operations import Failure
from ..widgets import bound

ERROR_STYLE = "color:#b00020;"


class PortalAddressPanel(QGroupBox):
    def __init__(self, ctx: CounterContext, parent: QWidget | None = None) -> None:
        super().__init__("Portail famille", parent)
        self.ctx = ctx
        self.address = bound(QLineEdit(), town_settings.PortalAddress)
        self.address.setPlaceholderText("https://portail.ville.fr")
        self.address.setAccessibleName("Adresse du portail famille")
        self.save = QPushButton("Enregistrer l'adresse")
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        note = QLabel(
            "L'adresse que les familles tapent pour se connecter : elle est écrite sur le courrier et l'e-mail "
            "« Accès portail ». Laissez vide si la commune n'a pas encore de portail en ligne."
        )
        note.setWordWrap(True)
        top = QHBoxLayout()
        label = QLabel("Adresse du &portail famille")
        label.setBuddy(self.address)
        top.addWidget(label)
        top.addWidget(self.address, 1)
        top.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(note)
        self.save.clicked.connect(self.save_address)
        self.address.returnPressed.connect(self.save_address)
        self.load()

    def load(self) -> None:
        db = self.ctx.db
        self.address.setText(self.ctx.ops.run(lambda: town_settings.portal_address(db), default=""))

    def save_address(self) -> None:
        db, actor, text = self.ctx.db, self.ctx.actor, self.address.text()
        self.error.clear()

        def done(kept: str) -> None:
            self.address.setText(kept)
            self.ctx.ops.notice(
                f"Adresse du portail famille enregistrée : {kept}."
                if kept
                else "Adresse du portail famille retirée : les courriers d'accès n'en donnent plus."
            )

        def failed(failure: Failure) -> None:
            self.error.setText(failure.message)

        self.ctx.ops.run(
            lambda: town_settings.save_portal_address(db, actor, text), done, write=True, on_error=failed
        )
