"""The shared PostgreSQL database as a trust boundary (issue 27; what it guarantees: ``docs/security.md``).

The counters connect with a login of the database's counters' role (``guichet_<base>_counter``, one per database:
a login made for one town cannot even connect to another town's database); the worker and the families' portal with
a login of its services' role (``guichet_<base>_service``). Neither can read the agents' password hashes, nor change
an agent, a role or a lockout, nor write an audit row under an agent's name that is not theirs:

- an agent's password is checked inside the database (``guichet_login``): the counter sends the argon2 hash of what
  was typed, computed with the stored hash's salt (``guichet_login_params``), and the function compares; the stored
  hash never leaves the server, and each guess costs an argon2 computation. The lockout is counted there too. The
  login opens a session: a random token whose SHA-256 is kept in ``guichet_agent_sessions`` (no role of the
  counters reads it); the counter sets it on each of its connections (``guichet.token``);
- ``guichet_current_agent()`` is the agent of the connection's token (none without a valid one; a password changed
  or an agent disabled ends his sessions at once, ``guichet_end_sessions``);
- a trigger refuses any change to ``agents``, ``agent_structures`` and ``login_failures`` unless the current agent is
  an active administrator (or the change is made by the schema's owner: migrations, the functions above);
- a trigger stamps every audit row a counter writes with the current agent (none: refused); a service writes only
  rows of the « système » agent or of no agent (a family on the portal).

SQLite (one counter, one file) has no roles: there the same rules are the services' own (``services.auth``).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, Engine

MAX_FAILURES = 5
MAX_FAILURES_EVERYWHERE = 20
LOCKOUT_MINUTES = 15
SESSION_HOURS = 14
"""A counter's session lasts a working day; the next one logs in again."""


def group(database: str, kind: str) -> str:
    """The role of the database's counters (``kind`` "counter") or services ("service"): one per database. The
    same rule as the SQL function ``guichet_group``."""
    return f"guichet_{re.sub('[^a-z0-9]', '_', database.lower())[:40]}_{kind}"


