"""Reading a JSON document of any size a value at a time, with bounded memory.

``json.load`` holds a whole document, as bytes, as text and as objects (a 100 MB Day One
export took some 650 MB). ``JsonReader`` instead walks the document's events (ijson's
C backend, yajl) and builds only the values its caller asks for, so what it holds is
one value at a time, however long the document is. Three things would still let a
hostile document fill memory, and each has a limit:

- one token (a string, a number, a key) longer than ``max_value_bytes``: yajl buffers a
  token whole before it says anything about it. ``_Meter`` sees yajl ask for more bytes
  while no event came out for that long, and stops the reading (``ValueTooBig``). Past
  that point nothing more of the document can be read.
- a value made of very many small ones (``[0,0,0,…]`` costs some 30 times its size as
  Python objects): ``value`` counts what it builds and, past ``max_cost``, reads on to
  the end of that value without keeping it (``ValueTooCostly``); the document goes on.
- nesting: more than ``MAX_DEPTH`` levels is refused (``NotJson``).
"""

from __future__ import annotations

import ast
import codecs
import json
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any

try:  # The C backend parses 100 MB in a third of a second; ijson's default is the same
    # when its wheel has it, and pure Python (some 30 times slower, still bounded) if not.
    from ijson.backends import yajl2_c as _ijson
except ImportError:  # pragma: no cover - every wheel for this platform has it
    import ijson as _ijson  # type: ignore[no-redef]
from ijson.common import JSONError

MAX_DEPTH = 64
"""The deepest nesting read. Journals nest a handful of levels; yajl and the builder
keep a little for every level, and a document of brackets alone would otherwise have
millions."""
JSON_CHUNK = 64 * 1024
"""yajl is fed this much at a time (it is also how far past ``max_value_bytes`` one
token can get before the reading stops)."""
CONTAINER_COST = 64
"""What a list or a dict costs besides what it holds, for ``value``'s count."""
SLOT_COST = 16
"""What one more element of a list or a dict costs besides the element itself."""


class JsonProblem(Exception):
    """The document cannot be read (further). The message is a clause that follows the
    document's name ("is not valid JSON …")."""


class NotJson(JsonProblem):
    """The bytes are not (UTF-8) JSON, or they nest too deeply."""


class NotUtf8(NotJson):
    """The bytes are not UTF-8 (nor, with ``any_encoding``, UTF-16 or UTF-32)."""


class ValueTooBig(JsonProblem):
    """One token is longer than ``max_value_bytes``; nothing after it can be read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"holds a single value of more than {limit:,} bytes")
        self.limit = limit
        self.entry = 0
        """The entry it is in (1 for the first), when the caller knows it; 0 if not."""


class ValueTooCostly(Exception):
    """A value asked for with ``JsonReader.value`` would cost more than its limit to
    hold. It was read to its end without being kept; the document goes on."""

    def __init__(self, cost: int) -> None:
        super().__init__(f"more than {cost:,} bytes in memory")
        self.cost = cost


class _Meter:
    """The document's bytes as yajl asks for them: a byte-order mark dropped (UTF-8
    only, or anything ``json`` reads when ``any_encoding``), each chunk charged to
    ``charge``, and the reading stopped once more than ``limit`` bytes went by with no
    event (``mark`` is called at every event)."""

    def __init__(
        self,
        raw: IO[bytes],
        limit: int,
        charge: Callable[[int], None] | None,
        any_encoding: bool,
    ) -> None:
        self.raw = raw
        self.limit = limit
        self.charge = charge
        self.any_encoding = any_encoding
        self.total = 0
        """Bytes handed to yajl so far."""
        self.marked = 0
        self._started = False
        self._decoder: codecs.IncrementalDecoder | None = None

    def mark(self) -> None:
        self.marked = self.total

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson asks for nothing first, to learn bytes from text.
        if self.total - self.marked > self.limit:
            raise ValueTooBig(self.limit)
        data = self.raw.read(size if size > 0 else JSON_CHUNK)
        if self.charge is not None and data:
            self.charge(len(data))
        if not self._started:
            data = self._start(data, size)
        elif self._decoder is not None:
            data = self._decoder.decode(data, final=not data).encode("utf-8", "surrogatepass")
        self.total += len(data)
        return data

    def _start(self, data: bytes, size: int) -> bytes:
        """The first chunk: the encoding is told by its first bytes, as json does."""
        while len(data) < 4:  # A stream may hand out fewer bytes than asked.
            more = self.raw.read(max(size, 4))
            if not more:
                break
            if self.charge is not None:
                self.charge(len(more))
            data += more
        self._started = True
        encoding = json.detect_encoding(data) if data else "utf-8"
        if encoding == "utf-8-sig" or data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :]
        if encoding == "utf-8":
            return data  # Or not UTF-8 at all, which yajl says.
        if not self.any_encoding:
            raise NotUtf8("is not UTF-8 text")
        self._decoder = codecs.getincrementaldecoder(encoding)("surrogatepass")
        return self._decoder.decode(data).encode("utf-8", "surrogatepass")


def _reason(exc: JSONError) -> str:
    """yajl's message, first line only ("parse error: premature EOF")."""
    text = str(exc)
    if text[:2] in ("b'", 'b"'):  # ijson hands some messages over as the repr of bytes.
        try:
            text = ast.literal_eval(text).decode("utf-8", "replace")
        except (ValueError, SyntaxError, AttributeError):
            text = text[2:]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[0] if lines else "it is not JSON").rstrip(".")


