"""The family page's « Famille » tab: the responsible adults, the address and the quotient familial, the children,
the aids; and what is done from there: the family's and a child's forms, the aids added and removed, the portal's
temporary password, the export of the family's data and its anonymisation."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...clock import local_today
from ...services.families.edit import save_child, update_family
from ...services.families.health import NO_EMERGENCY_CONTACT, emergency_contact_counts
from ...services.families.view import FamilySummary
from ...services.money.aids import add_aid, aid_types, family_aids, remove_aid
from ...text import count, format_eur, short_date
from ..context import CounterContext
from ..documents.print_preview import Rendered, rendered
from ..money.aid_dialog import AidDialog
from ..table_model import Column, RowsModel
from ..widgets import table_view
from .family_dialog import ChildDialog, FamilyDialog, SavingDialog


class FamilyTab(QWidget):
    """The family's contacts, children and aids. ``anonymised`` (the family's number) once the family is anonymised;
    a letter made here is shown through ``open_preview(document, title, file name)``."""

    anonymised = Signal(int)

    def __init__(self, ctx: CounterContext, open_preview: Callable[[Rendered, str, str], object]) -> None:
        super().__init__()
        self.ctx = ctx
        self.open_preview = open_preview
        self.summary: FamilySummary | None = None
        self.aids = RowsModel(
            [
                Column("Aide", lambda a: a.name),
                Column("Activité", lambda a: a.wallet),
                Column("Par jour", lambda a: format_eur(a.amount_cents), right=True),
                Column("Valable", lambda a: f"du {short_date(a.valid_from)} au {short_date(a.valid_to)}"),
                Column(
                    "",
                    lambda a: "en cours" if a.current else "expirée",
                    colour=lambda a: None if a.current else QColor("#757575"),
                ),
            ]
        )
        self.children_model = RowsModel(
            [
                Column("Prénom", lambda c: c.first_name),
                Column("Nom", lambda c: c.last_name),
                Column("Né(e) le", lambda c: short_date(c.birth_date)),
                Column("Âge", lambda c: f"{c.age} ans"),
                Column("Niveau", lambda c: c.school_level),
                Column("Remarques", lambda c: c.notes),
                Column(
                    "Contact d'urgence",
                    lambda c: self._emergency(c.id),
                    colour=lambda c: QColor("#b71c1c") if not self.emergency.get(c.id) else None,
                ),
            ]
        )
        self.emergency: dict[int, int] = {}
        """The number of emergency contacts of each child (not health data: every agent sees « aucun »)."""
        self.contacts = QLabel()
        self.contacts.setTextFormat(Qt.TextFormat.RichText)
        self.contacts.setWordWrap(True)
        self.contacts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.children_view = table_view(self.children_model, stretch=5)
        self.edit_family = QPushButton("Modifier la famille…")
        self.add_child = QPushButton("Ajouter un enfant…")
        self.edit_child = QPushButton("Modifier l'enfant…")
        self.portal = QPushButton("Accès portail…")
        self.portal.setToolTip("Nouveau mot de passe provisoire du portail famille (courrier ou e-mail)")
        self.export = QPushButton("Exporter les données…")
        self.anonymise = QPushButton("Anonymiser…")
        self.ctx.role_changed.connect(lambda: self.anonymise.setVisible(self.ctx.may("family.anonymise")))
        buttons = QHBoxLayout()
        for button in (self.edit_family, self.add_child, self.edit_child):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.portal, self.export, self.anonymise):
            buttons.addWidget(button)
        self.aids_view = table_view(self.aids, stretch=3)
        self.aids_view.setMaximumHeight(130)
        self.add_aid = QPushButton("Ajouter une aide…")
        self.remove_aid = QPushButton("Supprimer l'aide")
        aid_buttons = QHBoxLayout()
        aid_buttons.addWidget(QLabel("<b>Aides</b> (CAF, MSA, employeur) : déduites du prix de chaque jour"))
        aid_buttons.addStretch(1)
        aid_buttons.addWidget(self.add_aid)
        aid_buttons.addWidget(self.remove_aid)
        layout = QVBoxLayout(self)
        layout.addWidget(self.contacts)
        layout.addWidget(QLabel("<b>Enfants</b>"))
        layout.addWidget(self.children_view, 1)
        layout.addLayout(buttons)
        layout.addLayout(aid_buttons)
        layout.addWidget(self.aids_view)
        self.add_aid.clicked.connect(self.open_aid_dialog)
        self.remove_aid.clicked.connect(self.remove_selected_aid)
        self.edit_family.clicked.connect(self.open_family_dialog)
        self.portal.clicked.connect(self.issue_portal)
        self.export.clicked.connect(lambda: self.export_data())
        self.anonymise.clicked.connect(self.anonymise_family)
        self.add_child.clicked.connect(lambda: self.open_child_dialog(None))
        self.edit_child.clicked.connect(self._edit_selected_child)
        self.children_view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.edit_child.setEnabled(current.isValid())
        )
        self.children_view.activated.connect(
            lambda index: self.open_child_dialog(self.children_model.rows[index.row()])
        )

    def set_family(self, summary: FamilySummary) -> None:
        """The family's aids (read again), children and contacts."""
        self.summary = summary
        family_id = summary.id
        self.aids.set_rows(
            self.ctx.ops.run(
                lambda: family_aids(self.ctx.db, family_id, local_today(self.ctx.db.clock)), default=[]
            )
        )
        self.emergency = self.ctx.ops.run(
            lambda: emergency_contact_counts(self.ctx.db, family_id), default={}
        )
        self.children_model.set_rows(summary.children)
        e = html.escape  # what the family typed is text: « <b>Anne</b> » is shown as typed
        adults = "<br>".join(
            e(
                f"{a.first_name} {a.last_name}"
                + (f" ({a.relationship})" if a.relationship else "")
                + "".join(f" · {x}" for x in (a.phone, a.email) if x)
            )
            for a in summary.adults
        )
        address = e(
            ", ".join(x for x in (summary.address, f"{summary.postal_code} {summary.city}".strip()) if x)
        )
        qf = "non renseigné" if summary.quotient_familial is None else str(summary.quotient_familial)
        first = summary.adults[0] if summary.adults else None
        contact = ""
        if not first or (summary.phone, summary.email) != (first.phone, first.email):
            contact = (
                f"<b>Contact de la famille</b> : {e(summary.phone or '—')} · "
                f"{e(summary.email or 'pas d’e-mail')}<br>"
            )
        self.contacts.setText(
            f"<b>Responsables</b><br>{adults or '—'}<br>{contact}<b>Adresse</b> : {address or '—'}<br>"
            f"<b>Quotient familial</b> : {qf}"
        )
        self.edit_child.setEnabled(False)
        self.anonymise.setVisible(self.ctx.may("family.anonymise"))

    def _emergency(self, child_id: int) -> str:
        n = self.emergency.get(child_id, 0)
        return NO_EMERGENCY_CONTACT if not n else count(n, "contact")

    # --- editing ---------------------------------------------------------------------------------
    def open_family_dialog(self) -> None:
        if self.summary is None:
            return
        family_id = self.summary.id
        dialog = FamilyDialog(self, self.summary)
        dialog.submitted.connect(lambda: self._update_family(dialog, family_id))
        self.dialog: SavingDialog = dialog
        dialog.open()

    def _update_family(self, dialog: FamilyDialog, family_id: int) -> None:
        data = dialog.value()
        self.ctx.ops.form(dialog, lambda: update_family(self.ctx.db, self.ctx.actor, family_id, data))

    def open_child_dialog(self, child) -> None:
        if self.summary is None:
            return
        family_id = self.summary.id
        child_id = child.id if child else None
        dialog = ChildDialog(self, self.summary.name, local_today(self.ctx.db.clock), child)
        dialog.submitted.connect(lambda: self._save_child(dialog, family_id, child_id))
        self.dialog = dialog
        dialog.open()

    def _save_child(self, dialog: ChildDialog, family_id: int, child_id: int | None) -> None:
        data = dialog.value()
        self.ctx.ops.form(dialog, lambda: save_child(self.ctx.db, self.ctx.actor, family_id, data, child_id))

    def issue_portal(self):
        """A new temporary portal password: e-mailed at once when the family has an address, else — or when the
        e-mail cannot leave, whose reason is shown — a letter with the same password (made and drawn on a worker
        thread, then previewed)."""
        if self.summary is None:
            return None
        from ...services.end_of_day.mailer import SmtpSettings
        from ...services.families.privacy import issue_portal_password

        family_id, by_email = self.summary.id, bool(self.summary.email)
        credentials = self.ctx.ops.run(
            lambda: issue_portal_password(
                self.ctx.db,
                self.ctx.actor,
                family_id,
                by_email=by_email,
                smtp=SmtpSettings.from_env() if by_email else None,
            ),
            write=True,
        )
        if credentials is None:
            return None
        if credentials.emailed:
            self.ctx.ops.inform(
                "Accès portail",
                f"Identifiant {credentials.login} : mot de passe provisoire envoyé "
                "par e-mail (il ne pourra plus être affiché).",
            )
            return credentials
        if by_email:
            self.ctx.ops.inform(
                "Accès portail",
                f"L'e-mail n'a pas pu partir ({credentials.email_error}) : "
                "imprimez le courrier, il porte le même mot de passe provisoire.",
            )
        from ...services.documents.family_papers import portal_letter_pdf  # reportlab only when printing

        agent, structure_id = self.ctx.actor.name, self.ctx.structure_id
        self.ctx.ops.run(
            rendered(
                lambda: portal_letter_pdf(
                    self.ctx.db,
                    family_id,
                    credentials.login,
                    credentials.temporary_password,
                    agent,
                    structure_id,
                )
            ),
            lambda document: self.open_preview(
                document, "Courrier d'accès au portail", f"portail-{credentials.login}.pdf"
            ),
            background=True,
        )
        return credentials

    def export_data(self, path: str | None = None):
        """Everything held about the family, as a JSON file (right of access) and its PDF, written on a worker
        thread; returns the JSON file's path (once written when the call ran inline)."""
        if self.summary is None:
            return None
        from pathlib import Path

        from ..documents.file_dialogs import ask_save_path

        family_id, name = self.summary.id, self.summary.name
        if not path:
            chosen = ask_save_path(
                self, "Exporter les données", f"donnees-{name.lower()}.json", "JSON (*.json)"
            )
            if chosen is None:
                return None
            path = str(chosen)
        target = Path(path)
        actor, agent, structure_id = self.ctx.actor, self.ctx.actor.name, self.ctx.structure_id

        def export() -> Path:
            import json

            from ...files import write_documents
            from ...services.documents.family_papers import family_export_pdf  # reportlab only when exporting
            from ...services.families.privacy import export_family

            data = export_family(self.ctx.db, actor, family_id)
            pdf = family_export_pdf(self.ctx.db, data, agent, structure_id)
            content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
            # both, or neither; readable by the agent's user only (a family's personal data)
            write_documents({target: content, target.with_suffix(".pdf"): pdf}, private=True)
            return target

        written: list[Path] = []

        def exported(done: Path) -> None:
            written.append(done)
            self.ctx.ops.inform(
                "Exporter les données",
                f"Données de la famille {name} enregistrées : {done} (et {done.with_suffix('.pdf').name}).",
            )

        self.ctx.ops.run(export, exported, background=True)
        return written[0] if written else None

    def anonymise_family(self):
        """« Anonymiser… »: the confirmation (what will be erased, the balance's choice), then the anonymisation;
        ``anonymised`` once it is done. Returns the dialog (None without a family)."""
        if self.summary is None:
            return None
        from .anonymise_dialog import ask_anonymise

        family_id = self.summary.id

        def done(result, _name: str) -> None:
            self.summary = None
            self.anonymised.emit(family_id)

        self.anonymise_dialog = ask_anonymise(self, self.ctx, family_id, done)
        return self.anonymise_dialog

    def open_aid_dialog(self) -> None:
        if self.summary is None:
            return
        family_id = self.summary.id
        types = self.ctx.ops.run(lambda: aid_types(self.ctx.db), default=[])
        dialog = AidDialog(self, types, local_today(self.ctx.db.clock))
        dialog.submitted.connect(lambda: self._add_aid(dialog, family_id))
        self.dialog = dialog
        dialog.open()

    def _add_aid(self, dialog: AidDialog, family_id: int) -> None:
        v = dialog.value()
        self.ctx.ops.form(
            dialog,
            lambda: add_aid(
                self.ctx.db,
                self.ctx.actor,
                family_id,
                v.aid_type_id,
                v.wallets,
                v.amount,
                v.valid_from,
                v.valid_to,
            ),
        )

    def remove_selected_aid(self) -> None:
        index = self.aids_view.currentIndex()
        if index.isValid():
            aid_id = self.aids.rows[index.row()].id
            self.ctx.ops.run(lambda: remove_aid(self.ctx.db, self.ctx.actor, aid_id), write=True)

    def _edit_selected_child(self) -> None:
        index = self.children_view.currentIndex()
        if index.isValid():
            self.open_child_dialog(self.children_model.rows[index.row()])
