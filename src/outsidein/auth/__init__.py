"""Users, roles, sessions and API tokens (docs/security.md).

One job per module: ``roles`` (what each may do), ``passwords`` (argon2), ``users``,
``sessions`` (server-side, OIDC-ready), ``tokens`` (API tokens with scopes), ``principal``
(who is asking), ``ratelimit`` (failed sign-ins). The web layer's guard uses them.
"""

from outsidein.auth.principal import SERVER, Principal
from outsidein.auth.roles import Role
from outsidein.auth.users import User

__all__ = ["SERVER", "Principal", "Role", "User"]
