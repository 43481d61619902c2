"""Composition root and command line: ``python -m app [gui|demo|migrate|…]``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__
from .config import DB_URL_ENV, SCHOOL_ZONES, command_line

if TYPE_CHECKING:
    from .clock import Clock
    from .services.actors import Actor
    from .services.uow import Database

log = logging.getLogger("app")


def program_name() -> str:
    """What ``--help`` and the argument errors call the program: ``guichet-enfance-cli`` once packaged by
    PyInstaller (``sys.frozen``), ``python -m app`` from the sources."""
    return command_line()


ARGPARSE_FRENCH = {
    "the following arguments are required": "arguments obligatoires manquants",
    "unrecognized arguments": "arguments inconnus",
    "invalid choice": "choix invalide",
    "expected one argument": "une valeur est attendue",
    "invalid int value": "nombre entier attendu au lieu de",
    "argument ": "paramètre ",
    "the following arguments": "les paramètres suivants",
}


class FrenchHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # argparse's own signature
        super().add_usage(usage, actions, groups, "utilisation : " if prefix is None else prefix)


class FrenchArgumentParser(argparse.ArgumentParser):
    """argparse with its own words in French too: headings, -h/--help, errors on one line (exit 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        add_help = kwargs.pop("add_help", True)
        kwargs.setdefault("formatter_class", FrenchHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        if add_help:
            self.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")

    def error(self, message: str) -> NoReturn:  # one line, French, exit 2
        for english, french in ARGPARSE_FRENCH.items():
            message = message.replace(english, french)
        self.exit(2, f"Erreur : arguments invalides ({message}). Voir « {self.prog} --help ».\n")


def _date(text: str) -> date:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date, no time
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"date invalide « {text} », attendu AAAA-MM-JJ") from exc
    if not 2000 <= day.year <= 2100:
        raise argparse.ArgumentTypeError(f"date « {text} » hors des années 2000 à 2100")
    return day


def build_parser() -> argparse.ArgumentParser:
    common = FrenchArgumentParser(add_help=False)  # only a parent: its arguments are copied
    common.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help=f"base de données (sqlite:///chemin.sqlite3 ou postgresql+psycopg://…); sinon ${DB_URL_ENV}, "
        "sinon le fichier local de l'utilisateur",
    )
    parser = FrenchArgumentParser(
        prog=program_name(),
        description="Guichet Enfance : réservations ALAE / ALSH au guichet enfance-jeunesse.",
        parents=[common],
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"Guichet Enfance {__version__}",
        help="afficher la version et quitter",
    )
    parser.add_argument(
        "--selftest",
        action="store_true",
        help="vérifier l'installation : base SQLite temporaire migrée, fenêtre principale hors écran, OK",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", parser_class=FrenchArgumentParser)

    gui = sub.add_parser("gui", parents=[common], help="lancer l'application (par défaut)")
    gui.add_argument("--selftest", action="store_true", help="ouvrir la fenêtre, afficher OK et quitter")
    gui.add_argument("--screenshot", metavar="PNG", help="avec --selftest : enregistrer la fenêtre en image")
    gui.add_argument(
        "--startup-probe",
        action="store_true",
        help="mesure du démarrage : afficher LOGIN_SHOWN, CLICKED puis READY, la connexion se faisant avec "
        "$GUICHET_PROBE_LOGIN et $GUICHET_PROBE_PASSWORD, et quitter",
    )
    gui.add_argument(
        "--startup-probe-typing",
        type=float,
        default=0.0,
        metavar="SECONDES",
        help="avec --startup-probe : attendre ce temps (un agent qui tape) avant de cliquer « Se connecter »",
    )

    demo = sub.add_parser("demo", parents=[common], help="créer une base de démonstration")
    demo.add_argument("--today", type=_date, help="date du jour de la démonstration (AAAA-MM-JJ)")
    demo.add_argument("--force", action="store_true", help="remplacer les données existantes")

    migrate = sub.add_parser("migrate", parents=[common], help="mettre la base de données à jour")
    migrate.add_argument(
        "--counter-login",
        metavar="IDENTIFIANT",
        help="PostgreSQL : créer l'identifiant de connexion des guichets (mot de passe demandé)",
    )
    migrate.add_argument(
        "--service-login",
        metavar="IDENTIFIANT",
        help="PostgreSQL : créer l'identifiant de connexion de la tâche de fond et du portail "
        "(mot de passe demandé)",
    )
    sub.add_parser("check", parents=[common], help="vérifier les invariants (places, soldes, reçus…)")

    nightly = sub.add_parser(
        "nightly", parents=[common], help="fin de journée : transmission, comptes-rendus, envoi des e-mails"
    )
    nightly.add_argument("--date", type=_date, help="journée à traiter (défaut : aujourd'hui)")
    nightly.add_argument(
        "--no-send", action="store_true", help="ne pas envoyer les e-mails (file d'envoi seulement)"
    )
    worker = sub.add_parser(
        "worker",
        parents=[common],
        help="travaux de fond en continu : e-mails, paiements en ligne, fin de journée à son heure",
    )
    worker.add_argument("--once", action="store_true", help="un seul tour, puis quitter")
    worker.add_argument(
        "--interval",
        type=float,
        default=15.0,
        metavar="SECONDES",
        help="secondes entre deux tours (défaut 15)",
    )
    worker.add_argument(
        "--end-of-day",
        metavar="HH:MM",
        help="heure de la fin de journée (défaut : $GUICHET_END_OF_DAY, sinon 19:30 ; « aucune » pour ne pas la faire)",
    )
    secret = sub.add_parser(
        "payment-secret",
        help="enregistrer un secret du service de paiement d'une structure dans le trousseau de ce serveur",
    )
    secret.add_argument(
        "--structure", required=True, metavar="CODE", help="code de la structure (ex. ALSH-MONTECH)"
    )
    secret.add_argument(
        "--option", required=True, metavar="NOM", help="nom de l'option secrète (ex. secret_test)"
    )
    check_site = sub.add_parser(
        "payment-check",
        parents=[common],
        help="demander au site de paiement d'une structure ce qu'il connaît d'elle",
    )
    check_site.add_argument("--structure", required=True, metavar="CODE", help="code de la structure")
    restore = sub.add_parser("restore", parents=[common], help="remplacer la base locale par une sauvegarde")
    restore.add_argument("file", metavar="SAUVEGARDE.sqlite3")
    sub.add_parser("smtp-password", help="enregistrer le mot de passe SMTP dans le trousseau du système")

    printing = sub.add_parser(
        "print", help="imprimer une fiche de réservations ou une liste de présence en PDF"
    )
    documents = printing.add_subparsers(
        dest="document", metavar="DOCUMENT", parser_class=FrenchArgumentParser
    )
    documents.required = True
    sheet = documents.add_parser("sheet", parents=[common], help="fiche de réservations d'une famille")
    sheet.add_argument("--family", type=int, required=True, metavar="ID", help="numéro de la famille")
    sheet.add_argument(
        "--from", dest="start", type=_date, metavar="AAAA-MM-JJ", help="début (défaut : année scolaire)"
    )
    sheet.add_argument("--to", dest="end", type=_date, metavar="AAAA-MM-JJ", help="fin")
    sheet.add_argument("out", metavar="FICHIER.pdf")
    attendance = documents.add_parser("attendance", parents=[common], help="liste de présence d'une journée")
    attendance.add_argument("--activity", type=int, required=True, metavar="ID", help="numéro de l'activité")
    attendance.add_argument("--day", type=_date, required=True, metavar="AAAA-MM-JJ", help="la journée")
    attendance.add_argument("out", metavar="FICHIER.pdf")

    setup = sub.add_parser(
        "setup",
        parents=[common],
        help="mettre en service une commune sur une base vide (structures, administrateur, année scolaire)",
    )
    setup.add_argument(
        "--structure",
        action="append",
        required=True,
        metavar="NOM",
        help="nom d'une structure (répétable), créée avec les activités habituelles",
    )
    setup.add_argument("--zone", required=True, choices=list(SCHOOL_ZONES), help="zone de vacances scolaires")
    setup.add_argument(
        "--school-year", metavar="AAAA", help="année scolaire à préparer (ex. 2026 pour 2026-2027)"
    )
    setup.add_argument(
        "--admin", required=True, metavar="IDENTIFIANT", help="identifiant du premier administrateur"
    )
    setup.add_argument("--admin-name", metavar="NOM", help="nom complet de l'administrateur")
    setup.add_argument("--address", default="", metavar="ADRESSE", help="adresse des structures")
    setup.add_argument("--postal-code", default="", metavar="CP", help="code postal")
    setup.add_argument("--city", default="", metavar="VILLE", help="ville")
    setup.add_argument("--phone", default="", metavar="TÉL", help="téléphone")
    setup.add_argument("--email", default="", metavar="E-MAIL", help="adresse e-mail")
    setup.add_argument("--logo", metavar="FICHIER", help="logo PNG ou JPEG imprimé sur les documents")
    setup.add_argument(
        "--today", type=_date, help="date du jour (AAAA-MM-JJ) : les journées d'avant ne sont pas créées"
    )

    school = sub.add_parser(
        "school-year", parents=[common], help="préparer une année scolaire : vacances, jours fériés, journées"
    )
    school.add_argument(
        "--year", required=True, metavar="AAAA", help="année scolaire (ex. 2027 pour 2027-2028)"
    )
    school.add_argument(
        "--past", action="store_true", help="préparer une année déjà terminée (un historique)"
    )
    school.add_argument(
        "--today", type=_date, help="date du jour (AAAA-MM-JJ) : les journées d'avant ne sont pas créées"
    )

    imp = sub.add_parser(
        "import-families", parents=[common], help="importer les familles d'un fichier CSV ou .xlsx"
    )
    imp.add_argument("file", metavar="FICHIER")
    imp.add_argument("--dry-run", action="store_true", help="afficher l'aperçu sans rien écrire")
    imp.add_argument("--skip-invalid", action="store_true", help="importer sans les lignes rejetées")
    exp = sub.add_parser(
        "export-families", parents=[common], help="exporter toutes les familles (format de l'import)"
    )
    exp.add_argument("file", metavar="FICHIER.csv")
    caf = sub.add_parser(
        "caf-hours", parents=[common], help="les heures CAF d'une période (FICHIER .xlsx, .csv ou .pdf)"
    )
    caf.add_argument(
        "--from", dest="start", type=_date, required=True, metavar="AAAA-MM-JJ", help="premier jour"
    )
    caf.add_argument("--to", dest="end", type=_date, required=True, metavar="AAAA-MM-JJ", help="dernier jour")
    caf.add_argument("--structure", metavar="CODE", help="une structure (défaut : toutes)")
    caf.add_argument("file", metavar="FICHIER", help="heures.xlsx, heures.csv ou heures.pdf (un an au plus)")
    certificates = sub.add_parser(
        "attestations",
        parents=[common],
        help="les attestations de frais de garde d'une année passée (un PDF par famille, e-mails par l'outbox)",
    )
    certificates.add_argument(
        "--year",
        type=int,
        required=True,
        metavar="AAAA",
        help="l'année civile des attestations (une année terminée)",
    )
    certificates.add_argument("folder", metavar="DOSSIER", help="le dossier des PDF (créé s'il n'existe pas)")

    web = sub.add_parser(
        "portal", parents=[common], help="le portail famille (serveur web, pour un essai ou un poste)"
    )
    web.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (défaut 127.0.0.1)")
    web.add_argument("--port", type=int, default=8000, help="port (défaut 8000)")
    web.add_argument(
        "--url",
        help="adresse publique du portail, celle que tapent les familles (https://… derrière "
        "un proxy inverse avec TLS) ; défaut http://HÔTE:PORT",
    )

    shots = sub.add_parser(
        "screenshots",
        parents=[common],
        help="enregistrer les écrans principaux en PNG (données de démonstration)",
    )
    shots.add_argument("outdir", metavar="DOSSIER")
    shots.add_argument("--today", type=_date, help="date du jour de la démonstration (AAAA-MM-JJ)")
    shots.add_argument(
        "--size", default="1366x768", metavar="LxH", help="taille de la fenêtre (défaut 1366x768)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    from .console import protect_streams

    protect_streams()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    command = args.command or ("selftest" if args.selftest else "gui")
    try:
        if command == "migrate":
            return cmd_migrate(args)
        if command == "demo":
            return cmd_demo(args)
        if command == "check":
            return cmd_check(args)
        if command == "screenshots":
            return cmd_screenshots(args)
        if command == "print":
            return cmd_print(args)
        if command == "selftest":
            return cmd_selftest()
        if command == "restore":
            return cmd_restore(args)
        if command == "nightly":
            return cmd_nightly(args)
        if command == "smtp-password":
            return cmd_smtp_password()
        if command == "worker":
            return cmd_worker(args)
        if command == "payment-secret":
            return cmd_payment_secret(args)
        if command == "payment-check":
            return cmd_payment_check(args)
        if command == "setup":
            return cmd_setup(args)
        if command == "school-year":
            return cmd_school_year(args)
        if command == "import-families":
            return cmd_import_families(args)
        if command == "export-families":
            return cmd_export_families(args)
        if command == "caf-hours":
            return cmd_caf_hours(args)
        if command == "attestations":
            return cmd_tax_certificates(args)
        if command == "portal":
            return cmd_portal(args)
        return cmd_gui(args)
    except Exception as exc:
        code = _failure_code(exc)
        if code is None:
            raise
        return code


def _failure_code(exc: Exception) -> int | None:
    """A domain refusal (exit 2) or a database error (exit 3) in one French line on the standard error; None for
    anything else. SQLAlchemy is imported here, not before: ``gui`` shows its login window without it."""
    from sqlalchemy.exc import SQLAlchemyError

    from .services.errors import DomainError

    if isinstance(exc, DomainError):
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    if isinstance(exc, SQLAlchemyError):
        log.debug("database error", exc_info=True)
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        print(f"Erreur de base de données : {detail}", file=sys.stderr)
        return 3
    return None


def cmd_migrate(args: argparse.Namespace) -> int:
    from .config import choose_database
    from .db import current_revision, describe, head_revision, make_engine, ping, upgrade

    engine = make_engine(choose_database(getattr(args, "db", None)).url)
    ping(engine)
    before = current_revision(engine)
    upgrade(engine)
    after = head_revision()
    where = describe(engine.url)
    if before == after:
        print(f"{where} : déjà à jour (version {after}).")
    else:
        print(f"{where} : mise à jour de la version {before or 'vide'} à la version {after}.")
    if engine.dialect.name == "postgresql":
        from sqlalchemy.exc import DBAPIError

        from .pg_security import create_login, grant_roles

        try:
            counter, service = grant_roles(engine)
        except DBAPIError as exc:
            print(
                f"Attention : rôles des guichets et des services non mis à jour ({_first_line(exc)}) : lancez la "
                "mise à jour avec un compte propriétaire de la base, autorisé à créer des rôles.",
                file=sys.stderr,
            )
            return 1 if args.counter_login or args.service_login else 0
        print(
            f"Rôle des guichets « {counter} » et des services (tâches, portail) « {service} », propres à cette "
            "base : ils lisent et écrivent les données mais ne modifient ni ne suppriment les écritures, "
            "règlements, journal et clés d'opération, ne lisent aucun mot de passe et ne changent aucun agent ; "
            "aucun autre rôle du serveur ne se connecte à cette base."
        )
        for name, kind in ((args.counter_login, "counter"), (args.service_login, "service")):
            if name:
                role = create_login(engine, name, _read_new_password(name, "de l'identifiant "), kind)
                print(f"Identifiant de connexion « {name} » créé (ou mis à jour) dans le rôle « {role} ».")
    return 0


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:160]


def cmd_demo(args: argparse.Namespace) -> int:
    from .clock import FixedClock, SystemClock, local_today, paris
    from .config import choose_database
    from .db import make_engine, ping, upgrade
    from .services.demo import load_demo
    from .services.uow import Database

    engine = make_engine(choose_database(getattr(args, "db", None)).url)
    ping(engine)
    upgrade(engine)
    today = args.today or local_today(SystemClock())
    summary = load_demo(Database(engine, FixedClock(paris(today))), today, force=args.force)
    print("\n".join(summary.lines()))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .bootstrap import open_database
    from .db import describe
    from .services.invariants import check
    from .text import count

    db = open_database(getattr(args, "db", None), create=False)
    problems = check(db)
    where = describe(db.engine.url)
    if not problems:
        print(f"{where} : aucune anomalie.")
        return 0
    print(f"{where} : {count(len(problems), 'anomalie')} :")
    for line in problems:
        print(f"- {line}")
    return 1


def cmd_selftest() -> int:
    """For a freshly installed (or packaged) program: migrate a temporary database and show the window."""
    import os
    import tempfile
    from pathlib import Path

    from .db import check_schema, make_engine, upgrade
    from .services.uow import Database

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'selftest.sqlite3'}")
        upgrade(engine)
        check_schema(engine)
        from .ui.shell.application import run

        code = run(Database(engine), selftest=True)
        engine.dispose()
    return code


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .backup import restore
    from .config import choose_database
    from .db import parse_url
    from .text import count

    url = parse_url(choose_database(getattr(args, "db", None)).url)
    if url.get_backend_name() != "sqlite":
        print(
            "Erreur : la restauration concerne une base locale SQLite ; un serveur partagé se restaure avec "
            "les outils de PostgreSQL.",
            file=sys.stderr,
        )
        return 2
    assert url.database is not None  # a local SQLite database is a file
    from .files import network_location

    where = network_location(url.database)
    if where:
        from .services.errors import NetworkDatabase

        raise NetworkDatabase(url.database, where)
    if not Path(url.database).is_file():
        from .db import describe
        from .services.errors import DatabaseMissing

        raise DatabaseMissing(describe(url))
    kept = restore(Path(args.file), Path(url.database))
    from .backup import reapply_after_restore
    from .db import make_engine, upgrade

    engine = make_engine(url, create=False)
    try:
        upgrade(engine)  # a backup made before an update is brought to this version first
    finally:
        engine.dispose()
    again = reapply_after_restore(Path(url.database), kept)
    print(
        f"Base restaurée depuis « {args.file} »."
        + (f" L'ancienne base est conservée : {kept}" if kept else "")
        + (
            " "
            + count(
                len(again),
                "famille anonymisée depuis cette sauvegarde l'est à nouveau",
                "familles anonymisées depuis cette sauvegarde le sont à nouveau",
            )
            + "."
            if again
            else ""
        )
    )
    return 0


