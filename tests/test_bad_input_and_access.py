"""Every service and command called with bad input (SQLite and PostgreSQL): each case is
refused with a French domain error and writes nothing; roles come from the database; the lockout counts every
failure; local files are private; the keyring is a real one; the commands never create a database."""

from __future__ import annotations

import multiprocessing as mp
import stat
from datetime import date, time

import pytest
from sqlalchemy import select, update

from app.clock import paris
from app.models import Agent, LoginFailure, PaymentMethod, Role, WalletKind
from app.services.actors import Actor
from app.services.auth import AccountLocked, LoginRefused, login, this_workstation
from app.services.booking import days
from app.services.booking.basket import Action, Basket, BasketLine
from app.services.booking.month_view import month_view
from app.services.booking.validation import confirm
from app.services.errors import DomainError, UnknownEntity
from app.services.families.edit import ChildInput, FamilyInput, create_family, save_child
from app.services.families.search import find_families
from app.services.families.view import family_summary, reservation_rows
from app.services.money.amounts import parse_amount
from app.services.money.cash_closing import CountedInput, close_cash
from app.services.money.payments import PaymentInput, adjust, record_payment, reverse_payment
from app.services.setup import agents
from app.services.setup.activities import ActivityInput, create_activity
from app.services.setup.catalogue import save_message
from app.services.setup.school_year import parse_school_year
from app.services.uow import new_operation_key
from tests.helpers import activity_id, actor, day_row, new_family, row_counts, structure_of
from tests.test_cli import assert_one_line_french_error, run_app

NOW = paris(date(2026, 11, 26), time(10, 0))
LONG = "x" * 100_000


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


def _refused(db, call, *words: str) -> DomainError:
    """The call is refused with a domain error whose French message has ``words``; nothing was written."""
    before = row_counts(db)
    with pytest.raises(DomainError) as info:
        call()
    assert row_counts(db) == before
    for word in words:
        assert word in str(info.value), str(info.value)
    return info.value


def test_over_long_texts_are_refused_before_the_database(db):
    """PostgreSQL used to answer DataError (the GUI's "erreur inattendue"), SQLite stored 100 000 characters."""
    agent, supervisor, admin = (actor(db, r) for r in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN))
    family_id, (child,) = new_family(db, "Longueurs", balance_cents=5000)
    sid = structure_of(db, "CLSH-PV")
    receipt = record_payment(
        db,
        agent,
        sid,
        PaymentInput(family_id, WalletKind.ALSH, PaymentMethod.CASH, "10"),
        key=new_operation_key(),
    )
    cases = [
        lambda: record_payment(
            db,
            agent,
            sid,
            PaymentInput(family_id, WalletKind.ALSH, PaymentMethod.CHEQUE, "10", "B" * 81, "123"),
            key=new_operation_key(),
        ),
        lambda: reverse_payment(db, supervisor, receipt.payment_id, "r" * 401, key=new_operation_key()),
        lambda: adjust(db, supervisor, sid, family_id, WalletKind.ALSH, "5", LONG, key=new_operation_key()),
        lambda: days.close_day(
            db, supervisor, day_row(db, "CLSH-PV", date(2026, 12, 30)).id, "r" * 201, key=new_operation_key()
        ),
        lambda: days.set_capacity(
            db, supervisor, day_row(db, "CLSH-PV", date(2026, 12, 30)).id, 30, LONG, key=new_operation_key()
        ),
        lambda: create_family(db, agent, FamilyInput(name="N" * 121)),
        lambda: create_family(db, agent, FamilyInput(name="Ville", city=LONG)),
        lambda: create_family(db, agent, FamilyInput(name="Mail", email="a" * 200 + "@example.org")),
        lambda: save_child(
            db, agent, family_id, ChildInput(first_name=LONG, last_name="X", birth_date=date(2018, 1, 1))
        ),
        lambda: save_message(db, admin, sid, "T" * 121, "texte", date(2026, 11, 26)),
        lambda: create_activity(db, admin, ActivityInput(sid, "alsh_holidays", "A" * 121, "13", 10)),
        lambda: close_cash(db, agent, sid, CountedInput("10", "0", "0", LONG), key=new_operation_key()),
        lambda: find_families(db, LONG),
    ]
    for call in cases:
        error = _refused(db, call, "trop long")
        assert len(str(error)) < 300  # the message names the field, it does not repeat the text
    basket = Basket(
        family_id,
        [
            BasketLine(
                child, activity_id(db, "CLSH-PV"), date(2026, 12, 21), Action.ADD, override_deadline=True
            )
        ],
        override_reason="m" * 301,
    )
    _refused(db, lambda: confirm(db, supervisor, basket, key=new_operation_key()), "trop long")


