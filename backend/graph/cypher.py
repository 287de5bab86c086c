"""Parameterised Cypher on one FalkorDB graph.

Every query takes user text only as Cypher parameters (FalkorDB's ``CYPHER k=v``
header, built by the falkordb client's own quoting), never by string formatting.
"""

from __future__ import annotations

from typing import Any

import redis
from falkordb.helpers import stringify_param_value  # type: ignore[import-untyped]


def decode(value: Any) -> Any:
    """``value`` with bytes decoded as UTF-8 (anything else as it is)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


class Graph:
    """A thin, thread-safe wrapper that runs parameterised Cypher on one graph."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.client = client
        self.key = key

    def command(self, cypher: str, params: dict[str, Any] | None = None) -> list[str]:
        """The GRAPH.QUERY arguments for a parameterised query (for pipelines)."""
        return command(self.key, cypher, params)

    def query(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        """Run a query and return its rows with strings decoded."""
        return rows_of(self.client.execute_command(*self.command(cypher, params)))

    def read(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        """Like query, for read-only Cypher (runs as GRAPH.RO_QUERY)."""
        _, key, text = self.command(cypher, params)
        return rows_of(self.client.execute_command("GRAPH.RO_QUERY", key, text))


def command(key: str, cypher: str, params: dict[str, Any] | None = None) -> list[str]:
    """The GRAPH.QUERY arguments for a parameterised query on graph ``key``."""
    header = ""
    if params:
        header = (
            "CYPHER "
            + " ".join(f"{name}={stringify_param_value(value)}" for name, value in params.items())
            + " "
        )
    return ["GRAPH.QUERY", key, header + cypher]


def rows_of(reply: Any) -> list[list[Any]]:
    """The rows of a GRAPH.QUERY reply with strings decoded ([] for write-only queries)."""
    if len(reply) < 3:
        return []
    return [[decode(v) for v in row] for row in reply[1]]
