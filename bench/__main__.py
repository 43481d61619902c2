"""``python -m bench [--quick] [--db URL] [--pg URL] [--json OUT]``: the city-scale benchmarks.

Builds (or reuses) the deterministic dataset in a SQLite file, measures the counter's interactive calls and
writes against their floor, then the contention scenarios on PostgreSQL; prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from app.clock import FixedClock
from app.db import is_empty, make_engine, upgrade
from app.services.invariants import violations
from app.services.uow import Database

from .contention import opening_rush, same_days
from .dataset import Size, build
from .measure import NOW, run_single

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a tenth of the data, fewer runs (under 2 minutes)"
    )
    parser.add_argument("--db", help="database for the single-counter measurements (default: a SQLite file)")
    parser.add_argument("--pg", default=os.environ.get("GUICHET_TEST_PG_URL",
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
                        help="PostgreSQL server (admin URL) for the contention scenarios")  # fmt: skip
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL scenarios")
    parser.add_argument("--fresh", action="store_true", help="rebuild the dataset even if the file exists")
    parser.add_argument("--json", type=Path, help="write the results there")
    args = parser.parse_args(argv)
    size = Size.quick() if args.quick else Size.full()
    RESULTS.mkdir(exist_ok=True)
    url = args.db or f"sqlite:///{RESULTS / ('quick.sqlite3' if args.quick else 'city.sqlite3')}"
    if args.fresh and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url[len("sqlite:///") :] + suffix).unlink(missing_ok=True)
    engine = make_engine(url)
    db = Database(engine, FixedClock(NOW))
    report: dict = {"quick": args.quick, "database": engine.dialect.name}
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
    started = time.perf_counter()
    results = run_single(db, loaded, args.quick)
    with db.reading() as uow:
        problems = violations(uow.session)
    print(_table(results))
    print(f"Invariants après les mesures : {'aucune anomalie' if not problems else problems[:5]}")
    report["single"] = [asdict(r) | {"ok": r.ok, "ratio": r.ratio} for r in results]
    report["invariants_after_single"] = problems
    if not args.no_pg:
        try:
            scenarios = [same_days(args.pg, args.quick), opening_rush(args.pg, args.quick)]
        except Exception as exc:  # noqa: BLE001 - the single-counter part is still worth reporting
            print(f"Scénarios PostgreSQL impossibles : {exc}", file=sys.stderr)
            scenarios = []
        for s in scenarios:
            ratio = f"{s.throughput_ratio:.0%} du plancher" if s.throughput_ratio else ""
            order = (
                ""
                if s.ranks_in_request_order is None
                else f", rangs dans l'ordre : {s.ranks_in_request_order}"
            )
            print(f"{s.name} : {s.baskets} paniers en {s.seconds:.1f} s ({s.per_second:.1f}/s {ratio}), "
                  f"p95 {s.p95_ms:.0f} ms, surréservation : {s.overbooked_days} jour(s), "
                  f"complets = capacité : {s.accepted_equals_capacity}{order}, anomalies : {len(s.violations)}")  # fmt: skip
        report["contention"] = [asdict(s) | {"throughput_ratio": s.throughput_ratio} for s in scenarios]
    report["seconds"] = round(time.perf_counter() - started, 1)
    out = args.json or RESULTS / ("quick.json" if args.quick else "city.json")
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"Résultats : {out}")
    engine.dispose()
    return 0


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


def _table(results) -> str:
    lines = [f"{'mesure':46} {'p50 ms':>8} {'p95 ms':>8} {'cible':>8} {'plancher':>9} {'ratio':>6}  ok"]
    for r in results:
        target = f"{r.target_ms:.0f}" if r.target_ms else ""
        floor = f"{r.floor_p50_ms:.1f}" if r.floor_p50_ms else ""
        ratio = f"{r.ratio:.2f}" if r.ratio else ""
        ok = {True: "oui", False: "NON", None: ""}[r.ok]
        lines.append(
            f"{r.name[:46]:46} {r.p50_ms:8.1f} {r.p95_ms:8.1f} {target:>8} {floor:>9} {ratio:>6}  {ok}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