MAIL_NOT_SENT = 4
"""``nightly``'s (and ``worker --once``'s) exit code when e-mails could not leave (the SMTP server unreachable, a message refused): the day is
transmitted, the messages stay in the outbox for the next run (but those given up after several attempts)."""


def _logged_job(name: str, job: Callable[[logging.Logger], int]) -> int:
    """Run a command without a window (``nightly``, ``worker``) with its log in the counter's rotating file: its
    start, what it says (``job`` logs its own steps on the logger it is given), its end with the exit code, and a
    failure with its traceback (then raised again: ``main`` says it in French)."""
    import os

    from .logging_setup import FILE_ONLY, command_logging
    from .services.errors import DomainError

    job_log = logging.getLogger(f"app.{name}")
    command_logging()
    job_log.info("%s: start (%s, pid %d)", name, program_name(), os.getpid())
    try:
        code = job(job_log)
    except DomainError as exc:
        job_log.error("%s: stopped: %s", name, exc, extra=FILE_ONLY)
        raise
    except KeyboardInterrupt:
        job_log.warning("%s: interrupted", name, extra=FILE_ONLY)
        raise
    except Exception:
        job_log.exception("%s: failed", name, extra=FILE_ONLY)
        raise
    job_log.log(
        logging.INFO if code == 0 else logging.WARNING, "%s: end, exit code %d", name, code, extra=FILE_ONLY
    )
    return code


