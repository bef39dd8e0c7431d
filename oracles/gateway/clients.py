"""The gateway's OAuth2 clients, from a config file (JSON or TOML, by its suffix): each a client id,
its secret and its role, ``VEN`` (a device or aggregator) or ``BL`` (business logic: the utility's
own systems). The role decides the scopes a token carries (the document's ``oAuth2ClientCredentials``
scopes, as its descriptions assign them).

JSON::

    {"clients": [{"client_id": "ven-1", "client_secret": "...", "role": "VEN"}]}

TOML::

    [[clients]]
    client_id = "ven-1"
    client_secret = "..."
    role = "VEN"

The file holds secrets: keep it out of the repository and readable by the gateway's user only.
"""

from __future__ import annotations

import json
import tomllib
from enum import StrEnum
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)


class Role(StrEnum):
    VEN = "VEN"
    BL = "BL"


# the scopes of the document's securitySchemes.oAuth2ClientCredentials, by who may hold them there
SCOPES: dict[Role, frozenset[str]] = {
    Role.VEN: frozenset({"read_all", "write_reports", "write_subscriptions", "write_vens"}),
    Role.BL: frozenset(
        {"read_all", "write_programs", "write_events", "write_subscriptions", "write_vens"}
    ),
}


class Client(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(min_length=1, max_length=4096)
    client_secret: SecretStr
    role: Role

    @field_validator("client_secret")
    @classmethod
    def _long_enough(cls, v: SecretStr) -> SecretStr:
        if not 16 <= len(v.get_secret_value()) <= 4096:
            raise ValueError("must be 16..4096 characters")
        return v


class ClientsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    clients: list[Client] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> ClientsFile:
        seen: set[str] = set()
        for c in self.clients:
            if c.client_id in seen:
                raise ValueError(f"client_id {c.client_id!r} appears twice")
            seen.add(c.client_id)
        return self

    def by_id(self) -> dict[str, Client]:
        return {c.client_id: c for c in self.clients}


class ClientsError(ValueError):
    """The clients file cannot be used (one line naming the file)."""


def load_clients(path: Path) -> ClientsFile:
    """The clients of a ``.json`` or ``.toml`` file; a bad file raises :class:`ClientsError`."""
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            raise ClientsError(f"{path}: a clients file is .json or .toml, not {path.suffix!r}")
        return ClientsFile.model_validate(data)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ClientsError(f"{path}: not valid {path.suffix[1:].upper()} ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "file"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ClientsError(f"{path}: {where}: {message}") from None
