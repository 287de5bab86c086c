"""Reading the tags and the star other apps' JSON exports give an entry (jrnl, Day One),
a value at a time like the rest of their entries (``backend.transfer.json_stream``)."""

from __future__ import annotations

from backend.transfer.json_stream import JsonReader, ValueTooCostly

MAX_TAGS_BYTES = 64 * 1024
"""An entry's list of tags past this is not a list of tags; the entry is rejected."""
TOO_MANY_TAGS = "Its tags take more than 64 KB, which is not a list of tags."


class TooManyTags:
    """An entry's tags list was too big to hold (the entry is rejected, saying so)."""


def read_tags(reader: JsonReader) -> tuple[str, ...] | TooManyTags:
    """The next value as a list of tags (its strings, as the source writes them; a
    value that is not a list gives none), or TooManyTags past ``MAX_TAGS_BYTES``."""
    if reader.peek()[0] != "start_array":
        reader.skip()
        return ()
    try:
        value = reader.value(MAX_TAGS_BYTES)
    except ValueTooCostly:
        return TooManyTags()
    return tuple(v for v in value if isinstance(v, str))


def read_flag(reader: JsonReader) -> bool:
    """The next value as a yes/no: true only for JSON ``true``."""
    kind, value = reader.peek()
    if kind == "boolean":
        reader.next()
        return value is True
    reader.skip()
    return False
