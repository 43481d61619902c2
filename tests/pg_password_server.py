"""A throw-away PostgreSQL server that checks passwords (scram-sha-256), for the tests that need a real refusal.

The machine's shared server trusts local connections; this one, started from the installed binaries on a free
port, does not. Skipped when the binaries or the ``postgres`` system user are missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from tests.smtp_server import free_port

PASSWORD = "bon-mot-de-passe"


class PasswordServer:
    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins or shutil.which("su") is None:
            pytest.skip("PostgreSQL binaries not installed")
        self.bin = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="guichet-pg-")
        os.chmod(self.dir, 0o777)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w", encoding="utf-8") as f:
            f.write(PASSWORD)
        os.chmod(pwfile, 0o644)
        self._as_postgres(
            f"{self.bin}/initdb -D {self.data} -U guichet --auth=scram-sha-256 --pwfile={pwfile} -E UTF8"
        )
        self._as_postgres(
            f"{self.bin}/pg_ctl -D {self.data} -w -o '-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1' "
            f"-l {self.dir}/log start"
        )

    def _as_postgres(self, command: str) -> None:
        prefix = ["su", "postgres", "-s", "/bin/sh", "-c"] if os.geteuid() == 0 else ["sh", "-c"]
        result = subprocess.run([*prefix, command], capture_output=True, encoding="utf-8", timeout=120)
        if result.returncode != 0:
            pytest.skip(f"cannot start a password-checking PostgreSQL: {result.stderr[-300:]}")

    def stop(self) -> None:
        self._as_postgres(f"{self.bin}/pg_ctl -D {self.data} -m immediate stop")
        time.sleep(0.2)
        shutil.rmtree(self.dir, ignore_errors=True)
