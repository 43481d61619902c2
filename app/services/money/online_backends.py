"""The payment sites a family is sent to when it pays by card, through ``eopayment``: PayFiP (``payfip_ws``, the
DGFiP's service for a town's régie), ``dummy`` for the demonstration, and eopayment's other backends by
configuration.

``PaymentGateway`` is what the services call: ``request`` (the address of the payment page) and ``status`` (what the
backend says of a payment, asked again every time: a notification or a return is never believed on its own). It
makes one eopayment object per configuration and thread, and never keeps a secret in the database: a backend's
secret options (a signing key, an API key) are read from the portal server's environment
(``GUICHET_PAIEMENT_<CODE>_<OPTION>``) or its keyring (``python -m app payment-secret``).

The portal's addresses the backends call back are built here, from the portal's public address, with the paths its
routes answer (``RETURN_PATH``, ``NOTIFY_PATH``, ``DEMO_PATH``).
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs

from ...models import OnlinePaymentStatus
from ..errors import ConfigurationError, DomainError

log = logging.getLogger(__name__)

RETURN_PATH = "/paiement/retour/"
NOTIFY_PATH = "/paiement/notification/"
DEMO_PATH = "/paiement/demonstration"
"""The portal's own page that plays the payment site for the demonstration backend (no money moves)."""

PAYFIP, DEMO = "payfip_ws", "dummy"
LABELS = {
    PAYFIP: "PayFiP (DGFiP) – régie de la commune",
    DEMO: "Démonstration – aucun paiement réel",
    "tipi": "TIPI (l'ancien PayFiP)",
    "systempayv2": "SystemPay (Caisse d'Épargne, Banque Populaire)",
    "payzen": "PayZen (Lyra)",
    "sips2": "Sips 2 (Worldline, Mercanet, Sherlock's)",
    "paybox": "Paybox (Verifone)",
}
"""The backends an administrator chooses from, PayFiP and the demonstration first: those whose answer says the amount
paid (``AMOUNTS``), which a payment is checked against before it is recorded. eopayment has a few more (Ogone,
Mollie, Keyware, Saga, Worldline): offering one is mapping where its answer carries the amount, here."""

AMOUNTS = {
    PAYFIP: ("montant", 1),
    "tipi": ("montant", 1),
    DEMO: ("amount", 100),
    "systempayv2": ("vads_amount", 1),
    "payzen": ("vads_amount", 1),
    "sips2": ("amount", 1),
    "paybox": ("montant", 1),
}
"""Where each backend's answer says the amount paid, and in what (1: cents, 100: euros)."""

SECRET_OPTIONS = frozenset(
    {
        "secret_key",
        "secret_test",
        "secret_production",
        "sha_in",
        "sha_out",
        "cle",
        "shared_secret",
        "api_key",
        "api_secret",
        "password",
    }
)
"""Options that are secrets: never in the database, read from the portal server's environment or keyring."""
PORTAL_OPTIONS = frozenset(
    {
        "normal_return_url",
        "automatic_return_url",
        "direct_notification_url",
        "next_url",
        "callback",
        "next_url (replaced by normal_return_url)",
        "dummy_service_url",
    }
)
"""Options the portal sets itself (its own addresses): not asked of the administrator."""
HIDDEN = {DEMO: frozenset({"consider_all_response_signed", "number", "choice", "choices", "capture_day"})}
OPTION_LABELS = {
    "numcli": "Numéro de client PayFiP (6 chiffres, donné par la DGFiP)",
    "saisie": "Mode",
    "origin": "Nom affiché sur la page de paiement",
}
CHOICE_LABELS = {
    ("saisie", "T"): "T – test (aucun débit réel)",
    ("saisie", "X"): "X – activation",
    ("saisie", "W"): "W – production",
}
KEYRING_SERVICE = "guichet-enfance-paiement"
SECRET_ENV = "GUICHET_PAIEMENT_{code}_{option}"

OUTCOMES = {
    3: OnlinePaymentStatus.PAID,
    4: OnlinePaymentStatus.REFUSED,
    5: OnlinePaymentStatus.ABANDONED,
    7: OnlinePaymentStatus.EXPIRED,
}
"""eopayment's results (PAID, DENIED, CANCELLED, EXPIRED) as our states; the others (started, running, error) leave a
payment pending: it is asked again later."""