class JsonReader:
    """One JSON document, event by event, with helpers to walk objects and arrays and to
    build or skip the values inside them. Every method may raise ``JsonProblem``, and
    whatever ``stream.read`` raises (a zip member's CRC error) passes through.

    Walk it as the document goes: ``expect("start_map")``, then ``for key in keys():``
    reading each key's value with ``value``, ``skip``, or ``expect("start_array")`` and
    ``for _ in items():``; ``finish`` checks nothing follows the document."""

    def __init__(
        self,
        stream: IO[bytes],
        *,
        max_value_bytes: int,
        charge: Callable[[int], None] | None = None,
        any_encoding: bool = False,
    ) -> None:
        self.meter = _Meter(stream, max_value_bytes, charge, any_encoding)
        self._events = _ijson.basic_parse(self.meter, use_float=True, buf_size=JSON_CHUNK)
        self._ahead: tuple[str, Any] | None = None
        self.depth = 0

    def _pull(self) -> tuple[str, Any]:
        try:
            event = next(self._events)
        except StopIteration:
            raise NotJson("is not valid JSON (it ends where a value should be)") from None
        except JSONError as exc:
            raise self._broken(exc) from None
        except UnicodeDecodeError:  # Only with any_encoding: the declared one is wrong.
            raise NotUtf8("is not UTF-8, UTF-16 or UTF-32 text") from None
        self.meter.mark()
        kind = event[0]
        if kind == "start_map" or kind == "start_array":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise NotJson(f"is nested more than {MAX_DEPTH} levels deep")
        elif kind == "end_map" or kind == "end_array":
            self.depth -= 1
        return event

    def _broken(self, exc: JSONError) -> NotJson:
        """What yajl found wrong, with how far the reading had got."""
        reason = _reason(exc)
        if "UTF8" in reason:
            return NotUtf8("is not UTF-8 text")
        return NotJson(f"is not valid JSON ({reason}, within its first {self.meter.total:,} bytes)")

    def next(self) -> tuple[str, Any]:
        """The next event: (kind, value)."""
        if self._ahead is not None:
            event, self._ahead = self._ahead, None
            return event
        return self._pull()

    def peek(self) -> tuple[str, Any]:
        """The next event, left to be read again."""
        if self._ahead is None:
            self._ahead = self._pull()
        return self._ahead

    def expect(self, kind: str, what: str) -> None:
        """Read one event, which must be ``kind``; NotJson saying ``what`` it is not."""
        if self.next()[0] != kind:
            raise NotJson(what)

    def keys(self) -> Iterator[str]:
        """Inside an object (after its start): each key in turn. The caller reads the
        key's value before asking for the next key."""
        while True:
            event, value = self.next()
            if event == "end_map":
                return
            yield value

    def items(self) -> Iterator[int]:
        """Inside an array (after its start): the index of each item in turn. The
        caller reads the item before asking for the next."""
        index = 0
        while True:
            if self.peek()[0] == "end_array":
                self.next()
                return
            yield index
            index += 1

    def skip(self) -> None:
        """Read the next value to its end, keeping nothing."""
        event, _ = self.next()
        if event == "start_map" or event == "start_array":
            self._skip_rest_to(self.depth - 1)

    def string(self) -> str | None:
        """The next value if it is a string (None, having read it, if it is not)."""
        if self.peek()[0] == "string":
            return str(self.next()[1])
        self.skip()
        return None

    def value(self, max_cost: int) -> Any:
        """The next value, built, if holding it costs at most ``max_cost`` bytes (a
        string its ``sys.getsizeof``, containers a little for each element). Past that
        it is read to its end without being kept, and ValueTooCostly is raised."""
        event, scalar = self.next()
        if event != "start_map" and event != "start_array":
            if event == "map_key":  # Not a value: the document is broken.
                raise NotJson("is not valid JSON (a key where a value should be)")
            cost = sys.getsizeof(scalar)
            if cost > max_cost:
                raise ValueTooCostly(max_cost)
            return scalar
        depth = self.depth - 1
        root: Any = {} if event == "start_map" else []
        stack: list[Any] = [root]
        key: str | None = None
        keys: list[str | None] = []
        cost = CONTAINER_COST
        while self.depth > depth:
            event, item = self.next()
            if event == "map_key":
                key = item
                cost += sys.getsizeof(item)
                continue
            if event == "end_map" or event == "end_array":
                stack.pop()
                key = keys.pop() if keys else None
                continue
            if event == "start_map" or event == "start_array":
                child: Any = {} if event == "start_map" else []
                cost += CONTAINER_COST
            else:
                child = item
                cost += sys.getsizeof(item)
            cost += SLOT_COST
            if cost > max_cost:
                stack.clear()
                self._skip_rest_to(depth)
                raise ValueTooCostly(max_cost)
            parent = stack[-1]
            if isinstance(parent, dict):
                parent[key] = child
            else:
                parent.append(child)
            if event == "start_map" or event == "start_array":
                stack.append(child)
                keys.append(key)
                key = None
        return root

    def _skip_rest_to(self, depth: int) -> None:
        while self.depth > depth:
            self.next()

    def finish(self) -> None:
        """Check that nothing but white space follows the document."""
        if self._ahead is not None:
            raise NotJson("is not valid JSON (something follows the document)")
        try:
            extra = next(self._events, None)
        except JSONError as exc:
            raise self._broken(exc) from None
        if extra is not None:
            raise NotJson("is not valid JSON (something follows the document)")
