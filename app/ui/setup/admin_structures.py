"""Administration → Structures: the organising sites (name, address, contact, school zone, logo)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...config import SCHOOL_ZONES, resources_dir
from ...services.money.online import (
    PaymentSettingsInput,
    PaymentSettingsView,
    payment_settings,
    save_payment_settings,
)
from ...services.money.online_backends import DEMO, PAYFIP, BackendKind, backend_catalogue, secret_env
from ...services.setup.structures import (
    LOGO_MAX_BYTES,
    StructureDetail,
    StructureInput,
    create_structure,
    structure_details,
    structure_logo,
    update_structure,
)
from ..context import CounterContext
from ..documents.file_dialogs import ask_open_path
from ..families.family_dialog import SavingDialog
from ..table_model import Column, RowsModel
from ..widgets import bound, digits, table_view

ZONE_LABELS = {"A": "zone A", "B": "zone B", "C": "zone C", "Corse": "Corse", "DOM": "outre-mer (DOM)"}
PREVIEW = 72


def _address(s: StructureDetail) -> str:
    town = f"{s.postal_code} {s.city}".strip()
    return ", ".join(x for x in (s.address, town) if x)


class StructureDialog(SavingDialog):
    """Create or edit a structure: ``value()`` is the StructureInput typed; the panel saves it (field errors are
    shown here)."""

    def __init__(
        self,
        parent: QWidget | None,
        structure: StructureDetail | None = None,
        current_logo: bytes | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Modifier la structure {structure.name}" if structure else "Nouvelle structure")
        s = structure
        self.name = bound(QLineEdit(s.name if s else ""), StructureInput, "name")
        self.address = bound(QLineEdit(s.address if s else ""), StructureInput, "address")
        self.postal_code = digits(QLineEdit(s.postal_code if s else ""), StructureInput, "postal_code")
        self.postal_code.setMaximumWidth(90)
        self.city = bound(QLineEdit(s.city if s else ""), StructureInput, "city")
        self.phone = bound(QLineEdit(s.phone if s else ""), StructureInput, "phone")
        self.email = bound(QLineEdit(s.email if s else ""), StructureInput, "email")
        self.regie_name = bound(QLineEdit(s.regie_name if s else ""), StructureInput, "regie_name")
        self.regie_name.setPlaceholderText(
            "ex. Régie enfance-jeunesse de Montech (sur les reçus et l'arrêté)"
        )
        self.regie_act = bound(QLineEdit(s.regie_act if s else ""), StructureInput, "regie_act")
        self.regie_act.setPlaceholderText("ex. arrêté n° 2019-042 du 3 juin 2019")
        self.zone = QComboBox()
        for zone in SCHOOL_ZONES:
            self.zone.addItem(ZONE_LABELS.get(zone, zone), zone)
        self.zone.setCurrentIndex(max(0, self.zone.findData(s.zone if s else "C")))
        self.logo: bytes | None = None
        """The chosen file's bytes; None keeps the current logo."""
        self.remove_logo = False
        self.logo_preview = QLabel()
        self.logo_preview.setFixedSize(PREVIEW, PREVIEW)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setStyleSheet("border: 1px solid #c5ced8; background: white;")
        if current_logo:
            self.logo_text = QLabel("Logo de la structure (ci-contre) ; un autre fichier le remplace.")
            self._preview(current_logo)
        else:
            self.logo_text = QLabel("Aucun : celui de l'application (ci-contre).")
            self._preview(resources_dir() / "icon.png")
        choose = QPushButton("Choisir un fichier…")
        choose.clicked.connect(self._choose_logo)
        self.remove = QPushButton("Revenir au logo de l'application")
        self.remove.setVisible(bool(current_logo))
        self.remove.clicked.connect(self.drop_logo)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo_preview)
        logo_column = QVBoxLayout()
        logo_column.addWidget(self.logo_text)
        choices = QHBoxLayout()
        choices.addWidget(choose)
        choices.addWidget(self.remove)
        choices.addStretch(1)
        logo_column.addLayout(choices)
        limit = f"{LOGO_MAX_BYTES // 1000:,}".replace(",", "\u202f")
        logo_column.addWidget(QLabel(f"PNG ou JPEG, {limit} Ko au plus, imprimé sur ses documents."))
        logo_row.addLayout(logo_column, 1)
        self.logo_box = QWidget()
        self.logo_box.setLayout(logo_row)
        logo_row.setContentsMargins(0, 0, 0, 0)
        town = QHBoxLayout()
        town.addWidget(self.postal_code)
        town.addWidget(self.city, 1)
        form = QFormLayout()
        form.addRow("Nom de la structure *", self.name)
        form.addRow("Adresse", self.address)
        form.addRow("Code postal, ville", town)
        form.addRow("Téléphone", self.phone)
        form.addRow("E-mail", self.email)
        form.addRow("Zone de vacances scolaires", self.zone)
        form.addRow("Régie de recettes", self.regie_name)
        form.addRow("Acte constitutif", self.regie_act)
        form.addRow("Logo", self.logo_box)
        self.fields = {
            "name": self.name,
            "address": self.address,
            "postal_code": self.postal_code,
            "city": self.city,
            "phone": self.phone,
            "email": self.email,
            "zone": self.zone,
            "regie_name": self.regie_name,
            "regie_act": self.regie_act,
            "logo": self.logo_text,
        }
        layout = QVBoxLayout(self)
        if s is None:
            note = QLabel(
                "La structure est créée avec les activités habituelles (ALAE mercredi après-midi,\n"
                "CLSH petites vacances, CLSH vacances d'été), à modifier ou archiver ensuite."
            )
            layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.resize(640, 0)

    def _choose_logo(self) -> None:
        path = ask_open_path(self, "Logo de la structure", "Images PNG ou JPEG (*.png *.jpg *.jpeg)")
        if path:
            self.choose_logo(path)

    def choose_logo(self, path: str | Path) -> None:
        """Take the logo from a file and show it (the service checks it when saving)."""
        try:
            content = Path(path).read_bytes()
        except OSError:
            self.errors.setText(f"Fichier illisible : {Path(path).name}.")
            self.errors.show()
            return
        self.logo, self.remove_logo = content, False
        self._preview(content)
        name = Path(path).name
        name = name if len(name) <= 40 else name[:39] + "…"
        self.logo_text.setText(f"Nouveau logo : {name} ({max(1, len(content) // 1024)} Ko).")

    def drop_logo(self) -> None:
        """Back to the application's logo (saved with the form)."""
        self.logo, self.remove_logo = None, True
        self._preview(resources_dir() / "icon.png")
        self.logo_text.setText("Le logo de l'application sera utilisé.")
        self.remove.hide()

    def _preview(self, source: bytes | Path) -> None:
        pixmap = QPixmap()
        loaded = pixmap.loadFromData(source) if isinstance(source, bytes) else pixmap.load(str(source))
        if loaded:
            self.logo_preview.setPixmap(
                pixmap.scaled(
                    PREVIEW - 6,
                    PREVIEW - 6,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("aperçu\nimpossible")

    def value(self) -> StructureInput:
        return StructureInput(
            name=self.name.text(),
            address=self.address.text(),
            postal_code=self.postal_code.text(),
            city=self.city.text(),
            phone=self.phone.text(),
            email=self.email.text(),
            zone=self.zone.currentData(),
            regie_name=self.regie_name.text(),
            regie_act=self.regie_act.text(),
            logo=self.logo,
            remove_logo=self.remove_logo,
        )


class PaymentSettingsDialog(SavingDialog):
    """Administration → Structures → « Paiement en ligne… »: the structure's payment site (its régie) and its options,
    open to the families or not. A secret option is never typed here: it lives on the portal's server."""

    def __init__(
        self,
        parent: QWidget | None,
        structure: StructureDetail,
        catalogue: list[BackendKind],
        current: PaymentSettingsView | None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Paiement en ligne – {structure.name}")
        self.structure = structure
        self.catalogue = {k.kind: k for k in catalogue}
        self.values: dict[str, str] = dict(current.options) if current else {}
        self.backend = QComboBox()
        for kind in catalogue:
            self.backend.addItem(kind.label, kind.kind)
        self.backend.setCurrentIndex(max(0, self.backend.findData(current.backend if current else PAYFIP)))
        self.enabled = QCheckBox("Ouvert aux familles : « Payer par carte » sur le portail")
        self.enabled.setChecked(bool(current and current.enabled))
        self.options = QWidget()
        """The chosen backend's options, made anew when the backend changes."""
        self.option_widgets: dict[str, QLineEdit | QComboBox] = {}
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color:#37474f;")
        form = QFormLayout()
        form.addRow("Service de paiement", self.backend)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Les familles créditent leurs porte-monnaie de cette structure en ligne, par carte ; chaque "
            "paiement reçoit un numéro de reçu de la structure et figure à part au rapport du jour."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.options)
        self.layout_ = layout
        layout.addWidget(self.note)
        layout.addWidget(self.enabled)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.fields = {"backend": self.backend, "options": self.note}
        self.backend.currentIndexChanged.connect(lambda _i: self._show_options())
        self._show_options()
        self.resize(620, 0)

    def _show_options(self) -> None:
        for name, old in self.option_widgets.items():  # what was typed is kept if the agent comes back to it
            self.values[name] = old.currentData() if isinstance(old, QComboBox) else old.text().strip()
        options = QWidget()
        rows = QFormLayout(options)
        rows.setContentsMargins(0, 0, 0, 0)
        self.layout_.replaceWidget(self.options, options)
        self.options.hide()
        self.options.deleteLater()
        self.options = options
        self.option_widgets = {}
        self.fields = {"backend": self.backend, "options": self.note}
        kind = self.catalogue[self.backend.currentData()]
        secrets = []
        for option in kind.options:
            if option.secret:
                secrets.append(option.name)
                continue
            widget: QLineEdit | QComboBox
            if option.choices:
                widget = QComboBox()
                for value, label in option.choices:
                    widget.addItem(label, value)
                widget.setCurrentIndex(
                    max(0, widget.findData(self.values.get(option.name) or option.default))
                )
            else:
                widget = QLineEdit(self.values.get(option.name, ""))
                if option.default:
                    widget.setPlaceholderText(f"par défaut : {option.default}")
            widget.setObjectName(option.name)
            self.option_widgets[option.name] = widget
            self.fields[option.name] = widget
            rows.addRow(option.label + (" *" if option.required and not option.default else ""), widget)
        notes = []
        if kind.kind == PAYFIP:
            notes.append(
                "Le numéro de client (numcli) est donné à la régie par la DGFiP. Commencez en mode T (test, "
                "aucun débit réel : le portail ne l'accepte que si son serveur l'autorise, "
                "GUICHET_PAIEMENT_ESSAIS=1), puis passez en W (production) quand la DGFiP a validé les "
                "essais."
            )
        if kind.kind == DEMO:
            notes.append(
                "Démonstration : le portail joue lui-même la page de paiement, aucun argent ne circule. "
                "Le portail d'une commune (app.web.asgi) refuse ce service."
            )
        if secrets:
            notes.append(
                f"Secrets ({', '.join(secrets)}) : jamais dans la base. Sur le serveur du portail : « python -m "
                f"app payment-secret --structure {self.structure.code} --option {secrets[0]} » (trousseau), "
                f"ou la variable {secret_env(self.structure.code, secrets[0])} (de même pour les autres)."
            )
        self.note.setText("\n".join(notes))
        self.note.setVisible(bool(notes))
        if self.isVisible():  # a widget added to a window already shown is shown explicitly
            options.show()

    def value(self) -> PaymentSettingsInput:
        options = {
            name: str(w.currentData()) if isinstance(w, QComboBox) else w.text().strip()
            for name, w in self.option_widgets.items()
        }
        return PaymentSettingsInput(self.backend.currentData(), options, self.enabled.isChecked())


class StructuresPanel(QWidget):
    """The list of structures with "Nouvelle structure…" and "Modifier…" (administrators)."""

    changed = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.dialog: StructureDialog | PaymentSettingsDialog | None = None
        self.rows = RowsModel(
            [
                Column("Structure", lambda s: s.name),
                Column("Code", lambda s: s.code),
                Column("Adresse", _address),
                Column("Téléphone", lambda s: s.phone),
                Column("E-mail", lambda s: s.email),
                Column("Zone", lambda s: ZONE_LABELS.get(s.zone, s.zone)),
                Column("Logo", lambda s: "personnalisé" if s.has_logo else "celui de l'application"),
                Column("Paiement en ligne", self._payment_text),
            ]
        )
        self.payments: dict[int, PaymentSettingsView | None] = {}
        self.catalogue: list[BackendKind] = []
        self.view = table_view(self.rows, stretch=2)
        self.view.doubleClicked.connect(lambda _index: self.open_edit())
        new = QPushButton("Nouvelle structure…")
        new.clicked.connect(self.open_new)
        self.edit = QPushButton("Modifier…")
        self.edit.clicked.connect(self.open_edit)
        self.payment = QPushButton("Paiement en ligne…")
        self.payment.setToolTip(
            "Le site de paiement de la régie (PayFiP…) par lequel les familles paient en ligne"
        )
        self.payment.clicked.connect(self.open_payment)
        buttons = QHBoxLayout()
        buttons.addWidget(new)
        buttons.addWidget(self.edit)
        buttons.addWidget(self.payment)
        buttons.addStretch(1)
        hint = QLabel(
            "Chaque structure a ses activités, ses agents, sa caisse et ses numéros de reçus ; "
            "son nom, son adresse et son logo sont imprimés sur ses documents."
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        self.load()

    def _payment_text(self, structure: StructureDetail) -> str:
        settings = self.payments.get(structure.id)
        if settings is None:
            return "au guichet seulement"
        label = next(
            (k.label.partition(" – ")[0] for k in self.catalogue if k.kind == settings.backend),
            settings.backend,
        )
        mode = " (test)" if settings.test_mode and settings.backend != DEMO else ""
        return f"{label}{mode}" + ("" if settings.enabled else " — fermé")

    def load(self) -> None:
        current = self.selected()
        db = self.ctx.db
        rows = self.ctx.ops.run(lambda: structure_details(db), default=[])
        self.catalogue = self.catalogue or self.ctx.ops.run(backend_catalogue, default=[])
        self.payments = {s.id: self._settings_of(s.id) for s in rows}
        self.rows.set_rows(rows)
        if current is not None:
            self.select(current.id)

    def selected(self) -> StructureDetail | None:
        index = self.view.currentIndex()
        return self.rows.rows[index.row()] if index.isValid() and index.row() < len(self.rows.rows) else None

    def select(self, structure_id: int) -> None:
        row = next((i for i, s in enumerate(self.rows.rows) if s.id == structure_id), None)
        if row is not None:
            self.view.selectRow(row)

    def open_new(self) -> StructureDialog:
        self.dialog = dialog = StructureDialog(self)
        db, actor = self.ctx.db, self.ctx.actor
        dialog.submitted.connect(
            lambda: self.ctx.ops.form(
                dialog, lambda: create_structure(db, actor, dialog.value()), self._saved
            )
        )
        dialog.open()
        return dialog

    def open_edit(self) -> StructureDialog | None:
        structure = self.selected()
        if structure is None:
            self.ctx.ops.inform("Structures", "Sélectionnez une structure dans la liste.")
            return None
        logo = self.ctx.ops.run(lambda: structure_logo(self.ctx.db, structure.id))
        self.dialog = dialog = StructureDialog(self, structure, logo)
        db, actor = self.ctx.db, self.ctx.actor

        def update() -> int:
            update_structure(db, actor, structure.id, dialog.value())
            return structure.id

        dialog.submitted.connect(lambda: self.ctx.ops.form(dialog, update, self._saved))
        dialog.open()
        return dialog

    def _settings_of(self, structure_id: int) -> PaymentSettingsView | None:
        return self.ctx.ops.run(lambda: payment_settings(self.ctx.db, structure_id))

    def open_payment(self) -> PaymentSettingsDialog | None:
        structure = self.selected()
        if structure is None:
            self.ctx.ops.inform("Structures", "Sélectionnez une structure dans la liste.")
            return None
        self.dialog = dialog = PaymentSettingsDialog(
            self, structure, self.catalogue, self.payments.get(structure.id)
        )
        db, actor = self.ctx.db, self.ctx.actor

        def save() -> int:
            save_payment_settings(db, actor, structure.id, dialog.value())
            return structure.id

        dialog.submitted.connect(lambda: self.ctx.ops.form(dialog, save, self._saved))
        dialog.open()
        return dialog

    def _saved(self, structure_id: int) -> None:
        self.load()
        self.select(structure_id)
        self.changed.emit()