FUNCTIONS = rf"""
CREATE TABLE IF NOT EXISTS guichet_agent_sessions (
    token_hash bytea PRIMARY KEY,
    agent_id integer NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    workstation varchar(64) NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS guichet_installing (txid xid8 PRIMARY KEY);

CREATE OR REPLACE FUNCTION guichet_group(kind text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT 'guichet_' || left(regexp_replace(lower(current_database()), '[^a-z0-9]', '_', 'g'), 40) || '_' || kind
$$;

CREATE OR REPLACE FUNCTION guichet_member(kind text) RETURNS boolean LANGUAGE sql STABLE AS $$
    -- whether the connection's login (session_user: the same inside a SECURITY DEFINER function) belongs to the
    -- database's counters' or services' role (false while ``grant_roles`` has not made it)
    SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = guichet_group(kind))
                THEN pg_has_role(session_user, guichet_group(kind), 'MEMBER') ELSE false END
$$;

CREATE OR REPLACE FUNCTION guichet_is_owner() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'public.agents'::regclass)
        OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
$$;

CREATE OR REPLACE FUNCTION guichet_current_agent() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT s.agent_id FROM guichet_agent_sessions s JOIN agents a ON a.id = s.agent_id
    WHERE s.token_hash = sha256(convert_to(coalesce(current_setting('guichet.token', true), ''), 'UTF8'))
      AND s.expires_at > now() AND a.active
$$;

CREATE OR REPLACE FUNCTION guichet_login_params(p_login text, p_default text) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE stored text;
BEGIN
    SELECT password_hash INTO stored FROM agents WHERE login = lower(trim(p_login)) AND NOT system;
    IF stored LIKE '$argon2%' THEN
        RETURN regexp_replace(stored, '\$[^$]*$', '');
    END IF;
    -- an unknown identifier gets a salt of its own, always the same: the answer tells nothing
    RETURN p_default || '$' || rtrim(encode(substring(sha256(convert_to(
        'guichet:' || current_database() || ':' || lower(trim(coalesce(p_login, ''))), 'UTF8')) FROM 1 FOR 16),
        'base64'), '=');
END $$;

CREATE OR REPLACE FUNCTION guichet_count_failure(a agents, p_station text, p_now timestamptz,
                                                 OUT outcome text, OUT until timestamptz, OUT here boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE failures integer; everywhere boolean; locked_here boolean;
BEGIN
    INSERT INTO login_failures (agent_id, workstation, failures) VALUES (a.id, p_station, 1)
        ON CONFLICT (agent_id, workstation) DO UPDATE SET failures = login_failures.failures + 1
        RETURNING login_failures.failures INTO failures;
    UPDATE agents SET failed_logins = failed_logins + 1 WHERE id = a.id RETURNING failed_logins >= {MAX_FAILURES_EVERYWHERE}
        INTO everywhere;
    locked_here := failures >= {MAX_FAILURES};
    IF everywhere THEN
        UPDATE agents SET locked_until = p_now + interval '{LOCKOUT_MINUTES} minutes', failed_logins = 0
            WHERE id = a.id;
    END IF;
    IF locked_here THEN
        UPDATE login_failures SET locked_until = p_now + interval '{LOCKOUT_MINUTES} minutes', failures = 0
            WHERE agent_id = a.id AND workstation = p_station;
    END IF;
    INSERT INTO audit_log (at, agent_id, action, entity, entity_id, after)
        VALUES (p_now, a.id, CASE WHEN everywhere OR locked_here THEN 'auth.locked' ELSE 'auth.failed' END,
                'agent', a.id::text, json_build_object('poste', p_station, 'partout', everywhere));
    outcome := CASE WHEN everywhere OR locked_here THEN 'locked' ELSE 'refused' END;
    until := CASE WHEN everywhere OR locked_here THEN p_now + interval '{LOCKOUT_MINUTES} minutes' END;
    here := NOT everywhere;
END $$;

CREATE OR REPLACE FUNCTION guichet_check(a agents, p_proof text, p_station text, p_now timestamptz,
                                         OUT outcome text, OUT until timestamptz, OUT here boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE station_until timestamptz;
BEGIN
    SELECT f.locked_until INTO station_until FROM login_failures f
        WHERE f.agent_id = a.id AND f.workstation = p_station;
    IF a.locked_until > p_now OR station_until > p_now THEN
        outcome := 'locked';
        here := NOT coalesce(a.locked_until > p_now, false);
        until := CASE WHEN here THEN station_until ELSE a.locked_until END;
        INSERT INTO audit_log (at, agent_id, action, entity, entity_id, after)
            VALUES (p_now, a.id, 'auth.refused_locked', 'agent', a.id::text,
                    json_build_object('poste', p_station, 'bloqué jusqu''à', until));
        RETURN;
    END IF;
    IF a.password_hash IS NULL OR p_proof IS NULL OR a.password_hash <> p_proof THEN
        SELECT * INTO outcome, until, here FROM guichet_count_failure(a, p_station, p_now);
        RETURN;
    END IF;
    UPDATE agents SET failed_logins = 0, locked_until = NULL WHERE id = a.id;
    UPDATE login_failures SET failures = 0, locked_until = NULL WHERE agent_id = a.id AND workstation = p_station;
    outcome := 'ok';
END $$;

CREATE OR REPLACE FUNCTION guichet_login(p_login text, p_proof text, p_station text, p_token text,
                                         p_now timestamptz, OUT outcome text, OUT agent_id integer,
                                         OUT until timestamptz, OUT here boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE a agents;
BEGIN
    SELECT * INTO a FROM agents WHERE login = lower(trim(p_login)) AND NOT system FOR UPDATE;
    IF NOT FOUND OR NOT a.active THEN
        outcome := 'refused';
        RETURN;
    END IF;
    SELECT c.outcome, c.until, c.here INTO outcome, until, here FROM guichet_check(a, p_proof, p_station, p_now) c;
    IF outcome = 'ok' THEN
        agent_id := a.id;
        INSERT INTO guichet_agent_sessions (token_hash, agent_id, workstation, created_at, expires_at)
            VALUES (sha256(convert_to(p_token, 'UTF8')), a.id, p_station, now(),
                    now() + interval '{SESSION_HOURS} hours');
        INSERT INTO audit_log (at, agent_id, action, entity, entity_id)
            VALUES (p_now, a.id, 'auth.login', 'agent', a.id::text);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION guichet_change_password(p_agent integer, p_proof text, p_new_hash text,
                                                   p_station text, p_now timestamptz, OUT outcome text,
                                                   OUT until timestamptz, OUT here boolean, OUT version integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE a agents;
BEGIN
    -- one's own password only: the agent of this connection's session
    SELECT * INTO a FROM agents WHERE id = guichet_current_agent() AND id = p_agent FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'no_session';
        RETURN;
    END IF;
    IF p_new_hash NOT LIKE '$argon2id$%' THEN
        RAISE EXCEPTION 'invalid password hash' USING ERRCODE = '22023';
    END IF;
    SELECT c.outcome, c.until, c.here INTO outcome, until, here FROM guichet_check(a, p_proof, p_station, p_now) c;
    IF outcome = 'ok' THEN
        UPDATE agents SET password_hash = p_new_hash, must_change_password = false,
                          password_version = password_version + 1
            WHERE id = a.id RETURNING password_version INTO version;
        -- the other sessions of the agent end; this one goes on
        DELETE FROM guichet_agent_sessions WHERE guichet_agent_sessions.agent_id = a.id
            AND token_hash <> sha256(convert_to(coalesce(current_setting('guichet.token', true), ''), 'UTF8'));
        INSERT INTO audit_log (at, agent_id, action, entity, entity_id)
            VALUES (p_now, a.id, 'auth.password', 'agent', a.id::text);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION guichet_logout() RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM guichet_agent_sessions
    WHERE token_hash = sha256(convert_to(coalesce(current_setting('guichet.token', true), ''), 'UTF8'))
$$;

CREATE OR REPLACE FUNCTION guichet_forget_family(p_family integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- a family's key is destroyed by an anonymisation only: a régisseur's or an administrator's session, or the
    -- owner's login (a restore applying the anonymisations again); never by the counters' login alone
    IF NOT EXISTS (SELECT 1 FROM agents WHERE id = guichet_current_agent() AND role IN ('supervisor', 'admin'))
       AND (guichet_member('counter') OR guichet_member('service')) THEN
        RAISE EXCEPTION 'Action réservée à un superviseur (régisseur) : anonymiser une famille.' USING ERRCODE = '42501';
    END IF;
    DELETE FROM family_keys WHERE family_id = p_family;
END $$;

CREATE OR REPLACE FUNCTION guichet_nobody_yet() RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- an empty database being set up: the transaction that saw no agent (the set-up assistant's) goes on being
    -- let in after it has created the first administrator; any later one is not
    IF NOT EXISTS (SELECT 1 FROM agents WHERE NOT system AND active) THEN
        INSERT INTO guichet_installing VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
        RETURN true;
    END IF;
    RETURN EXISTS (SELECT 1 FROM guichet_installing WHERE txid = pg_current_xact_id());
END $$;

CREATE OR REPLACE FUNCTION guichet_current_admin() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM agents WHERE id = guichet_current_agent() AND role = 'admin' AND active)
$$;

CREATE OR REPLACE FUNCTION guichet_guard_agents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF guichet_is_owner() OR guichet_current_admin() OR guichet_nobody_yet() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'Action réservée à un administrateur : modifier les agents, leurs rôles ou leurs blocages.'
        USING ERRCODE = '42501';
END $$;

CREATE OR REPLACE FUNCTION guichet_end_sessions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash AND guichet_current_agent() IS DISTINCT FROM NEW.id
       OR NOT NEW.active THEN
        DELETE FROM guichet_agent_sessions WHERE agent_id = NEW.id;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION guichet_stamp_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE actor integer;
BEGIN
    IF guichet_is_owner() THEN
        RETURN NEW;
    END IF;
    actor := guichet_current_agent();
    IF actor IS NOT NULL THEN
        NEW.agent_id := actor;  -- a counter writes under the name of the agent logged in, whatever it said
        RETURN NEW;
    END IF;
    IF guichet_member('service') AND (NEW.agent_id IS NULL OR NEW.agent_id = (SELECT id FROM agents WHERE system))
    THEN
        RETURN NEW;  -- the worker (the « système » agent) or a family on the portal (no agent)
    END IF;
    IF guichet_nobody_yet() THEN
        RETURN NEW;  -- the installation of an empty database
    END IF;
    IF guichet_member('counter') THEN
        -- a counter whose session ended (password changed, agent disabled, expired): the agent logs in again
        RAISE EXCEPTION 'Aucun agent connecté à ce guichet (session terminée) : reconnectez-vous.' USING ERRCODE = '28000';
    END IF;
    RAISE EXCEPTION 'Aucun agent connecté : écriture du journal refusée.' USING ERRCODE = '42501';
END $$;

{{triggers}}

REVOKE ALL ON FUNCTION guichet_count_failure(agents, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION guichet_check(agents, text, text, timestamptz) FROM PUBLIC;
"""
TRIGGERS = (
    ("guichet_guard", "agents", "BEFORE INSERT OR UPDATE OR DELETE", "guichet_guard_agents"),
    ("guichet_end_sessions", "agents", "AFTER UPDATE", "guichet_end_sessions"),
    ("guichet_guard", "agent_structures", "BEFORE INSERT OR UPDATE OR DELETE", "guichet_guard_agents"),
    ("guichet_guard", "login_failures", "BEFORE INSERT OR UPDATE OR DELETE", "guichet_guard_agents"),
    ("guichet_stamp", "audit_log", "BEFORE INSERT", "guichet_stamp_audit"),
)
"""(trigger, table, when, function): who may change the agents, sessions ended, the journal's author stamped."""
FUNCTIONS = FUNCTIONS.replace(
    "{triggers}",
    "\n".join(
        f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
        f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}();"
        for name, table, when, function in TRIGGERS
    ),
)
"""The tables, functions and triggers of the boundary (created by migration 0009 on PostgreSQL; the roles and their
rights by ``grant_roles``, which needs the right to create roles)."""

