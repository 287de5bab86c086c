"""The DSPy program both model extractors run, and the guard on what models say back.

The program is one ``dspy.Predict`` over a signature "entry text -> entities (name, type)
and relationships (source, kind, target, evidence)". Its instructions and hand-written
demos live in ``llm_program.json`` beside this file, so they can be improved without
touching code. ``charlie model tune`` (``plugins.tuning``) compiles a program for one
model and saves it beside that model (:func:`compiled_path_for_model`, or for a server
:func:`compiled_path_for_server`); the extractors load it through :func:`choose_program`,
and fall back to the hand-written one, saying why, when it cannot be read. The JSON
schema of its output is what the llama.cpp extractor constrains decoding to and what the
OpenAI-compatible extractor asks its server for.

Whatever a model replies is treated as hostile: :func:`guard` keeps only well-formed
items of known types, trims names, maps relationship kinds into RELATION_KINDS, keeps
relationships only between extracted entities, drops repeats (small models loop) and
caps the counts at ``max_entities``. A reply that is not JSON at all raises
:class:`ModelOutputError`, an ordinary exception: the attempt fails and is retried.

DSPy is imported inside functions only: importing it costs a second or more, and the
worker and the CLI must start fast.
"""

# No "from __future__ import annotations": DSPy and pydantic read the field annotations of
# the classes built in _dspy_classes(), and those must be real types, not strings.
import hashlib
import json
import logging
import math
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.errors import CharlieError
from backend.graph.extractor import ENTITY_TYPES, RELATION_KINDS, Entity, Extraction, Relationship

PROGRAM_STATE = Path(__file__).with_name("llm_program.json")
"""The hand-written program's saved state: instructions and demos."""
COMPILED_SUFFIX = ".program.json"
"""A compiled program's file name is its model file's name plus this."""
MAX_PROGRAM_BYTES = 4 * 1024 * 1024
"""A program file larger than this is refused (a real one is a few kilobytes)."""

log = logging.getLogger("charlie.llm_program")

MAX_NAME_CHARS = 80
"""Longer names are cut: a real name is short, a looping model's is not."""
MAX_EVIDENCE_CHARS = 300
MAX_OUTPUT_TOKENS = 1024
"""The most tokens a model may write for one piece of an entry."""

_TYPES = {t.casefold(): t for t in ENTITY_TYPES}
_KINDS = set(RELATION_KINDS)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class ModelOutputError(Exception):
    """The model's reply could not be read as the JSON the program asked for."""


def output_schema(max_entities: int) -> dict[str, Any]:
    """The JSON schema of the program's output, with both lists capped at ``max_entities``.

    Enums keep a constrained decoder from inventing types; the guard still checks every
    item, since a remote server may ignore the schema.
    """
    name = {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS}
    entity = {
        "type": "object",
        "properties": {"name": name, "type": {"enum": list(ENTITY_TYPES)}},
        "required": ["name", "type"],
        "additionalProperties": False,
    }
    relationship = {
        "type": "object",
        "properties": {
            "source": name,
            "kind": {"enum": list(RELATION_KINDS)},
            "target": name,
            "evidence": {"type": "string", "maxLength": MAX_EVIDENCE_CHARS},
        },
        "required": ["source", "kind", "target", "evidence"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "entities": {"type": "array", "items": entity, "maxItems": max_entities},
            "relationships": {"type": "array", "items": relationship, "maxItems": max_entities},
        },
        "required": ["entities", "relationships"],
        "additionalProperties": False,
    }


# --- the guard -------------------------------------------------------------------------


def parse_reply(text: str) -> dict[str, Any]:
    """The JSON object in a model's reply.

    A reply cut off by the output limit (``{"entities": [{"name": "Sa``) is repaired to
    the items it completed, since a constrained decoder can only fail that way; anything
    that is not a JSON object raises ModelOutputError.
    """
    stripped = text.strip()
    # Some servers wrap JSON in a Markdown fence even when asked for JSON.
    fence = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", stripped, re.DOTALL)
    if fence:
        stripped = fence.group(1)
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError:
        if not stripped.startswith("{"):
            raise ModelOutputError(f"The model's reply is not JSON: {_snippet(stripped)}") from None
        import json_repair  # A DSPy dependency; only needed for cut-off replies.

        value = json_repair.loads(stripped)
    if not isinstance(value, dict):
        raise ModelOutputError(f"The model's reply is not a JSON object: {_snippet(stripped)}")
    return value


def _snippet(text: str) -> str:
    return repr(text[:120] + ("…" if len(text) > 120 else ""))


