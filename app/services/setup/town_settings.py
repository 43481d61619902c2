"""The town's own settings shared by every counter (``town_settings``): the address of its family portal, written
on the portal access letter and in the access e-mail (« Rendez-vous sur https://portail.ville.fr … »). The portal
itself takes its address from its own configuration (``python -m app portal --url``, ``GUICHET_PORTAL_URL``)."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import TownSetting
from .. import audit
from ..actors import Actor
from ..bounds import Text, checked
from ..errors import ValidationError
from ..permissions import rule
from ..uow import Database

PORTAL_ADDRESS_KEY = "portal_address"
ADDRESS_MAX = 200
PortalAddress = Annotated[str, Text(max_len=ADDRESS_MAX, label="adresse du portail famille")]


def web_address(text: str, what: str = "L'adresse du portail famille") -> str:
    """``text`` as a web address a family types (``https://portail.ville.fr``, a path allowed), without the
    spaces around it nor a final « / »; ``ValueError`` with the French reason otherwise."""
    url = text.strip().rstrip("/")
    example = "par exemple https://portail.ville.fr"
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"{what} commence par https:// ou http:// ({example}).")
    if re.search(r"\s", url) or any(ord(c) < 32 or c == "\x7f" for c in url):
        raise ValueError(f"{what} ne peut pas contenir d'espace ({example}).")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ValueError(f"{what} n'est pas une adresse web valable ({example}).") from None
    if not parts.hostname or parts.username is not None or parts.query or parts.fragment:
        raise ValueError(f"{what} n'est pas une adresse web valable ({example}).")
    if len(url) > ADDRESS_MAX:
        raise ValueError(f"{what} dépasse {ADDRESS_MAX} caractères.")
    return url


@checked
def portal_address(db: Database) -> str:
    """The address of the town's family portal, as the administrator set it ("" when not set)."""
    with db.reading() as uow:
        value = uow.session.scalar(select(TownSetting.value).where(TownSetting.key == PORTAL_ADDRESS_KEY))
    return value if isinstance(value, str) else ""


@checked
def save_portal_address(db: Database, actor: Actor, address: PortalAddress) -> str:
    """The address of the town's family portal (an administrator's, audited); "" removes it (the letters then
    give none). Returns the address as kept (``web_address``)."""
    if address.strip():
        try:
            address = web_address(address)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    else:
        address = ""

    def work(s: Session) -> None:
        row = s.get(TownSetting, PORTAL_ADDRESS_KEY)
        before = row.value if row is not None else ""
        if before == address:
            return
        now = db.clock.now()
        if row is None:
            s.add(TownSetting(key=PORTAL_ADDRESS_KEY, value=address, updated_at=now))
        else:
            row.value, row.updated_at = address, now
        audit.record(
            s,
            at=now,
            action="town.portal_address",
            entity="town_setting",
            entity_id=PORTAL_ADDRESS_KEY,
            agent_id=actor.agent_id,
            before={"adresse": before},
            after={"adresse": address},
        )

    db.write(work, actor=actor, rule=rule("setup.town_settings.save_portal_address"))
    return address


def portal_access_sentence(address: str, login: str) -> str:
    """Where and with what a family logs in, for the access letter and the access e-mail."""
    what = f"l'identifiant {login} et le mot de passe provisoire ci-dessous."
    if address:
        return f"Rendez-vous sur {address} avec {what}"
    return f"Demandez l'adresse du portail famille auprès du service enfance-jeunesse, puis connectez-vous avec {what}"
