"""Migrations bring an empty database to head, match the models, and the app refuses a schema behind."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.db import check_schema, current_revision, head_revision, is_empty, make_engine, upgrade
from app.models import Base
from app.services.errors import SchemaBehind


def test_empty_database_migrates_to_head_and_matches_the_models(empty_url):
    engine = make_engine(empty_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    check_schema(engine)
    engine.dispose()


def test_migrating_twice_is_harmless(empty_url):
    engine = make_engine(empty_url)
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_downgrade_to_base_and_back(empty_url):
    engine = make_engine(empty_url)
    upgrade(engine)
    from alembic import command

    from app.db import alembic_config

    command.downgrade(alembic_config(engine), "base")
    assert is_empty(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_schema_behind_is_refused_with_a_french_message(empty_url):
    engine = make_engine(empty_url)
    with pytest.raises(SchemaBehind) as info:
        check_schema(engine)
    assert "n'est pas à jour" in str(info.value)
    assert "python -m app migrate" in str(info.value)
    engine.dispose()


def test_schema_head_constant_matches_the_migration_scripts():
    from app.db import SCHEMA_HEAD, script_heads

    assert script_heads() == [SCHEMA_HEAD]
