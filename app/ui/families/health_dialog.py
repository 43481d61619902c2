"""« Fiche sanitaire » → « Modifier la fiche… »: a child's health and emergency file as a form (allergies, PAI,
diet, doctor, emergency contacts, people allowed to pick the child up, the three authorisations). It only collects
what is typed; the Fiche sanitaire tab saves it through the operation helper."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ...services.families.health import MAX_CONTACTS, ContactInput, HealthFile, HealthInput
from ...text import short_date
from ..fields import date_edit, date_of
from ..widgets import bound
from .family_dialog import SavingDialog

ROWS = 3
"""Contact lines shown (one more when they are all filled, up to the services' maximum)."""
ANSWERS = (("oui", True), ("non", False), ("sans réponse", None))


class ContactRows(QGroupBox):
    """Name, relation and phone of a few people (the empty lines are left out)."""

    def __init__(self, title: str, people: tuple, key: str) -> None:
        super().__init__(title)
        grid = QGridLayout(self)
        for column, header in enumerate(("Nom et prénom", "Lien avec l'enfant", "Téléphone")):
            grid.addWidget(QLabel(header), 0, column)
        count = min(MAX_CONTACTS, max(ROWS, len(people) + 1))
        self.rows: list[tuple[QLineEdit, QLineEdit, QLineEdit]] = []
        for i in range(count):
            p = people[i] if i < len(people) else None
            line = (
                bound(QLineEdit(p.name if p else ""), ContactInput, "name"),
                bound(QLineEdit(p.relation if p else ""), ContactInput, "relation"),
                bound(QLineEdit(p.phone if p else ""), ContactInput, "phone"),
            )
            line[1].setPlaceholderText("ex. grand-mère")
            for column, edit in enumerate(line):
                grid.addWidget(edit, i + 1, column)
            self.rows.append(line)
        self.key = key

    def value(self) -> list[ContactInput]:
        return [ContactInput(n.text(), r.text(), p.text()) for n, r, p in self.rows]

    def fields(self) -> dict[str, QWidget]:
        """The lines by the services' field names (« emergency1phone »), counting the filled lines only."""
        found: dict[str, QWidget] = {self.key: self}
        filled = [line for line in self.rows if any(e.text().strip() for e in line)]
        for i, (n, _r, p) in enumerate(filled, start=1):
            found[f"{self.key}{i}name"], found[f"{self.key}{i}phone"] = n, p
        return found


class Answer(QWidget):
    """oui / non / sans réponse, with the date of the answer recorded."""

    def __init__(self, value: bool | None, answered: date | None) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(self)
        self.buttons: dict[bool | None, QRadioButton] = {}
        for label, answer in ANSWERS:
            button = QRadioButton(label)
            button.setChecked(answer is value)
            self.group.addButton(button)
            self.buttons[answer] = button
            row.addWidget(button)
        if value is not None and answered is not None:
            row.addWidget(QLabel(f"(réponse du {short_date(answered)})"))
        row.addStretch(1)

    def value(self) -> bool | None:
        return next(answer for answer, button in self.buttons.items() if button.isChecked())


class HealthDialog(SavingDialog):
    """The fiche of one child; ``value()`` is what was typed."""

    def __init__(self, parent: QWidget | None, fiche: HealthFile, today: date) -> None:
        super().__init__(parent)
        self.fiche = fiche
        self.setWindowTitle(f"Fiche sanitaire – {fiche.child_name}")
        self.has_allergy = QCheckBox("Allergie")
        self.has_allergy.setChecked(fiche.has_allergy)
        self.allergies = bound(QPlainTextEdit(fiche.allergies), HealthInput, "allergies")
        self.allergies.setPlaceholderText("Allergène, conduite à tenir, traitement (ex. stylo d'adrénaline)")
        self.allergies.setFixedHeight(56)
        self.pai = QCheckBox("PAI en cours (projet d'accueil individualisé)")
        self.pai.setChecked(fiche.pai)
        self.has_end = QCheckBox("jusqu'au")
        self.has_end.setChecked(fiche.pai_until is not None)
        self.pai_until = date_edit(fiche.pai_until or today)
        self.pai_until.setEnabled(fiche.pai_until is not None)
        self.has_end.toggled.connect(self.pai_until.setEnabled)
        pai_row = QHBoxLayout()
        for w in (self.pai, self.has_end, self.pai_until):
            pai_row.addWidget(w)
        pai_row.addStretch(1)
        self.diet = bound(QLineEdit(fiche.diet), HealthInput, "diet")
        self.diet.setPlaceholderText("ex. sans porc, végétarien, sans gluten")
        self.doctor_name = bound(QLineEdit(fiche.doctor_name), HealthInput, "doctor_name")
        self.doctor_phone = bound(QLineEdit(fiche.doctor_phone), HealthInput, "doctor_phone")
        self.emergency = ContactRows("Contacts en cas d'urgence", fiche.emergency, "emergency")
        self.pickup = ContactRows("Personnes autorisées à venir chercher l'enfant", fiche.pickup, "pickup")
        self.photos = Answer(fiche.photos, fiche.photos_on)
        self.leave_alone = Answer(fiche.leave_alone, fiche.leave_alone_on)
        self.medical = Answer(fiche.medical, fiche.medical_on)

        health = QFormLayout()
        health.addRow(self.has_allergy, self.allergies)
        health.addRow("", pai_row)
        health.addRow("Régime alimentaire", self.diet)
        doctor = QHBoxLayout()
        doctor.addWidget(self.doctor_name, 2)
        doctor.addWidget(QLabel("Téléphone"))
        doctor.addWidget(self.doctor_phone, 1)
        health.addRow("Médecin traitant", doctor)
        answers = QGroupBox("Autorisations des parents")
        answers_form = QFormLayout(answers)
        answers_form.addRow("Photos et films", self.photos)
        answers_form.addRow("Partir seul", self.leave_alone)
        answers_form.addRow("Intervention médicale d'urgence", self.medical)
        self.fields = {
            "allergies": self.allergies,
            "pai_until": self.pai_until,
            "diet": self.diet,
            "doctor_name": self.doctor_name,
            "doctor_phone": self.doctor_phone,
        }
        layout = QVBoxLayout(self)
        layout.addLayout(health)
        layout.addWidget(self.emergency)
        layout.addWidget(self.pickup)
        layout.addWidget(answers)
        note = QLabel(
            "Données de santé : visibles des seuls agents habilités et de la famille (portail). "
            "Un contact d'urgence n'est pas exigé pour réserver."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.resize(720, 0)

    def show_failure(
        self, failure
    ) -> None:  # the contact lines' fields by their numbers among the filled ones
        self.fields.update(self.emergency.fields())
        self.fields.update(self.pickup.fields())
        super().show_failure(failure)

    def value(self) -> HealthInput:
        return HealthInput(
            has_allergy=self.has_allergy.isChecked(),
            allergies=self.allergies.toPlainText(),
            pai=self.pai.isChecked(),
            pai_until=date_of(self.pai_until) if self.has_end.isChecked() else None,
            diet=self.diet.text(),
            doctor_name=self.doctor_name.text(),
            doctor_phone=self.doctor_phone.text(),
            emergency=self.emergency.value(),
            pickup=self.pickup.value(),
            photos=self.photos.value(),
            leave_alone=self.leave_alone.value(),
            medical=self.medical.value(),
        )