def clean_name(value: object) -> str:
    """A name fit to store: a string, no control characters, spaces collapsed, trimmed."""
    if not isinstance(value, str):
        return ""
    name = _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip(" \"'`.,;:")
    return name[:MAX_NAME_CHARS].strip()


def clean_kind(value: object) -> str:
    """A relationship kind from RELATION_KINDS; anything else is RELATED_TO."""
    if not isinstance(value, str):
        return "RELATED_TO"
    kind = re.sub(r"[\s-]+", "_", value.strip()).upper()
    return kind if kind in _KINDS else "RELATED_TO"


def guard(replies: Iterable[object], max_entities: int) -> Extraction:
    """Merge raw program outputs (one per piece of an entry) into a safe Extraction.

    Items that are not objects, have an unknown type or an empty name are dropped;
    repeats are dropped; both lists stop at ``max_entities``. Never raises.
    """
    entities: dict[tuple[str, str], Entity] = {}
    by_name: dict[str, Entity] = {}
    raw_relationships: list[dict[str, Any]] = []
    for reply in replies:
        if not isinstance(reply, dict):
            continue
        for item in _items(reply.get("entities")):
            if len(entities) >= max_entities:
                break
            name = clean_name(item.get("name"))
            kind = item.get("type")
            entity_type = _TYPES.get(kind.strip().casefold()) if isinstance(kind, str) else None
            if not name or entity_type is None:
                continue
            key = (name.casefold(), entity_type)
            if key not in entities:
                entities[key] = Entity(name=name, type=entity_type)
                by_name.setdefault(name.casefold(), entities[key])
        raw_relationships.extend(_items(reply.get("relationships")))
    relationships: dict[tuple[Entity, str, Entity], Relationship] = {}
    for item in raw_relationships:
        if len(relationships) >= max_entities:
            break
        source = by_name.get(clean_name(item.get("source")).casefold())
        target = by_name.get(clean_name(item.get("target")).casefold())
        if source is None or target is None or source == target:
            continue
        kind = clean_kind(item.get("kind"))
        evidence = item.get("evidence")
        evidence = _SPACES.sub(" ", evidence).strip() if isinstance(evidence, str) else ""
        key = (source, kind, target)
        if key not in relationships:
            relationships[key] = Relationship(
                source=source, kind=kind, target=target, evidence=evidence[:MAX_EVIDENCE_CHARS]
            )
    return Extraction(entities=list(entities.values()), relationships=list(relationships.values()))