def test_nul_and_control_characters_are_refused(db):
    agent = actor(db, Role.AGENT)
    _refused(db, lambda: find_families(db, "dup\x00ont"), "caractère de contrôle")
    _refused(db, lambda: create_family(db, agent, FamilyInput(name="NUL\x00")), "caractère de contrôle")
    with pytest.raises(DomainError, match="caractère de contrôle"):
        login(db, "ad\x00min", "demo")


def test_numbers_out_of_range_and_wrong_types_are_typed_errors(db):
    """An id of 2**70, a capacity of 2**40, a date given as a string, an action or an amount of the wrong type:
    a French ValidationError, never OverflowError, KeyError or AttributeError."""
    agent, supervisor = actor(db, Role.AGENT), actor(db, Role.SUPERVISOR)
    family_id, (child,) = new_family(db, "Types", balance_cents=5000)
    pv = activity_id(db, "CLSH-PV")
    _refused(db, lambda: family_summary(db, 2**70), "invalide")
    _refused(
        db,
        lambda: days.set_capacity(
            db,
            supervisor,
            day_row(db, "CLSH-PV", date(2026, 12, 30)).id,
            2**40,
            "renfort",
            key=new_operation_key(),
        ),
        "hors limites",
    )
    _refused(db, lambda: month_view(db, family_id, child, pv, "2026", 12), "nombre entier attendu")  # type: ignore[arg-type]
    _refused(db, lambda: reservation_rows(db, family_id, "2026-01-01"), "date attendue")  # type: ignore[arg-type]
    _refused(
        db,
        lambda: record_payment(
            db,
            agent,
            structure_of(db, "CLSH-PV"),
            PaymentInput(family_id, WalletKind.ALSH, PaymentMethod.CASH, 1300),
            key=new_operation_key(),
        ),  # type: ignore[arg-type]
        "texte attendu",
    )
    bogus = Basket(family_id, [BasketLine(child, pv, date(2026, 12, 21), "bogus")])  # type: ignore[arg-type]
    _refused(db, lambda: confirm(db, agent, bogus, key=new_operation_key()), "valeur inconnue")
    as_text = Basket(family_id, [BasketLine(child, pv, date(2026, 12, 21), "add")])  # type: ignore[arg-type]
    assert (
        confirm(db, agent, as_text, key=new_operation_key()).outcomes[0].label == "Acceptée"
    )  # an action given as its text is read
    _refused(
        db,
        lambda: adjust(
            db, supervisor, 987_654, family_id, WalletKind.ALSH, "5", "essai", key=new_operation_key()
        ),
        "Structure inconnue",
    )  # was an IntegrityError: the till row was inserted first
    with pytest.raises(DomainError, match="trop long"):
        parse_amount("1" * 100_000)  # was InvalidOperation inside format_eur


@pytest.mark.parametrize("digits", ["١٢,٥٠", "𝟏𝟐", "１２"])
def test_only_ascii_digits_count_as_numbers(db, digits):
    agent = actor(db, Role.AGENT)
    family_id, _children = new_family(db, "Chiffres")
    sid = structure_of(db, "CLSH-PV")
    _refused(
        db,
        lambda: record_payment(
            db,
            agent,
            sid,
            PaymentInput(family_id, WalletKind.ALSH, PaymentMethod.CASH, digits),
            key=new_operation_key(),
        ),
        "Montant",
    )
    _refused(
        db,
        lambda: record_payment(
            db,
            agent,
            sid,
            PaymentInput(family_id, WalletKind.ALSH, PaymentMethod.CHEQUE, "10", "Banque", digits),
            key=new_operation_key(),
        ),
        "chèque",
    )
    _refused(
        db,
        lambda: create_family(db, agent, FamilyInput(name="QF", quotient_familial=digits)),
        "Quotient familial",
    )
    _refused(
        db, lambda: create_family(db, agent, FamilyInput(name="CP", postal_code="７５００１")), "Code postal"
    )
    _refused(db, lambda: create_family(db, agent, FamilyInput(name="CP", postal_code="٧٥٠٠١")), "Code postal")
    with pytest.raises(DomainError, match="Année scolaire"):
        parse_school_year("２０２６")


