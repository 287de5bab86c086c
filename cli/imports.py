"""Placeholder until its issue fills it in."""

from typing import Any


def register(sub: Any) -> None:
    """Add this module's subcommands (none yet)."""
