"""The shared PostgreSQL server as a trust boundary (``app.pg_security``, ``docs/security.md``).

Two towns' databases on one server that checks passwords (scram-sha-256, ``PasswordServer``), prepared the way the
town's IT person does it (``python -m app migrate --counter-login … --service-login …``). Then ``psql`` under the
counters' credential — what anyone who copied it from a counter's keyring holds — is refused what would let it rule
the database: reading the password hashes or the sessions, changing an agent, a role or a lockout, writing the
journal under another agent's name, connecting to the other town's database. The application itself, through the
same credential, goes on working: logins, lockout, bookings, the administrator's agents screen.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.clock import FixedClock, paris
from app.db import make_engine, upgrade
from app.models import Agent, AuditEntry, PaymentMethod, Role, WalletKind
from app.pg_security import create_login, grant_roles, group
from app.services import auth
from app.services.actors import Actor, SessionEnded
from app.services.auth import AccountLocked, LoginRefused
from app.services.demo import load_demo
from app.services.errors import DatabaseRefused, PermissionDenied, ValidationError
from app.services.families.forgetting import BalanceChoice, anonymise_family
from app.services.families.privacy import export_family
from app.services.money.payments import PaymentInput, record_payment
from app.services.setup import agents
from app.services.uow import Database, new_operation_key
from tests.helpers import structure_of
from tests.pg_password_server import PASSWORD, PasswordServer

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 26)
NOW = paris(TODAY, time(9, 0))
COUNTER, SERVICE = "montech_guichets", "montech_services"
COUNTER_PW, SERVICE_PW = "ardoise-tulipe-guichet-82", "cheval-marelle-service-82"
OTHER_COUNTER, OTHER_PW = "lafrancaise_guichets", "ballon-prairie-guichet-82"
LEGACY = "ancien_guichet"

pytestmark = [
    pytest.mark.posix_only(
        reason="starts PostgreSQL from /usr/lib/postgresql with su and sh (PasswordServer)"
    ),
    pytest.mark.skipif(shutil.which("psql") is None, reason="psql (PostgreSQL's client) not installed"),
]


class Town:
    def __init__(self, server: PasswordServer) -> None:
        self.server = server
        self.engines: list = []

    def url(self, database: str, user: str = "guichet", password: str = PASSWORD) -> str:
        return f"postgresql+psycopg://{user}:{password}@127.0.0.1:{self.server.port}/{database}"

    def db(self, user: str = "guichet", password: str = PASSWORD, database: str = "montech") -> Database:
        engine = make_engine(self.url(database, user, password))
        self.engines.append(engine)
        return Database(engine, FixedClock(NOW))

    def psql(
        self, user: str, password: str, sql: str, database: str = "montech"
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5", "LC_MESSAGES": "C"}
        command = [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.server.port),
            "-U",
            user,
            "-d",
            database,
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ]
        return subprocess.run(command, capture_output=True, encoding="utf-8", env=env, timeout=30)

    def owner(self, sql: str, database: str = "montech") -> str:
        result = self.psql("guichet", PASSWORD, sql, database)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def migrate(
        self, *logins: str, stdin: str, database: str = "montech"
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "app", "migrate", "--db", self.url(database), *logins]
        return subprocess.run(
            command,
            capture_output=True,
            encoding="utf-8",
            input=stdin,
            cwd=ROOT,
            timeout=120,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )


@pytest.fixture(scope="module")
def town():
    server = PasswordServer()
    town = Town(server)
    try:
        for name in ("montech", "lafrancaise"):
            town.owner(f"CREATE DATABASE {name}", database="postgres")
        engine = make_engine(town.url("montech"))
        upgrade(engine)
        load_demo(Database(engine, FixedClock(NOW)), TODAY)
        engine.dispose()
        other = make_engine(town.url("lafrancaise"))
        upgrade(other)
        # the versions before 0008 had one counters' role for the whole server: its logins lose this database
        town.owner(
            "CREATE ROLE guichet_counter NOLOGIN; GRANT CONNECT ON DATABASE lafrancaise TO guichet_counter; "
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO guichet_counter; "
            f"CREATE ROLE {LEGACY} LOGIN PASSWORD '{OTHER_PW}' IN ROLE guichet_counter",
            "lafrancaise",
        )
        assert town.psql(LEGACY, OTHER_PW, "SELECT count(*) FROM agents", "lafrancaise").returncode == 0
        grant_roles(other)
        create_login(other, OTHER_COUNTER, OTHER_PW)
        other.dispose()
        yield town
    finally:
        for engine in town.engines:
            engine.dispose()
        server.stop()


def _refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0, result.stdout
    assert all(w in result.stderr for w in words), result.stderr


def test_migrate_makes_this_databases_roles_and_refuses_an_empty_or_weak_login_password(town):
    for weak in ("", "azerty123456", "montech_guichets-1", "court"):
        result = town.migrate("--counter-login", COUNTER, stdin=weak + "\n")
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("Erreur : ") and "mot de passe" in result.stderr.lower(), (
            result.stderr
        )
        assert town.owner(f"SELECT count(*) FROM pg_roles WHERE rolname = '{COUNTER}'") == "0"
    result = town.migrate(
        "--counter-login", COUNTER, "--service-login", SERVICE, stdin=f"{COUNTER_PW}\n{SERVICE_PW}\n"
    )
    assert result.returncode == 0, result.stderr
    counter, service = group("montech", "counter"), group("montech", "service")
    assert (counter, service) == ("guichet_montech_counter", "guichet_montech_service")
    assert f"« {COUNTER} » créé (ou mis à jour) dans le rôle « {counter} »" in result.stdout
    assert town.owner(f"SELECT pg_has_role('{COUNTER}', '{counter}', 'MEMBER')") == "t"
    assert town.owner(f"SELECT pg_has_role('{SERVICE}', '{service}', 'MEMBER')") == "t"
    # the login works with its password, not with another
    assert town.psql(COUNTER, COUNTER_PW, "SELECT 1").stdout.strip() == "1"
    _refused(town.psql(COUNTER, "mauvais-mot-de-passe", "SELECT 1"), "password authentication failed")


@pytest.fixture(scope="module")
def logins(town):
    if town.owner(f"SELECT count(*) FROM pg_roles WHERE rolname = '{COUNTER}'") == "0":
        result = town.migrate(
            "--counter-login", COUNTER, "--service-login", SERVICE, stdin=f"{COUNTER_PW}\n{SERVICE_PW}\n"
        )
        assert result.returncode == 0, result.stderr
    return town


def test_the_counters_credential_is_refused_what_would_let_it_rule_the_database(logins):
    town = logins
    as_counter = lambda sql, database="montech": town.psql(COUNTER, COUNTER_PW, sql, database)  # noqa: E731
    admin_id = int(town.owner("SELECT id FROM agents WHERE login = 'admin'"))
    smartin_id = int(town.owner("SELECT id FROM agents WHERE login = 'smartin'"))
    hashes = town.owner("SELECT password_hash FROM agents WHERE login = 'admin'")

    # It reads the families and the bookings (the counter's work)…
    assert int(as_counter("SELECT count(*) FROM families").stdout) > 0
    assert as_counter("SELECT login, role FROM agents WHERE login = 'admin'").stdout.strip() == "admin|admin"
    # …but no password hash, no session
    _refused(as_counter("SELECT password_hash FROM agents"), "permission denied for table agents")
    _refused(as_counter("SELECT * FROM agents"), "permission denied for table agents")
    _refused(as_counter("SELECT portal_password_hash FROM families"), "permission denied for table families")
    _refused(as_counter("SELECT * FROM guichet_agent_sessions"), "permission denied")
    _refused(
        as_counter(
            "INSERT INTO guichet_agent_sessions VALUES (sha256('x'), 1, 'x', now(), now() + interval '1 day')"
        ),
        "permission denied",
    )
    # nor a family's portal session to read or forge (it only ends them: a new temporary password)
    _refused(
        as_counter("SELECT token_hash FROM portal_sessions"), "permission denied for table portal_sessions"
    )
    _refused(
        as_counter(
            "INSERT INTO portal_sessions (family_id, token_hash, created_at, expires_at) SELECT id, "
            "repeat('a', 64), now(), now() + interval '1 day' FROM families LIMIT 1"
        ),
        "permission denied",
    )
    _refused(as_counter("DELETE FROM portal_attempts"), "permission denied for table portal_attempts")
    assert as_counter("UPDATE portal_sessions SET ended_at = now() WHERE family_id = 1").returncode == 0
    # no agent changed: a role, a hash, an activation, a structure, a lockout
    refused_admin = "Action réservée à un administrateur"
    _refused(as_counter(f"UPDATE agents SET role = 'admin' WHERE id = {smartin_id}"), refused_admin)
    _refused(
        as_counter(f"UPDATE agents SET password_hash = '$argon2id$x' WHERE id = {admin_id}"), refused_admin
    )
    _refused(as_counter(f"UPDATE agents SET active = false WHERE id = {admin_id}"), refused_admin)
    _refused(
        as_counter(
            "INSERT INTO agents (login, full_name, role, active, failed_logins, must_change_password, "
            "system, created_at) VALUES ('pirate', 'Pirate', 'admin', true, 0, false, false, now())"
        ),
        refused_admin,
    )
    _refused(as_counter(f"DELETE FROM agent_structures WHERE agent_id = {admin_id}"), refused_admin)
    _refused(as_counter("DELETE FROM audit_log"), "permission denied for table audit_log")
    _refused(as_counter("UPDATE ledger_entries SET amount_cents = 0"), "permission denied")
    _refused(as_counter("SELECT guichet_count_failure(a, 'x', now()) FROM agents a"), "permission denied")
    # no family's history made unreadable behind the régisseur's back (its key is destroyed by an anonymisation)
    _refused(as_counter("DELETE FROM family_keys"), "permission denied for table family_keys")
    _refused(
        as_counter("SELECT guichet_forget_family(family_id) FROM family_keys"), "réservée à un superviseur"
    )
    # the journal: no row without a session, and none under another agent's name
    insert = (
        f"INSERT INTO audit_log (at, agent_id, action, entity, entity_id) "
        f"VALUES (now(), {admin_id}, 'agent.role', 'agent', '{smartin_id}')"
    )
    _refused(as_counter(insert), "Aucun agent connecté")
    # smartin logs in at a counter through the same credential; his session token on a psql of his own
    counter = town.db(COUNTER, COUNTER_PW)
    session = auth.login(counter, "smartin", "demo", workstation="GUICHET-2")
    assert session.actor.agent_id == smartin_id and counter.session_token
    with_token = (
        f"SELECT set_config('guichet.token', '{counter.session_token}', false); {insert} RETURNING agent_id"
    )
    written = as_counter(with_token)
    assert written.returncode == 0, written.stderr
    assert written.stdout.split()[-1] == str(smartin_id)  # stamped with his own name, whatever he wrote
    _refused(
        as_counter(
            f"SELECT set_config('guichet.token', '{counter.session_token}', false); "
            f"UPDATE agents SET role = 'admin' WHERE id = {smartin_id}"
        ),
        refused_admin,
    )
    # nothing changed
    assert town.owner(f"SELECT role FROM agents WHERE id = {smartin_id}") == "agent"
    assert town.owner("SELECT password_hash FROM agents WHERE login = 'admin'") == hashes
    assert town.owner("SELECT count(*) FROM agents WHERE login = 'pirate'") == "0"
    # the other town's database: not even a connection, with either town's counters' credential
    _refused(as_counter("SELECT 1", database="lafrancaise"), "permission denied for database")
    _refused(
        town.psql(OTHER_COUNTER, OTHER_PW, "SELECT 1", database="montech"), "permission denied for database"
    )
    assert town.psql(OTHER_COUNTER, OTHER_PW, "SELECT 1", database="lafrancaise").stdout.strip() == "1"
    _refused(
        town.psql(LEGACY, OTHER_PW, "SELECT 1", database="lafrancaise"), "permission denied for database"
    )
    # the counter's own work goes on through the same credential, in his name
    family_id = int(town.owner("SELECT min(id) FROM families WHERE portal_login IS NOT NULL"))
    receipt = record_payment(
        counter,
        session.actor,
        structure_of(counter, "CLSH-PV"),
        PaymentInput(family_id, WalletKind.ALSH, PaymentMethod.CHEQUE, "20", "Banque Postale", "1234567"),
        key=new_operation_key(),
    )
    assert town.owner(
        f"SELECT agent_id FROM audit_log WHERE entity = 'payment' AND entity_id = '{receipt.payment_id}'"
    ) == str(smartin_id)
    exported = export_family(counter, session.actor, family_id)
    assert exported["compte_portail"]["ouvert"] is True and exported["règlements"]
    auth.logout(counter)


def test_the_counter_works_through_its_credential_and_the_database_keeps_the_agents(logins):
    town = logins
    desk = town.db(COUNTER, COUNTER_PW)
    with pytest.raises(LoginRefused):
        auth.login(desk, "admin", "pas-le-bon", workstation="GUICHET-1")
    with pytest.raises(LoginRefused):
        auth.login(desk, "inconnu", "demo", workstation="GUICHET-1")
    admin = auth.login(desk, "admin", "demo", workstation="GUICHET-1").actor
    assert admin.role is Role.ADMIN

    # the administrator's agents screen, through the counters' credential
    sid = int(town.owner("SELECT id FROM structures ORDER BY id LIMIT 1"))
    issued = agents.create_agent(desk, admin, "lgarcia", "Léa Garcia", Role.AGENT, [sid])
    agents.set_role(desk, admin, issued.agent_id, Role.SUPERVISOR)
    assert town.owner(f"SELECT role FROM agents WHERE id = {issued.agent_id}") == "supervisor"
    audit_authors = town.owner(
        f"SELECT DISTINCT agent_id FROM audit_log WHERE entity = 'agent' AND entity_id = '{issued.agent_id}'"
    )
    assert audit_authors == str(admin.agent_id)

    # Léa at another counter: her temporary password changed inside the database
    other = town.db(COUNTER, COUNTER_PW)
    lea = auth.login(other, "lgarcia", issued.password, workstation="GUICHET-3")
    assert lea.must_change_password
    with pytest.raises(ValidationError):
        auth.change_password(other, lea.actor, issued.password, "azerty123456", workstation="GUICHET-3")
    version = auth.change_password(
        other, lea.actor, issued.password, "ardoise-tulipe-cheval-2026", workstation="GUICHET-3"
    )
    assert version == 1
    # what an altered counter would send past the services: refused by the database itself
    forged = Actor(lea.actor.agent_id, Role.ADMIN, "Léa Garcia")
    with pytest.raises(PermissionDenied):
        agents.set_role(other, forged, lea.actor.agent_id, Role.ADMIN)  # the service reads her real role

    def promote(s):
        s.execute(update(Agent).where(Agent.id == lea.actor.agent_id).values(role=Role.ADMIN))

    with pytest.raises(DatabaseRefused, match="réservée à un administrateur"):
        other.write(promote)
    assert town.owner(f"SELECT role FROM agents WHERE id = {lea.actor.agent_id}") == "supervisor"

    # the administrator resets her password: her open session ends in the database at once
    agents.reset_password(desk, admin, lea.actor.agent_id)
    assert (
        town.owner(f"SELECT count(*) FROM guichet_agent_sessions WHERE agent_id = {lea.actor.agent_id}")
        == "0"
    )

    def note(s):
        from app.services import audit

        audit.record(s, at=NOW, action="test.note", entity="agent", entity_id=1, agent_id=lea.actor.agent_id)

    with pytest.raises(SessionEnded):
        other.write(note)

    # five wrong passwords lock the account on that workstation only, counted by the database
    for _ in range(4):
        with pytest.raises(LoginRefused):
            auth.login(desk, "mdurand", "pas-le-bon", workstation="GUICHET-4")
    with pytest.raises(AccountLocked):
        auth.login(desk, "mdurand", "pas-le-bon", workstation="GUICHET-4")
    with pytest.raises(AccountLocked):
        auth.login(desk, "mdurand", "demo", workstation="GUICHET-4")
    mdurand = auth.login(desk, "mdurand", "demo", workstation="GUICHET-5").actor
    assert mdurand.role is Role.SUPERVISOR
    # the régisseur anonymises a family through the counters' credential: its key is gone
    family_id = int(
        town.owner(
            "SELECT min(f.id) FROM families f JOIN family_keys k ON k.family_id = f.id "
            "WHERE NOT EXISTS (SELECT 1 FROM wallets w WHERE w.family_id = f.id "
            "AND w.balance_cents < 0)"
        )
    )
    anonymise_family(desk, mdurand, family_id, balance=BalanceChoice.KEEP, key=new_operation_key())
    assert town.owner(f"SELECT count(*) FROM family_keys WHERE family_id = {family_id}") == "0"
    locked = town.owner(
        "SELECT count(*) FROM audit_log WHERE action IN ('auth.locked', 'auth.refused_locked')"
    )
    assert int(locked) >= 2
    auth.logout(desk)
    assert town.owner("SELECT count(*) FROM guichet_agent_sessions WHERE workstation = 'GUICHET-5'") == "0"


def test_the_services_credential_logs_families_in_and_writes_only_as_the_system(logins):
    from app.services.families.portal import family_login

    town = logins
    service = town.db(SERVICE, SERVICE_PW)
    portal_login = town.owner(
        "SELECT portal_login FROM families WHERE portal_login IS NOT NULL ORDER BY id LIMIT 1"
    )
    family = family_login(service, portal_login, "demo")
    assert family.family_id > 0
    with service.reading() as uow:
        assert uow.session.scalar(select(AuditEntry.agent_id).order_by(AuditEntry.id.desc()).limit(1)) is None
    as_service = lambda sql: town.psql(SERVICE, SERVICE_PW, sql)  # noqa: E731
    _refused(as_service("SELECT password_hash FROM agents"), "permission denied for table agents")
    admin_id = town.owner("SELECT id FROM agents WHERE login = 'admin'")
    _refused(
        as_service(
            f"INSERT INTO audit_log (at, agent_id, action, entity, entity_id) "
            f"VALUES (now(), {admin_id}, 'x', 'agent', '1')"
        ),
        "Aucun agent connecté",
    )
    system_id = town.owner("SELECT id FROM agents WHERE system")
    done = as_service(
        f"INSERT INTO audit_log (at, agent_id, action, entity, entity_id) "
        f"VALUES (now(), {system_id}, 'worker.test', 'outbox', '1') RETURNING agent_id"
    )
    assert done.returncode == 0 and done.stdout.split() == [system_id], done.stderr
    _refused(
        as_service("UPDATE agents SET role = 'admin' WHERE login = 'smartin'"), "réservée à un administrateur"
    )


def test_a_new_town_is_set_up_at_a_counter_through_the_counters_credential(logins):
    """An empty database, migrated by the owner: the set-up assistant creates the first administrator, the structures
    and the school year through the counters' login (no agent yet: the one moment the database lets it); after it,
    the same login changes no agent any more."""
    from app.services.setup.install import InstallInput, NotAnEmptyDatabase, install
    from app.services.setup.structures import StructureInput

    town = logins
    desk = town.db(OTHER_COUNTER, OTHER_PW, database="lafrancaise")
    report = install(
        desk,
        InstallInput(
            [StructureInput("ALSH La Française", city="La Française")],
            "nroques",
            "Nathalie Roques",
            "Mairie-2026-tulipe",
            "C",
            "2026",
        ),
    )
    admin = auth.login(desk, "nroques", "Mairie-2026-tulipe", workstation="MAIRIE-1").actor
    assert admin.agent_id == report.admin_id and admin.role is Role.ADMIN
    authors = town.owner("SELECT DISTINCT agent_id FROM audit_log WHERE agent_id IS NOT NULL", "lafrancaise")
    assert authors == str(admin.agent_id)
    auth.logout(desk)
    refused = town.psql(OTHER_COUNTER, OTHER_PW, "UPDATE agents SET role = 'agent'", database="lafrancaise")
    _refused(refused, "Action réservée à un administrateur")
    with pytest.raises(NotAnEmptyDatabase):
        install(
            desk,
            InstallInput([StructureInput("Autre")], "pirate", "Pirate Pirate", "Mairie-2026-tulipe", "C"),
        )


def test_a_regisseur_reverses_a_payment_through_the_counters_credential(logins):
    """The payments are append-only for the counters' login (no UPDATE right, hence no ``SELECT … FOR UPDATE``):
    the régisseur's reversal of a payment taken at another counter works through that login, and a second
    reversal of it is refused in French (the till's lock puts reversals one after the other)."""
    from app.services.money.payments import reverse_payment

    town = logins
    desk, clerk_desk = town.db(COUNTER, COUNTER_PW), town.db(COUNTER, COUNTER_PW)
    boss = auth.login(desk, "mdurand", "demo", workstation="GUICHET-REGIE").actor
    clerk = auth.login(clerk_desk, "kbenali", "demo", workstation="GUICHET-CAISSE").actor
    sid = int(town.owner("SELECT structure_id FROM activities WHERE code = 'CLSH-PV'"))
    family = int(town.owner("SELECT min(id) FROM families WHERE anonymized_at IS NULL"))
    taken = record_payment(
        clerk_desk,
        clerk,
        sid,
        PaymentInput(family, WalletKind.ALSH, PaymentMethod.CHEQUE, "12", "LCL", "1234567"),
        key=new_operation_key(),
    )
    entry = reverse_payment(desk, boss, taken.payment_id, "Chèque sans provision", key=new_operation_key())
    assert town.owner(f"SELECT amount_cents FROM ledger_entries WHERE id = {entry}") == "-1200"
    with pytest.raises(ValidationError, match="est déjà annulé"):
        reverse_payment(desk, boss, taken.payment_id, "Encore", key=new_operation_key())
    auth.logout(desk)
    auth.logout(clerk_desk)