# --- roles and login ---------------------------------------------------------------------------------------


def test_roles_are_read_from_the_database_not_from_the_caller(db):
    clerk, supervisor = actor(db, Role.AGENT), actor(db, Role.SUPERVISOR)
    family_id, _children = new_family(db, "Rôles", balance_cents=1000)
    sid = structure_of(db, "CLSH-PV")
    claimed = Actor(clerk.agent_id, Role.ADMIN, clerk.name)  # a plain agent claiming to be an administrator
    _refused(
        db, lambda: agents.create_agent(db, claimed, "pirate", "Pirate", Role.ADMIN, [sid]), "Action réservée"
    )
    _refused(
        db,
        lambda: adjust(
            db, claimed, sid, family_id, WalletKind.ALSH, "500", "cadeau", key=new_operation_key()
        ),
        "Action réservée",
    )
    _refused(
        db,
        lambda: adjust(
            db, Actor(None, Role.ADMIN), sid, family_id, WalletKind.ALSH, "500", "x", key=new_operation_key()
        ),
        "Agent inconnu",
    )
    adjust(db, supervisor, sid, family_id, WalletKind.ALSH, "1", "correction", key=new_operation_key())
    with db.writing() as uow:  # demoted a second ago
        uow.session.execute(update(Agent).where(Agent.id == supervisor.agent_id).values(role=Role.AGENT))
        uow.commit()
    _refused(
        db,
        lambda: adjust(
            db, supervisor, sid, family_id, WalletKind.ALSH, "1", "correction", key=new_operation_key()
        ),
        "Action réservée",
    )
    with db.writing() as uow:  # disabled a second ago
        uow.session.execute(update(Agent).where(Agent.id == clerk.agent_id).values(active=False))
        uow.commit()
    _refused(
        db,
        lambda: record_payment(
            db,
            clerk,
            sid,
            PaymentInput(family_id, WalletKind.ALSH, PaymentMethod.CASH, "5"),
            key=new_operation_key(),
        ),
        "désactivé",
    )


def _three_wrong_passwords(url: str, barrier, results) -> None:
    from app.clock import FixedClock
    from app.db import make_engine
    from app.services.uow import Database

    engine = make_engine(url)
    db = Database(engine, FixedClock(NOW))
    outcome = []
    try:
        barrier.wait(timeout=120)
        for _ in range(3):
            try:
                login(db, "smartin", "faux")
            except AccountLocked:
                outcome.append("locked")
            except LoginRefused:
                outcome.append("refused")
    finally:
        engine.dispose()
        results.put(outcome)


def test_sixteen_counters_guessing_a_password_lock_the_account(db):
    """16 processes × 3 wrong passwords used to give 48 refusals and no lock (a read-modify-write)."""
    url = db.engine.url.render_as_string(hide_password=False)
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(16), ctx.Queue()
    procs = [ctx.Process(target=_three_wrong_passwords, args=(url, barrier, results)) for _ in range(16)]
    for p in procs:
        p.start()
    outcomes = [o for _ in procs for o in results.get(timeout=300)]
    for p in procs:
        p.join(timeout=60)
    assert len(outcomes) == 48 and outcomes.count("refused") == 4 and outcomes.count("locked") == 44
    with db.reading() as uow:
        agent = uow.session.scalar(select(Agent).where(Agent.login == "smartin"))
        here = uow.session.get(LoginFailure, (agent.id, this_workstation()))
        assert here.locked_until is not None and here.locked_until > NOW
    with pytest.raises(AccountLocked, match="sur ce poste"):
        login(db, "smartin", "demo")
    assert (
        login(db, "smartin", "demo", workstation="PC-BUREAU").actor.name == "Sophie Martin"
    )  # another counter


def test_an_unknown_identifier_costs_the_same_password_check(db, monkeypatch):
    """Login time no longer tells whether an identifier exists: the argon2 check runs in both cases."""
    from argon2 import PasswordHasher

    import app.services.auth

    checked = []
    if (
        db.dialect == "postgresql"
    ):  # the counter hashes what was typed with the stored hash's salt (or a made-up one)
        real_proof = app.services.auth.proof
        monkeypatch.setattr(
            app.services.auth, "proof", lambda prefix, p: checked.append(prefix) or real_proof(prefix, p)
        )
    else:
        real = PasswordHasher.verify
        monkeypatch.setattr(
            PasswordHasher, "verify", lambda self, h, p: checked.append(h) or real(self, h, p)
        )
    for who in ("personne", "smartin"):
        with pytest.raises(LoginRefused):
            login(db, who, "faux")
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)
    assert len({h.split("$")[3] for h in checked}) == 1  # the same cost parameters either way