class PaymentSiteUnavailable(DomainError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Le site de paiement ne répond pas pour le moment : rien n'a été débité. Réessayez dans quelques "
            "minutes ou réglez au guichet." + (f" ({detail})" if detail else "")
        )


class StatusUnavailable(PaymentSiteUnavailable):
    """The payment site could not be asked how a payment ended (it may have been paid): it is asked again later."""

    def __init__(self, detail: str = "") -> None:
        DomainError.__init__(
            self,
            "Le site de paiement n'a pas pu être interrogé pour l'instant : votre paiement sera vérifié "
            "automatiquement dans les minutes qui viennent. Ne payez pas une seconde fois."
            + (f" ({detail})" if detail else ""),
        )


class PaymentRequestRefused(DomainError):
    """The payment site answered, and refused to open a payment (a wrong numcli, an e-mail it does not take…)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Le site de paiement a refusé d'ouvrir ce paiement : rien n'a été débité. Réglez au guichet ou prévenez "
            "le service enfance-jeunesse." + (f" ({detail})" if detail else "")
        )


UNREACHABLE_CODES = frozenset(
    {"HTTP error", "SOAP error", "Unexpected error", "unknown", "Cound not initialize the SOAP client"}
)
"""PayFiP errors (eopayment's ``PayFiPError.code``) that say the site was not reached or answered nonsense, not that it
refused (a refusal has PayFiP's own code: R1, P1…)."""


@dataclass(frozen=True)
class BackendOption:
    name: str
    label: str
    required: bool
    default: str
    choices: tuple[tuple[str, str], ...]
    secret: bool


def backend_kinds() -> list[tuple[str, str]]:
    """(kind, French label) of every backend eopayment has, PayFiP and the demonstration first."""
    import eopayment

    known = set(eopayment.get_backends())
    return [(kind, label) for kind, label in LABELS.items() if kind in known]


@dataclass(frozen=True)
class BackendKind:
    kind: str
    label: str
    options: tuple[BackendOption, ...]


def backend_catalogue() -> list[BackendKind]:
    """Every backend an administrator may choose, with what it asks (Administration → Structures). A backend whose
    library part is not installed here is left out."""
    catalogue = []
    for kind, label in backend_kinds():
        try:
            catalogue.append(BackendKind(kind, label, tuple(backend_options(kind))))
        except ConfigurationError:
            continue
    return catalogue


def backend_options(kind: str) -> list[BackendOption]:
    """What an administrator sets for a backend (from eopayment's own description), the portal's addresses left out."""
    import eopayment

    if kind not in LABELS:
        raise ConfigurationError(f"Service de paiement inconnu : « {kind} ».")
    try:
        backend = eopayment.get_backend(kind)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigurationError(f"Service de paiement inconnu : « {kind} ».") from exc
    options = []
    for p in backend.description.get("parameters", []):
        name = p["name"]
        if name in PORTAL_OPTIONS or name in HIDDEN.get(kind, ()) or p.get("deprecated"):
            continue
        if p.get("scope", "global") != "global" or p.get("type") in (bool, list, int):
            continue
        choices = tuple(
            (str(c[0]), CHOICE_LABELS.get((name, str(c[0])), str(c[1])))
            if isinstance(c, tuple | list)
            else (str(c), str(c))
            for c in p.get("choices") or ()
        )
        default = p.get("default")
        options.append(
            BackendOption(
                name,
                OPTION_LABELS.get(name, str(p.get("caption", name))),
                bool(p.get("required")),
                "" if default is None else str(default),
                choices,
                name in SECRET_OPTIONS,
            )
        )
    return options


def check_options(kind: str, options: dict[str, str]) -> dict[str, str]:
    """The options an administrator typed, checked against the backend's description (required ones, choices, its
    own validation such as PayFiP's 6-digit numcli); a secret typed here is refused (it never goes to the base)."""
    import eopayment

    from ..errors import FieldErrors

    described = {o.name: o for o in backend_options(kind)}
    validators = {
        p["name"]: p.get("validation") for p in eopayment.get_backend(kind).description["parameters"]
    }
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for name, value in options.items():
        if name not in described:
            errors[name] = f"Option inconnue pour ce service : « {name} »."
        elif described[name].secret and value.strip():
            errors[name] = f"{described[name].label} : un secret ne s'enregistre pas ici (voir le trousseau)."
        elif value.strip():
            clean[name] = value.strip()
    for name, option in described.items():
        value = clean.get(name, "")
        if option.secret:
            continue
        if option.required and not value and not option.default:
            errors[name] = f"{option.label} : obligatoire."
        elif value and option.choices and value not in {c for c, _ in option.choices}:
            errors[name] = f"{option.label} : « {value} » n'est pas un choix possible."
        elif value and callable(validators.get(name)):
            try:
                ok = bool(validators[name](value))  # eopayment's own check of the value
            except Exception:  # noqa: BLE001 - a failed validator is a refused value
                ok = False
            if not ok:
                errors[name] = f"{option.label} : « {value} » n'est pas valable."
    if errors:
        raise FieldErrors(errors)
    return clean


def secret_env(structure_code: str, option: str) -> str:
    """The environment variable holding a structure's secret option on the portal server."""
    return SECRET_ENV.format(code=re.sub(r"[^A-Z0-9]", "_", structure_code.upper()), option=option.upper())


def read_secret(structure_code: str, option: str) -> str | None:
    """A structure's secret option: from the portal server's environment, else its keyring; None when neither."""
    import os

    value = os.environ.get(secret_env(structure_code, option), "")
    if value:
        return value
    from ... import keyring_store

    try:
        return keyring_store.get(f"{structure_code}/{option}", KEYRING_SERVICE)
    except ConfigurationError:  # no safe keyring on this server: the environment is the only place
        return None


def store_secret(structure_code: str, option: str, value: str) -> None:
    from ... import keyring_store

    keyring_store.put(f"{structure_code}/{option}", value, KEYRING_SERVICE)


@dataclass(frozen=True)
class BackendConfig:
    """A structure's payment settings as the services read them (no secret)."""

    structure_code: str
    kind: str
    options: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, structure_code: str, kind: str, options: dict[str, Any] | None) -> BackendConfig:
        return cls(structure_code, kind, tuple(sorted((str(k), str(v)) for k, v in (options or {}).items())))

    @property
    def test_mode(self) -> bool:
        """No money moves at the bank: the demonstration, PayFiP in mode T, a backend on its test platform."""
        if self.kind == DEMO:
            return True
        values = {o.name: o.default for o in backend_options(self.kind)} | dict(self.options)
        if self.kind in (PAYFIP, "tipi"):
            return values.get("saisie", "T") == "T"
        return any(
            values.get(k, "").upper() in ("TEST", "T") for k in ("platform", "environment", "vads_ctx_mode")
        )


@dataclass(frozen=True)
class Answer:
    """What a backend says of one payment."""

    outcome: OnlinePaymentStatus | None
    """Paid, refused, abandoned, expired; None while it runs or when nothing could be said."""
    order_id: str | None = None
    reference: str | None = None
    amount_cents: int | None = None
    transaction_id: str = ""
    bank_status: str = ""


class PaymentGateway:
    """The backends of the structures, made once per configuration and thread.

    ``portal_url``: the portal's public address (the backends send the family and their notifications back
    there). ``allow_demo``: the demonstration backend, which believes any notification, is refused by a real
    portal (``app.web.asgi``). ``payfip_double``: for the tests only — the address of a test double of PayFiP on
    loopback; the PayFiP client is then built on a copy of the WSDL eopayment ships, pointing at the double, and
    the payment page is the double's (eopayment hard-codes both). Nothing in a town's configuration reaches it.
    """

    def __init__(
        self,
        portal_url: str = "",
        *,
        allow_demo: bool = True,
        allow_test: bool = True,
        payfip_double: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.portal_url, self.allow_demo, self.allow_test = portal_url, allow_demo, allow_test
        self.payfip_double, self.timeout = payfip_double, timeout
        self._local = threading.local()
        self._wsdl: str | None = None

    def __repr__(self) -> str:
        return (
            f"PaymentGateway({self.portal_url!r}, allow_demo={self.allow_demo}, allow_test={self.allow_test})"
        )

    def usable(self, config: BackendConfig) -> bool:
        """Whether this portal takes payments through ``config``: not the demonstration (it believes any
        notification) where ``allow_demo`` is off; not a test mode (test cards, no money) where ``allow_test`` is
        off — a real town's portal opens test payments only for the DGFiP's validation (see app.web.asgi)."""
        if config.kind == DEMO:
            return self.allow_demo
        return self.allow_test or not config.test_mode

    def _backend(self, config: BackendConfig) -> Any:
        import eopayment

        cache: dict[BackendConfig, Any] = self._local.__dict__.setdefault("payments", {})
        if config not in cache:
            options: dict[str, Any] = dict(config.options)
            for option in backend_options(config.kind):
                if option.secret:
                    secret = read_secret(config.structure_code, option.name)
                    if secret:
                        options[option.name] = secret
            base = self.portal_url.rstrip("/")
            options.setdefault("normal_return_url", f"{base}{RETURN_PATH}")
            options.setdefault("automatic_return_url", f"{base}{NOTIFY_PATH}")
            payment = eopayment.Payment(config.kind, options, logger=log)
            if config.kind == PAYFIP:
                from eopayment.payfip_ws import PayFiP

                wsdl = self._double_wsdl() if self.payfip_double else None  # None: the WSDL eopayment ships
                payment.backend.payfip = PayFiP(wsdl_url=wsdl, zeep_client_kwargs={"transport": _transport()})
            cache[config] = payment
        return cache[config]

    def _double_wsdl(self) -> str:
        """A copy of eopayment's WSDL (and its schemas) whose service address is the double's."""
        if self._wsdl is None:
            import eopayment

            assert self.payfip_double is not None
            source = Path(eopayment.__file__).parent / "resource"
            folder = Path(tempfile.mkdtemp(prefix="payfip-double-"))
            for xsd in source.glob("*.xsd"):
                shutil.copy(xsd, folder / xsd.name)
            wsdl = (source / "PaiementSecuriseService.wsdl").read_text(encoding="utf-8")
            wsdl = re.sub(
                r'location="[^"]*"',
                f'location="{self.payfip_double.rstrip("/")}/tpa/services/securite"',
                wsdl,
            )
            (folder / "PaiementSecuriseService.wsdl").write_text(wsdl, encoding="utf-8")
            self._wsdl = (folder / "PaiementSecuriseService.wsdl").as_uri()
        return self._wsdl

    def request(
        self, config: BackendConfig, *, reference: str, amount_cents: int, email: str, subject: str, year: int
    ) -> tuple[str, str]:
        """Ask the backend for a payment page: (the backend's id of the request, the page's address)."""
        import eopayment

        base = self.portal_url.rstrip("/")
        amount = f"{Decimal(amount_cents) / 100:.2f}"
        extra: dict[str, Any] = {"orderid": reference, "subject": subject}
        if config.kind in (PAYFIP, "tipi"):
            extra.update(refdet=reference, exer=str(year))
        try:
            payment = self._backend(config)
            # the family comes back, and the notification arrives, at addresses that name the payment
            payment.backend.normal_return_url = f"{base}{RETURN_PATH}{reference}"
            payment.backend.automatic_return_url = f"{base}{NOTIFY_PATH}{reference}"
            order_id, kind, target = payment.request(amount, email=email or None, **extra)
        except eopayment.PaymentException as exc:
            log.warning("online payment %s: the backend refused the request: %s", reference, exc)
            if getattr(exc, "code", "HTTP error") in UNREACHABLE_CODES:
                raise PaymentSiteUnavailable() from exc
            raise PaymentRequestRefused(str(getattr(exc, "message", "") or exc)[:120]) from exc
        except OSError as exc:
            log.warning("online payment %s: request failed: %s", reference, exc)
            raise PaymentSiteUnavailable() from exc
        except ValueError as exc:  # eopayment's own checks of what it sends (the e-mail, the amount)
            log.warning("online payment %s: request refused by eopayment: %s", reference, exc)
            raise PaymentRequestRefused() from exc
        if kind != eopayment.URL:
            raise ConfigurationError(
                f"Le service de paiement « {config.kind} » demande un formulaire : non pris en "
                "charge par le portail."
            )
        return str(order_id), self._public_page(config.kind, str(target))

    def _public_page(self, kind: str, target: str) -> str:
        if kind == DEMO:
            from eopayment.dummy import SERVICE_URL

            if target.startswith(SERVICE_URL):
                return f"{self.portal_url.rstrip('/')}{DEMO_PATH}?{target.partition('?')[2]}"
        if kind == PAYFIP and self.payfip_double:
            from eopayment.payfip_ws import PAYMENT_URL

            if target.startswith(PAYMENT_URL):
                return f"{self.payfip_double.rstrip('/')}/tpa/paiementws.web{target[len(PAYMENT_URL) :]}"
        return target

    def client_info(self, config: BackendConfig) -> str:
        """What the payment site knows of the régie (PayFiP: ``recupererDetailClient`` — the name the DGFiP gave the
        numcli), to check a structure's settings before opening them; French text."""
        import eopayment

        if config.kind != PAYFIP:
            return f"{LABELS.get(config.kind, config.kind)} : pas de vérification possible avant un premier paiement."
        numcli = dict(config.options).get("numcli", "")
        try:
            answer = self._backend(config).backend.payfip.get_info_client(numcli, timeout=self.timeout)
        except eopayment.PaymentException as exc:
            raise PaymentSiteUnavailable(str(exc)[:160]) from exc
        names = " / ".join(str(answer[k]) for k in ("libelleN1", "libelleN2", "libelleN3") if answer[k])
        return f"PayFiP connaît le client {numcli} : {names or '(sans libellé)'}."

    def status(self, config: BackendConfig, order_id: str, age: timedelta, query: str = "") -> Answer:
        """What the backend says now of the payment ``order_id`` started ``age`` ago: asked to the backend when it
        can be asked (PayFiP), else read from the notification ``query`` the backend signed (the demonstration).
        ``PaymentSiteUnavailable`` when the backend cannot be reached."""
        import eopayment

        try:
            payment = self._backend(config)
            if payment.has_payment_status:  # asked to the site itself
                # eopayment measures the payment's age against the real time: give it the age our clock says
                started = datetime.now(UTC) - age
                response = payment.payment_status(order_id, transaction_date=started, timeout=self.timeout)
            elif query:
                response = payment.response(query)
                if not response.signed:
                    return Answer(None, order_id, bank_status="notification non signée")
            else:
                return Answer(None, order_id, bank_status="ce service ne se questionne pas")
        except eopayment.PaymentException as exc:
            log.warning("online payment %s: status not available: %s", order_id, exc)
            raise StatusUnavailable() from exc
        except (OSError, ValueError) as exc:
            log.warning("online payment %s: status failed: %s", order_id, exc)
            raise StatusUnavailable() from exc
        return _answer(config.kind, response)


def _transport() -> Any:
    """The SOAP client's HTTP session: the proxy and certificate settings of the environment read once, here, rather
    than at every call (requests reads them for each request: a millisecond of every notification)."""
    import os

    import requests
    import zeep

    session = requests.Session()
    session.trust_env = False
    session.proxies = requests.utils.get_environ_proxies("https://www.payfip.gouv.fr/")
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return cast(Any, zeep.Transport)(session=session)  # zeep is untyped


def notified_order(query: str) -> str | None:
    """The order id a notification or a return names, if it names one (PayFiP's ``idOp``, the demonstration's
    ``transaction_id``): it must be the payment's own (a notification naming another is refused)."""
    fields = parse_qs(query or "")
    for name in ("idOp", "idop", "transaction_id"):
        if fields.get(name):
            return fields[name][0]
    return None


def _answer(kind: str, response: Any) -> Answer:
    data = response.bank_data or {}

    def one(name: str) -> str | None:
        value = data.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        return None if value is None else str(value)

    outcome = OUTCOMES.get(response.result)
    if outcome is None and kind == DEMO and response.result == 99:  # the demonstration says "not ok" this way
        outcome = OnlinePaymentStatus.ABANDONED if one("abandon") else OnlinePaymentStatus.REFUSED
    field, unit = AMOUNTS.get(kind, ("", 1))
    try:
        raw = one(field) if field else None
        amount = int(Decimal(raw) * unit) if raw else None
    except InvalidOperation:
        amount = None
    reference = one("refdet") if kind in (PAYFIP, "tipi") else one("orderid")
    return Answer(
        outcome,
        str(response.order_id or "") or None,
        reference,
        amount,
        str(response.transaction_id or "")[:200],
        str(response.bank_status or "")[:200],
    )
