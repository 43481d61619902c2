"""Dialogs that collect a family's or a child's fields; the caller saves them through the services."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ...services.errors import DomainError
from ...services.families.edit import SCHOOL_LEVELS, AdultInput, ChildInput, FamilyInput, FieldErrors
from ...services.families.view import ChildRow, FamilySummary
from ..operations import Failure, message_for
from ..shell.login_window import fit_height
from ..widgets import bound, digits

INVALID = "border: 1px solid #b00020; background: #fff5f5;"


class SavingDialog(QDialog):
    """A form that only collects values: OK runs ``check()`` (the form's own checks), then emits ``submitted``.
    Whoever opened it runs the service through ``Operations.form`` and answers with ``saved(result)`` (the dialog
    closes, or stays open with ``keep_open``) or ``show_failure(failure)`` (faulty fields marked, message shown)."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.result_value: object = None
        self.errors = QLabel()
        self.errors.setObjectName("alert")
        self.errors.setTextFormat(
            Qt.TextFormat.PlainText
        )  # a service's message holds names: text, never markup
        self.errors.setProperty("severe", True)
        self.errors.setWordWrap(True)
        self.errors.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Enregistrer")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Annuler")
        self.buttons.accepted.connect(self._try_save)
        self.buttons.rejected.connect(self.reject)
        self.fields: dict[str, QWidget] = {}
        self.keep_open = False

    def check(self) -> None:
        """The form's own checks before anything is sent (e.g. two passwords that differ); raise FieldErrors."""

    def _try_save(self) -> None:
        for widget in self.fields.values():
            widget.setStyleSheet("")
        self.errors.hide()
        try:
            self.check()
        except DomainError as exc:
            fields = dict(exc.fields) if isinstance(exc, FieldErrors) else {}
            self.show_failure(Failure(message_for(exc), fields, exc))
            return
        self.submitted.emit()

    def saved(self, result: object) -> None:
        self.result_value = result
        self.errors.hide()
        if not self.keep_open:
            self.accept()

    def show_failure(self, failure: Failure) -> None:
        for name in failure.fields:
            if name in self.fields:
                self.fields[name].setStyleSheet(INVALID)
        self.errors.setText(failure.message)
        self.errors.show()
        fit_height(self)


class FamilyDialog(SavingDialog):
    """A family's fields (new or edited); ``value()`` gives them to whoever saves them."""

    def __init__(self, parent: QWidget | None, family: FamilySummary | None = None):
        super().__init__(parent)
        self.setWindowTitle("Modifier la famille" if family else "Nouvelle famille")
        self.name = bound(QLineEdit(family.name if family else ""), FamilyInput, "name")
        self.phone = bound(QLineEdit(family.phone if family else ""), FamilyInput, "phone")
        self.email = bound(QLineEdit(family.email if family else ""), FamilyInput, "email")
        self.address = bound(QLineEdit(family.address if family else ""), FamilyInput, "address")
        self.postal_code = digits(QLineEdit(family.postal_code if family else ""), FamilyInput, "postal_code")
        self.city = bound(QLineEdit(family.city if family else ""), FamilyInput, "city")
        qf = family.quotient_familial if family else None
        self.qf = digits(QLineEdit("" if qf is None else str(qf)), FamilyInput, "quotient_familial")
        self.fields = {
            "name": self.name,
            "phone": self.phone,
            "email": self.email,
            "postal_code": self.postal_code,
            "quotient_familial": self.qf,
        }
        form = QFormLayout()
        for label, widget in (
            ("Nom de la famille *", self.name),
            ("Téléphone", self.phone),
            ("E-mail", self.email),
            ("Adresse", self.address),
            ("Code postal", self.postal_code),
            ("Ville", self.city),
            ("Quotient familial", self.qf),
        ):
            form.addRow(label, widget)
        self.adults: list[tuple[QLineEdit, ...]] = []
        adults_box = QGroupBox("Responsables")
        grid = QGridLayout(adults_box)
        for col, text in enumerate(("Prénom", "Nom", "Lien", "Téléphone", "E-mail")):
            grid.addWidget(QLabel(text), 0, col)
        existing = family.adults if family else []
        for i in range(2):
            adult = existing[i] if i < len(existing) else None
            edits = tuple(
                bound(QLineEdit(getattr(adult, attr) if adult else ""), AdultInput, attr)
                for attr in ("first_name", "last_name", "relationship", "phone", "email")
            )
            for col, edit in enumerate(edits):
                grid.addWidget(edit, i + 1, col)
            self.fields[f"adult{i}name"] = edits[0]
            self.fields[f"adult{i}phone"] = edits[3]
            self.fields[f"adult{i}email"] = edits[4]
            self.adults.append(edits)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(adults_box)
        layout.addStretch(1)  # the room left goes below the fields, not between the headings and the fields
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.resize(760, 420)

    def value(self) -> FamilyInput:
        return FamilyInput(
            name=self.name.text(),
            phone=self.phone.text(),
            email=self.email.text(),
            address=self.address.text(),
            postal_code=self.postal_code.text(),
            city=self.city.text(),
            quotient_familial=self.qf.text(),
            adults=[AdultInput(*(e.text() for e in edits)) for edits in self.adults],
        )


class ChildDialog(SavingDialog):
    """A child's fields (new or edited); ``value()`` gives them to whoever saves them."""

    def __init__(self, parent: QWidget | None, family_name: str, today: date, child: ChildRow | None = None):
        super().__init__(parent)
        self.setWindowTitle("Modifier l'enfant" if child else "Nouvel enfant")
        self.first_name = bound(QLineEdit(child.first_name if child else ""), ChildInput, "first_name")
        self.last_name = bound(
            QLineEdit(child.last_name if child else family_name.title()), ChildInput, "last_name"
        )
        self.birth_date = QDateEdit()
        self.birth_date.setDisplayFormat("dd/MM/yyyy")
        self.birth_date.setCalendarPopup(True)
        born = child.birth_date if child else date(today.year - 6, 1, 1)
        self.birth_date.setDate(QDate(born.year, born.month, born.day))
        self.level = QComboBox()
        self.level.addItems(SCHOOL_LEVELS)
        self.level.setCurrentText(child.school_level if child else "")
        self.notes = bound(QPlainTextEdit(child.notes if child else ""), ChildInput, "notes")
        self.notes.setPlaceholderText(  # seen by every agent and printed on every list: no health data here
            "Consignes non médicales (la santé va dans la fiche sanitaire)"
        )
        self.notes.setMaximumHeight(70)
        self.fields = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "birth_date": self.birth_date,
            "school_level": self.level,
        }
        form = QFormLayout()
        for label, widget in (
            ("Prénom *", self.first_name),
            ("Nom *", self.last_name),
            ("Date de naissance *", self.birth_date),
            ("Niveau scolaire", self.level),
            ("Remarques", self.notes),
        ):
            form.addRow(label, widget)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def value(self) -> ChildInput:
        qd = self.birth_date.date()
        return ChildInput(
            first_name=self.first_name.text(),
            last_name=self.last_name.text(),
            birth_date=date(qd.year(), qd.month(), qd.day()),
            school_level=self.level.currentText(),
            notes=self.notes.toPlainText(),
        )
