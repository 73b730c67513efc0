"""Who may do what: the roles, decided on the server, written out here and nowhere else.

A role reaches a turn from the server-side login (``cl.User.metadata["role"]``), never from
the browser. Anything missing or unknown is ``DEFAULT_ROLE``: a citizen, reading public
knowledge only, whose conversation is not stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Role(StrEnum):
    citizen = "citizen"  # anonymous, no account
    agent = "agent"  # logged in: guichet, helpdesk
    admin = "admin"  # logged in; reads what agents read
    editor = "editor"  # logged in: writes the fiches, sees the editors' space


DEFAULT_ROLE = Role.citizen
ROLES: tuple[Role, ...] = tuple(Role)
# Staff log in and their conversations are stored (pseudonymised); citizens' are not.
STAFF_ROLES: tuple[Role, ...] = (Role.agent, Role.admin, Role.editor)
# Who may open the editors' space (/editeurs): editors and admins; a plain agent may not (it
# shows what citizens asked, even pseudonymised, and lets one try fiches).
EDITOR_SPACE_ROLES: tuple[Role, ...] = (Role.editor, Role.admin)

# What each role may read, decided on the server. A flow narrows it, never widens it.
ROLE_AUDIENCES: dict[Role, frozenset[str]] = {
    Role.citizen: frozenset({"public"}),
    Role.agent: frozenset({"public", "agents"}),
    Role.admin: frozenset({"public", "agents"}),
    Role.editor: frozenset({"public", "agents"}),  # they write both
}


def role_from(value: object) -> Role:
    """A role from stored or sent data; missing or unknown is ``DEFAULT_ROLE``."""
    if isinstance(value, str) and value in ROLES:
        return Role(value)
    return DEFAULT_ROLE


def role_of(user: object) -> Role:
    """The role a login put in a user's metadata (a Chainlit ``User``, or None)."""
    metadata = getattr(user, "metadata", None)
    return role_from(metadata.get("role") if isinstance(metadata, Mapping) else None)


def is_staff(role: object) -> bool:
    return role_from(role) in STAFF_ROLES


def audiences_of(role: object) -> frozenset[str]:
    """What a caller of this role may read, at most."""
    return ROLE_AUDIENCES[role_from(role)]


def may_edit(role: object) -> bool:
    """May this role open the editors' space?"""
    return role_from(role) in EDITOR_SPACE_ROLES