def cmd_nightly(args: argparse.Namespace) -> int:
    """The scheduled end of day: transmit the day's requests, queue the comptes-rendus, send the outbox. Exit 0;
    ``MAIL_NOT_SENT`` (4) when e-mails could not leave; 2 or 3 when the job stopped (``_failure_code``)."""
    return _logged_job("nightly", lambda job_log: _nightly(args, job_log))


def _nightly(args: argparse.Namespace, job_log: logging.Logger) -> int:
    from .bootstrap import open_database
    from .clock import local_today
    from .db import describe
    from .logging_setup import FILE_ONLY
    from .services.end_of_day.mailer import SmtpSettings, send_pending
    from .services.end_of_day.nightly import end_of_day
    from .text import count, short_date

    def say(lines: list[str]) -> None:
        print("\n".join(lines))
        for line in lines:
            job_log.info(line)

    db = open_database(getattr(args, "db", None), create=False)
    day = args.date or local_today(db.clock)
    job_log.info("Fin de journée du %s, %s.", short_date(day), describe(db.engine.url))
    say(end_of_day(db, day, _command_line_actor(db).agent_id))
    settings = SmtpSettings.from_env()
    if args.no_send:
        say(["Envoi des e-mails non demandé."])
        return 0
    if settings is None:
        say(["Pas de serveur SMTP configuré (GUICHET_SMTP_HOST) : les e-mails restent en file d'envoi."])
        return 0
    job_log.info("Envoi des e-mails par %s:%d.", settings.host, settings.port)
    report = send_pending(db, settings)
    say(report.lines())
    if not (report.unreachable or report.retried or report.failed):
        return 0
    why = (
        f"serveur d'envoi injoignable ({report.unreachable})"
        if report.unreachable
        else "le serveur d'envoi a refusé "
        + count(report.retried + len(report.failed), "message", "messages")
    )
    message = (
        f"Erreur : e-mails non envoyés, {why} ; "
        + count(report.remaining, "message reste", "messages restent")
        + " en file d'envoi pour la prochaine exécution."
    )
    print(message, file=sys.stderr)
    job_log.error(message, extra=FILE_ONLY)
    return MAIL_NOT_SENT


