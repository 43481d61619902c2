"""The set-up assistant's « Structures » page: one structure or several (a list on the left, the selected one's
fields on the right), each with its address, contact and logo. It only collects and checks what is typed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
)

from ...services.families.edit import FieldErrors
from ...services.setup.structures import StructureInput, check_logo, validate_structure
from ..documents.file_dialogs import ask_open_path
from ..widgets import bound, digits
from .wizard_pages import WizardPage, note

NEW_STRUCTURE = "Nouvelle structure"


class StructuresPage(WizardPage):
    """One structure or several: a list on the left, the selected structure's fields on the right."""

    def __init__(self) -> None:
        super().__init__(
            "Structures",
            "Les accueils de la commune : leurs coordonnées et leur logo figurent sur les documents remis "
            "aux familles. Seul le nom est obligatoire.",
        )
        self.drafts: list[StructureInput] = [StructureInput()]
        self.logo_names: list[str] = [""]
        self.current = 0
        self._loading = False
        self.choose_file: Callable[[], str] = self._ask_file
        """Asks for the logo's file (tests replace it: a file dialog cannot be driven offscreen)."""

        self.list = QListWidget()
        self.list.setAccessibleName("Structures")
        self.list.addItem(NEW_STRUCTURE)
        self.list.setMaximumWidth(220)
        self.add_button = QPushButton("Ajouter une autre structure")
        self.remove_button = QPushButton("Retirer cette structure")
        self.name = bound(QLineEdit(), StructureInput, "name")
        self.name.setPlaceholderText("ex. Accueil de loisirs de Montech")
        self.address = bound(QLineEdit(), StructureInput, "address")
        self.postal_code = digits(QLineEdit(), StructureInput, "postal_code")
        self.postal_code.setMaximumWidth(80)
        self.city = bound(QLineEdit(), StructureInput, "city")
        self.phone = bound(QLineEdit(), StructureInput, "phone")
        self.phone.setPlaceholderText("ex. 05 63 64 82 44")
        self.email = bound(QLineEdit(), StructureInput, "email")
        self.email.setPlaceholderText("ex. alsh@mairie-montech.fr")
        self.logo_preview = QLabel("Aucun logo")
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setFixedSize(120, 64)
        self.logo_preview.setFrameShape(QFrame.Shape.StyledPanel)
        self.logo_button = QPushButton("Choisir un logo…")
        self.logo_clear = QPushButton("Retirer le logo")
        self.fields = {
            "name": self.name,
            "address": self.address,
            "postal_code": self.postal_code,
            "city": self.city,
            "phone": self.phone,
            "email": self.email,
            "logo": self.logo_preview,
        }

        town = QHBoxLayout()
        town.addWidget(self.postal_code)
        town.addWidget(QLabel("Ville"))
        town.addWidget(self.city, 1)
        logo_buttons = QVBoxLayout()
        logo_buttons.addWidget(self.logo_button)
        logo_buttons.addWidget(self.logo_clear)
        logo = QHBoxLayout()
        logo.addWidget(self.logo_preview)
        logo.addLayout(logo_buttons)
        logo.addStretch(1)
        form = QFormLayout()
        form.addRow("Nom de la structure *", self.name)
        form.addRow("Adresse", self.address)
        form.addRow("Code postal", town)
        form.addRow("Téléphone", self.phone)
        form.addRow("E-mail", self.email)
        form.addRow("Logo", logo)
        form.addRow(
            "",
            note(
                "PNG ou JPEG, 1 Mo au plus, imprimé en tête des documents. Sans logo, celui "
                "de l'application est utilisé."
            ),
        )
        side = QVBoxLayout()
        heading = QLabel("Structures de la commune")
        heading.setBuddy(self.list)
        side.addWidget(heading)
        side.addWidget(self.list, 1)
        side.addWidget(self.add_button)
        side.addWidget(self.remove_button)
        body = QHBoxLayout()
        body.addLayout(side)
        fields = QVBoxLayout()
        fields.addLayout(form)
        fields.addStretch(1)
        body.addLayout(fields, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.errors)

        for edit in (self.name, self.address, self.postal_code, self.city, self.phone, self.email):
            edit.textChanged.connect(self._store)
        self.list.currentRowChanged.connect(self._select)
        self.add_button.clicked.connect(self.add_structure)
        self.remove_button.clicked.connect(self.remove_structure)
        self.logo_button.clicked.connect(self._choose_logo)
        self.logo_clear.clicked.connect(self.clear_logo)
        self.list.setCurrentRow(0)
        self._show_logo()

    # --- the list of structures --------------------------------------------------------------------
    def add_structure(self) -> None:
        """A new structure of the same town: the postal code and the city are copied."""
        last = self.drafts[-1]
        self.drafts.append(StructureInput(postal_code=last.postal_code, city=last.city))
        self.logo_names.append("")
        self.list.addItem(NEW_STRUCTURE)
        self.list.setCurrentRow(len(self.drafts) - 1)
        self.name.setFocus()

    def remove_structure(self) -> None:
        if len(self.drafts) < 2:
            return
        index = self.current
        del self.drafts[index]
        del self.logo_names[index]
        self.current = -1  # the row about to disappear is not stored again
        self.list.takeItem(index)
        self._select(self.list.currentRow())

    def _select(self, row: int) -> None:
        if row < 0 or row >= len(self.drafts):
            return
        self.current = row
        draft = self.drafts[row]
        self._loading = True
        try:
            for key in ("name", "address", "postal_code", "city", "phone", "email"):
                edit = self.fields[key]
                assert isinstance(edit, QLineEdit)
                edit.setText(getattr(draft, key))
        finally:
            self._loading = False
        self.clear_error()
        self._show_logo()
        self.remove_button.setEnabled(len(self.drafts) > 1)

    def _store(self) -> None:
        if self._loading or not 0 <= self.current < len(self.drafts):
            return
        self.drafts[self.current] = replace(
            self.drafts[self.current],
            name=self.name.text(),
            address=self.address.text(),
            postal_code=self.postal_code.text(),
            city=self.city.text(),
            phone=self.phone.text(),
            email=self.email.text(),
        )
        item = self.list.item(self.current)
        if item is not None:
            item.setText(" ".join(self.name.text().split()) or NEW_STRUCTURE)

    # --- the logo ----------------------------------------------------------------------------------
    def _ask_file(self) -> str:
        path = ask_open_path(self, "Choisir un logo", "Images (*.png *.jpg *.jpeg)")
        return str(path) if path else ""

    def _choose_logo(self) -> None:
        path = self.choose_file()
        if path:
            self.load_logo(path)

    def load_logo(self, path: str | Path) -> bool:
        """Read and check a logo file for the selected structure; a French message when it is refused."""
        path = Path(path)
        try:
            content = check_logo(path.read_bytes())
        except OSError:
            self.show_error(f"Impossible de lire le fichier « {path.name} ».", ["logo"])
            return False
        except FieldErrors as exc:
            self.show_error(str(exc), ["logo"])
            return False
        self.clear_error()
        self.drafts[self.current] = replace(self.drafts[self.current], logo=content)
        self.logo_names[self.current] = path.name
        self._show_logo()
        return True

    def clear_logo(self) -> None:
        self.drafts[self.current] = replace(self.drafts[self.current], logo=None)
        self.logo_names[self.current] = ""
        self._show_logo()

    def _show_logo(self) -> None:
        content = self.drafts[self.current].logo
        pixmap = QPixmap()
        if content is not None and pixmap.loadFromData(content):
            self.logo_preview.setPixmap(
                pixmap.scaled(
                    self.logo_preview.size() - QSize(8, 8),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            self.logo_preview.setToolTip(self.logo_names[self.current])
        else:
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("Aucun logo")
            self.logo_preview.setToolTip("")
        self.logo_clear.setEnabled(content is not None)

    # --- checks ------------------------------------------------------------------------------------
    def show_structure_errors(self, index: int, fields: dict[str, str]) -> None:
        """Select the structure and highlight its wrong fields (from the page's checks or the installation)."""
        self.list.setCurrentRow(index)
        prefix = f"Structure n° {index + 1} : " if len(self.drafts) > 1 else ""
        self.show_error(prefix + "\n".join(fields.values()), list(fields))

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        self.clear_error()
        for index, draft in enumerate(self.drafts):
            try:
                validate_structure(draft)
            except FieldErrors as exc:
                self.show_structure_errors(index, exc.fields)
                return False
        return True
