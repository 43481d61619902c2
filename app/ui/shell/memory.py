"""What the counter remembers for each agent on this computer: the structure worked in and the last activity
booked, so that the next family opens where the agent left off (QSettings, never the shared database: choosing
an activity is not a write that other counters should hear of)."""

from __future__ import annotations

import hashlib

from ...services.uow import Database
from ...settings import Settings


class CounterMemory:
    def __init__(self, db: Database, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        url = db.engine.url.render_as_string(hide_password=True)
        self.base = hashlib.sha256(url.encode()).hexdigest()[:12]
        """Ids belong to one database: the keys carry which one."""

    def _key(self, agent_id: int | None, what: str) -> str:
        return f"{self.base}/agent-{agent_id if agent_id is not None else 'none'}/{what}"

    def get(self, agent_id: int | None, what: str) -> int | None:
        return self.settings.remembered(self._key(agent_id, what))

    def set(self, agent_id: int | None, what: str, value: int | None) -> None:
        if self.get(agent_id, what) != value:
            self.settings.remember(self._key(agent_id, what), value)