def cmd_worker(args: argparse.Namespace) -> int:
    """The background work, continuously (or ``--once``): settles the online payments, runs the end of day at its
    hour, sends the outbox. Stops cleanly on Ctrl+C or SIGTERM."""
    from .worker import END_OF_DAY_ENV, configured_end_of_day, parse_hour

    try:
        hour = parse_hour(args.end_of_day) if args.end_of_day is not None else configured_end_of_day()
    except ValueError as exc:
        print(f"Erreur : {exc} (--end-of-day ou {END_OF_DAY_ENV}).", file=sys.stderr)
        return 2
    if args.interval < 1 or args.interval > 3600:
        print("Erreur : --interval entre 1 et 3600 secondes.", file=sys.stderr)
        return 2
    return _logged_job("worker", lambda job_log: _worker(args, hour, job_log))


def _worker(args: argparse.Namespace, hour: time | None, job_log: logging.Logger) -> int:
    import os
    import signal
    import threading

    from .bootstrap import open_database
    from .clock import local_now
    from .db import describe
    from .services.end_of_day.mailer import SmtpSettings
    from .services.money.online_backends import PaymentGateway
    from .text import moment
    from .worker import Worker

    db = open_database(getattr(args, "db", None), create=False)
    job_log.info("Travaux de fond sur %s.", describe(db.engine.url))
    smtp = SmtpSettings.from_env()
    if smtp is not None:
        smtp.password()  # a missing keyring entry stops here, in one French line (exit 2), not at every round

    def say(line: str) -> None:  # the console shows the rounds' lines once, the log all
        print(f"{moment(local_now(db.clock), compact=True, seconds=True)} {line}", flush=True)
        job_log.info(line)

    worker = Worker(
        db,
        PaymentGateway(os.environ.get("GUICHET_PORTAL_URL", "")),
        smtp,
        hour,
        args.interval,
        _command_line_actor(db).agent_id,
        say=say,
    )
    if args.once:
        for line in worker.round():
            say(line)
        return MAIL_NOT_SENT if worker.mail_failed else 0
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    worker.run(stop)
    return 0


