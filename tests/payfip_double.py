"""A test double of PayFiP (the DGFiP's payment service) on loopback, for the tests and the benchmark: the SOAP
operations of the WSDL eopayment ships — ``creerPaiementSecurise`` (→ an ``idOp``), ``recupererDetailPaiementSecurise``
(→ ``resultrans`` P, V, R, Z or A with the amount, the ``refdet``, the date and time; the fault P5 while the payment
runs, P1 for an unknown ``idOp``), ``recupererDetailClient`` — and the payment page a browser fills in, which sends
the notification (``idOp=…`` posted to ``urlnotif``, server to server) and sends the family back to ``urlredirect``.

The portal reaches it through ``PaymentGateway(payfip_double=double.url)`` (a test-only setting)."""

from __future__ import annotations

import html
import secrets
import socket
import threading
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/contrat_paiement_securise/"
    "PaiementSecuriseService"
)
REFUSED_CARD = "4000000000000002"
"""The card number the double's page refuses (resultrans R)."""
PARIS = ZoneInfo("Europe/Paris")


@dataclass
class Operation:
    idop: str
    numcli: str
    exer: str
    montant: str
    refdet: str
    mel: str
    objet: str
    saisie: str
    urlnotif: str
    urlredirect: str
    resultrans: str | None = None
    at: datetime | None = None
    numauto: str = ""


@dataclass
class Notification:
    idop: str
    status: int | None
    error: str = ""