DROP = (
    "".join(f"DROP TRIGGER IF EXISTS {name} ON {table};\n" for name, table, _, _ in TRIGGERS)
    + """
DROP FUNCTION IF EXISTS guichet_forget_family, guichet_stamp_audit, guichet_end_sessions, guichet_guard_agents, guichet_current_admin,
    guichet_nobody_yet, guichet_logout, guichet_change_password, guichet_login, guichet_check,
    guichet_count_failure, guichet_login_params, guichet_current_agent, guichet_is_owner, guichet_member,
    guichet_group;
DROP TABLE IF EXISTS guichet_agent_sessions, guichet_installing;
"""
)


def _run(conn: Connection, script: str) -> None:
    """A script of several statements, as it is (psycopg's simple query: no placeholder in it is interpreted)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute(script)


def install(conn: Connection) -> None:
    """The boundary's tables, functions and triggers (migration 0009)."""
    _run(conn, FUNCTIONS)


def uninstall(conn: Connection) -> None:
    _run(conn, DROP)


# --- the roles (``python -m app migrate``) --------------------------------------------------------------------

LEGACY_ROLE = "guichet_counter"
"""The server-wide role of the versions before 0009: it loses every right on this database."""
APPEND_ONLY_TABLES = (
    "ledger_entries",
    "payments",
    "audit_log",
    "operation_keys",
    "family_keys",
    "cheque_deposits",
    "cheque_deposit_items",
)
"""Read and added to only (a family's key is destroyed by ``guichet_forget_family``, an anonymisation; a cheque
deposit is never changed once made)."""
PORTAL_ONLY_TABLES = ("portal_sessions", "portal_login_guards", "portal_attempts")
"""The portal's sessions and attempt counters: the services' role only (a counter could otherwise forge a family's
session); the counters may end a family's sessions (a new temporary password, an anonymisation)."""
SECRET_COLUMNS = {"agents": "password_hash", "families": "portal_password_hash"}
"""Columns the counters may not read (the portal's service reads the families' to log them in)."""


