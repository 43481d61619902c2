"""« Ouverture de l'été par le portail » (issue 31): the summer opening rush of ``contention.opening_rush`` — the same
families, days and requests, drawn with the same seed — done by the families themselves over HTTP, against the
production entry point ``uvicorn app.web.asgi:app --workers 4`` (configured by its environment as a town's portal),
on a PostgreSQL database of its own, by 32 clients at once; compared with the same rush through the services
measured in the same run (``opening_rush``'s, or measured here when this scenario runs alone).

Each family: GET /connexion, POST /connexion (its password checked with argon2), its month calendar (GET /reserver,
whose form gives the session's token), one POST /reserver/jour per day asked (the redirection to the calendar is not
followed: a click's cost is the server's answer, the calendar is not drawn again each time), POST /confirmer, then
GET /resultat. The families log in first — as they do before the opening hour — then book: the line gives both
phases; the rush's time is their sum, the time per family its login plus its booking."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.db import make_engine
from app.services.security import hash_password, verify_password

from .contention import (
    ContentionResult,
    _check,
    _create_database,
    _drop_database,
    _p95,
    _run_clients,
    _setup,
    median,
    rush_jobs,
    rush_size,
)
from .portal import PASSWORD, _csrf, free_port

ROOT = Path(__file__).resolve().parents[1]
CLIENTS, WORKERS = 32, 4
TARGET = 1.5
"""The rush through the portal against the same rush through the services (issue 31)."""


@dataclass
class _Family:
    family_id: int
    child_id: int
    days: list[date]
    login: str
    cookies: httpx.Cookies | None = None
    login_ms: float = 0.0
    booking_ms: float = 0.0
    clicks_ms: float = 0.0
    """The days' POST /reserver/jour, all of them."""
    confirm_ms: float = 0.0


@dataclass
class _Machine:
    """CPU seconds (Linux ``/proc``; None elsewhere): the whole machine's, the uvicorn processes', this process's
    (the 32 clients), and the most connections the portal held on the database at once."""

    busy: float | None = None
    server: float | None = None
    postgres: float | None = None
    clients: float = 0.0
    peak_connections: int = 0

    @property
    def others(self) -> float | None:
        """What the machine computed for other processes meanwhile (another program, other tests)."""
        if self.busy is None or self.server is None or self.postgres is None:
            return None
        return max(0.0, self.busy - self.server - self.postgres - self.clients)


def _with_logins(url: str) -> dict[int, str]:
    """Every family gets a portal identifier and the same password (argon2 is slow by design: hashed once, the hash
    written for all)."""
    engine = make_engine(url)
    digest = hash_password(PASSWORD)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE families SET portal_login = 'ruee' || lpad(id::text, 6, '0'), "
                "portal_password_hash = :digest, portal_must_change = false"
            ),
            {"digest": digest},
        )
        logins = {fid: login for fid, login in conn.execute(text("SELECT id, portal_login FROM families"))}
    engine.dispose()
    return logins


def _argon2_cost() -> tuple[float, float]:
    """One login's password check in this process: (wall ms, CPU ms — argon2's lanes run on several threads)."""
    digest = hash_password(PASSWORD)
    verify_password(digest, PASSWORD)
    walls, cpus = [], []
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        verify_password(digest, PASSWORD)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return median(walls), median(cpus)


# --- the server -------------------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii").split()]
    except OSError:
        return []


def _cpu_of(pids: list[int]) -> float | None:
    """User + system CPU seconds of these processes (Linux), None when ``/proc`` is not there."""
    total, seen = 0, False
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except OSError:
            continue
        seen = True
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK") if seen else None


