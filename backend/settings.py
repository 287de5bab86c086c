"""Charlie's settings: one typed object, read from a TOML file, overridden by env vars.

Precedence, lowest first: the defaults below, the TOML file, then ``CHARLIE_<KEY>``
environment variables (for example ``CHARLIE_DATA_DIR``). The file is
``$CHARLIE_CONFIG_FILE`` if set, else ``config.toml`` in the platformdirs config
directory. A bad value raises :class:`SettingsError` naming the key and where it came
from, so the user can fix it without guessing.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
import types
import typing
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import platformdirs

from backend.errors import SettingsError

APP_NAME = "charlie"
ENV_PREFIX = "CHARLIE_"


def default_config_file() -> Path:
    """The config file used when ``CHARLIE_CONFIG_FILE`` is not set."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


@dataclass(frozen=True)
class Settings:
    """Every setting Charlie reads. Each field is also a TOML key and a ``CHARLIE_*`` var."""

    data_dir: Path = field(default_factory=_default_data_dir)
    """Where entries, the database files and logs live. One running owner per directory."""

    broker_url: str = ""
    """``redis://…`` or ``unix://…`` of an existing FalkorDB server to use instead of the
    embedded one. Empty (the default) means Charlie runs its own embedded server."""

    appendfsync: str = "always"
    """How often the embedded server fsyncs its append-only file: ``always`` (every write
    is on disk before Charlie reports it saved), ``everysec`` or ``no``."""

    max_entry_chars: int = 100_000
    """The longest entry body Charlie accepts, in characters."""

    default_journal: str = "Journal"
    """The journal the app opens and the CLI writes to when none is named."""

    broker_wait_seconds: float = 15.0
    """How long a client waits for the owner's handoff (``broker.json``) to become valid
    before giving up with an error."""

    extractor: str = "rules"
    """The extractor plugin (entry point in ``charlie.extractors``) that enriches entries."""

    job_lease_seconds: float = 30.0
    """How long a worker's claim on a job lasts without a heartbeat (renewed every third)."""

    job_time_limit_seconds: float = 300.0
    """The hard limit for one enrichment attempt; the owner kills a worker past it."""

    job_max_attempts: int = 5
    """Attempts an enrichment job gets before it is dead (a crash or timeout counts)."""

    retry_base_seconds: float = 2.0
    """The first retry waits up to this long; each later one up to twice as long."""

    model_linger_seconds: float = 120.0
    """How long the worker keeps the model loaded after the queue empties."""

    model: str = ""
    """The model the ``llama_cpp`` extractor loads: a path to a ``.gguf`` file, or the name
    of a model ``charlie model list`` shows (pulled into ``<data>/models``). Empty: none."""

    model_context: int = 4096
    """The context window (tokens) the ``llama_cpp`` extractor gives the model; longer
    entries are split into pieces that fit and the results merged."""

    model_threads: int = 0
    """CPU threads for the ``llama_cpp`` extractor; 0 means one per core but one (that
    one is left to the app, so typing stays smooth while the model works)."""

    openai_base_url: str = "http://127.0.0.1:11434/v1"
    """The ``openai_compat`` extractor's server (Ollama, llama-server, LM Studio, …)."""

    openai_model: str = ""
    """The model name the ``openai_compat`` extractor asks its server for."""

    openai_api_key: str = ""
    """An API key for the ``openai_compat`` server, if it wants one."""

    max_entities: int = 50
    """The most entities one entry can yield; extra model output is dropped."""

    fuzzy_threshold: float = 90.0
    """How similar (0–100, rapidfuzz) a new name must be to an existing entity of the same
    type to be taken as the same one, after exact matching failed."""

    draft_seconds: float = 1.5
    """How long after the last keystroke the editor keeps a draft of what is on screen
    (also on focus changes, SIGHUP/SIGTERM and failed saves); 0 turns drafts off."""

    backup_keep: int = 10
    """How many automatic backups to keep in ``<data>/backups`` (oldest are removed)."""

    attachment_max_mb: int = 50
    """The biggest file (a photo from Day One) Charlie keeps as an attachment, in MB
    (1-2048); a bigger one is not imported, and the import says so."""

    import_attachments_max_mb: int = 4096
    """The most one import keeps in attachments, in MB (1-1048576); photos past it are
    not imported, and the import says which."""

    daily_prompt: bool = True
    """Show a question of the day in an empty new entry (hidden as soon as you type,
    never saved). False turns it off."""

    templates: dict[str, str] = field(default_factory=dict)
    """Entry templates by name (the ``[templates]`` table; ``CHARLIE_TEMPLATES`` takes a
    JSON object). Files in ``<config>/templates/NAME.md`` add more and win a name."""

    config_file: Path = field(default_factory=default_config_file)
    """The TOML file these settings were read from (set by ``CHARLIE_CONFIG_FILE``)."""

    def __post_init__(self) -> None:
        if any(c in str(self.data_dir) for c in '"\\\n\r'):
            raise SettingsError(
                f"data_dir cannot contain a quote, a backslash or a line break "
                f"(the database server's config cannot hold them): {str(self.data_dir)!r}"
            )
        if self.appendfsync not in ("always", "everysec", "no"):
            raise SettingsError(
                f"appendfsync must be one of always, everysec, no (got {self.appendfsync!r})"
            )
        if self.max_entry_chars < 1:
            raise SettingsError(
                f"max_entry_chars must be a positive number (got {self.max_entry_chars})"
            )
        if self.broker_url and not self.broker_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(
                f"broker_url must start with redis://, rediss:// or unix:// "
                f"(got {self.broker_url!r})"
            )
        if self.broker_wait_seconds <= 0:
            raise SettingsError("broker_wait_seconds must be greater than 0")
        if self.job_max_attempts < 1 or self.retry_base_seconds <= 0:
            raise SettingsError("job_max_attempts must be 1 or more, retry_base_seconds > 0")
        if self.model_linger_seconds < 0:
            raise SettingsError("model_linger_seconds must be 0 or more")
        if self.job_lease_seconds < 1 or self.job_time_limit_seconds < 1:
            raise SettingsError("job_lease_seconds and job_time_limit_seconds must be 1 or more")
        if self.model_context < 512 or self.model_threads < 0:
            raise SettingsError("model_context must be at least 512, model_threads 0 or more")
        if self.max_entities < 1:
            raise SettingsError("max_entities must be 1 or more")
        if not 0 <= self.fuzzy_threshold <= 100:
            raise SettingsError("fuzzy_threshold must be between 0 and 100")
        if not 0 <= self.draft_seconds <= 60:
            raise SettingsError("draft_seconds must be between 0 (off) and 60")
        if self.backup_keep < 1:
            raise SettingsError("backup_keep must be 1 or more")
        if not 1 <= self.attachment_max_mb <= 2048:
            raise SettingsError("attachment_max_mb must be between 1 and 2048")
        if not 1 <= self.import_attachments_max_mb <= 1_048_576:
            raise SettingsError("import_attachments_max_mb must be between 1 and 1048576")

    def with_changes(self, **changes: object) -> Settings:
        """A copy with some fields replaced (validated like any other)."""
        return replace(self, **changes)  # type: ignore[arg-type]


