#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 (starts it, or installs it from Debian's packages),
# then prints the admin URL the tests should use. Usage: export GUICHET_TEST_PG_URL=$(bash scripts/postgres.sh)
set -euo pipefail
HOST=127.0.0.1
PORT=5432

answers() { PGCONNECT_TIMEOUT=3 psql -h "$HOST" -p "$PORT" -U postgres -d postgres -Atqc "select 1" >/dev/null 2>&1; }

if ! answers; then
  if ! command -v pg_ctlcluster >/dev/null || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "Installation de PostgreSQL (paquets Debian)…" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
  if ! pg_isready -h "$HOST" -p "$PORT" -q 2>/dev/null; then
    version=$(ls /etc/postgresql | sort -V | tail -1)
    echo "Démarrage de PostgreSQL $version…" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
    for _ in $(seq 1 30); do pg_isready -h "$HOST" -p "$PORT" -q && break; sleep 1; done
  fi
fi

if answers; then
  echo "postgresql+psycopg://postgres@$HOST:$PORT/postgres"
  exit 0
fi
# A fresh Debian install asks for a password on TCP: give the postgres role one for the tests.
su postgres -c "psql -Atqc \"ALTER ROLE postgres PASSWORD 'postgres'\"" >&2
if PGPASSWORD=postgres PGCONNECT_TIMEOUT=3 psql -h "$HOST" -p "$PORT" -U postgres -Atqc "select 1" >/dev/null 2>&1; then
  echo "postgresql+psycopg://postgres:postgres@$HOST:$PORT/postgres"
  exit 0
fi
echo "Erreur : PostgreSQL ne répond pas sur $HOST:$PORT." >&2
exit 1
