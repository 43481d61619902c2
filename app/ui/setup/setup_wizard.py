"""The set-up assistant: the first run of a real town on an empty database (DESIGN.md §2.7).

The assistant only collects values and checks them page by page. « Terminer » emits ``submitted``; the
composition root (``application.setup_wizard_for``) runs the installation through ``Operations.form``, which writes
everything in one transaction and answers with ``saved(report)`` or ``show_failure(failure)``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPixmap, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ...config import DEFAULTS, SCHOOL_ZONES, resources_dir
from ...services.booking.calendar import school_year_of
from ...services.errors import ValidationError
from ...services.families.edit import FieldErrors
from ...services.security import check_new_password
from ...services.setup.agents import check_full_name, check_login
from ...services.setup.defaults import USUAL_ACTIVITIES
from ...services.setup.install import InstallInput, InstallReport, NotAnEmptyDatabase
from ...services.setup.structures import StructureInput, check_logo, validate_structure
from ...text import plural
from ..documents.file_dialogs import ask_open_path
from ..families.family_dialog import INVALID
from ..operations import Failure
from ..widgets import bound, digits

ZONE_LABELS = {"A": "Zone A", "B": "Zone B", "C": "Zone C", "Corse": "Corse", "DOM": "DOM (outre-mer)"}
TYPED_LATER = frozenset({"Corse", "DOM"})
"""Zones whose holiday calendar does not come with the application: typed in the administration later."""
NEW_STRUCTURE = "Nouvelle structure"


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


def _note(text: str) -> QLabel:
    label = QLabel(fr(text))
    label.setWordWrap(True)
    label.setStyleSheet("color:#546e7a;")
    return label


class _Page(QWizardPage):
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


class WelcomePage(_Page):
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


class StructuresPage(_Page):
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
            _note(
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


class AdminPage(_Page):
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
        form.addRow("", _note("Lettres minuscules sans accent, chiffres, point, tiret ou tiret bas."))
        form.addRow("Nom complet *", self.full_name)
        form.addRow("Mot de passe *", self.password)
        form.addRow("Confirmation *", self.confirm)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(
            _note(
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


class CalendarPage(_Page):
    def __init__(self, today: date) -> None:
        super().__init__(
            "Calendrier",
            "La zone de vacances scolaires de la commune et l'année scolaire à préparer.",
        )
        self.zone = QComboBox()
        for zone in SCHOOL_ZONES:
            self.zone.addItem(ZONE_LABELS.get(zone, zone), zone)
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
        self.zone_note = _note("")
        self.fields = {"zone": self.zone, "school_year": self.school_year}
        form = QFormLayout()
        form.addRow("Zone de vacances scolaires", self.zone)
        form.addRow("", self.zone_note)
        form.addRow("Année scolaire", self.school_year)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.prepare)
        layout.addWidget(
            _note(
                "Les mercredis d'ALAE hors vacances et les journées des petites vacances et de l'été sont "
                "créés pour chaque structure ; l'administrateur peut ensuite modifier le calendrier, "
                "fermer des journées ou préparer l'année suivante."
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


class SummaryPage(_Page):
    def __init__(self) -> None:
        super().__init__(
            "Récapitulatif",
            "Vérifiez avant d'enregistrer ; « < Précédent » permet de corriger.",
        )
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
            _note(
                "« Terminer » enregistre tout en une fois, puis ouvre le guichet en tant qu'administrateur."
            )
        )
        layout.addWidget(self.errors)

    def plain_text(self) -> str:
        """What the page shows, as plain text."""
        document = QTextDocument()
        document.setHtml(self.text.text())
        return document.toPlainText().replace("\u00a0", " ")

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.clear_error()
        wizard = self.wizard()
        if isinstance(wizard, SetupWizard):
            self.text.setText(fr(wizard.summary_html()))


class SetupWizard(QWizard):
    """« Mise en service » on an empty database. « Terminer » emits ``submitted`` (the owner installs
    ``value()``); once accepted, ``report``, ``admin_login`` and ``admin_password`` say how to log in."""

    WELCOME, STRUCTURES, ADMIN, CALENDAR, SUMMARY = range(5)
    submitted = Signal()

    def __init__(self, parent: QWidget | None, today: date) -> None:
        super().__init__(parent)
        self.report: InstallReport | None = None
        self._submitting = False
        self.setWindowTitle("Guichet Enfance – mise en service")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        for button, text in (
            (QWizard.WizardButton.BackButton, "< &Précédent"),
            (QWizard.WizardButton.NextButton, "&Suivant >"),
            (QWizard.WizardButton.CommitButton, "&Valider"),
            (QWizard.WizardButton.FinishButton, "&Terminer"),
            (QWizard.WizardButton.CancelButton, "Annuler"),
            (QWizard.WizardButton.HelpButton, "Aide"),
        ):
            self.setButtonText(button, text)
        icon = QPixmap(str(resources_dir() / "icon.png"))
        if not icon.isNull():
            self.setPixmap(
                QWizard.WizardPixmap.LogoPixmap,
                icon.scaled(
                    48, 48, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                ),
            )
        self.welcome = WelcomePage()
        self.structures = StructuresPage()
        self.admin = AdminPage()
        self.calendar = CalendarPage(today)
        self.summary = SummaryPage()
        for page_id, page in (
            (self.WELCOME, self.welcome),
            (self.STRUCTURES, self.structures),
            (self.ADMIN, self.admin),
            (self.CALENDAR, self.calendar),
            (self.SUMMARY, self.summary),
        ):
            self.setPage(page_id, page)
        self.setStartId(self.WELCOME)
        screen = self.screen().availableGeometry()  # a 1366×768 screen, or smaller at 125 %
        self.resize(min(820, screen.width()), min(600, screen.height() - 48))

    # --- what was typed -----------------------------------------------------------------------------
    def value(self) -> InstallInput:
        zone = self.calendar.zone_code
        return InstallInput(
            structures=[replace(s, zone=zone) for s in self.structures.drafts],
            admin_login=self.admin.login.text(),
            admin_name=self.admin.full_name.text(),
            admin_password=self.admin.password.text(),
            zone=zone,
            school_year=self.calendar.value(),
        )

    @property
    def admin_login(self) -> str:
        """The identifier to log in with (as the installation stored it)."""
        if self.report is not None:
            return self.report.admin_login
        return self.admin.login.text().strip().lower()

    @property
    def admin_password(self) -> str:
        return self.admin.password.text()

    def summary_html(self) -> str:
        data = self.value()

        def e(text: str) -> str:
            return html.escape(text, quote=False)

        activities = e(", ".join(t.name for t in USUAL_ACTIVITIES))
        parts = [f"<h3>{plural(len(data.structures), 'Structure')}</h3><ul>"]
        for structure, logo in zip(data.structures, self.structures.logo_names, strict=True):
            town = " ".join(x for x in (structure.postal_code.strip(), structure.city.strip()) if x)
            where = ", ".join(x for x in (structure.address.strip(), town) if x)
            contact = [x for x in (structure.phone.strip(), structure.email.strip()) if x]
            contact.append(f"logo « {logo} »" if logo else "logo de l'application")
            lines = [f"<b>{e(' '.join(structure.name.split()))}</b>"]
            if where:
                lines.append(e(where))
            lines.append(" ; ".join(f"<span style='white-space:nowrap'>{e(x)}</span>" for x in contact))
            lines.append(f"<span style='color:#546e7a'>activités habituelles : {activities}</span>")
            parts.append(f"<li style='margin-bottom:6px'>{'<br>'.join(lines)}</li>")
        parts.append("</ul><h3>Administrateur</h3><ul>")
        parts.append(
            f"<li>{e(' '.join(data.admin_name.split()))}, identifiant "
            f"<b>{e(data.admin_login.strip().lower())}</b> ; mot de passe choisi (non affiché)</li>"
        )
        parts.append("</ul><h3>Calendrier</h3><ul>")
        parts.append(f"<li>Zone de vacances scolaires : {e(ZONE_LABELS.get(data.zone, data.zone))}</li>")
        if data.school_year:
            parts.append(
                f"<li>Année scolaire {e(data.school_year)} préparée maintenant : vacances, jours "
                "fériés et journées d'accueil de chaque activité</li>"
            )
        else:
            parts.append("<li>Année scolaire à préparer plus tard, depuis l'administration</li>")
        parts.append("</ul>")
        return "".join(parts)

    # --- « Terminer » -------------------------------------------------------------------------------
    def validateCurrentPage(self) -> bool:  # noqa: N802 - Qt's name
        if self.currentId() != self.SUMMARY:
            return super().validateCurrentPage()
        if self.report is not None:  # installed (answered after « Terminer »): the assistant may close
            return True
        self.summary.clear_error()
        self._submitting = True
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.submitted.emit()
        finally:
            QGuiApplication.restoreOverrideCursor()
            self._submitting = False
        return self.report is not None

    def saved(self, report: InstallReport) -> None:
        """The installation is written: the assistant closes (at once when the answer came during « Terminer »)."""
        self.report = report
        if not self._submitting:
            self.accept()

    def show_failure(self, failure: Failure) -> None:
        """Nothing was written: the assistant stays open on the page to correct, what was typed kept."""
        exc = failure.error
        if isinstance(exc, FieldErrors):
            self._show_field_errors(exc)
        elif isinstance(exc, NotAnEmptyDatabase):
            self.summary.show_error(failure.message)
        elif isinstance(exc, ValidationError) and self.value().school_year is not None:
            # the only other check left at this point: the school year's calendar
            self.go_to(self.CALENDAR)
            self.calendar.show_error(
                f"{failure.message} Vous pouvez aussi décocher « Préparer l'année scolaire "
                "maintenant » et la préparer plus tard.",
                ["school_year"],
            )
        else:
            self.summary.show_error(failure.message)

    def go_to(self, page_id: int) -> None:
        """Back to an earlier page (what was typed is kept)."""
        while self.currentId() > page_id:
            self.back()

    def _show_field_errors(self, exc: FieldErrors) -> None:
        structures: dict[int, dict[str, str]] = {}
        admin: dict[str, str] = {}
        other: list[str] = []
        for key, text in exc.fields.items():
            head, _, field = key.partition(".")
            if head.startswith("structure") and head[9:].isdigit() and field:
                structures.setdefault(int(head[9:]), {})[field] = text
            elif key in self.admin.fields:
                admin[key] = text
            else:
                other.append(text)
        if structures:
            index = min(structures)
            self.go_to(self.STRUCTURES)
            self.structures.show_structure_errors(index, structures[index])
        elif admin:
            self.go_to(self.ADMIN)
            self.admin.show_error("\n".join(admin.values()), list(admin))
        else:
            self.summary.show_error("\n".join(other) or str(exc))
