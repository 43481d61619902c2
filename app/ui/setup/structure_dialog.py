"""Administration → Structures → « Nouvelle structure… » / « Modifier… »: the form of one organising site (name,
address, contact, school zone, régie, logo). It only collects what is typed; the Structures panel saves it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
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
from ...services.setup.defaults import USUAL_ACTIVITIES
from ...services.setup.structures import LOGO_MAX_BYTES, StructureDetail, StructureInput
from ...text import zone_label
from ..documents.file_dialogs import ask_open_path
from ..families.family_dialog import SavingDialog
from ..widgets import bound, digits

PREVIEW = 72


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
        self.siret = bound(QLineEdit(s.siret if s else ""), StructureInput, "siret")
        self.siret.setPlaceholderText(
            "14 chiffres, ex. 218 201 256 00011 (sur les attestations de frais de garde)"
        )
        self.regisseur_name = bound(
            QLineEdit(s.regisseur_name if s else ""), StructureInput, "regisseur_name"
        )
        self.regisseur_name.setPlaceholderText("ex. Régine Sorel (signe les attestations de frais de garde)")
        self.zone = QComboBox()
        for zone in SCHOOL_ZONES:
            self.zone.addItem(zone_label(zone), zone)
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
        form.addRow("Nom du régisseur", self.regisseur_name)
        form.addRow("SIRET", self.siret)
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
            "siret": self.siret,
            "regisseur_name": self.regisseur_name,
            "logo": self.logo_text,
        }
        layout = QVBoxLayout(self)
        if s is None:
            usual = ", ".join(t.name for t in USUAL_ACTIVITIES)
            note = QLabel(
                f"La structure est créée avec les activités habituelles, à modifier ou archiver ensuite :\n{usual}."
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
            siret=self.siret.text(),
            regisseur_name=self.regisseur_name.text(),
            logo=self.logo,
            remove_logo=self.remove_logo,
        )
