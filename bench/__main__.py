"""``python -m bench [--quick] [--db URL] [--pg URL] [--json OUT] [--papers]``: the city-scale benchmarks.

Builds (or reuses) the deterministic dataset in a SQLite file, measures the counter's interactive calls and
writes against their floor, then the contention scenarios on PostgreSQL; prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from app.clock import PARIS, FixedClock
from app.db import is_empty, make_engine, upgrade
from app.services.invariants import violations
from app.services.uow import Database

from .contention import ContentionResult, opening_rush, same_days
from .dataset import Size, build
from .measure import NOW, ROOT, WHY, Result, run_single

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("memes-journees", "ouverture", "ouverture-portail")
"""The PostgreSQL scenarios, in their order: 16 counters on the same days, the summer opening rush, the same rush
through the portal (``bench.portal_rush``, compared with the rush's services measured just before)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a tenth of the data, fewer runs (a few minutes)"
    )
    parser.add_argument("--db", help="database for the single-counter measurements (default: a SQLite file)")
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "GUICHET_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="PostgreSQL server (admin URL) for the contention scenarios",
    )
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL scenarios")
    parser.add_argument("--fresh", action="store_true", help="rebuild the dataset even if the file exists")
    parser.add_argument("--json", type=Path, help="write the results there")
    parser.add_argument(
        "--papers",
        action="store_true",
        help="only the town's papers (CAF hours, tax certificates) on the dataset: no other measure, no "
        "PostgreSQL; results in bench/results/papers-quick.json (or papers-city.json) unless --json",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SCENARIOS,
        metavar="SCENARIO",
        help=f"only these PostgreSQL scenarios ({', '.join(SCENARIOS)}): no dataset, no single-counter "
        "measures; results in bench/results/only-quick.json (or only-city.json) unless --json",
    )
    args = parser.parse_args(argv)
    if args.only:
        return only(args)
    size = Size.quick() if args.quick else Size.full()
    RESULTS.mkdir(exist_ok=True)
    url = args.db or f"sqlite:///{RESULTS / ('quick.sqlite3' if args.quick else 'city.sqlite3')}"
    if args.fresh and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url[len("sqlite:///") :] + suffix).unlink(missing_ok=True)
    engine = make_engine(url)
    db = Database(engine, FixedClock(NOW))
    report: dict = {"quick": args.quick, "database": engine.dialect.name, "machine": machine()}
    if is_empty(engine):
        upgrade(engine)
        loaded = build(db, size)
        report["dataset"] = {"seconds": round(loaded.seconds, 1), **loaded.counts}
        print(f"Jeu de données construit en {loaded.seconds:.1f} s : {loaded.counts}")
    else:
        upgrade(engine)
        loaded = _reuse(db)
        report["dataset"] = {"reused": True}
        print("Jeu de données existant réutilisé (--fresh pour le reconstruire).")
    if url.startswith("sqlite:///"):  # the runs book and pay: on a copy, the dataset stays as built
        engine.dispose()
        engine = make_engine(working_copy(url))
        db = Database(engine, FixedClock(NOW))
    started = time.perf_counter()
    if args.papers:
        from .papers import town_papers

        results = town_papers(db, args.quick)
    else:
        results = run_single(db, loaded, args.quick)
    with db.reading() as uow:
        problems = violations(uow.session)
    print(f"Invariants après les mesures : {'aucune anomalie' if not problems else problems[:5]}")
    report["invariants_after_single"] = problems
    if not args.no_pg and not args.papers:
        scenarios = pg_scenarios(args.pg, args.quick)
        report["contention"] = [asdict(sc) | {"throughput_ratio": sc.throughput_ratio} for sc in scenarios]
        results += contention_results(scenarios)
    if not args.papers:
        results.append(package_size())
    print(table(results))
    report["measures"] = [r.as_json() for r in results]
    report["seconds"] = round(time.perf_counter() - started, 1)
    out = args.json or RESULTS / (
        ("papers-" if args.papers else "") + ("quick.json" if args.quick else "city.json")
    )
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    print(f"Résultats : {out}")
    engine.dispose()
    return 0