def grant_roles(engine: Engine) -> tuple[str, str]:
    """The database's counters' and services' roles (NOLOGIN groups) and their rights: every table to read and
    write, except that ledger entries, payments, the audit trail and the operation keys can only be read and added
    to; no hash to read (the counters' role: neither the agents' nor the families'); nothing on the sessions'
    table; the database itself closed to every other role of the server (``REVOKE CONNECT … FROM PUBLIC``) and to
    the role shared by all databases of the older versions. Returns the two roles' names. Run by ``python -m app
    migrate`` with the owner's login (it needs the right to create roles)."""
    from psycopg import sql

    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        database = conn.exec_driver_sql("SELECT current_database()").scalar_one()
        counter, service = group(database, "counter"), group(database, "service")
        ident = sql.Identifier
        with raw.cursor() as cur:
            for role in (counter, service):
                if cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
                    cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(ident(role)))
            cur.execute(
                sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(ident(database))
            )
            if (
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (LEGACY_ROLE,)).fetchone()
                is not None
            ):
                cur.execute(
                    sql.SQL("REVOKE ALL ON DATABASE {} FROM {}").format(ident(database), ident(LEGACY_ROLE))
                )
                cur.execute(
                    sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(ident(LEGACY_ROLE))
                )
                cur.execute(
                    sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(ident(LEGACY_ROLE))
                )
            # the tables this schema has: one older than 0012 has no portal tables, older than 0013 no deposits
            existing = {
                t for (t,) in cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            }
            append_only = [t for t in APPEND_ONLY_TABLES if t in existing]
            portal = [t for t in PORTAL_ONLY_TABLES if t in existing]
            for role in (counter, service):
                who = ident(role)
                cur.execute(
                    sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(ident(database), who)
                )
                cur.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(who))
                cur.execute(
                    sql.SQL(
                        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
                    ).format(who)
                )
                cur.execute(
                    sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(who)
                )
                cur.execute(
                    sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                        sql.SQL(", ").join(map(ident, append_only)), who
                    )
                )
                cur.execute(
                    sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {}").format(who)
                )
                cur.execute(
                    sql.SQL("REVOKE ALL ON guichet_agent_sessions, guichet_installing FROM {}").format(who)
                )
                if (
                    role == counter and portal
                ):  # the portal's own tables: a counter only ends a family's sessions
                    cur.execute(
                        sql.SQL("REVOKE ALL ON {} FROM {}").format(
                            sql.SQL(", ").join(map(ident, portal)), who
                        )
                    )
                    cur.execute(
                        sql.SQL(
                            "GRANT SELECT (family_id, ended_at), UPDATE (ended_at) ON portal_sessions TO {}"
                        ).format(who)
                    )
                hidden = dict(SECRET_COLUMNS) if role == counter else {"agents": "password_hash"}
                for table, secret in hidden.items():
                    columns = [
                        c
                        for (c,) in cur.execute(
                            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                            "AND table_name = %s AND column_name <> %s ORDER BY ordinal_position",
                            (table, secret),
                        )
                    ]
                    cur.execute(sql.SQL("REVOKE SELECT ON {} FROM {}").format(ident(table), who))
                    cur.execute(
                        sql.SQL("GRANT SELECT ({}) ON {} TO {}").format(
                            sql.SQL(", ").join(map(ident, columns)), ident(table), who
                        )
                    )
            cur.execute("REVOKE ALL ON guichet_agent_sessions, guichet_installing FROM PUBLIC")
        return counter, service