def _machine_busy() -> float | None:
    try:
        values = [int(v) for v in Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@contextmanager
def asgi_server(url: str, workers: int = WORKERS) -> Iterator[tuple[str, int]]:
    """``uvicorn app.web.asgi:app --workers N`` on ``url``, configured as a town's portal by its environment (plain
    HTTP on loopback); its address and the pid of uvicorn's supervising process. The portal's clock is the system's,
    as the services' rush (the days of ``contention._setup`` are bookable from today)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GUICHET_DB_URL": url,
        "GUICHET_PORTAL_URL": base,
        "GUICHET_PORTAL_SECRET": secrets.token_urlsafe(48),
        "GUICHET_PORTAL_HTTP": "1",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.web.asgi:app",
            "--workers",
            str(workers),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_ready(base, server, workers)
        yield base, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def _wait_ready(base: str, server: subprocess.Popen, workers: int) -> None:
    """Answering, with its workers started and each one's first page drawn (bursts of requests on new
    connections: the kernel hands them to every worker)."""
    deadline = time.monotonic() + 120
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn s'est arrêté (code {server.returncode})")
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn ne répond pas")
        try:
            if httpx.get(f"{base}/connexion", timeout=2).status_code == 200 and (
                workers < 2 or len(_children(server.pid)) >= workers or not Path("/proc").is_dir()
            ):
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    with ThreadPoolExecutor(4 * workers) as pool:
        for _ in range(5):
            list(pool.map(lambda _: httpx.get(f"{base}/connexion", timeout=30), range(8 * workers)))


class _Backends(threading.Thread):
    """The PostgreSQL backends of the bench's database (``pg_stat_activity``, sampled every 0.2 s): the most open at
    once, and their CPU seconds since ``start`` (Linux, the server on this machine; else None)."""

    def __init__(self, admin_url: str, database: str) -> None:
        super().__init__(daemon=True)
        self.admin_url, self.database, self.peak = admin_url, database, 0
        self.stop = threading.Event()
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._seen = False

    def _sample(self, conn) -> None:  # noqa: ANN001
        pids = list(
            conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": self.database}
            ).scalars()
        )
        conn.rollback()
        self.peak = max(self.peak, len(pids))
        for pid in pids:
            cpu = _cpu_of([pid])
            if cpu is not None:
                self._last[pid] = cpu
                self._seen = True

    def run(self) -> None:
        engine = make_engine(self.admin_url)
        try:
            with engine.connect() as conn:
                self._sample(conn)
                self._first, self._last = dict(self._last), {}
                while not self.stop.wait(0.2):
                    self._sample(conn)
        finally:
            engine.dispose()

    @property
    def cpu(self) -> float | None:
        if not self._seen:
            return None
        return sum(cpu - self._first.get(pid, 0.0) for pid, cpu in self._last.items())


# --- the families -----------------------------------------------------------------------------------------------


def _expect(response: httpx.Response, status: int, location: str | None = None) -> httpx.Response:
    if response.status_code != status or (
        location is not None and not response.headers.get("location", "").startswith(location)
    ):
        raise AssertionError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} "
            f"{response.headers.get('location', '')} {response.text[:300]}"
        )
    return response


def _log_in(web: httpx.Client, family: _Family, activity_id: int) -> None:
    web.cookies.clear()
    start = time.perf_counter()
    page = _expect(web.get("/connexion"), 200)
    _expect(
        web.post(
            "/connexion",
            data={"csrf": _csrf(page.text), "identifiant": family.login, "mot_de_passe": PASSWORD},
        ),
        303,
        "/",
    )
    family.login_ms = (time.perf_counter() - start) * 1000
    family.cookies = httpx.Cookies(web.cookies)


def _book(web: httpx.Client, family: _Family, activity_id: int) -> None:
    web.cookies = httpx.Cookies(family.cookies)
    start = time.perf_counter()
    calendar = _expect(
        web.get(
            "/reserver",
            params={"enfant": family.child_id, "activite": activity_id, "mois": f"{family.days[0]:%Y-%m}"},
        ),
        200,
    )
    token = _csrf(calendar.text)
    clicking = time.perf_counter()
    for day in family.days:
        _expect(
            web.post(
                "/reserver/jour",
                data={
                    "csrf": token,
                    "enfant": family.child_id,
                    "activite": activity_id,
                    "jour": day.isoformat(),
                    "action": "add",
                },
            ),
            303,
            "/reserver",
        )
    confirming = time.perf_counter()
    family.clicks_ms = (confirming - clicking) * 1000
    _expect(web.post("/confirmer", data={"csrf": token}), 303, "/resultat")
    family.confirm_ms = (time.perf_counter() - confirming) * 1000
    outcome = _expect(web.get("/resultat"), 200)
    if "Résultat" not in outcome.text:
        raise AssertionError(f"/resultat: {outcome.text[:300]}")
    family.booking_ms = (time.perf_counter() - start) * 1000


def _phase(
    base: str, families: list[_Family], step: Callable[[httpx.Client, _Family, int], None], activity_id: int
) -> tuple[float, list[str]]:
    """``step`` for every family, by ``CLIENTS`` threads at once (each its own HTTP client, the families dealt in
    turn); the phase's time from all started to the last done."""
    barrier, errors = threading.Barrier(CLIENTS + 1), []

    def client(mine: list[_Family]) -> None:
        with httpx.Client(base_url=base, timeout=120) as web:
            barrier.wait(timeout=60)
            for family in mine:
                try:
                    step(web, family, activity_id)
                except Exception:  # noqa: BLE001 - reported
                    errors.append(traceback.format_exc(limit=3))

    threads = [threading.Thread(target=client, args=(families[i::CLIENTS],)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    barrier.wait(timeout=60)
    start = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - start, errors


# --- the scenario -----------------------------------------------------------------------------------------------


def _services_rush(admin_url: str, quick: bool) -> ContentionResult:
    """The same rush through the services, as ``opening_rush`` measures it (its floor left out): for this scenario
    run alone."""
    clients, families, n_days, capacity = rush_size(quick)
    url = _create_database(admin_url)
    try:
        activity_id, days, pairs = _setup(url, n_days, capacity, families)
        seconds, latencies, errors, holds = _run_clients(
            url, activity_id, rush_jobs(days, pairs), clients, False
        )
        if errors:
            raise RuntimeError(errors[0])
        overbooked, problems, full_ok, in_order = _check(url, activity_id, ranks=True)
    finally:
        _drop_database(admin_url, url)
    return ContentionResult(
        "services",
        clients,
        len(latencies),
        seconds,
        len(latencies) / seconds,
        _p95(latencies),
        None,
        overbooked,
        problems,
        full_ok,
        in_order,
        p50_ms=median(latencies),
        lock_hold_p50_ms=median(holds),
    )


def portal_rush(admin_url: str, quick: bool, services: ContentionResult | None = None) -> ContentionResult:
    """The opening rush through the portal (module's docstring); ``services``: ``opening_rush``'s result of the same
    run (else the services' rush is measured here first)."""
    if services is None:
        services = _services_rush(admin_url, quick)
    _, n_families, n_days, capacity = rush_size(quick)
    argon2_wall_ms, argon2_cpu_ms = _argon2_cost()
    url = _create_database(admin_url)
    machine = _Machine()
    try:
        activity_id, days, pairs = _setup(url, n_days, capacity, n_families)
        logins = _with_logins(url)
        families = [_Family(f, c, d, logins[f]) for f, c, d in rush_jobs(days, pairs)]
        watcher = _Backends(admin_url, make_url(url).database or "")
        with asgi_server(url, WORKERS) as (base, server_pid):
            processes = [server_pid, *_children(server_pid)]
            server_cpu, busy, clients_cpu = _cpu_of(processes), _machine_busy(), time.process_time()
            watcher.start()
            try:
                login_s, errors = _phase(base, families, _log_in, activity_id)
                if errors:
                    raise RuntimeError(errors[0])
                booking_s, errors = _phase(base, families, _book, activity_id)
            finally:
                watcher.stop.set()
            machine.clients = time.process_time() - clients_cpu
            after_server, after_busy = _cpu_of(processes), _machine_busy()
            if server_cpu is not None and after_server is not None:
                machine.server = after_server - server_cpu
            if busy is not None and after_busy is not None:
                machine.busy = after_busy - busy
            if errors:
                raise RuntimeError(errors[0])
        watcher.join(timeout=5)
        machine.peak_connections, machine.postgres = watcher.peak, watcher.cpu
        overbooked, problems, full_ok, in_order = _check(url, activity_id, ranks=True)
        recorded = _recorded(url)
        asked = sum(len(f.days) for f in families)
        if recorded != asked:
            problems = [*problems, f"{asked} jours demandés, {recorded} acceptés ou en liste d'attente"]
    finally:
        _drop_database(admin_url, url)
    seconds = login_s + booking_s
    per_family = [f.login_ms + f.booking_ms for f in families]
    confirms = [f.confirm_ms for f in families]
    clicks = [f.clicks_ms / len(f.days) for f in families]
    extra = {
        "workers": WORKERS,
        "services_clients": services.clients,
        "logins_seconds": round(login_s, 2),
        "bookings_seconds": round(booking_s, 2),
        "bookings_ratio": round(booking_s / services.seconds, 3),
        "login_p50_ms": round(median([f.login_ms for f in families]), 1),
        "booking_p50_ms": round(median([f.booking_ms for f in families]), 1),
        "click_p50_ms": round(median(clicks), 1),
        "click_p95_ms": round(_p95(clicks), 1),
        "clicks_share": round(sum(f.clicks_ms for f in families) / sum(f.booking_ms for f in families), 3),
        "confirm_request_p50_ms": round(median(confirms), 1),
        "confirm_request_p95_ms": round(_p95(confirms), 1),
        "http_requests": sum(len(f.days) + 5 for f in families),
        "argon2_wall_ms": round(argon2_wall_ms, 1),
        "argon2_cpu_ms": round(argon2_cpu_ms, 1),
        "peak_connections": machine.peak_connections,
        "cpu_seconds_machine": _round(machine.busy),
        "cpu_seconds_uvicorn": _round(machine.server),
        "cpu_seconds_postgres": _round(machine.postgres),
        "cpu_seconds_clients": round(machine.clients, 1),
        "cpu_seconds_others": _round(machine.others),
        "cores": os.cpu_count(),
    }
    result = ContentionResult(
        f"Ouverture de l'été par le portail : {n_families} familles, {CLIENTS} clients HTTP, {WORKERS} workers",
        CLIENTS,
        len(families),
        seconds,
        len(families) / seconds,
        _p95(per_family),
        services.per_second,
        overbooked,
        problems,
        full_ok,
        in_order,
        p50_ms=median(per_family),
        floor_seconds=services.seconds,
        floor_p50_ms=services.p50_ms,
        floor_p95_ms=services.p95_ms,
        target_ratio=TARGET,
        compared_with=f"la même ruée par les services ({services.clients} clients, même lancement)",
        extra=extra,
    )
    result.detail = _detail(result, extra, services)
    result.why = _why(result, extra, services)
    return result


def _recorded(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM reservations WHERE status IN ('accepted', 'waitlisted')")
        ).scalar()
    engine.dispose()
    return int(n or 0)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _cpu_text(extra: dict, names: dict[str, str]) -> str:
    """The machine's computation during the rush, by whom (Linux; "" elsewhere)."""
    if extra["cpu_seconds_machine"] is None:
        return ""
    parts = [f"{label} {extra[key]:.0f} s" for key, label in names.items() if extra.get(key) is not None]
    return ", ".join(parts)


def _detail(result: ContentionResult, extra: dict, services: ContentionResult) -> str:
    return (
        f"connexions {extra['logins_seconds']:.1f} s puis réservations {extra['bookings_seconds']:.1f} s "
        f"({extra['bookings_ratio']:.2f}× les services) ; un jour cliqué p50 {extra['click_p50_ms']:.0f} ms, "
        f"« Confirmer » p50 {extra['confirm_request_p50_ms']:.0f} ms (le service {services.p50_ms:.0f} ms) ; "
        f"au plus {extra['peak_connections']} connexions PostgreSQL"
    )


def _why(result: ContentionResult, extra: dict, services: ContentionResult) -> str:
    """The measured reason the rush misses its target (written only when it does)."""
    n = result.baskets
    why = (
        f"every login checks its password with argon2 ({extra['argon2_cpu_ms']:.0f} ms of computation each, slow "
        f"by design against guessing): the {n} logins take {extra['logins_seconds']:.1f} s of the rush's "
        f"{result.seconds:.1f} s. Once logged in, the bookings take {extra['bookings_seconds']:.1f} s, "
        f"{extra['bookings_ratio']:.2f}x the services' rush: each day a family clicks is a request (p50 "
        f"{extra['click_p50_ms']:.0f} ms: the session, the family's summary — children, wallets, waitlist — and "
        f"every bookable activity read again in the database each time), {extra['clicks_share']:.0%} of a family's "
        f"booking time, and « Confirmer » through HTTP takes p50 "
        f"{extra['confirm_request_p50_ms']:.0f} ms against {services.p50_ms:.0f} ms for the service call"
    )
    cpu = _cpu_text(
        extra,
        {
            "cpu_seconds_uvicorn": f"the {WORKERS} uvicorn workers",
            "cpu_seconds_postgres": "PostgreSQL",
            "cpu_seconds_clients": f"the {CLIENTS} clients",
            "cpu_seconds_others": "other processes",
        },
    )
    if cpu:
        why += (
            f". The {extra['cores']} cores computed {extra['cpu_seconds_machine']:.0f} s in the "
            f"{result.seconds:.0f} s: {cpu}"
        )
    return why