def pg_scenarios(admin_url: str, quick: bool, names: tuple[str, ...] = SCENARIOS) -> list[ContentionResult]:
    """The PostgreSQL scenarios ``names``, each printed; one that fails is said and the others still run (the
    portal's rush without the opening rush of the same run measures the services' rush itself)."""
    from .portal_rush import portal_rush

    scenarios: list[ContentionResult] = []
    rush = None
    for name in SCENARIOS:
        if name not in names:
            continue
        try:
            if name == "memes-journees":
                sc = same_days(admin_url, quick)
            elif name == "ouverture":
                sc = rush = opening_rush(admin_url, quick)
            else:
                sc = portal_rush(admin_url, quick, services=rush)
        except Exception as exc:  # noqa: BLE001 - the other measures are still worth reporting
            print(f"Scénario PostgreSQL « {name} » impossible : {exc}", file=sys.stderr)
            continue
        scenarios.append(sc)
        print(
            f"{sc.name} : {sc.baskets} paniers en {sc.seconds:.1f} s ({sc.per_second:.1f}/s, comparé "
            f"{sc.floor_per_second or 0:.1f}/s en {sc.floor_seconds or 0:.1f} s), surréservation : "
            f"{sc.overbooked_days} jour(s), "
            + (
                ""
                if sc.lock_hold_p50_ms is None
                else f"verrou tenu p50 "
                f"{sc.lock_hold_p50_ms:.1f} ms (plancher {sc.floor_lock_hold_p50_ms or 0:.1f} ms), "
            )
            + f"complets = capacité : {sc.accepted_equals_capacity}, "
            f"rangs dans l'ordre : {sc.ranks_in_request_order}, anomalies : {len(sc.violations)}"
            + (f" ; {sc.detail}" if sc.detail else "")
        )
    return scenarios


def only(args: argparse.Namespace) -> int:
    """``--only``: the PostgreSQL scenarios named, their lines and their JSON (no dataset, no single counter)."""
    started = time.perf_counter()
    scenarios = pg_scenarios(args.pg, args.quick, tuple(args.only))
    results = contention_results(scenarios)
    print(table(results))
    report = {
        "quick": args.quick,
        "database": "postgresql",
        "machine": machine(),
        "only": args.only,
        "contention": [asdict(sc) | {"throughput_ratio": sc.throughput_ratio} for sc in scenarios],
        "measures": [r.as_json() for r in results],
        "seconds": round(time.perf_counter() - started, 1),
    }
    out = args.json or RESULTS / ("only-quick.json" if args.quick else "only-city.json")
    RESULTS.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    print(f"Résultats : {out}")
    return 0 if len(scenarios) == len(args.only) else 1


def machine() -> dict[str, object]:
    return {
        "cores": os.cpu_count(),
        "date": datetime.now(PARIS).date().isoformat(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.machine()}",
    }


