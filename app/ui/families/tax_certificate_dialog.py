"""The family page's « Attestation de frais de garde… »: the years (and structures) for which the family has a
childcare tax certificate, one chosen, then its preview to print or save (``print_preview``). The amounts and the
PDF are the services' (``money.tax_certificates``, ``documents.tax_certificate``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ...services.money.tax_certificates import Choice, certificate_choices
from ...text import format_eur, short_date
from ..context import CounterContext
from ..documents.print_preview import Rendered, rendered


def gaps_text(c: Choice) -> str:
    """« ⚠ Il manque le SIRET de « ALSH de Montech » … » when the structure's identity is incomplete, else ""."""
    if not c.missing:
        return ""
    return (
        f"⚠ Il manque {' et '.join(c.missing)} de « {c.structure_name} » : l'attestation dira\n"
        "« non renseigné ». À compléter dans Administration → Structures."
    )


def choice_label(c: Choice) -> str:
    """« 2025 – ALSH de Montech – 38,00 € », the current year's « (arrêtée au 10/02/2026) »."""
    label = f"{c.year} – {c.structure_name} – {format_eur(c.total_cents)}"
    return label + (f" (sommes arrêtées au {short_date(c.as_of)})" if c.as_of else "")


class TaxCertificateDialog(QDialog):
    """Choose the year (and the structure, when the family's children went to several): ``choice()``."""

    def __init__(self, parent: QWidget | None, family_name: str, choices: list[Choice]) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Attestation de frais de garde – famille {family_name}")
        self.choices = choices
        self.years = QComboBox()
        for c in choices:
            self.years.addItem(choice_label(c))
        note = QLabel(
            "Enfants de moins de 6 ans, nés à compter du 1er janvier six ans avant l'année\n"
            "(2019 pour 2025) : sommes facturées pour les journées de l'année, nettes des\n"
            "aides et des remboursements, repas déduits.\n"
            "Une attestation par organisme."
        )
        self.gaps = QLabel()
        self.gaps.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.years.currentIndexChanged.connect(self._show_gaps)
        self.buttons = QDialogButtonBox()
        self.show_button = self.buttons.addButton("Aperçu…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton("Annuler", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Année et organisme"))
        layout.addWidget(self.years)
        layout.addWidget(self.gaps)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self._show_gaps()

    def _show_gaps(self) -> None:
        text = gaps_text(self.choice())
        self.gaps.setText(text)
        self.gaps.setVisible(bool(text))

    def choice(self) -> Choice:
        return self.choices[max(0, self.years.currentIndex())]


def ask_tax_certificate(
    parent: QWidget,
    ctx: CounterContext,
    family_id: int,
    family_name: str,
    open_preview: Callable[[Rendered, str, str], object],
) -> TaxCertificateDialog | None:
    """The chooser opened (None, and said, when the family has no certificate); its « Aperçu… » makes the PDF on a
    worker thread, then the preview."""
    choices = ctx.ops.run(lambda: certificate_choices(ctx.db, family_id), default=[])
    if not choices:
        ctx.ops.inform(
            "Attestation de frais de garde",
            f"Pas d'attestation de frais de garde pour la famille {family_name} : aucune somme facturée pour un "
            "enfant de moins de 6 ans (né à compter du 1er janvier six ans avant l'année).",
        )
        return None
    dialog = TaxCertificateDialog(parent, family_name, choices)

    def show() -> None:
        from ...services.documents.tax_certificate import (  # reportlab only when printing
            certificate_file_name,
            tax_certificate_pdf,
        )

        c = dialog.choice()
        several = sum(1 for x in choices if x.year == c.year) > 1
        name = certificate_file_name(c.year, family_name, family_id, c.structure_name if several else None)
        ctx.ops.run(
            rendered(lambda: tax_certificate_pdf(ctx.db, ctx.actor, family_id, c.year, c.structure_id)),
            lambda document: open_preview(
                document,
                f"Attestation de frais de garde {c.year} – {family_name}",
                name,
            ),
            background=True,
        )

    dialog.accepted.connect(show)
    dialog.open()
    return dialog