def cmd_payment_secret(args: argparse.Namespace) -> int:
    """A secret option of a structure's payment site (a signing key…) in this server's keyring, asked without echo."""
    import getpass

    from .services.money.online_backends import SECRET_OPTIONS, secret_env, store_secret

    if args.option not in SECRET_OPTIONS:
        print(
            f"Erreur : « {args.option} » n'est pas une option secrète ({', '.join(sorted(SECRET_OPTIONS))}).",
            file=sys.stderr,
        )
        return 2
    value = (
        sys.stdin.readline().rstrip("\r\n")
        if not sys.stdin.isatty()
        else getpass.getpass(f"{args.option} de {args.structure} : ")
    )
    if not value:
        print("Erreur : secret vide, rien n'a été enregistré.", file=sys.stderr)
        return 2
    store_secret(args.structure, args.option, value)
    print(
        f"Secret enregistré dans le trousseau de ce serveur (sinon : variable {secret_env(args.structure, args.option)})."
    )
    return 0


def cmd_payment_check(args: argparse.Namespace) -> int:
    """The structure's payment site asked what it knows of the régie (PayFiP: the numcli's name), from this server."""
    from sqlalchemy import select

    from .bootstrap import open_database
    from .models import Structure
    from .services.errors import UnknownEntity
    from .services.money.online import check_payment_site
    from .services.money.online_backends import PaymentGateway

    db = open_database(getattr(args, "db", None), create=False)
    with db.reading() as uow:
        structure_id = uow.session.scalar(select(Structure.id).where(Structure.code == args.structure))
    if structure_id is None:
        raise UnknownEntity(f"Structure inconnue : « {args.structure} » (son code, ex. ALSH-MONTECH).")
    print(check_payment_site(db, PaymentGateway(), structure_id))
    return 0