def _items(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


# --- long entries ----------------------------------------------------------------------


def estimate_tokens(text: str) -> int:
    """A deliberately high token estimate (three UTF-8 bytes per token) for splitting."""
    return math.ceil(len(text.encode("utf-8")) / 3)


def split_text(
    text: str, max_tokens: int, count: Callable[[str], int] = estimate_tokens
) -> list[str]:
    """Cut ``text`` into pieces of at most ``max_tokens`` (as ``count`` measures them).

    Pieces break between paragraphs where possible, then between sentences, then
    between words, and only as a last resort inside a word; neighbours are packed
    together so a long entry makes as few model calls as it can. Each paragraph,
    sentence or word is measured once and the sizes are added up (a tokenizer rarely
    counts a joined text as more than its parts, and the callers keep a margin), so
    even a hostile 100,000-character run-on costs linear time.
    """
    if count(text) <= max_tokens:
        return [text]
    units: list[tuple[str, int]] = []
    for paragraph in re.split(r"\n\s*\n", text):
        if not paragraph.strip():
            continue
        size = count(paragraph)
        if size <= max_tokens:
            units.append((paragraph, size))
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            size = count(sentence)
            if size <= max_tokens:
                units.append((sentence, size))
            else:
                words = [
                    piece for word in sentence.split() for piece in _cut(word, max_tokens, count)
                ]
                units.extend(_pack(words, max_tokens, " ", count))
    return [piece for piece, _ in _pack(units, max_tokens, "\n\n", count)]


def _cut(word: str, max_tokens: int, count: Callable[[str], int]) -> list[tuple[str, int]]:
    """A "word" longer than a piece (a URL, base64, a hostile run of letters), in parts."""
    size = count(word)
    if size <= max_tokens:
        return [(word, size)]
    if len(word) == 1:
        return [(word, size)]  # Cannot be cut further; the model will have to cope.
    half = len(word) // 2
    return _cut(word[:half], max_tokens, count) + _cut(word[half:], max_tokens, count)


def _pack(
    units: list[tuple[str, int]], max_tokens: int, joiner: str, count: Callable[[str], int]
) -> list[tuple[str, int]]:
    """Join consecutive units while their summed size (joiners included) fits."""
    join = count(joiner)
    pieces: list[tuple[str, int]] = []
    text, size = "", 0
    for unit, unit_size in units:
        if text and size + join + unit_size > max_tokens:
            pieces.append((text, size))
            text, size = "", 0
        if text:
            text, size = f"{text}{joiner}{unit}", size + join + unit_size
        else:
            text, size = unit, unit_size
    if text:
        pieces.append((text, size))
    return pieces


# --- the DSPy program ------------------------------------------------------------------

_lock = threading.Lock()
_classes: dict[str, Any] = {}


_dspy_ready = threading.Event()


def import_dspy() -> Any:
    """DSPy, imported and set up the way Charlie needs it. Use this, not ``import dspy``."""
    if not _dspy_ready.is_set():
        # DSPy (and LiteLLM) fetch a model price list from GitHub on first use unless
        # told to use their bundled copy; a local-first journal has no business calling
        # out for that.
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")
        import dspy

        # Nothing Charlie sends a model should be kept on disk in ~/.dspy_cache, and a
        # cached answer would hide a model change; Charlie keeps its own results.
        dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
        _dspy_ready.set()
    import dspy

    return dspy


def _dspy_classes() -> dict[str, Any]:
    """Build the signature, module and adapter classes on first use (imports DSPy)."""
    with _lock:
        if _classes:
            return _classes
        dspy = import_dspy()
        import pydantic

        class EntityItem(pydantic.BaseModel):
            name: str
            type: str

        class RelationshipItem(pydantic.BaseModel):
            source: str
            kind: str
            target: str
            evidence: str

        class ExtractEntities(dspy.Signature):  # type: ignore[misc]
            """Find the people, places, groups and activities a journal entry mentions."""

            entry: str = dspy.InputField(desc="one journal entry, written by the journal's author")
            entities: list[EntityItem] = dspy.OutputField(
                desc="each person, place, group or activity mentioned, once"
            )
            relationships: list[RelationshipItem] = dspy.OutputField(
                desc="links between listed entities that the entry states"
            )

        class ExtractionProgram(dspy.Module):  # type: ignore[misc]
            """Entry text in, raw entities and relationships out (checked by guard())."""

            def __init__(self) -> None:
                super().__init__()
                self.extract = dspy.Predict(ExtractEntities)

            def forward(self, entry: str) -> Any:
                return self.extract(entry=entry)

        class ExtractionAdapter(dspy.JSONAdapter):  # type: ignore[misc]
            """DSPy's JSON adapter, with parsing that leaves validation to guard().

            DSPy's own parse would reject a whole reply over one malformed item; here a
            reply is either a JSON object, whose items guard() checks one by one, or a
            ModelOutputError.
            """

            def format_assistant_message_content(
                self, signature: Any, outputs: dict[str, Any], missing_field_message: Any = None
            ) -> str:
                # Demos as one-line JSON, not DSPy's indented form: the model copies their
                # layout, and every whitespace token it writes costs decoding time. A field
                # a demo does not supply (a gold demo's relationships) is left out rather
                # than written as a placeholder string where a list belongs; DSPy has
                # already told the model that the example is partial.
                fields = {k: outputs[k] for k in signature.output_fields if k in outputs}
                return json.dumps(fields, ensure_ascii=False)

            def parse(self, signature: Any, completion: str) -> dict[str, Any]:
                reply = parse_reply(completion)
                return {name: reply.get(name, []) for name in signature.output_fields}

        _classes.update(program=ExtractionProgram, adapter=ExtractionAdapter)
        return _classes


# --- program files: the hand-written one and compiled ones -----------------------------


class ProgramFileError(CharlieError):
    """A program file cannot be read, or does not hold a program of the expected shape."""


def load_program(path: Path = PROGRAM_STATE) -> Any:
    """The extraction program with the instructions and demos saved in ``path``.

    The file is checked field by field and only instructions, field prefixes and
    descriptions and demos are taken from it: DSPy's own ``load`` would set any attribute
    the file names and could bring an LM configuration along. ProgramFileError says what
    is wrong with a file that cannot be used.
    """
    clean = read_program_state(path)
    program = _dspy_classes()["program"]()
    program.load_state(clean)
    return program


def read_program_state(path: Path) -> dict[str, Any]:
    """The checked state in a program file (no DSPy needed); ProgramFileError if none."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PROGRAM_BYTES + 1)
    except OSError as exc:
        raise ProgramFileError(f"Cannot read the program {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_PROGRAM_BYTES:
        raise ProgramFileError(f"The program {path} is larger than a program can be.")
    try:
        state = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProgramFileError(f"The program {path} is not valid JSON: {exc}") from None
    try:
        return _checked_state(state)
    except ValueError as exc:
        raise ProgramFileError(f"The program {path} is not a Charlie program: {exc}") from None


def _checked_state(state: object) -> dict[str, Any]:
    """The parts of a saved program state Charlie uses, checked; ValueError if malformed."""
    extract = state.get("extract") if isinstance(state, dict) else None
    if not isinstance(extract, dict):
        raise ValueError('no "extract" object')
    signature = extract.get("signature")
    if not isinstance(signature, dict) or not isinstance(signature.get("instructions"), str):
        raise ValueError("no instructions")
    fields = signature.get("fields")
    if (
        not isinstance(fields, list)
        or len(fields) != 3
        or not all(
            isinstance(f, dict)
            and isinstance(f.get("prefix"), str)
            and isinstance(f.get("description"), str)
            for f in fields
        )
    ):
        raise ValueError("the signature needs three fields, each with a prefix and description")
    demos = extract.get("demos", [])
    if not isinstance(demos, list):
        raise ValueError('"demos" is not a list')
    return {
        "extract": {
            "traces": [],
            "train": [],
            "demos": [_checked_demo(demo, number) for number, demo in enumerate(demos, 1)],
            "signature": {
                "instructions": signature["instructions"],
                "fields": [
                    {"prefix": f["prefix"], "description": f["description"]} for f in fields
                ],
            },
            "lm": None,
        }
    }


def _checked_demo(demo: object, number: int) -> dict[str, Any]:
    if not isinstance(demo, dict) or not isinstance(demo.get("entry"), str):
        raise ValueError(f'demo {number} has no "entry" text')
    entities = demo.get("entities")
    if not isinstance(entities, list) or not all(
        isinstance(e, dict) and isinstance(e.get("name"), str) and e.get("type") in ENTITY_TYPES
        for e in entities
    ):
        raise ValueError(f'demo {number} needs "entities", each a name and a known type')
    checked: dict[str, Any] = {
        "entry": demo["entry"],
        "entities": [{"name": e["name"], "type": e["type"]} for e in entities],
    }
    # A demo made from gold data has no relationships (the gold marks none): the adapter
    # then shows it as an example with that output not supplied.
    if "relationships" in demo:
        relationships = demo["relationships"]
        keys = ("source", "kind", "target", "evidence")
        if not isinstance(relationships, list) or not all(
            isinstance(r, dict) and all(isinstance(r.get(k), str) for k in keys)
            for r in relationships
        ):
            raise ValueError(f'demo {number} has malformed "relationships"')
        checked["relationships"] = [{k: r[k] for k in keys} for r in relationships]
    return checked


def compiled_path_for_model(model_path: Path) -> Path:
    """Where the compiled program for a .gguf file lives: beside it, named after it."""
    return model_path.with_name(model_path.name + COMPILED_SUFFIX)


def compiled_path_for_server(data_dir: Path, base_url: str, model: str) -> Path:
    """Where the compiled program for a model on a server lives: ``<data>/programs``,
    keyed by the server's URL and the model's name (the same name on another server may
    be another model)."""
    url, name = base_url.strip().rstrip("/"), model.strip()
    key = hashlib.sha256(f"{url}\n{name}".encode()).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:40] or "model"
    return data_dir / "programs" / f"{slug}-{key}{COMPILED_SUFFIX}"


@dataclass(frozen=True)
class Tuning:
    """What ``charlie model tune`` recorded in a compiled program file."""

    dev_f1: float
    """The compiled program's entity F1 on the dev entries it was judged on."""
    baseline_dev_f1: float
    """The hand-written program's F1 on the same entries, in the same run."""
    dev_entries: int
    train_entries: int
    model: str
    """The model it was tuned for (a file name, or ``model @ server``)."""
    tuned_at: str


def read_tuning(path: Path) -> Tuning | None:
    """The tuning record in a compiled program file; None if it has none or is unreadable."""
    try:
        with path.open("rb") as handle:
            record = json.loads(handle.read(MAX_PROGRAM_BYTES)).get("charlie")
        return Tuning(
            dev_f1=float(record["dev_f1"]),
            baseline_dev_f1=float(record["baseline_dev_f1"]),
            dev_entries=int(record["dev_entries"]),
            train_entries=int(record["train_entries"]),
            model=str(record["model"]),
            tuned_at=str(record["tuned_at"]),
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def inspect_compiled(path: Path) -> tuple[Tuning | None, str]:
    """Whether a compiled program is at ``path``, without loading DSPy: (its tuning
    record, "") when it is usable, (None, why) when it is not, (None, "") when absent."""
    if not (path.exists() or path.is_symlink()):
        return None, ""
    try:
        read_program_state(path)
    except ProgramFileError as exc:
        return None, str(exc)
    return read_tuning(path), ""


def program_state(program: Any, tuning: Tuning) -> dict[str, Any]:
    """A compiled program's file content: DSPy's saved state plus the tuning record."""
    from dspy.utils.saving import get_dependency_versions

    state: dict[str, Any] = program.dump_state()
    state["metadata"] = {"dependency_versions": get_dependency_versions()}
    state["charlie"] = {
        "dev_f1": round(tuning.dev_f1, 4),
        "baseline_dev_f1": round(tuning.baseline_dev_f1, 4),
        "dev_entries": tuning.dev_entries,
        "train_entries": tuning.train_entries,
        "model": tuning.model,
        "tuned_at": tuning.tuned_at,
    }
    return state


@dataclass(frozen=True)
class ProgramChoice:
    """The program an extractor runs, where it came from, and why not a compiled one."""

    program: Any
    path: Path
    """The file it was loaded from."""
    tuning: Tuning | None = None
    """The tuning record when it is a compiled program, else None."""
    problem: str = ""
    """Why the compiled program for this model was not used (empty if none was refused)."""

    @property
    def compiled(self) -> bool:
        return self.path != PROGRAM_STATE

    def describe(self) -> str:
        """One line for people: which program, and its dev F1 when tuned."""
        if self.tuning is not None:
            t = self.tuning
            return (
                f"tuned for this model: dev F1 {t.dev_f1:.3f} (hand-written "
                f"{t.baseline_dev_f1:.3f}, {t.dev_entries} dev entries), {self.path}"
            )
        if self.compiled:
            return f"tuned for this model, {self.path}"
        if self.problem:
            return f"hand-written, because the tuned one was refused: {self.problem}"
        return "hand-written"


def choose_program(compiled: Path | None) -> ProgramChoice:
    """The compiled program at ``compiled`` if there is one and it can be read, else the
    hand-written one. A compiled file that cannot be used is logged as a warning and named
    in ``problem``, and the hand-written program is used: a broken tuning run must not
    stop entries from being read."""
    problem = ""
    if compiled is not None and (compiled.exists() or compiled.is_symlink()):
        try:
            return ProgramChoice(load_program(compiled), compiled, read_tuning(compiled))
        except ProgramFileError as exc:
            problem = str(exc)
            log.warning("%s The hand-written program is used instead.", problem)
    return ProgramChoice(load_program(PROGRAM_STATE), PROGRAM_STATE, None, problem)


def new_program() -> Any:
    """The program with the signature's default instructions and no demos."""
    return _dspy_classes()["program"]()


def make_adapter() -> Any:
    """The adapter both extractors run the program through."""
    return _dspy_classes()["adapter"]()


def format_messages(program: Any, entry: str) -> list[dict[str, Any]]:
    """The chat messages the program sends for ``entry`` (instructions, demos, entry).

    Everything before the last message is the same for every entry, which is what lets
    llama.cpp reuse its evaluation of that prefix from one entry to the next.
    """
    predictor = program.extract
    messages: list[dict[str, Any]] = make_adapter().format(
        predictor.signature, predictor.demos, {"entry": entry}
    )
    return messages


def run_program(
    program: Any,
    lm: Any,
    text: str,
    max_entities: int,
    piece_tokens: int,
    count: Callable[[str], int] = estimate_tokens,
) -> Extraction:
    """Run ``program`` with ``lm`` on ``text`` (split into pieces of ``piece_tokens``)
    and return the guarded, merged result."""
    if not text.strip():
        return Extraction()  # Nothing to read: no model call.
    dspy = import_dspy()
    replies = []
    # No history: DSPy would keep every prompt and reply in memory for the life of the
    # worker (up to 10,000 of them).
    with dspy.context(lm=lm, adapter=make_adapter(), disable_history=True):
        for piece in split_text(text, piece_tokens, count):
            prediction = program(entry=piece)
            replies.append(
                {"entities": prediction.entities, "relationships": prediction.relationships}
            )
    return guard(replies, max_entities)
