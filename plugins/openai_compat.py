"""The OpenAI-compatible extractor: the DSPy program on a model server over HTTP.

Any server speaking ``/v1/chat/completions`` works (Ollama, llama-server, LM Studio,
vLLM…): ``openai_base_url``, ``openai_model`` and ``openai_api_key`` say where and what.
The program is the same one the llama.cpp extractor runs (``plugins.llm_program``), sent
through ``dspy.LM`` with the output's JSON schema as ``response_format``: the one
``charlie model tune`` compiled for this server and model if there is one (in
``<data>/programs``), else the hand-written one.

What a failure means decides what the worker does with it:
- the server is unreachable, times out, fails (5xx), refuses the key, rate-limits or
  does not know the model: ExtractorUnavailable, so the queue pauses with the reason
  and probes again later, charging no attempt;
- the server answers but the reply is not JSON (or any other per-entry problem): an
  ordinary exception, so this attempt fails and is retried with backoff.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.graph.extractor import Extraction, Extractor, ExtractorUnavailable
from backend.settings import Settings

if TYPE_CHECKING:
    from plugins.llm_program import ProgramChoice

PROBE_TIMEOUT_SECONDS = 5.0
# No retries inside one call: a server that is down fails fast and the queue's breaker,
# with its backoff, decides when to try again; a failed entry is retried by the queue.
NUM_RETRIES = 0
# Statuses that mean "this server cannot serve us at all", not "this entry failed":
# bad key, no such model (or wrong base URL), rate limited, server errors.
UNAVAILABLE_STATUSES = {401, 402, 403, 404, 429}


class OpenAICompatExtractor(Extractor):
    """Entities from an OpenAI-compatible server (entry point ``openai_compat``)."""

    name = "openai_compat"

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self._lm: Any = None
        self._program: Any = None
        self._piece_tokens = 0
        self.program_choice: ProgramChoice | None = None
        """Which program load() chose (compiled for this server's model, or hand-written)."""

    @property
    def loaded(self) -> bool:
        return self._lm is not None

    @property
    def base_url(self) -> str:
        return self.settings.openai_base_url.rstrip("/")

    @property
    def model_label(self) -> str:
        """The model and its server, as people read them."""
        return f"{self.settings.openai_model.strip()} @ {self.base_url}"

    def compiled_program_path(self) -> Path:
        """Where ``charlie model tune`` keeps the program compiled for this server's model."""
        from plugins.llm_program import compiled_path_for_server

        return compiled_path_for_server(
            self.settings.data_dir, self.base_url, self.settings.openai_model
        )

    def runtime_info(self) -> dict[str, object]:
        """Which program runs (after load())."""
        choice = self.program_choice
        return {"program": choice.describe()} if choice is not None else {}

    def load(self) -> None:
        """Check the server answers and build the DSPy LM; ExtractorUnavailable if not."""
        if self._lm is not None:
            return
        if not self.settings.openai_model.strip():
            raise ExtractorUnavailable(
                "openai_model is not set: name the model your server should run "
                "(for Ollama, e.g. `llama3.2`)."
            )
        self.probe()
        from plugins import llm_program
        from plugins.llm_program import MAX_OUTPUT_TOKENS

        choice = llm_program.choose_program(self.compiled_program_path())
        dspy = llm_program.import_dspy()

        schema = llm_program.output_schema(self.settings.max_entities)
        self._lm = dspy.LM(
            f"openai/{self.settings.openai_model.strip()}",
            api_base=self.base_url,
            # Servers that need no key still get one: the client refuses to send none.
            api_key=self.settings.openai_api_key or "charlie",
            temperature=0.0,
            max_tokens=MAX_OUTPUT_TOKENS,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "extraction", "schema": schema},
            },
            # A slow local server may need most of the job's time; the owner kills the
            # worker at the job's hard limit anyway.
            timeout=self.settings.job_time_limit_seconds,
            cache=False,
            num_retries=NUM_RETRIES,
        )
        self.program_choice = choice
        self.use_program(choice.program)

    def use_program(self, program: Any) -> None:
        """Run ``program`` from now on (``charlie model tune`` tries candidates this way)."""
        from plugins.llm_program import MAX_OUTPUT_TOKENS, estimate_tokens, format_messages

        self._program = program
        # The server's context size is unknown here; model_context is the user's
        # statement of it, and the prompt's own size is estimated on the high side.
        messages = format_messages(program, "")
        prompt = sum(estimate_tokens(m["content"]) for m in messages)
        self._piece_tokens = max(256, self.settings.model_context - prompt - MAX_OUTPUT_TOKENS)

    def unload(self) -> None:
        """Forget the client (nothing big is held; the next load probes the server again)."""
        self._lm = None

    def probe(self) -> None:
        """GET ``/models``: raise ExtractorUnavailable unless the server answers.

        A 404 is accepted (some servers do not list models); a connection error, a
        timeout, a 5xx or a refused key are not.
        """
        request = urllib.request.Request(f"{self.base_url}/models", headers=self._headers())
        try:
            with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_SECONDS) as reply:
                reply.read(1024 * 1024)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return
            if exc.code >= 500 or exc.code in UNAVAILABLE_STATUSES:
                raise ExtractorUnavailable(
                    f"The model server at {self.base_url} answered HTTP {exc.code} ({exc.reason})."
                ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ExtractorUnavailable(
                f"The model server at {self.base_url} is unreachable: {reason}."
            ) from None

    def _headers(self) -> dict[str, str]:
        if not self.settings.openai_api_key:
            return {}
        return {"Authorization": f"Bearer {self.settings.openai_api_key}"}

    def extract(self, text: str) -> Extraction:
        from dspy.utils import exceptions as lm_errors

        from plugins.llm_program import estimate_tokens, run_program

        self.load()
        try:
            return run_program(
                self._program,
                self._lm,
                text,
                self.settings.max_entities,
                self._piece_tokens,
                count=estimate_tokens,
            )
        except lm_errors.LMError as exc:
            down = isinstance(
                exc,
                lm_errors.LMTransportError
                | lm_errors.LMTimeoutError
                | lm_errors.LMServerError
                | lm_errors.LMAuthError
                | lm_errors.LMBillingError
                | lm_errors.LMRateLimitError
                | lm_errors.LMUnsupportedModelError,
            )
            if down or exc.status in UNAVAILABLE_STATUSES or (exc.status or 0) >= 500:
                self.unload()  # Probe the server again before the next entry.
                raise ExtractorUnavailable(
                    f"The model server at {self.base_url} failed: {exc.message or exc}"
                ) from None
            raise
