"""Who may do what: one table, used by every service.

Roles are ordered owner > admin > editor > viewer. An API key acts with its scopes, never beyond
the role of its organisation's policy for that scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from etlfabric.errors import PermissionDenied
from etlfabric.models import Role

RANK = {Role.viewer: 1, Role.editor: 2, Role.admin: 3, Role.owner: 4}

# action -> the lowest role allowed to do it
PERMISSIONS: dict[str, Role] = {
    "org.read": Role.viewer,
    "org.update": Role.admin,
    "members.read": Role.viewer,
    "members.invite": Role.admin,
    "members.change_role": Role.admin,
    "members.remove": Role.admin,
    "api_keys.read": Role.admin,
    "api_keys.manage": Role.admin,
    "audit.read": Role.admin,
    "resources.read": Role.viewer,
    "resources.write": Role.editor,
    "runs.start": Role.editor,
    "runs.cancel": Role.editor,
    "notifications.read": Role.viewer,
    "notifications.write": Role.editor,
}

# API key scope -> the actions it grants (the key's organisation role is `admin` at most)
SCOPES: dict[str, set[str]] = {
    "read": {"org.read", "members.read", "resources.read", "notifications.read"},
    "write": {
        "org.read",
        "members.read",
        "resources.read",
        "resources.write",
        "notifications.read",
        "notifications.write",
    },
    "run": {"org.read", "resources.read", "runs.start", "runs.cancel"},
    "admin": set(PERMISSIONS),
}


@dataclass(frozen=True)
class Principal:
    """Who is acting, in which organisation, with which role (and, for API keys, scopes)."""

    org_id: int
    role: Role
    user_id: int | None = None
    api_key_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    label: str = ""
    ip: str | None = None

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None


def allowed(principal: Principal, action: str) -> bool:
    minimum = PERMISSIONS[action]
    if RANK[principal.role] < RANK[minimum]:
        return False
    if principal.is_api_key:
        return any(action in SCOPES.get(scope, set()) for scope in principal.scopes)
    return True


def require(principal: Principal, action: str) -> None:
    if not allowed(principal, action):
        raise PermissionDenied(
            f"Your role ({principal.role.value}) does not allow this"
            + (" with this API key's scopes." if principal.is_api_key else ".")
        )


def outranks_or_equals(actor: Role, target: Role) -> bool:
    return RANK[actor] >= RANK[target]