def _command_line_actor(db: Database) -> Actor:
    """Who acts for a scripted command: the "système" agent (the database's own access is the trust; audited)."""
    from .services.actors import system_actor

    with db.reading() as uow:
        return system_actor(uow.session)


def _read_new_password(login: str, who: str = "de l'administrateur ") -> str:
    """From standard input when it is not a terminal (a script), else asked twice without echo."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Mot de passe {who}{login} : ")
    if getpass.getpass("Confirmez le mot de passe : ") != first:
        from .services.errors import ValidationError

        raise ValidationError("Les deux mots de passe ne sont pas identiques.")
    return first


def _read_file(path: str) -> bytes:
    from pathlib import Path

    from .services.errors import ValidationError

    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"Impossible de lire « {path} » (fichier introuvable ou accès refusé)."
        ) from exc


def cmd_setup(args: argparse.Namespace) -> int:
    """A real town on an empty database: structures with their usual activities, the first administrator,
    the zone and (optionally) the school year prepared at once."""
    from .config import choose_database
    from .db import describe, make_engine, ping, upgrade
    from .services.setup.install import InstallInput, install
    from .services.setup.structures import StructureInput
    from .services.uow import Database

    logo = _read_file(args.logo) if args.logo else None
    password = _read_new_password(args.admin)
    structures = [
        StructureInput(
            name=name,
            address=args.address,
            postal_code=args.postal_code,
            city=args.city,
            phone=args.phone,
            email=args.email,
            zone=args.zone,
            logo=logo,
        )
        for name in args.structure
    ]
    engine = make_engine(choose_database(getattr(args, "db", None)).url)
    ping(engine)
    upgrade(engine)
    report = install(
        Database(engine, _clock_of(args)),
        InstallInput(
            structures, args.admin, args.admin_name or args.admin, password, args.zone, args.school_year
        ),
    )
    print(f"{describe(engine.url)} :")
    print("\n".join(report.lines()))
    return 0


def cmd_school_year(args: argparse.Namespace) -> int:
    from .bootstrap import open_database
    from .services.setup.school_year import generate_days

    db = open_database(getattr(args, "db", None), create=False, clock=_clock_of(args))
    report = generate_days(db, _command_line_actor(db), args.year, past=args.past)
    print("\n".join(report.lines()))
    return 0


def _clock_of(args: argparse.Namespace) -> Clock:
    """The system's clock, or the day given with ``--today`` (at 10:00, Paris)."""
    from .clock import FixedClock, SystemClock, paris

    today = getattr(args, "today", None)
    return FixedClock(paris(today, datetime.min.time().replace(hour=10))) if today else SystemClock()