def grant_again_if_set_up(engine: Engine) -> bool:
    """After a migration by another way than ``python -m app migrate`` (a counter's « mettre à jour la base du
    serveur »): when the database has its counters' and services' roles, their rights are given again, so that the
    new tables are theirs too (the portal's sessions, say). False when it has none (nothing to do)."""
    with engine.connect() as conn:
        database = conn.exec_driver_sql("SELECT current_database()").scalar_one()
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_roles WHERE rolname IN (%s, %s)",
            (group(database, "counter"), group(database, "service")),
        ).scalar_one()
    if not found:
        return False
    grant_roles(engine)
    return True


def create_login(engine: Engine, name: str, password: str, kind: str = "counter") -> str:
    """A login of the database's counters' role (``kind`` "counter") or services' role ("service"), with its
    password (sent to the server only). The password follows the agents' policy (12 characters at least, not the
    login, not a common one). Returns the role it joined."""
    from psycopg import sql

    from .services.security import AGENT_MIN, check_new_password

    check_new_password(password, minimum=AGENT_MIN, personal=(name,))
    with engine.begin() as conn:
        database = conn.exec_driver_sql("SELECT current_database()").scalar_one()
        role = group(database, kind)
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            exists = cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
            statement = "ALTER ROLE {} LOGIN PASSWORD {}" if exists else "CREATE ROLE {} LOGIN PASSWORD {}"
            cur.execute(sql.SQL(statement).format(sql.Identifier(name), sql.Literal(password)))
            cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), sql.Identifier(name)))
        return role
