"""Every public service function fed arbitrary text, numbers and types (hypothesis): it answers, or refuses with a
typed domain error (French) and writes nothing — never a raw exception from Python or the database."""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import pkgutil
from datetime import date, time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import app.services
from app.clock import paris
from app.models import Role
from app.services.actors import Actor
from app.services.errors import DomainError
from tests.helpers import actor, row_counts

NOW = paris(date(2026, 11, 26), time(10, 0))
SKIPPED = {
    "app.services.end_of_day.mailer.send_pending": "talks to an SMTP server (its arguments are typed and checked)",
}


def public_functions() -> list[tuple[str, Any]]:
    found = []
    for info in pkgutil.walk_packages(app.services.__path__, "app.services."):
        if ".demo" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == info.name and not name.startswith("_"):
                params = list(inspect.signature(value).parameters)
                if params and params[0] == "db" and f"{info.name}.{name}" not in SKIPPED:
                    found.append((f"{info.name}.{name}", value))
    return sorted(found)


FUNCTIONS = public_functions()

CONTROL = st.text(alphabet=st.characters(max_codepoint=31), min_size=1, max_size=5)
ODD_DIGITS = st.sampled_from(["١٢,٥٠", "𝟏𝟐", "１２", "12,345", "-0", "1e3", "NaN", "∞"])
GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.integers(min_value=-3, max_value=60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(min_size=200, max_size=400),
    st.sampled_from([100_000]).map(lambda n: "x" * n),
    CONTROL,
    ODD_DIGITS,
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.dates(min_value=date(2026, 11, 1), max_value=date(2027, 8, 31)),
    st.datetimes(),
    st.binary(max_size=20),
    st.lists(st.integers(min_value=-5, max_value=60), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _value_strategy(name: str, people: dict[str, Actor]) -> st.SearchStrategy[Any]:
    if name == "actor":
        return st.one_of(
            st.sampled_from(list(people.values())),
            st.builds(Actor, GARBAGE, st.sampled_from(list(Role))),
            GARBAGE,
        )
    return GARBAGE


def _dataclass_guess(fn: Any, name: str) -> st.SearchStrategy[Any] | None:
    """For a dataclass parameter, also build instances whose fields are garbage."""
    from typing import get_type_hints

    hint = get_type_hints(fn).get(name)
    if inspect.isclass(hint) and dataclasses.is_dataclass(hint):
        fields = [f for f in dataclasses.fields(hint) if f.init]
        return st.builds(lambda *values: _make(hint, fields, values), *([GARBAGE] * len(fields)))
    if inspect.isclass(hint) and issubclass(hint, enum.Enum):
        return st.one_of(st.sampled_from(list(hint)), GARBAGE)
    return None


def _make(cls: Any, fields: list[Any], values: tuple[Any, ...]) -> Any:
    obj = object.__new__(cls)
    for f, v in zip(fields, values, strict=True):
        object.__setattr__(obj, f.name, v)
    return obj


@pytest.mark.parametrize(
    ("name", "fn"), FUNCTIONS, ids=[n.removeprefix("app.services.") for n, _ in FUNCTIONS]
)
def test_arbitrary_arguments_get_a_typed_refusal_and_write_nothing(demo_rw, name, fn):
    db = demo_rw
    db.clock.set(NOW)
    people = {role.value: actor(db, role) for role in Role}
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "db"]
    strategies = {}
    for p in params:
        guess = _dataclass_guess(fn, p.name)
        strategies[p.name] = guess if guess is not None else _value_strategy(p.name, people)

    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries(strategies))
    def probe(arguments: dict[str, Any]) -> None:
        before = row_counts(db)
        try:
            fn(db, **arguments)
        except DomainError:
            assert row_counts(db) == before, f"{name} refused but wrote: {arguments!r}"[:500]
        except Exception as exc:  # noqa: BLE001 - what this test is about
            pytest.fail(f"{name} raised {type(exc).__name__}: {exc!s:.300} for {arguments!r:.300}")

    probe()


def test_every_public_service_function_checks_its_arguments():
    """The boundary is the ``@checked`` decorator (``services/bounds.py``) on each of them."""
    unchecked = [name for name, fn in FUNCTIONS if not getattr(fn, "__checked__", False)]
    assert unchecked == []
    assert len(FUNCTIONS) > 80