def cmd_import_families(args: argparse.Namespace) -> int:
    """Print the preview; exit 1 (nothing written) when a line is rejected, unless --skip-invalid."""
    from pathlib import Path

    from .bootstrap import open_database
    from .services.setup.family_import import import_families, preview_import, read_source

    db = open_database(getattr(args, "db", None), create=False)
    with _progress_bar("Lecture") as progress:
        table = read_source(Path(args.file).name, _read_file(args.file), progress)
    with _progress_bar("Vérification") as progress:
        preview = preview_import(db, table, progress=progress)
    print("\n".join(preview.summary()))
    if preview.rejected and not args.skip_invalid:
        print("Rien n'a été importé : corrigez les lignes rejetées ou ajoutez --skip-invalid.")
        return 1
    if args.dry_run:
        print("Essai à blanc (--dry-run) : rien n'a été écrit.")
        return 0
    with _progress_bar("Import") as progress:
        result = import_families(
            db, _command_line_actor(db), table, skip_invalid=args.skip_invalid, progress=progress
        )
    print("\n".join(result.lines()))
    return 0


@contextmanager
def _progress_bar(what: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on the standard error while a long file is read, checked or imported (tqdm; nothing when
    the output is not a terminal, so that scripts and their logs stay clean)."""
    from tqdm import tqdm

    with tqdm(desc=what, unit=" lignes", disable=not sys.stderr.isatty(), mininterval=0, miniters=1) as bar:

        def progress(done: int, total: int) -> None:
            if total and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        yield progress


def cmd_export_families(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .bootstrap import open_database
    from .services.setup.family_import import export_families
    from .text import count

    db = open_database(getattr(args, "db", None), create=False)
    content = export_families(db, _command_line_actor(db))
    from .files import write_document

    write_document(Path(args.file), content, private=True)  # FileNotWritable: one French line, exit 2
    lines = content.count(b"\n") - 1
    print(f"{args.file} : {count(lines, 'ligne exportée', 'lignes exportées')}.")
    return 0


def cmd_caf_hours(args: argparse.Namespace) -> int:
    """The CAF's hours of a period in the file's format (its suffix); a French line and exit 2 when refused."""
    from pathlib import Path

    from .bootstrap import open_database
    from .files import write_document
    from .services.booking.caf_hours import caf_hours, structure_by_code
    from .services.documents.caf_hours import CafFormat, caf_file

    path = Path(args.file)
    fmt = CafFormat.of(path.suffix)
    db = open_database(getattr(args, "db", None), create=False)
    actor = _command_line_actor(db)
    structure_id = structure_by_code(db, args.structure) if args.structure else None
    report = caf_hours(db, actor, args.start, args.end, structure_id)
    write_document(path, caf_file(report, fmt, actor.name))
    print(f"{args.file} : heures CAF {report.period_text}, {report.scope_text}.")
    return 0


def cmd_tax_certificates(args: argparse.Namespace) -> int:
    """A past year's childcare tax certificates into a folder, the e-mails queued in the outbox (sent by the worker
    or ``nightly``); a French line and exit 2 when refused."""
    from pathlib import Path

    from .bootstrap import open_database
    from .services.documents.tax_certificate import tax_certificates_batch

    db = open_database(getattr(args, "db", None), create=False)
    actor = _command_line_actor(db)
    # the batch makes the folder once the year (and the structures' SIRET and régisseur) are accepted: a refused
    # year leaves no new folder
    result = tax_certificates_batch(db, actor, args.year, str(Path(args.folder)), create_folder=True)
    print(result.message())
    return 0


def cmd_smtp_password() -> int:
    import getpass

    from .services.end_of_day.mailer import SmtpSettings, store_password

    settings = SmtpSettings.from_env()
    if settings is None or not settings.user:
        print(
            "Erreur : définissez GUICHET_SMTP_HOST et GUICHET_SMTP_USER avant d'enregistrer le mot de passe.",
            file=sys.stderr,
        )
        return 2
    password = getpass.getpass(f"Mot de passe SMTP de {settings.user}@{settings.host} : ")
    store_password(settings, password)
    print("Mot de passe enregistré dans le trousseau du système.")
    return 0


def cmd_print(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .bootstrap import open_database

    db = open_database(getattr(args, "db", None), create=False)
    if args.document == "sheet":
        from .services.documents.sheet import reservation_sheet_pdf

        pdf = reservation_sheet_pdf(
            db, args.family, args.start, args.end, printed_by="impression automatique"
        )
    else:
        from .services.documents.attendance import attendance_pdf

        pdf = attendance_pdf(db, args.activity, args.day, printed_by="impression automatique")
    from .files import write_document

    out = write_document(Path(args.out), pdf)  # FileNotWritable: one French line, exit 2
    print(f"{out} ({len(pdf) // 1024} Ko)")
    return 0


def cmd_screenshots(args: argparse.Namespace) -> int:
    """Render the counter's main screens offscreen; without --db, on a fresh temporary demo database."""
    import os
    import tempfile
    from pathlib import Path

    from .clock import FixedClock, SystemClock, local_today, paris
    from .db import make_engine, ping, upgrade
    from .services.demo import load_demo
    from .services.uow import Database

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    today = args.today or local_today(SystemClock())
    clock = FixedClock(paris(today, datetime.min.time().replace(hour=10)))
    with tempfile.TemporaryDirectory() as tmp:
        url = getattr(args, "db", None)
        if url is None:
            url = f"sqlite:///{Path(tmp) / 'demo.sqlite3'}"
            engine = make_engine(url)
            upgrade(engine)
            load_demo(Database(engine, clock), today)
        else:
            from .bootstrap import open_database

            engine = open_database(url).engine
        ping(engine)
        from .ui.shell.screenshots import take_screenshots

        db = Database(engine, clock)
        for offset in range(0, 4):
            index = today.year * 12 + today.month - 1 + offset
            try:
                width, _, height = args.size.partition("x")
                saved = take_screenshots(
                    db, Path(args.outdir), index // 12, index % 12 + 1, (int(width), int(height))
                )
                break
            except LookupError:
                continue
        else:
            print("Erreur : aucune famille de démonstration ne convient pour les captures.", file=sys.stderr)
            return 2
        engine.dispose()
    for path in saved:
        print(path)
    return 0


