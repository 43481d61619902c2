"""The set-up assistant's pages but one (see ``wizard_structures_page`` for the structures): welcome, first
administrator, calendar and summary, on a common base that shows a page's French error and highlights its fields.
Each page only collects and checks what is typed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ...config import DEFAULTS, SCHOOL_ZONES
from ...services.booking.calendar import school_year_of
from ...services.booking.kinds import days_explanation
from ...services.errors import ValidationError
from ...services.families.edit import FieldErrors
from ...services.security import check_new_password
from ...services.setup.agents import check_full_name, check_login
from ...services.setup.defaults import USUAL_ACTIVITIES
from ...services.setup.install import InstallInput
from ...text import zone_label
from ..families.family_dialog import INVALID
from ..widgets import bound

TYPED_LATER = frozenset({"Corse", "DOM"})
"""Zones whose holiday calendar does not come with the application: typed in the administration later."""


def fr(text: str) -> str:
    """French typography: no line break between a word and « ; : ! ? » or inside guillemets."""
    for plain, joined in (
        (" ;", "\u00a0;"),
        (" :", "\u00a0:"),
        (" !", "\u00a0!"),
        (" ?", "\u00a0?"),
        ("« ", "«\u00a0"),
        (" »", "\u00a0»"),
    ):
        text = text.replace(plain, joined)
    return text


def note(text: str) -> QLabel:
    label = QLabel(fr(text))
    label.setWordWrap(True)
    label.setStyleSheet("color:#546e7a;")
    return label


class WizardPage(QWizardPage):
    """A page with its own French error line and the fields it can highlight."""

    def __init__(self, title: str, subtitle: str) -> None:
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.errors = QLabel()
        self.errors.setObjectName("alert")
        self.errors.setTextFormat(
            Qt.TextFormat.PlainText
        )  # a service's message holds names: text, never markup
        self.errors.setProperty("severe", True)
        self.errors.setWordWrap(True)
        self.errors.hide()
        self.fields: dict[str, QWidget] = {}

    def show_error(self, text: str, fields: list[str] | tuple[str, ...] = ()) -> None:
        self.clear_error()
        for name in fields:
            if name in self.fields:
                self.fields[name].setStyleSheet(INVALID)
        self.errors.setText(fr(text))
        self.errors.show()
        if fields and fields[0] in self.fields:
            self.fields[fields[0]].setFocus()

    def clear_error(self) -> None:
        for widget in self.fields.values():
            widget.setStyleSheet("")
        self.errors.clear()
        self.errors.hide()

    def cleanupPage(self) -> None:  # noqa: N802 - Qt's name; « Précédent » keeps what was typed
        pass

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        self.clear_error()
        return True


class WelcomePage(WizardPage):
    def __init__(self) -> None:
        super().__init__("Bienvenue", "Mise en service de Guichet Enfance pour votre commune.")
        activities = ", ".join(f"« {t.name} »" for t in USUAL_ACTIVITIES)
        self.text = text = QLabel(
            fr(
                "<p>Cet assistant prépare une base de données vide pour les accueils de votre commune. "
                "Il vous demande :</p><ol>"
                "<li style='margin-bottom:6px'><b>la ou les structures</b> (accueils de loisirs) : nom, adresse, contact et logo imprimé sur "
                f"les documents ; chacune reçoit les activités habituelles ({activities}), que vous pourrez "
                "modifier ou archiver ensuite ;</li>"
                "<li style='margin-bottom:6px'><b>le premier administrateur</b> : vous choisissez son identifiant et son mot de passe. "
                "Aucun compte n'est créé avec un mot de passe par défaut ;</li>"
                "<li><b>la zone de vacances scolaires</b> et, si vous le souhaitez, la préparation de l'année "
                "scolaire (vacances, jours fériés, journées d'accueil).</li></ol>"
                "<p>Rien n'est enregistré avant « Terminer ». Vous serez alors connecté en tant "
                "qu'administrateur ; depuis « Administration… », vous créerez ensuite les comptes des agents et "
                "importerez les familles déjà connues de la commune.</p>"
            )
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addStretch(1)


class AdminPage(WizardPage):
    def __init__(self) -> None:
        super().__init__(
            "Administrateur",
            "Le premier compte administrateur : il crée ensuite les comptes des agents et règle les activités.",
        )
        self.login = bound(QLineEdit(), InstallInput, "admin_login")
        self.login.setPlaceholderText("ex. nroques")
        self.full_name = bound(QLineEdit(), InstallInput, "admin_name")
        self.full_name.setPlaceholderText("ex. Nathalie Roques")
        self.password = bound(QLineEdit(), InstallInput, "admin_password")
        self.confirm = bound(QLineEdit(), InstallInput, "admin_password")
        for edit in (self.password, self.confirm):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.fields = {
            "login": self.login,
            "full_name": self.full_name,
            "password": self.password,
            "confirm": self.confirm,
        }
        form = QFormLayout()
        form.addRow("Identifiant *", self.login)
        form.addRow("", note("Lettres minuscules sans accent, chiffres, point, tiret ou tiret bas."))
        form.addRow("Nom complet *", self.full_name)
        form.addRow("Mot de passe *", self.password)
        form.addRow("Confirmation *", self.confirm)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(
            note(
                "Aucun mot de passe n'existe par défaut : choisissez-en un de 8 caractères au moins et "
                "notez-le en lieu sûr. Un autre administrateur pourra le réinitialiser plus tard."
            )
        )
        layout.addWidget(self.errors)
        layout.addStretch(1)

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        errors: dict[str, str] = {}
        for check, text in ((check_login, self.login.text()), (check_full_name, self.full_name.text())):
            try:
                check(text)
            except FieldErrors as exc:
                errors.update(exc.fields)
        try:
            check_new_password(self.password.text(), personal=(self.login.text(), self.full_name.text()))
        except ValidationError as exc:
            errors["password"] = str(exc)
        if "password" not in errors and self.password.text() != self.confirm.text():
            errors["confirm"] = (
                "La confirmation ne correspond pas au mot de passe : tapez-le deux fois à l'identique."
            )
        if errors:
            self.show_error("\n".join(errors.values()), list(errors))
            return False
        self.clear_error()
        return True


class CalendarPage(WizardPage):
    def __init__(self, today: date) -> None:
        super().__init__(
            "Calendrier",
            "La zone de vacances scolaires de la commune et l'année scolaire à préparer.",
        )
        self.zone = QComboBox()
        for zone in SCHOOL_ZONES:
            self.zone.addItem(zone_label(zone), zone)
        self.zone.setCurrentIndex(max(0, self.zone.findData(DEFAULTS["school_zone"])))
        current = school_year_of(today)
        first = int(current[:4])
        self.school_year = QComboBox()
        self.school_year.addItems([current, f"{first + 1}-{first + 2}"])
        self.prepare = QCheckBox(
            "Préparer l'année scolaire maintenant (vacances, jours fériés, journées d'accueil)"
        )
        self.prepare.setChecked(True)
        self._wanted = True
        self.zone_note = note("")
        self.fields = {"zone": self.zone, "school_year": self.school_year}
        form = QFormLayout()
        form.addRow("Zone de vacances scolaires", self.zone)
        form.addRow("", self.zone_note)
        form.addRow("Année scolaire", self.school_year)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.prepare)
        layout.addWidget(
            note(
                f"Journées d'accueil créées pour chaque structure. {days_explanation()} L'administrateur peut "
                "ensuite modifier le calendrier, fermer des journées ou préparer l'année suivante."
            )
        )
        layout.addWidget(self.errors)
        layout.addStretch(1)
        self.zone.currentIndexChanged.connect(self._zone_changed)
        self.prepare.toggled.connect(self._prepare_toggled)
        self._zone_changed()

    @property
    def zone_code(self) -> str:
        return self.zone.currentData()

    def _zone_changed(self) -> None:
        later = self.zone_code in TYPED_LATER
        if later:
            wanted = self._wanted
            self.prepare.setChecked(False)
            self._wanted = wanted
            self.zone_note.setText(
                fr(
                    "Le calendrier des vacances de la Corse et des DOM n'est pas fourni : saisissez-le ensuite dans "
                    "l'administration, puis préparez l'année scolaire."
                )
            )
            self.zone_note.setStyleSheet("color:#8a4b00;")
        else:
            self.prepare.setChecked(self._wanted)
            self.zone_note.setText("Vacances scolaires et jours fériés fournis avec l'application.")
            self.zone_note.setStyleSheet("color:#546e7a;")
        self.prepare.setEnabled(not later)
        self.school_year.setEnabled(self.prepare.isChecked())

    def _prepare_toggled(self, checked: bool) -> None:
        self._wanted = checked
        self.school_year.setEnabled(checked)

    def value(self) -> str | None:
        return self.school_year.currentText() if self.prepare.isChecked() else None


class SummaryPage(WizardPage):
    """What was typed on the pages before, as ``compose()`` says it (HTML), to check before « Terminer »."""

    def __init__(self, compose: Callable[[], str]) -> None:
        super().__init__(
            "Récapitulatif",
            "Vérifiez avant d'enregistrer ; « < Précédent » permet de corriger.",
        )
        self.compose = compose
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.text)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(
            note("« Terminer » enregistre tout en une fois, puis ouvre le guichet en tant qu'administrateur.")
        )
        layout.addWidget(self.errors)

    def plain_text(self) -> str:
        """What the page shows, as plain text."""
        document = QTextDocument()
        document.setHtml(self.text.text())
        return document.toPlainText().replace("\u00a0", " ")

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.clear_error()
        self.text.setText(self.compose())
