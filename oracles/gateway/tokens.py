"""Bearer tokens of the OAuth2 client-credentials grant (RFC 6749 4.4, the document's POST
/auth/token): opaque random strings, kept in memory as their SHA-256 only, each with its client,
role, scopes and expiry. A gateway restart ends every token (clients ask again)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from oracles.gateway.clients import SCOPES, ClientsFile, Role

DEFAULT_TOKEN_SECONDS = 3_600


@dataclass(frozen=True)
class Grant:
    """What a valid token allows."""

    client_id: str
    role: Role
    scopes: frozenset[str]
    expires_at: float


class TokenRefused(Exception):
    """A token request refused, with its RFC 6749 5.2 error code and a sentence."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class TokenIssuer:
    def __init__(
        self,
        clients: ClientsFile,
        *,
        seconds: int = DEFAULT_TOKEN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = clients.by_id()
        self._seconds = seconds
        self._clock = clock
        self._grants: dict[bytes, Grant] = {}

    def issue(self, client_id: str, client_secret: str, scope: str | None) -> tuple[str, Grant]:
        """A new token for the client; ``scope`` (space-separated, RFC 6749 3.3) narrows the role's
        scopes, and none gives them all."""
        client = self._clients.get(client_id)
        # compare against a secret even for an unknown id, so timing does not tell ids apart
        expected = client.client_secret.get_secret_value() if client else secrets.token_hex(16)
        if not hmac.compare_digest(expected.encode(), client_secret.encode()) or client is None:
            raise TokenRefused("invalid_client", "unknown client_id or wrong client_secret")
        allowed = SCOPES[client.role]
        asked = frozenset(scope.split()) if scope else allowed
        if not asked <= allowed:
            extra = " ".join(sorted(asked - allowed))
            raise TokenRefused(
                "invalid_scope", f"a {client.role.value} client cannot hold scope {extra}"
            )
        self._expire()
        token = secrets.token_urlsafe(32)
        grant = Grant(client.client_id, client.role, asked, self._clock() + self._seconds)
        self._grants[_digest(token)] = grant
        return token, grant

    def check(self, token: str) -> Grant | None:
        """The grant of a live token, None for an unknown or expired one."""
        grant = self._grants.get(_digest(token))
        if grant is None or grant.expires_at <= self._clock():
            return None
        return grant

    @property
    def seconds(self) -> int:
        return self._seconds

    def _expire(self) -> None:
        now = self._clock()
        for key in [k for k, g in self._grants.items() if g.expires_at <= now]:
            del self._grants[key]


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