# The keys a user may set; config_file only comes from the environment.
_FILE_KEYS = {f.name for f in fields(Settings)} - {"config_file"}


def _field_type(name: str) -> type:
    hints = typing.get_type_hints(Settings)
    hint = hints[name]
    if isinstance(hint, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    # dict[str, str] is a table of text (the templates); its origin names the kind.
    return typing.get_origin(hint) or hint  # type: ignore[no-any-return]


def _coerce(name: str, value: object, source: str) -> object:
    """Turn a raw TOML or env value into the field's type, or explain what is wrong."""
    kind = _field_type(name)
    problem = {
        Path: "a folder path",
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "text",
        dict: "a table of names and text (in TOML, [name]; in a variable, a JSON object)",
    }[kind]
    try:
        if kind is dict:
            return _coerce_table(value)
        if kind is Path:
            if not isinstance(value, str) or not value.strip():
                raise ValueError
            # Absolute: the server is told these paths and runs in another folder.
            return Path(value).expanduser().absolute()
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind is int:
            if isinstance(value, bool | float):
                raise ValueError
            return int(str(value).strip().replace("_", ""))
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
            if not math.isfinite(number):
                raise ValueError
            return number
        if kind is str:
            if not isinstance(value, str):
                raise ValueError
            return value
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be {problem}, not {value!r} (in {source}).") from None
    raise AssertionError(f"unhandled settings type {kind}")


def _coerce_table(value: object) -> dict[str, str]:
    """A TOML table (or a JSON object from the environment) of text by name."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError:
            raise ValueError from None
    if not isinstance(value, dict):
        raise ValueError
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError
    return dict(value)


def load_settings(env: typing.Mapping[str, str] | None = None) -> Settings:
    """Read the settings from the config file and the environment."""
    env = os.environ if env is None else env
    config_file = (
        Path(env[f"{ENV_PREFIX}CONFIG_FILE"]).expanduser()
        if env.get(f"{ENV_PREFIX}CONFIG_FILE")
        else default_config_file()
    )
    values: dict[str, object] = {"config_file": config_file}
    if config_file.exists():
        try:
            raw = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise SettingsError(f"Cannot read the config file {config_file}: {exc}") from None
        for key, value in raw.items():
            if key not in _FILE_KEYS:
                known = ", ".join(sorted(_FILE_KEYS))
                raise SettingsError(
                    f"Unknown key {key!r} in the config file {config_file}. Known keys: {known}"
                )
            values[key] = _coerce(key, value, f"the config file {config_file}")
    for key in _FILE_KEYS:
        var = f"{ENV_PREFIX}{key.upper()}"
        if var in env:
            values[key] = _coerce(key, env[var], f"the environment variable {var}")
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except SettingsError as exc:
        raise SettingsError(
            f"{exc} (settings from {config_file} and CHARLIE_* variables)"
        ) from None


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that give a child process exactly these settings."""
    return {
        f"{ENV_PREFIX}{name.upper()}": json.dumps(value) if isinstance(value, dict) else str(value)
        for name, value in asdict(settings).items()
    }


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    # TOML strings hold no control character but the tab: escape the rest (\n, \r…).
    text = "".join(
        _ESCAPES.get(c, f"\\u{ord(c):04x}") if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text
    )
    return f'"{text}"'


_ESCAPES = {"\t": "\t", "\n": "\\n", "\r": "\\r"}


def _toml_text(current: dict[str, object]) -> str:
    """The config file's text: plain keys first, then each table (TOML's order)."""
    lines = [
        f"{key} = {_toml_value(value)}\n"
        for key, value in sorted(current.items())
        if not isinstance(value, dict)
    ]
    for key, value in sorted(current.items()):
        if isinstance(value, dict):
            lines.append(f"\n[{_toml_key(key)}]\n")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in value.items()]
    return "".join(lines)


def _toml_key(key: str) -> str:
    bare = bool(key) and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else _toml_value(key)


def save_settings(settings: Settings, **changes: object) -> Settings:
    """Validate ``changes`` and write them into the config file (other keys are kept).

    Returns the new settings. Nothing is written if a value is bad.
    """
    unknown = set(changes) - _FILE_KEYS
    if unknown:
        raise SettingsError(f"Unknown setting(s): {', '.join(sorted(unknown))}")
    source = f"the settings for {settings.config_file}"
    coerced = {k: _coerce(k, v, source) for k, v in changes.items()}
    updated = settings.with_changes(**coerced)
    current: dict[str, object] = {}
    if settings.config_file.exists():
        current = tomllib.loads(settings.config_file.read_text(encoding="utf-8"))
    current.update({k: str(v) if isinstance(v, Path) else v for k, v in coerced.items()})
    text = _toml_text(current)
    settings.config_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = settings.config_file.with_suffix(".toml.tmp")
    # It can hold openai_api_key: readable by its owner only, whatever the umask.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    os.replace(tmp, settings.config_file)
    return updated
