"""Administration → Structures → « Paiement en ligne… »: the form of a structure's online payment settings. It only
collects what is typed; the Structures panel saves it."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ...services.money.online import PaymentSettingsInput, PaymentSettingsView
from ...services.money.online_backends import DEMO, PAYFIP, BackendKind, secret_env
from ...services.setup.structures import StructureDetail
from ..families.family_dialog import SavingDialog


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
