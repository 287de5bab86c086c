"""The questions asked before changing the knowledge graph by hand.

Each returns a :class:`ui.dialogs.confirm.ConfirmAction`, so they look and answer like
every other confirmation (y goes ahead, n or Escape leaves things; "No" has the focus).
"""

from __future__ import annotations

from backend.models import EntityRef
from ui.dialogs.confirm import ConfirmAction
from ui.widgets import graph_text


def confirm_remove(entity: EntityRef, entry_title: str) -> ConfirmAction:
    """Before unlinking an entity from one entry."""
    return ConfirmAction(
        f"Remove “{entity.name}” from this entry?",
        f"“{entry_title}” will no longer be linked to {entity.name} ({entity.type}), and "
        "reading the entry again will not add it back. Other entries keep their links.",
        yes="Remove",
    )


def confirm_delete(entity: EntityRef, mentions: int) -> ConfirmAction:
    """Before removing an entity from every entry."""
    return ConfirmAction(
        f"Delete “{entity.name}” everywhere?",
        f"It is unlinked from the {graph_text.entries_count(mentions)} that mention it, "
        "with its relationships. The entries themselves stay as they are. Reading an "
        "entry again may find the name again; block it (b) to stop that.",
        yes="Delete",
    )


def confirm_block(entity: EntityRef) -> ConfirmAction:
    """Before blocking a name."""
    return ConfirmAction(
        f"Block the name “{entity.name}”?",
        f"Everything called “{entity.name}” is removed from every entry (of any type), "
        "and it is never picked out of an entry again, old or new. The entries "
        "themselves stay as they are. Unblock it later from Blocked names (B, or F8 anywhere).",
        yes="Block",
    )


def confirm_merge(keep: EntityRef, other: EntityRef) -> ConfirmAction:
    """Before folding one entity into another (of the same type or not)."""
    if keep.type == other.type:
        question = f"Merge “{other.name}” into “{keep.name}”?"
        retyped = ""
    else:
        # Same names are common across types (Jordan the person, Jordan the place).
        question = (
            f"Merge “{other.name}” ({other.type.lower()}) into “{keep.name}” ({keep.type.lower()})?"
        )
        retyped = f" “{other.name}” is read as a {keep.type.lower()} from now on."
    return ConfirmAction(
        question,
        f"Every mention of “{other.name}” becomes a mention of “{keep.name}”, with its "
        f"quotes and relationships, and “{other.name}” is kept as another spelling."
        f"{retyped} This cannot be undone.",
        yes="Merge",
    )