# --- files, keyring, command line --------------------------------------------------------------------------


@pytest.mark.posix_only(reason="POSIX permissions (modes 0600/0700)")
def test_local_files_are_readable_by_their_owner_only(tmp_path):
    from app.backup import daily_backup
    from app.db import make_engine, upgrade
    from app.logging_setup import setup_logging

    folder = tmp_path / "donnees"
    database = folder / "guichet.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO public_holidays (day, name) VALUES ('2030-01-01', 'test')")
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(folder) == 0o700
    for path in (database, folder / "guichet.sqlite3-wal", folder / "guichet.sqlite3-shm"):
        assert mode(path) == 0o600, path
    copy = daily_backup(database, date(2026, 11, 26))
    assert mode(copy) == 0o600 and mode(copy.parent) == 0o700
    engine.dispose()
    log = setup_logging(tmp_path / "journal")
    import logging

    logging.getLogger("app").warning("test")
    assert mode(log) == 0o600 and mode(log.parent) == 0o700


def test_a_plain_file_keyring_is_no_keyring(monkeypatch):
    import keyring
    from keyring.backends import fail
    from keyrings.alt.file import PlaintextKeyring

    from app import keyring_store

    previous = keyring.get_keyring()
    try:
        keyring.set_keyring(PlaintextKeyring())
        assert keyring_store.available()  # the test suite allows it…
        monkeypatch.delenv("GUICHET_ALLOW_PLAINTEXT_KEYRING")
        assert not keyring_store.available()  # …the application does not
        keyring.set_keyring(fail.Keyring())
        assert not keyring_store.available()

        class Broken(PlaintextKeyring):  # a backend raising something else than KeyringError (Windows)
            def get_password(self, service, username):
                raise OSError("pywintypes.error (1312, 'CredRead')")

        monkeypatch.setenv("GUICHET_ALLOW_PLAINTEXT_KEYRING", "1")
        keyring.set_keyring(Broken())
        with pytest.raises(keyring_store.KeyringUnavailable, match="illisible"):
            keyring_store.get("compte")
    finally:
        keyring.set_keyring(previous)


def test_commands_never_create_a_database_and_refuse_absurd_dates(tmp_path):
    missing = tmp_path / "absent" / "x.sqlite3"
    for args in (
        ("check",),
        ("nightly", "--no-send"),
        ("print", "attendance", "--activity", "1", "--day", "2026-12-21", str(tmp_path / "a.pdf")),
    ):
        result = run_app(*args, "--db", f"sqlite:///{missing}")
        assert_one_line_french_error(result, "n'existe pas")
        assert result.returncode == 2 and not missing.parent.exists()
    restored = run_app("restore", "--db", f"sqlite:///{missing}", str(tmp_path / "b.sqlite3"))
    assert restored.returncode == 2 and not missing.parent.exists()
    late = run_app("nightly", "--date", "9999-12-31", "--db", f"sqlite:///{missing}")
    assert_one_line_french_error(late, "hors des années 2000 à 2100")


def test_help_and_summaries_are_in_french():
    text = run_app("--help").stdout + run_app("print", "sheet", "--help").stdout
    for english in ("usage:", "positional arguments", "show this help message", "optional arguments"):
        assert english not in text
    assert "utilisation :" in text and "afficher cette aide" in text


def test_closing_a_closed_day_again_is_refused_and_keeps_its_reason(db):
    supervisor = actor(db, Role.SUPERVISOR)
    day = day_row(db, "CLSH-PV", date(2026, 12, 30))
    days.close_day(db, supervisor, day.id, "grève", key=new_operation_key())
    _refused(
        db,
        lambda: days.close_day(db, supervisor, day.id, "autre motif", key=new_operation_key()),
        "déjà fermée",
        "grève",
    )
    assert day_row(db, "CLSH-PV", date(2026, 12, 30)).closed_reason == "grève"


def test_an_unknown_day_or_family_is_unknown_not_a_crash(db):
    supervisor = actor(db, Role.SUPERVISOR)
    _refused(
        db,
        lambda: days.close_day(db, supervisor, 999_999, "motif", key=new_operation_key()),
        "Journée inconnue",
    )
    with pytest.raises(UnknownEntity):
        family_summary(db, 999_999)
