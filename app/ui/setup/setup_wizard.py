"""The set-up assistant: the first run of a real town on an empty database (its structures, its first
administrator, its holiday zone and, if wanted, its first school year), the pages in ``wizard_pages`` and
``wizard_structures_page``.

The assistant only collects values and checks them page by page. « Terminer » emits ``submitted``; the
composition root (``application.setup_wizard_for``) runs the installation through ``Operations.form``, which writes
everything in one transaction and answers with ``saved(report)`` or ``show_failure(failure)``.
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import QWidget, QWizard

from ...config import resources_dir
from ...services.errors import ValidationError
from ...services.families.edit import FieldErrors
from ...services.setup.defaults import USUAL_ACTIVITIES
from ...services.setup.install import InstallInput, InstallReport, NotAnEmptyDatabase
from ...text import plural, zone_label
from ..operations import Failure
from .wizard_pages import AdminPage, CalendarPage, SummaryPage, WelcomePage, fr
from .wizard_structures_page import StructuresPage


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
        self.summary = SummaryPage(self.summary_html)
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
        """What was typed, as the summary page shows it (HTML, French typography)."""
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
        parts.append(f"<li>Zone de vacances scolaires : {e(zone_label(data.zone))}</li>")
        if data.school_year:
            parts.append(
                f"<li>Année scolaire {e(data.school_year)} préparée maintenant : vacances, jours "
                "fériés et journées d'accueil de chaque activité</li>"
            )
        else:
            parts.append("<li>Année scolaire à préparer plus tard, depuis l'administration</li>")
        parts.append("</ul>")
        return fr("".join(parts))

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
