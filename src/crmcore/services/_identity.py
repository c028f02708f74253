"""Who is acting, as the Directory says: the host authenticates, crmcore authorizes.

A use case takes the acting user as an id or as an [`Actor`][crmcore.ports.Actor] whose roles
are only a *request*; the roles used are the ones the Directory gives (narrowed to the
claimed ones when some are claimed). Unknown and inactive users are refused.
"""

from __future__ import annotations

import attrs

from crmcore.errors import ConfigError, NotFound, PermissionDenied
from crmcore.ports import Actor, Directory, DirectoryUser

__all__ = ["Acting", "resolve_actor"]


@attrs.frozen
class Acting:
    """The acting user resolved through the Directory: the Actor checks use, and the user."""

    actor: Actor
    user: DirectoryUser


def resolve_actor(directory: Directory, who: Actor | str) -> Acting:
    """The Directory's view of ``who``; PermissionDenied when unknown or inactive.

    A claimed role the Directory does not give is dropped, never used: the host's session
    may ask for fewer roles than the user holds (least privilege), never for more.
    """
    if isinstance(who, Actor):
        user_id, claimed = who.user_id, who.roles
    elif isinstance(who, str) and who.strip():
        user_id, claimed = who, frozenset()
    else:
        raise ConfigError(f"actor: expected a user id or an Actor, got {who!r}")
    try:
        user = directory.user(user_id)
    except NotFound:
        raise PermissionDenied(
            f"{user_id}: unknown user (the directory has no user {user_id!r})"
        ) from None
    if not user.active:
        raise PermissionDenied(f"{user_id}: inactive in the directory; inactive users may not act")
    roles = user.roles & claimed if claimed else user.roles
    return Acting(Actor(user.id, roles), user)