@dataclass
class PayFiPDouble:
    """``PayFiPDouble()`` starts it; ``.url``; ``.pay(idop, "P")`` settles a payment as a family's browser would
    (then notifies, unless ``notify=False``); ``.stop()``. ``.calls`` counts the SOAP calls per operation."""

    operations: dict[str, Operation] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    notify_enabled: bool = True
    """False: the notification is lost (the family's return, or the worker, must settle the payment)."""
    clients: dict[str, str] = field(default_factory=lambda: {"123456": "COMMUNE DE TEST"})
    """The régies PayFiP knows (numcli → name); another numcli is refused (a functional error)."""

    def __post_init__(self) -> None:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as PayFiP's servers

            def setup(self) -> None:
                super().setup()  # headers and body leave at once (no 40 ms wait for a delayed ACK)
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urllib.parse.urlsplit(self.path).path
                if path == "/tpa/services/securite":
                    status, answer = double._soap(body)
                    self._send(status, answer, "text/xml; charset=utf-8")
                elif path == "/tpa/paiementws.web":
                    double._page_post(self, urllib.parse.parse_qs(body.decode("utf-8")))
                else:
                    self._send(404, b"not found", "text/plain")

            def do_GET(self) -> None:  # noqa: N802
                parts = urllib.parse.urlsplit(self.path)
                if parts.path == "/tpa/paiementws.web":
                    idop = urllib.parse.parse_qs(parts.query).get("idop", [""])[0]
                    self._send(*double._page(idop))
                else:
                    self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, kind: str = "text/html; charset=utf-8") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="payfip-double", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> PayFiPDouble:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what a family does on the payment page -----------------------------------------------------------

    def pay(
        self, idop: str, resultrans: str = "P", *, at: datetime | None = None, notify: bool = True
    ) -> None:
        """The payment ends on the page (P paid, R refused, A abandoned), then PayFiP notifies the portal."""
        with self.lock:
            op = self.operations[idop]
            op.resultrans, op.at = resultrans, at or datetime.now(PARIS)
            op.numauto = f"{secrets.randbelow(10**6):06d}" if resultrans in ("P", "V") else ""
        if notify and self.notify_enabled:
            self.notify(idop)

    def notify(self, idop: str) -> Notification:
        """PayFiP's notification: ``idOp=…`` posted to the payment's ``urlnotif``."""
        op = self.operations[idop]
        request = urllib.request.Request(
            op.urlnotif, data=urllib.parse.urlencode({"idOp": idop}).encode(), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                result = Notification(idop, response.status)
        except urllib.error.HTTPError as exc:
            result = Notification(idop, exc.code, str(exc))
        except OSError as exc:
            result = Notification(idop, None, str(exc))
        with self.lock:
            self.notifications.append(result)
        return result

    def by_refdet(self, refdet: str) -> Operation:
        return next(op for op in self.operations.values() if op.refdet == refdet)

    def _page(self, idop: str) -> tuple[int, bytes]:
        op = self.operations.get(idop)
        if op is None:
            return 404, "<p>Opération inconnue ou expirée.</p>".encode()
        amount = f"{int(op.montant) // 100},{int(op.montant) % 100:02d} €"
        page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>PayFiP – paiement</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>PayFiP (double de test)</h1>
<p>Montant à payer : <strong id="montant">{html.escape(amount)}</strong></p>
<p>Référence : {html.escape(op.refdet)} · {html.escape(op.objet)}</p>
<form method="post" action="/tpa/paiementws.web">
<input type="hidden" name="idop" value="{html.escape(idop)}">
<p><label for="carte">Numéro de carte</label> <input id="carte" name="carte" inputmode="numeric"></p>
<p><label for="expiration">Date d'expiration</label> <input id="expiration" name="expiration"></p>
<p><label for="cryptogramme">Cryptogramme</label> <input id="cryptogramme" name="cryptogramme"></p>
<p><button type="submit" name="action" value="payer" id="valider">Valider le paiement</button>
<button type="submit" name="action" value="annuler" id="annuler">Annuler</button></p>
</form></main></body></html>"""
        return 200, page.encode()

    def _page_post(self, handler: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        idop = form.get("idop", [""])[0]
        op = self.operations.get(idop)
        if op is None or op.resultrans is not None:
            handler._send(410, "<p>Opération terminée.</p>".encode())  # type: ignore[attr-defined]
            return
        if form.get("action", [""])[0] == "annuler":
            result = "A"
        else:
            card = form.get("carte", [""])[0].replace(" ", "")
            result = "R" if card == REFUSED_CARD or not card.isdigit() else "P"
        self.pay(idop, result)
        handler.send_response(303)
        handler.send_header("Location", op.urlredirect)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    # --- SOAP ------------------------------------------------------------------------------------------------

    def _soap(self, body: bytes) -> tuple[int, bytes]:
        try:
            envelope = ET.fromstring(body)
        except ET.ParseError:
            return 400, b"bad xml"
        request = next(iter(envelope.find(f"{{{SOAP_ENV}}}Body") or []), None)
        if request is None:
            return 400, b"no body"
        operation = request.tag.rpartition("}")[2]
        args = {child.tag.rpartition("}")[2]: (child.text or "") for child in (request.find("arg0") or [])}
        with self.lock:
            self.calls[operation] = self.calls.get(operation, 0) + 1
        if operation == "creerPaiementSecurise":
            return self._create(args)
        if operation == "recupererDetailPaiementSecurise":
            return self._detail(args.get("idOp", ""))
        if operation == "recupererDetailClient":
            numcli = args.get("numCli", "")
            if numcli not in self.clients:
                return 500, _fault("R1", "numéro de client inconnu")
            return 200, _response(
                "recupererDetailClientResponse",
                {
                    "libelleN1": self.clients[numcli],
                    "libelleN2": "REGIE ENFANCE JEUNESSE",
                    "libelleN3": "",
                    "numcli": numcli,
                },
            )
        return 500, _fault("T1", "opération inconnue", technical=True)

    def _create(self, args: dict[str, str]) -> tuple[int, bytes]:
        montant, refdet = args.get("montant", ""), args.get("refdet", "")
        if args.get("numcli", "") not in self.clients:
            return 500, _fault("R1", "numéro de client inconnu")
        if not montant.isdigit() or not 100 <= int(montant) <= 10_000_000:
            return 500, _fault("R3", "montant invalide")
        if not (refdet.isalnum() and refdet.isascii() and 1 <= len(refdet) <= 30):
            return 500, _fault("R4", "refdet invalide")
        if args.get("saisie") not in ("T", "X", "W") or "@" not in args.get("mel", ""):
            return 500, _fault("R2", "saisie ou mel invalide")
        idop = secrets.token_hex(18)
        with self.lock:
            self.operations[idop] = Operation(
                idop,
                args["numcli"],
                args.get("exer", ""),
                montant,
                refdet,
                args["mel"],
                args.get("objet", ""),
                args["saisie"],
                args.get("urlnotif", ""),
                args.get("urlredirect", ""),
            )
        return 200, _response("creerPaiementSecuriseResponse", {"idOp": idop})

    def _detail(self, idop: str) -> tuple[int, bytes]:
        with self.lock:
            op = self.operations.get(idop)
            if op is None:
                return 500, _fault("P1", "IdOp incorrect")
            if op.resultrans is None:
                return 500, _fault("P5", "Résultat de la transaction non connu")
            at = op.at or datetime.now(PARIS)
            values = {
                "dattrans": f"{at:%d%m%Y}",
                "exer": op.exer,
                "heurtrans": f"{at:%H%M}",
                "idOp": op.idop,
                "mel": op.mel,
                "montant": op.montant,
                "numauto": op.numauto,
                "numcli": op.numcli,
                "objet": op.objet,
                "refdet": op.refdet,
                "resultrans": op.resultrans,
                "saisie": op.saisie,
            }
        return 200, _response("recupererDetailPaiementSecuriseResponse", values)


def _response(name: str, values: dict[str, str]) -> bytes:
    inner = "".join(f"<{k}>{html.escape(v)}</{k}>" for k, v in values.items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{SOAP_ENV}"><S:Body>'
        f'<ns2:{name} xmlns:ns2="{SERVICE_NS}"><return>{inner}</return></ns2:{name}>'
        "</S:Body></S:Envelope>"
    ).encode()


def _fault(code: str, text: str, *, technical: bool = False) -> bytes:
    kind = "TechDysfonctionnementErreur" if technical else "FonctionnelleErreur"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{SOAP_ENV}"><S:Body><S:Fault>'
        f"<faultcode>S:Server</faultcode><faultstring>fr.gouv.finances.cp.tpa.webservice.exceptions.{kind}"
        f'</faultstring><detail><ns2:{kind} xmlns:ns2="{SERVICE_NS}"><code>{code}</code>'
        f"<descriptif>{html.escape(text)}</descriptif><libelle>{html.escape(text)}</libelle>"
        f"<severite>2</severite></ns2:{kind}></detail></S:Fault></S:Body></S:Envelope>"
    ).encode()