def contention_results(scenarios: list[ContentionResult]) -> list[Result]:
    out = []
    for sc in scenarios:
        sound = sc.overbooked_days == 0 and not sc.violations and sc.accepted_equals_capacity
        if sc.ranks_in_request_order is not None:
            sound = sound and sc.ranks_in_request_order
        lock = (
            ""
            if sc.lock_hold_p50_ms is None
            else f"verrou tenu p50 {sc.lock_hold_p50_ms:.1f} ms contre {sc.floor_lock_hold_p50_ms or 0:.1f} ms ; "
        )
        checks = f"{lock}surréservation {sc.overbooked_days}, anomalies {len(sc.violations)}" + (
            ""
            if sc.ranks_in_request_order is None
            else f", rangs dans l'ordre : {'oui' if sc.ranks_in_request_order else 'NON'}"
        )
        if sc.ranks_in_request_order is None:  # the 16 counters: throughput and p95 against the floor's
            out.append(
                Result(
                    f"{sc.name} : débit",
                    sc.p50_ms,
                    sc.p95_ms,
                    sc.baskets,
                    sc.floor_p50_ms,
                    sc.floor_p95_ms,
                    1 / 0.6,
                    "débit",
                    "le même scénario avec le plancher de confirmation",
                    f"{sc.per_second:.0f}/s contre {sc.floor_per_second or 0:.0f}/s ; {checks}",
                    (sc.floor_per_second or 0) / sc.per_second,
                    WHY["counters"],
                    sound,
                )
            )
            out.append(
                Result(
                    f"{sc.name} : p95",
                    sc.p50_ms,
                    sc.p95_ms,
                    sc.baskets,
                    sc.floor_p50_ms,
                    sc.floor_p95_ms,
                    5,
                    "p95",
                    "le même scénario avec le plancher de confirmation",
                    checks,
                    why=WHY["counters"],
                    sound=sound,
                )
            )
        else:
            out.append(
                Result(
                    sc.name,
                    sc.p50_ms,
                    sc.p95_ms,
                    sc.baskets,
                    sc.floor_p50_ms,
                    sc.floor_p95_ms,
                    sc.target_ratio,
                    "durée",
                    sc.compared_with,
                    f"{sc.seconds:.1f} s contre {sc.floor_seconds or 0:.1f} s ; {checks}"
                    + (f" ; {sc.detail}" if sc.detail else ""),
                    sc.seconds / (sc.floor_seconds or sc.seconds),
                    sc.why or WHY["counters"],
                    sound,
                )
            )
    return out


def package_size() -> Result:
    """The packaged program's folder, when built (``bash scripts/package.sh``)."""
    folder = ROOT / "dist" / "guichet-enfance"
    if not folder.is_dir():
        return Result(
            "Programme empaqueté (Mo sur disque)",
            None,
            None,
            0,
            basis="taille",
            note="non construit (bash scripts/package.sh)",
        )
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())
    mb = size / 1_000_000
    return Result(
        "Programme empaqueté (Mo sur disque)",
        None,
        None,
        1,
        target_ratio=1.0,
        basis="taille",
        floor="150 Mo",
        note=f"{mb:.0f} Mo",
        ratio=mb / 150,
    )


def working_copy(url: str) -> str:
    """A copy of the SQLite dataset ``url`` (beside it, ``….run.sqlite3``) for one run's measurements, which book,
    confirm and pay: the next run starts from the same dataset, however many runs come in a row."""
    import sqlite3

    source = Path(url[len("sqlite:///") :])
    target = source.with_suffix(".run.sqlite3")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    return f"sqlite:///{target}"


def _reuse(db: Database):
    from sqlalchemy import select

    from app.models import Activity, Structure

    from .dataset import Loaded

    with db.reading() as uow:
        s = uow.session
        loaded = Loaded(0.0)
        loaded.structure_ids = list(s.scalars(select(Structure.id).order_by(Structure.id)))
        activities = {a.code + str(a.structure_id): a.id for a in s.scalars(select(Activity))}
        loaded.alae_ids = [activities[f"ALAE{sid}"] for sid in loaded.structure_ids[:2]]
        loaded.alsh_id = activities[f"CLSH-PV{loaded.structure_ids[2]}"]
        loaded.alsh_summer_id = activities[f"CLSH-ETE{loaded.structure_ids[2]}"]
        return loaded


def _fmt(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def table(results: list[Result]) -> str:
    lines = [f"{'mesure':52} {'p50 ms':>8} {'p95 ms':>8} {'plancher':>17} {'ratio':>6} {'cible':>6}  ok"]
    for r in results:
        floor = (
            f"{_fmt(r.floor_p50_ms)} / {_fmt(r.floor_p95_ms)}" if r.floor_p50_ms is not None else r.floor[:17]
        )
        target = f"≤ {r.target_ratio:.2f}" if r.target_ratio else ""
        ok = {True: "oui", False: "NON", None: ""}[r.ok]
        lines.append(
            f"{r.name[:52]:52} {_fmt(r.p50_ms):>8} {_fmt(r.p95_ms):>8} {floor:>17} "
            f"{_fmt(r.ratio, 2):>6} {target:>6}  {ok} ({r.basis}) {r.note}"
        )
    for r in results:
        if r.ok is False:
            lines.append(f"  manqué — {r.name} : {r.why}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
