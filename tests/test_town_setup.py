"""A real town from an empty database, with no demonstration code: set-up, school year, families' import, a new
agent who books for an imported child with the imported balance; ``check`` clean (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, time
from pathlib import Path

from faker import Faker
from sqlalchemy import func, select

from app.clock import FixedClock, paris
from app.db import make_engine
from app.models import Activity, Child, Family, LedgerEntry, LedgerKind, Role, Wallet, WalletKind
from app.services.auth import change_password, login
from app.services.booking.basket import Action, Basket, BasketLine, OutcomeStatus
from app.services.booking.validation import confirm, recap
from app.services.families.search import find_families
from app.services.setup import agents
from app.services.setup.family_import import DEFAULT_HEADERS
from app.services.uow import Database, new_operation_key
from tests.helpers import as_printed
from tests.test_cli import run_app

NOW = paris(date(2026, 11, 26), time(10, 0))
ADMIN_PASSWORD = "Mairie-2026!"


def town_file(path: Path) -> dict[str, object]:
    """200 families and 320 children (80 with one child, 120 with two), balances in credit, zero and debit;
    then 5 bad lines (each a family of its own) and 3 lines repeating a child already in the file."""
    fake = Faker("fr_FR")
    fake.seed_instance(14)
    rng = random.Random(14)
    rows: list[dict[str, str]] = []
    balances = {WalletKind.ALAE: 0, WalletKind.ALSH: 0}
    used_names: set[str] = set()
    for i in range(200):
        name = fake.last_name()
        while name.upper() in used_names:
            name = f"{fake.last_name()}-{fake.last_name()}"
        used_names.add(name.upper())
        alae = rng.choice([0, 0, 1250, 2000, -650, 4000])
        alsh = 6500 if i < 10 else rng.choice([0, 1300, 2600, -1300, 9000])
        balances[WalletKind.ALAE] += alae
        balances[WalletKind.ALSH] += alsh
        family = {
            "famille": name,
            "responsable_nom": name,
            "responsable_prenom": fake.first_name(),
            "email": f"famille{i}@example.org",
            "telephone": f"05 63 {i // 100:02d} {i % 100:02d} 00",
            "adresse": fake.street_address(),
            "code_postal": "82700",
            "ville": "Montech",
            "quotient_familial": str(rng.randint(300, 2000)),
            "solde_alae": f"{alae / 100:.2f}".replace(".", ","),
            "solde_alsh": f"{alsh / 100:.2f}".replace(".", ","),
        }
        for k in range(1 if i < 80 else 2):
            born = date(2016 + k * 2 + i % 3, 1 + i % 12, 1 + i % 27)
            birth = f"{born:%d/%m/%Y}" if i % 2 else born.isoformat()  # both formats
            rows.append(
                family
                | {
                    "enfant_nom": name,
                    "enfant_prenom": fake.first_name(),
                    "enfant_naissance": birth,
                    "enfant_niveau": rng.choice(["CP", "CE1", "CE2", "CM1", "cm2", "GS"]),
                }
            )
    base = dict(rows[0]) | {"email": "", "solde_alae": "", "solde_alsh": ""}
    bad = [
        base | {"famille": "ERREUR-DATE", "enfant_naissance": "31/02/2019"},
        base | {"famille": "ERREUR-EMAIL", "email": "pas-une-adresse"},
        base | {"famille": "ERREUR-QF", "quotient_familial": "beaucoup"},
        base | {"famille": "ERREUR-LONG", "ville": "x" * 10_000},
        base | {"famille": "ERREUR-NIVEAU", "enfant_niveau": "licence"},
    ]
    duplicates = [rows[5], rows[100], rows[250]]
    with path.open("w", encoding="cp1252", errors="replace", newline="") as f:  # older software exports
        writer = csv.DictWriter(f, fieldnames=DEFAULT_HEADERS, delimiter=";")
        writer.writeheader()
        writer.writerows(rows + bad + duplicates)
    return {
        "rows": rows,
        "balances": balances,
        "bad_lines": list(range(322, 327)),
        "dup_lines": [327, 328, 329],
    }


def test_a_town_from_an_empty_database(empty_url, tmp_path):
    made = town_file(tmp_path / "familles.csv")

    # 1. set-up on the empty database (password from standard input), then the school year (nothing twice)
    result = run_app(
        "setup",
        "--db",
        empty_url,
        "--structure",
        "Accueil de loisirs de Montech",
        "--zone",
        "C",
        "--school-year",
        "2026",
        "--admin",
        "nroques",
        "--admin-name",
        "Nathalie Roques",
        "--city",
        "Montech",
        "--postal-code",
        "82700",
        "--today",
        "2026-08-24",
        input_text=ADMIN_PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert "administrateur « nroques »" in result.stdout
    assert "CLSH Petites vacances : 38 journées créées" in result.stdout
    again = run_app("school-year", "--db", empty_url, "--year", "2026", "--today", "2026-08-24")
    assert again.returncode == 0, again.stderr
    assert "ALAE Mercredi après-midi : 0 journée créée, 35 déjà présentes" in again.stdout

    # 2. the import's preview: exact counts and messages; nothing written while lines are rejected
    dry = run_app("import-families", str(tmp_path / "familles.csv"), "--db", empty_url, "--dry-run")
    assert dry.returncode == 1
    out = dry.stdout
    assert "328 lignes de données" in out.splitlines()[0]
    assert "- 200 familles à créer, 320 enfants à créer" in out
    assert "- 3 lignes en double ignorées :" in out
    for line in made["dup_lines"]:
        assert f"  ligne {line} : même enfant que la ligne" in out
    assert "- 5 lignes rejetées :" in out
    assert "ligne 322, colonne enfant_naissance : date impossible « 31/02/2019 »" in out
    assert "ligne 323, colonne email : adresse e-mail invalide « pas-une-adresse »" in out
    assert "ligne 324, colonne quotient_familial : quotient familial invalide « beaucoup »" in out
    assert (
        as_printed("ligne 325, colonne ville : texte trop long (10\u202f000 caractères ; 80 au plus)") in out
    )
    assert "ligne 326, colonne enfant_niveau : niveau scolaire inconnu « licence »" in out
    refused = run_app("import-families", str(tmp_path / "familles.csv"), "--db", empty_url)
    assert refused.returncode == 1
    engine = make_engine(empty_url)
    db = Database(engine, FixedClock(NOW))
    try:
        with db.reading() as uow:
            assert uow.session.scalar(select(func.count()).select_from(Family)) == 0

        # 3. the import, then the same file again: nothing twice
        done = run_app("import-families", str(tmp_path / "familles.csv"), "--db", empty_url, "--skip-invalid")
        assert done.returncode == 0, done.stderr
        assert "Import terminé : 200 familles et 320 enfants créés" in done.stdout
        second = run_app(
            "import-families", str(tmp_path / "familles.csv"), "--db", empty_url, "--skip-invalid"
        )
        assert second.returncode == 0
        assert "- 0 famille à créer, 0 enfant à créer" in second.stdout
        assert "- 200 familles et 320 enfants déjà connus" in second.stdout
        with db.reading() as uow:
            s = uow.session
            assert s.scalar(select(func.count()).select_from(Family)) == 200
            assert s.scalar(select(func.count()).select_from(Child)) == 320
            for kind, cents in made["balances"].items():
                opening = s.scalar(
                    select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                    .join(Wallet, Wallet.id == LedgerEntry.wallet_id)
                    .where(LedgerEntry.kind == LedgerKind.OPENING, Wallet.kind == kind)
                )
                assert opening == cents

        # 4. the administrator creates a counter agent, who changes the temporary password at first login
        admin_session = login(db, "nroques", ADMIN_PASSWORD)
        assert admin_session.actor.role is Role.ADMIN and not admin_session.must_change_password
        structure_id = admin_session.structures[0].id
        issued = agents.create_agent(
            db, admin_session.actor, "sbernard", "Sophie Bernard", Role.AGENT, [structure_id]
        )
        first = login(db, "sbernard", issued.password)
        assert first.must_change_password
        change_password(db, first.actor, issued.password, "Lanterne-Pivoine-82")
        agent = login(db, "sbernard", "Lanterne-Pivoine-82")
        assert not agent.must_change_password and agent.structures[0].id == structure_id

        # 5. the agent books an ALSH day and an ALAE Wednesday for an imported child, with the imported balance
        first_family = made["rows"][0]
        (row,) = find_families(db, first_family["famille"])
        assert row.balance_cents == 6500 + int(
            round(float(first_family["solde_alae"].replace(",", ".")) * 100)
        )
        with db.reading() as uow:
            s = uow.session
            child_id = s.scalar(select(Child.id).where(Child.family_id == row.id))
            ids = dict(s.execute(select(Activity.code, Activity.id)).all())
        basket = Basket(
            row.id,
            [
                BasketLine(child_id, ids["CLSH-PV"], date(2026, 12, 21), Action.ADD),
                BasketLine(child_id, ids["ALAE-MER"], date(2026, 12, 9), Action.ADD),
            ],
        )
        summary = recap(db, agent.actor, basket)
        assert summary.can_confirm and summary.cost_cents == 1300 + 650
        outcome = confirm(db, agent.actor, basket, key=new_operation_key())
        assert [o.status for o in outcome.outcomes] == [OutcomeStatus.ACCEPTED, OutcomeStatus.ACCEPTED]
        assert outcome.balance_after_cents == row.balance_cents - 1950
    finally:
        engine.dispose()
    checked = run_app("check", "--db", empty_url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "aucune anomalie" in checked.stdout


def test_export_of_all_families_round_trips(empty_url, tmp_path):
    """The export of every family is the import's format: importing it into another town gives the same."""
    town_file(tmp_path / "familles.csv")
    assert (
        run_app(
            "setup",
            "--db",
            empty_url,
            "--structure",
            "ALSH",
            "--zone",
            "C",
            "--admin",
            "admin1",
            input_text=ADMIN_PASSWORD + "\n",
        ).returncode
        == 0
    )
    assert (
        run_app(
            "import-families", str(tmp_path / "familles.csv"), "--db", empty_url, "--skip-invalid"
        ).returncode
        == 0
    )
    exported = run_app("export-families", str(tmp_path / "export.csv"), "--db", empty_url)
    assert exported.returncode == 0 and "320 lignes exportées" in exported.stdout
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert (
        run_app(
            "setup",
            "--db",
            other,
            "--structure",
            "ALSH",
            "--zone",
            "C",
            "--admin",
            "admin1",
            input_text=ADMIN_PASSWORD + "\n",
        ).returncode
        == 0
    )
    back = run_app("import-families", str(tmp_path / "export.csv"), "--db", other)
    assert back.returncode == 0, back.stdout
    assert "Import terminé : 200 familles et 320 enfants créés" in back.stdout
    again = run_app("export-families", str(tmp_path / "export2.csv"), "--db", other)
    assert again.returncode == 0
    first = list(
        csv.reader(io.StringIO((tmp_path / "export.csv").read_text(encoding="utf-8-sig")), delimiter=";")
    )
    second = list(
        csv.reader(io.StringIO((tmp_path / "export2.csv").read_text(encoding="utf-8-sig")), delimiter=";")
    )
    assert first == second
