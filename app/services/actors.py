"""Who is acting: the agent at the counter (or the portal), their role and the structure they work in."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Role
from .errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    agent_id: int | None
    role: Role
    name: str = ""

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)

    def require_supervisor(self, what: str) -> None:
        if not self.is_supervisor:
            raise PermissionDenied(what)

    def require_admin(self, what: str) -> None:
        if self.role is not Role.ADMIN:
            raise PermissionDenied(what)
