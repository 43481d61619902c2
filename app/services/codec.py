"""Results of use cases as JSON and back (stored with their operation key, read again by a retry).

Handles frozen dataclasses nested in lists, tuples and dicts, dates, datetimes, enums, ints, strings, booleans and
None, driven by the dataclasses' type hints.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date, datetime
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


def dump(value: Any) -> Any:
    """A JSON-able form of ``value``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} as an operation result")


def load(tp: Any, data: Any) -> Any:
    """The value of type ``tp`` that ``dump`` turned into ``data``."""
    if data is None:
        return None
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        return load(options[0], data) if len(options) == 1 else data
    if origin in (list, tuple):
        (inner, *_rest) = get_args(tp) or (Any,)
        values = [load(inner, v) for v in data]
        return values if origin is list else tuple(values)
    if origin is dict:
        key_type, value_type = get_args(tp) or (str, Any)
        return {load(key_type, k): load(value_type, v) for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = get_type_hints(tp)
        return tp(**{f.name: load(hints[f.name], data[f.name]) for f in dataclasses.fields(tp) if f.init})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if tp is datetime:
        return datetime.fromisoformat(data)
    if tp is date:
        return date.fromisoformat(data)
    if tp is int and isinstance(data, str):
        return int(data)
    return data
