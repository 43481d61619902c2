"""« Ouverture de l'été par le portail » (issue 31, ``bench/portal_rush.py``): its line in the table, and a small rush
done for real over HTTP against ``uvicorn app.web.asgi:app`` with several workers (PostgreSQL)."""

from __future__ import annotations

import pytest

from bench.__main__ import contention_results
from bench.contention import ContentionResult, rush_jobs
from bench.measure import WHY


def _rush(**changes) -> ContentionResult:
    values = dict(
        name="Ouverture",
        clients=32,
        baskets=200,
        seconds=90.0,
        per_second=2.2,
        p95_ms=20_000.0,
        floor_per_second=28.0,
        overbooked_days=0,
        violations=[],
        accepted_equals_capacity=True,
        ranks_in_request_order=True,
        p50_ms=10_000.0,
        floor_seconds=7.2,
        floor_p50_ms=200.0,
        floor_p95_ms=500.0,
    )
    return ContentionResult(**(values | changes))


def test_the_portal_line_is_its_time_against_the_services_rush_with_its_measured_reason():
    [line] = contention_results(
        [
            _rush(
                target_ratio=1.5,
                compared_with="la même ruée par les services",
                detail="connexions 25.5 s puis réservations 64.5 s",
                why="argon2 per login",
            )
        ]
    )
    assert (line.target_ratio, line.basis, line.floor) == (1.5, "durée", "la même ruée par les services")
    assert line.ratio == pytest.approx(90 / 7.2) and line.ok is False and line.why == "argon2 per login"
    assert "verrou" not in line.note  # the lock is held in the server's processes: not measured there
    assert line.note.endswith("rangs dans l'ordre : oui ; connexions 25.5 s puis réservations 64.5 s")
    [fast] = contention_results([_rush(seconds=9.0, target_ratio=1.5, why="argon2 per login")])
    assert fast.ok is True and fast.as_json()["why"] == ""
    [overbooked] = contention_results([_rush(seconds=9.0, target_ratio=1.5, overbooked_days=1)])
    assert overbooked.ok is False


def test_the_opening_rush_line_is_unchanged():
    [line] = contention_results([_rush(lock_hold_p50_ms=33.3, floor_lock_hold_p50_ms=15.7)])
    assert (line.target_ratio, line.floor, line.why) == (
        2.0,
        "la même ruée avec le plancher de confirmation",
        WHY["counters"],
    )
    assert line.note.startswith(
        "90.0 s contre 7.2 s ; verrou tenu p50 33.3 ms contre 15.7 ms ; surréservation 0"
    )


def test_every_way_of_doing_the_rush_asks_the_same_days():
    from datetime import date, timedelta

    days = [date(2027, 7, 5) + timedelta(days=i) for i in range(40)]
    pairs = [(i, 100 + i) for i in range(50)]
    jobs = rush_jobs(days, pairs)
    assert jobs == rush_jobs(days, pairs) and all(12 <= len(d) <= 18 for _, _, d in jobs)


def test_a_small_rush_through_uvicorns_workers_books_every_day_once_in_request_order(
    backend, pg_admin_url, monkeypatch
):
    """12 families asking 12 to 18 of 40 days of 3 places (most days full: waitlists), 4 clients on 2 workers:
    every day asked is accepted or waitlisted once, never beyond the places, ranks in request order."""
    if backend != "postgresql":
        pytest.skip("the rush runs on PostgreSQL")
    import bench.portal_rush as rush

    monkeypatch.setattr(rush, "rush_size", lambda quick: (2, 12, 40, 3))
    monkeypatch.setattr(rush, "CLIENTS", 4)
    monkeypatch.setattr(rush, "WORKERS", 2)
    result = rush.portal_rush(pg_admin_url, quick=True)
    assert result.baskets == 12 and result.violations == [] and result.overbooked_days == 0
    assert result.ranks_in_request_order and result.accepted_equals_capacity
    assert result.extra is not None and result.extra["http_requests"] == sum(
        len(d) + 5
        for _, _, d in rush_jobs(list(range(40)), [(0, 0)] * 12)  # type: ignore[arg-type]
    )
    assert 0 < result.extra["peak_connections"] <= 2 * 8  # two workers, a portal worker's pool each
    assert result.floor_seconds and result.target_ratio == 1.5 and "services" in result.compared_with
