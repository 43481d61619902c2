"""Operation keys made by the GUI for the writes that move money or places (``services.uow``).

The key of an operation is made when the agent starts it and kept for every retry of that same operation (same
day and reason, same counted amounts…): after an uncertain end (the answer of the COMMIT lost), the retry gets the
committed result back instead of writing twice. A new operation gets a new key; a key is forgotten once its
operation succeeded. The keys belong to the counter window (its context), not to the dialog that started the
operation: closing and reopening the dialog keeps them.
"""

from __future__ import annotations

from collections.abc import Hashable
from weakref import WeakKeyDictionary

from ..services.uow import new_operation_key


class OperationKeys:
    """One key per operation not yet known to have succeeded."""

    def __init__(self) -> None:
        self._keys: dict[Hashable, str] = {}

    def key(self, operation: Hashable) -> str:
        """The key of this operation: the one made at its first try until it succeeds."""
        if operation not in self._keys:
            self._keys[operation] = new_operation_key()
        return self._keys[operation]

    def succeeded(self, operation: Hashable) -> None:
        """The operation is done: doing it again is a new operation, with a new key."""
        self._keys.pop(operation, None)


_kept: WeakKeyDictionary[object, OperationKeys] = WeakKeyDictionary()


def kept_keys(owner: object) -> OperationKeys:
    """The keys kept for one counter window (pass its ``CounterContext``)."""
    keys = _kept.get(owner)
    if keys is None:
        keys = _kept[owner] = OperationKeys()
    return keys