def cmd_portal(args: argparse.Namespace) -> int:
    """The family portal in one process (uvicorn), on the database of ``--db`` and at the address of ``--url``
    (``asgi.command_serving``): for a trial or a small town. A real town runs ``app.web.asgi`` with several
    workers behind a reverse proxy with TLS (see the README); this command reads none of its ``GUICHET_PORTAL_URL``
    or ``GUICHET_PORTAL_HTTP`` — only its secret, when set, so that sessions outlive a restart."""
    import os
    import secrets

    try:
        import uvicorn

        from .web.app import create_app
        from .web.asgi import SECRET_ENV, command_serving
    except ImportError:  # the counter's packaged program leaves the web server out
        print(
            "Erreur : le portail famille ne fait pas partie de ce programme : lancez-le depuis les sources "
            "(python -m app portal) ou sur un serveur (uvicorn app.web.asgi:app).",
            file=sys.stderr,
        )
        return 2
    from .bootstrap import open_database
    from .db import describe
    from .services.money.online_backends import PaymentGateway

    serving = command_serving(args.host, args.port, args.url, os.environ.get(SECRET_ENV) or None)
    if serving.warning:
        print(serving.warning, file=sys.stderr, flush=True)
    db = open_database(getattr(args, "db", None), create=False)
    secret = os.environ.get(SECRET_ENV) or secrets.token_urlsafe(
        32
    )  # else: sessions end when the portal stops
    public = serving.public_url
    payments = PaymentGateway(public)  # a trial: the demonstration's payment site is allowed
    web = create_app(
        db, secret_key=secret, public_url=public, secure_cookies=serving.secure_cookies, payments=payments
    )
    print(f"Portail famille sur {public}/ ({describe(db.engine.url)}) ; Ctrl+C pour arrêter.", flush=True)
    # the background work in the same process: e-mails within a minute, online payments settled, end of day
    from .clock import local_now
    from .services.end_of_day.mailer import SmtpSettings
    from .text import clock_time
    from .worker import Worker, configured_end_of_day, start_in_thread

    def say(line: str) -> None:
        print(f"{clock_time(local_now(db.clock), seconds=True)} {line}", flush=True)

    worker = Worker(
        db,
        payments,
        SmtpSettings.from_env(),
        configured_end_of_day(),
        actor_id=_command_line_actor(db).agent_id,
        say=say,
    )
    _thread, stop = start_in_thread(worker)
    try:
        uvicorn.run(web, host=args.host, port=args.port, log_level="warning", proxy_headers=True)
    finally:
        stop.set()
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    """The login window first, the database opened behind it (``ui.startup``); ``--selftest`` opens the main
    window on the database directly."""
    selftest = getattr(args, "selftest", False)
    if not selftest:
        from .ui.shell.startup import start

        probe, typing = getattr(args, "startup_probe", False), getattr(args, "startup_probe_typing", 0.0)
        if typing and not probe:
            print("Erreur : --startup-probe-typing ne s'emploie qu'avec --startup-probe.", file=sys.stderr)
            return 2
        if not 0 <= typing <= 600:
            print("Erreur : --startup-probe-typing entre 0 et 600 secondes.", file=sys.stderr)
            return 2
        return start(getattr(args, "db", None), probe=probe, typing=typing)
    from .ui.shell.application import run, start_database
    from .ui.shell.qt_app import prepare_application

    prepare_application()
    db = start_database(getattr(args, "db", None), interactive=False)
    if db is None:  # the agent closed the first-run or migration dialog
        return 1
    return run(db, selftest=selftest, screenshot=getattr(args, "screenshot", None))


def main_windowed(argv: list[str] | None = None) -> int:
    """The windowed program's entry (no console): failures shown in a French message box (``app.windowed``)."""
    from .windowed import main_windowed as run_windowed

    return run_windowed(argv)


if __name__ == "__main__":
    sys.exit(main())
