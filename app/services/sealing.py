"""Personal data that must outlive nothing but cannot be rewritten (the GDPR's right to erasure): the audit trail's before
and after of a family's rows, the ledger's labels and reasons, the cheques' bank and number, the stored outcomes of a
family's operations. They are append-only — no UPDATE, no DELETE, even for anonymisation — so they are written
*sealed* with a key of their family (AES-256-GCM, the family's number bound to every token), and anonymisation
destroys that key (``forget``): every sealed value of the family becomes unreadable at once, in the database and in
every backup restored after it (a restore re-applies the anonymisations, ``backup.restore``), while the amounts,
dates and references around them stay as they were.

A token reads ``sealed:v1:<family>:<base64 of nonce and ciphertext>``; ``opened`` turns one back into its text (or
``ERASED`` once the key is gone) and leaves any other value as it is (rows written before sealing existed were sealed
by migration 0008)."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from ..models import Family, FamilyKey

PREFIX = "sealed:v1:"
ERASED = "(effacé)"
"""What a sealed value reads once its family was anonymised."""
_CACHE = "sealing"


def _aad(family_id: int) -> bytes:
    return f"famille:{family_id}".encode()


def _token(aead: Any, family_id: int, text: str) -> str:
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, text.encode("utf-8"), _aad(family_id))
    return f"{PREFIX}{family_id}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def encrypt(key: bytes, family_id: int, text: str) -> str:
    """The token of ``text`` under ``key`` (also used by migration 0008 for the rows written before sealing)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return _token(AESGCM(key), family_id, text)


def family_of(token: object) -> int | None:
    """The family a token belongs to; None for anything that is not a token."""
    if not isinstance(token, str) or not token.startswith(PREFIX):
        return None
    number, _, _rest = token[len(PREFIX) :].partition(":")
    return int(number) if number.isdigit() else None


def _keys(s: Session) -> dict[int, Any]:
    """This transaction's keys, by family: an AESGCM, or None for a family whose key is gone (or never was)."""
    cache: dict[int, Any] = s.info.setdefault(_CACHE, {})
    return cache


def preload(s: Session, family_ids: set[int]) -> None:
    """The keys of ``family_ids`` in one query (before opening many values: a journal page, an export)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    keys = _keys(s)
    wanted = {f for f in family_ids if f not in keys}
    if not wanted:
        return
    found = dict(
        s.execute(select(FamilyKey.family_id, FamilyKey.key).where(FamilyKey.family_id.in_(wanted))).all()
    )
    for family_id in wanted:
        key = found.get(family_id)
        keys[family_id] = AESGCM(key) if key is not None else None


def _sealer(s: Session, family_id: int) -> Any:
    """The family's key, made the first time the family has something sealed (INSERT … ON CONFLICT DO NOTHING:
    two counters sealing for the same new family at once agree on one key); None once the family is anonymised."""
    keys = _keys(s)
    if keys.get(family_id) is not None:
        return keys[family_id]
    preload(s, {family_id})
    if keys[family_id] is not None:
        return keys[family_id]
    anonymised = s.scalar(select(Family.anonymized_at).where(Family.id == family_id))
    if anonymised is not None:
        return None
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    s.execute(
        insert(FamilyKey)
        .values(family_id=family_id, key=os.urandom(32))
        .on_conflict_do_nothing(index_elements=["family_id"])
    )
    del keys[family_id]
    preload(s, {family_id})
    return keys[family_id]


def seal(s: Session, family_id: int, text: str) -> str:
    """``text`` sealed with the family's key (``ERASED`` for a family already anonymised: nothing to keep)."""
    aead = _sealer(s, family_id)
    return ERASED if aead is None else _token(aead, family_id, text)


def seal_optional(s: Session, family_id: int, text: str | None) -> str | None:
    return None if text is None else seal(s, family_id, text)


def seal_json(s: Session, family_id: int, value: Any) -> dict[str, str]:
    """A JSON value (an audit row's before or after, an operation's outcome) sealed whole."""
    return {"sealed": seal(s, family_id, json.dumps(value, ensure_ascii=False, separators=(",", ":")))}


def opened(s: Session, value: Any) -> Any:
    """A token's text, a sealed JSON's value (``ERASED`` once the key is gone); any other value as it is."""
    if isinstance(value, dict) and set(value) == {"sealed"}:
        text = opened(s, value["sealed"])
        return ERASED if text == ERASED else json.loads(text)
    family_id = family_of(value)
    if family_id is None:
        return value
    preload(s, {family_id})
    aead = _keys(s)[family_id]
    if aead is None:
        return ERASED
    raw = base64.urlsafe_b64decode(str(value).rsplit(":", 1)[1])
    return aead.decrypt(raw[:12], raw[12:], _aad(family_id)).decode("utf-8")


def opened_text(s: Session, value: str | None) -> str:
    """A sealed (or plain) text, "" for None."""
    return "" if value is None else str(opened(s, value))


def forget(s: Session, family_id: int) -> None:
    """Destroy the family's key: everything sealed for it is unreadable from now on (anonymisation)."""
    if s.get_bind().dialect.name == "postgresql":  # the counters' login may not delete a key itself
        s.execute(text("SELECT guichet_forget_family(:family)"), {"family": family_id})
    else:
        s.execute(delete(FamilyKey).where(FamilyKey.family_id == family_id))
    _keys(s)[family_id] = None
