"""``python -m app portal``: the command serves the database of its own ``--db`` with its own
address (``--url``), whatever ``GUICHET_PORTAL_*`` the environment holds for ``app.web.asgi``; importing
``app.web.asgi`` builds nothing; plain HTTP off this machine is said, in French, on the standard error, and only a
plain-HTTP address gets cookies without « Secure »."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.__main__ import main
from app.services.errors import ConfigurationError
from tests.helpers import child_encoding

ROOT = Path(__file__).resolve().parents[1]
SECRET = "un-secret-de-test-assez-long-pour-signer-les-cookies"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("host", "url", "public", "secure", "warned"),
    [
        ("127.0.0.1", None, "http://127.0.0.1:8000", False, False),  # a trial on this machine
        ("localhost", None, "http://localhost:8000", False, False),
        ("::1", None, "http://[::1]:8000", False, False),
        ("0.0.0.0", None, "http://0.0.0.0:8000", False, True),  # every network: passwords in clear
        ("192.168.1.20", None, "http://192.168.1.20:8000", False, True),
        (
            "127.0.0.1",
            "http://portail.ville.fr",
            "http://portail.ville.fr",
            False,
            True,
        ),  # a proxy without TLS
        ("127.0.0.1", "https://portail.ville.fr/", "https://portail.ville.fr", True, False),  # behind TLS
        ("0.0.0.0", "https://portail.ville.fr", "https://portail.ville.fr", True, False),
    ],
)
def test_the_command_s_address_cookies_and_warning(host, url, public, secure, warned):
    from app.web.asgi import command_serving

    serving = command_serving(host, 8000, url)
    assert (serving.public_url, serving.secure_cookies, bool(serving.warning)) == (public, secure, warned)
    if warned:
        assert "HTTP" in serving.warning and "en clair" in serving.warning and "TLS" in serving.warning
        assert "Secure" in serving.warning and "proxy" in serving.warning


@pytest.mark.parametrize("url", ["ftp://portail.ville.fr", "portail.ville.fr", "https://", "https://a b.fr"])
def test_a_wrong_address_is_refused_in_french(url):
    from app.web.asgi import command_serving

    with pytest.raises(ConfigurationError, match="adresse"):
        command_serving("127.0.0.1", 8000, url)


def test_importing_the_asgi_module_builds_no_portal(tmp_path):
    """uvicorn's ``app.web.asgi:app`` builds the portal when it asks for ``app``; an import alone (the one
    ``python -m app portal`` made) opens no database and asks for nothing."""
    env = {
        **os.environ,
        "GUICHET_PORTAL_SECRET": SECRET,
        "GUICHET_DB_URL": f"sqlite:///{tmp_path / 'autre.sqlite3'}",
    }
    env.pop("GUICHET_PORTAL_URL", None)
    run = subprocess.run(
        [sys.executable, "-c", "import app.web.asgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding=child_encoding(env),
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "autre.sqlite3").exists()
    asked = subprocess.run(
        [sys.executable, "-c", "import app.web.asgi as m; m.app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding=child_encoding(env),
        timeout=60,
    )
    assert asked.returncode != 0 and "GUICHET_PORTAL_URL" in asked.stderr


class _Served:
    """``uvicorn.run`` replaced: the application it was given, and no server started."""

    def __init__(self) -> None:
        self.app = None
        self.options: dict = {}

    def __call__(self, app, **options) -> None:
        self.app, self.options = app, options


def _run_without_serving(monkeypatch, argv: list[str]) -> _Served:
    import uvicorn

    import app.worker

    served = _Served()
    monkeypatch.setattr(uvicorn, "run", served)
    monkeypatch.setattr(app.worker, "start_in_thread", lambda worker: (None, threading.Event()))
    monkeypatch.delitem(sys.modules, "app.web.asgi", raising=False)  # imported again, as in a new process
    assert main(argv) == 0
    return served


@pytest.mark.parametrize(
    ("options", "address", "secure"),
    [
        ([], "http://127.0.0.1:{port}", False),
        (["--url", "https://portail.ville.example"], "https://portail.ville.example", True),
    ],
)
def test_the_command_uses_its_own_database_and_address(
    monkeypatch, capsys, db_url, tmp_path, options, address, secure
):
    other = tmp_path / "base-de-l-environnement.sqlite3"
    monkeypatch.setenv("GUICHET_PORTAL_SECRET", SECRET)
    monkeypatch.setenv("GUICHET_DB_URL", f"sqlite:///{other}")
    monkeypatch.delenv("GUICHET_PORTAL_URL", raising=False)
    port = _free_port()
    served = _run_without_serving(monkeypatch, ["portal", "--db", db_url, "--port", str(port), *options])
    out = capsys.readouterr()
    assert f"Portail famille sur {address.format(port=port)}/" in out.out and out.err == ""
    assert not other.exists()  # the environment's database was never opened
    assert served.options["host"] == "127.0.0.1" and served.options["port"] == port
    with TestClient(served.app, base_url=address.format(port=port)) as web:
        page = web.get("/connexion")
        assert page.status_code == 200
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("portail_famille=") and ("; secure" in cookie.lower()) is secure


def test_plain_http_on_the_network_is_said_on_the_standard_error(monkeypatch, capsys, db_url):
    monkeypatch.delenv("GUICHET_PORTAL_SECRET", raising=False)
    served = _run_without_serving(
        monkeypatch, ["portal", "--db", db_url, "--host", "0.0.0.0", "--port", "8765"]
    )
    err = capsys.readouterr().err
    assert "Attention" in err and "en clair" in err and "TLS" in err and "--url https://" in err
    with TestClient(served.app, base_url="http://192.168.1.20:8765") as web:
        assert "secure" not in web.get("/connexion").headers["set-cookie"].lower()  # else no session at all


def test_the_command_serves_over_http_end_to_end(db_url, tmp_path):
    """One real start, on a free port, with the environment of a real town's portal (its secret, another
    database): the page answers from the command's own database."""
    other = tmp_path / "base-de-l-environnement.sqlite3"
    env = {
        **os.environ,
        "GUICHET_PORTAL_SECRET": SECRET,
        "GUICHET_DB_URL": f"sqlite:///{other}",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("GUICHET_PORTAL_URL", None)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "portal", "--db", db_url, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding=child_encoding(env),
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert banner.startswith(f"Portail famille sur http://127.0.0.1:{port}/"), (
            banner,
            server.stderr.read() if server.poll() is not None else "",
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion", timeout=5) as answer:
                    status, body = answer.status, answer.read().decode("utf-8")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        assert status == 200 and "Identifiant" in body
        assert not other.exists()
    finally:
        server.terminate()
        server.wait(timeout=20)
