"""The llama.cpp extractor: the DSPy program on a local GGUF model, in the worker process.

``LlamaCppLM`` is a ``dspy.BaseLM`` over ``llama_cpp.Llama``. Every reply is decoded
greedily under a GBNF grammar built from the program's JSON schema (``GrammarMask``), so
it always parses; the guard in ``plugins.llm_program`` still checks every item. A reply
is capped at ``max_tokens``.

The program is the one compiled for this model by ``charlie model tune`` when there is
one beside the model file (``<model>.gguf.program.json``), else the hand-written one.

The prompt is laid out as instructions + demos (the same for every entry) followed by
the entry, and llama.cpp keeps the evaluated tokens of its previous call: the next call
evaluates only what follows the longest common prefix, so the instructions and demos
are evaluated once per model load, not once per entry. ``bench/extraction.py`` measures
this against a reset model and against ``LlamaRAMCache``.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from backend.errors import CharlieError
from backend.graph.extractor import Extraction, Extractor, ExtractorUnavailable
from backend.settings import Settings
from plugins.llm_program import ModelOutputError, ProgramChoice

# Room for the chat template's own tokens around each message (role markers, BOS…).
TEMPLATE_TOKENS_PER_MESSAGE = 16
MIN_PIECE_TOKENS = 128


def model_threads(settings: Settings) -> int:
    """CPU threads for llama.cpp: the setting, or when it is 0 one per core but one,
    which is left to the app so typing stays smooth while the model works."""
    return settings.model_threads or max(1, (os.cpu_count() or 1) - 1)


def release_freed_memory() -> None:
    """Ask glibc to hand freed heap memory back to the system.

    After a model is closed, glibc keeps most of what llama.cpp freed (a few hundred MB
    for a small model) for reuse, so the worker's RSS would barely drop.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # Not glibc (e.g. musl): it has no malloc_trim and returns memory itself.
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)


_lm_class: type | None = None
_lm_lock = threading.Lock()


def lm_class() -> type:
    """``LlamaCppLM``, built on first use so importing this module does not import DSPy."""
    global _lm_class
    with _lm_lock:
        if _lm_class is not None:
            return _lm_class
        from plugins.llm_program import import_dspy

        dspy = import_dspy()

        class LlamaCppLM(dspy.BaseLM):  # type: ignore[misc]
            """A DSPy language model answering from a loaded ``llama_cpp.Llama``."""

            def __init__(self, llama: Any, grammar: Any, max_tokens: int, name: str) -> None:
                super().__init__(
                    model=f"llama_cpp/{name}",
                    model_type="chat",
                    temperature=0.0,
                    max_tokens=max_tokens,
                    cache=False,
                    num_retries=0,
                )
                # DSPy 3.4 marks BaseLM.forward() as "to be replaced in 3.5" and warns on
                # every call; the design asks for a BaseLM, and the warning would only
                # fill the worker's log. (Set here, not once: tests reset the filters.)
                warnings.filterwarnings(
                    "ignore",
                    message="Implementing custom LMs through BaseLM.forward",
                    category=DeprecationWarning,
                )
                self.llama = llama
                self.grammar = grammar
                self.last_reply = ""
                """The model's raw text for the last call (what the guard then checked)."""

            def forward(
                self,
                prompt: str | None = None,
                messages: list[dict[str, Any]] | None = None,
                **kwargs: Any,
            ) -> Any:
                """An OpenAI-shaped chat completion, decoded under the schema's grammar.

                The adapter's own ``response_format`` and sampling options are ignored:
                this model always answers with the program's schema, greedily.
                """
                chat = messages or [{"role": "user", "content": prompt or ""}]
                reply = complete(self.llama, self.grammar, chat, self.kwargs["max_tokens"])
                self.last_reply = reply["choices"][0]["message"]["content"]
                return reply

        _lm_class = LlamaCppLM
        return _lm_class


class GrammarMask:
    """A llama.cpp logits processor that keeps greedy decoding inside a GBNF grammar.

    llama.cpp's grammar sampler checks every token of the vocabulary at every step
    (262,144 of them for Gemma 3), which can cost more than running a small model. This
    asks the grammar about the model's favourite token first and checks the whole
    vocabulary only when that one is refused, as llama.cpp's own command-line sampler
    does. The result is the same as the plain grammar sampler's at temperature 0.

    It runs inside a ctypes callback, where an exception would be printed and ignored;
    so it records the error in ``error``, ends the reply, and the caller raises it.
    """

    def __init__(self, llama: Any, grammar: str) -> None:
        import ctypes

        import llama_cpp as lc
        import numpy as np

        self._ctypes, self._lc, self._np = ctypes, lc, np
        self.vocab = lc.llama_model_get_vocab(llama.model)
        self.sampler = lc.llama_sampler_init_grammar(self.vocab, grammar.encode("utf-8"), b"root")
        if not self.sampler:
            raise ValueError("llama.cpp could not parse the output grammar")
        self.size = llama.n_vocab()
        self.candidates = (lc.llama_token_data * self.size)()
        self.view = np.frombuffer(
            self.candidates, dtype=np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])
        )
        self.view["id"] = np.arange(self.size, dtype=np.int32)
        self.single = (lc.llama_token_data * 1)()
        self.end = llama.token_eos()
        self.error: Exception | None = None
        self.full_checks = 0

    def _apply(self, data: Any, size: int) -> None:
        lc = self._lc
        array = lc.llama_token_data_array(
            data=self._ctypes.cast(data, lc.llama_token_data_p),
            size=size,
            selected=-1,
            sorted=False,
        )
        lc.llama_sampler_apply(self.sampler, self._ctypes.byref(array))

    def allows(self, token: int) -> bool:
        """Whether the grammar, in its current state, accepts ``token`` next."""
        self.single[0].id, self.single[0].logit, self.single[0].p = token, 0.0, 0.0
        self._apply(self.single, 1)
        return bool(self.single[0].logit != float("-inf"))

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        np = self._np
        out = np.full_like(scores, -np.inf)
        try:
            token = int(np.argmax(scores))
            if not self.allows(token):
                self.full_checks += 1
                self.view["logit"] = scores
                self._apply(self.candidates, self.size)
                token = int(np.argmax(self.view["logit"]))
                if not np.isfinite(self.view["logit"][token]):
                    raise ModelOutputError("the output grammar allows no next token")
            if not self._lc.llama_vocab_is_eog(self.vocab, token):
                self._lc.llama_sampler_accept(self.sampler, token)
            out[token] = 0.0
        except Exception as exc:  # noqa: BLE001 - re-raised by complete() after the call
            self.error = exc
            out[self.end] = 0.0
        return out

    def close(self) -> None:
        if self.sampler:
            self._lc.llama_sampler_free(self.sampler)
            self.sampler = None


def complete(llama: Any, grammar: str, messages: list[dict[str, Any]], max_tokens: int) -> Any:
    """One chat completion the way the extractor makes it: greedy, under ``grammar``."""
    from llama_cpp import LogitsProcessorList

    mask = GrammarMask(llama, grammar)
    try:
        reply = llama.create_chat_completion(
            messages=messages,
            temperature=0.0,
            max_tokens=max_tokens,
            # A repeat penalty would push the model off the JSON keys it must repeat.
            repeat_penalty=1.0,
            logits_processor=LogitsProcessorList([mask]),
        )
    finally:
        mask.close()
    if mask.error is not None:
        raise ModelOutputError(f"Decoding under the output schema failed: {mask.error}")
    return reply


class LlamaCppExtractor(Extractor):
    """Entities from a local GGUF model through llama-cpp-python (entry point ``llama_cpp``)."""

    name = "llama_cpp"
    uses_model = True

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self._llama: Any = None
        self._lm: Any = None
        self._program: Any = None
        self._piece_tokens = 0
        self._max_tokens = 0
        self.model_path: Path | None = None
        self.program_choice: ProgramChoice | None = None
        """Which program load() chose (compiled for this model, or hand-written) and why."""
        self.load_seconds = 0.0
        self._runtime: dict[str, object] = {}

    def runtime_info(self) -> dict[str, object]:
        """The llama.cpp build's CPU features, the model file and the program (after load())."""
        return dict(self._runtime)

    def compiled_program_path(self) -> Path:
        """Where ``charlie model tune`` keeps the program compiled for the configured model."""
        from plugins import llm_program, model_sources

        path = self.model_path
        if path is None:
            try:
                path = model_sources.resolve(self.settings.model, self.settings)
            except CharlieError as exc:
                raise ExtractorUnavailable(str(exc)) from None
        return llm_program.compiled_path_for_model(path)

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def load(self) -> None:
        """Load the model named by ``settings.model``; ExtractorUnavailable if it cannot."""
        if self._llama is not None:
            return
        from plugins import llm_program, model_sources

        try:
            path = model_sources.resolve(self.settings.model, self.settings)
        except CharlieError as exc:
            raise ExtractorUnavailable(str(exc)) from None
        from plugins import llama_runtime

        # A build that would crash here (AMX, or instructions this CPU lacks) is refused
        # before any model code runs: the queue pauses with the fix instead.
        self._runtime = {**llama_runtime.check_build(), "model_path": str(path)}
        started = time.perf_counter()
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_grammar import json_schema_to_gbnf

            llama = Llama(
                model_path=str(path),
                n_ctx=self.settings.model_context,
                n_threads=model_threads(self.settings),
                n_threads_batch=model_threads(self.settings),
                # Prefix reuse trims the KV cache after the shared prefix; a windowed
                # (SWA) cache cannot do that, so keep the full-size one.
                swa_full=True,
                verbose=False,
            )
        except (ValueError, OSError, RuntimeError) as exc:
            raise ExtractorUnavailable(f"The model {path} failed to load: {exc}") from None
        try:
            schema = llm_program.output_schema(self.settings.max_entities)
            grammar = json_schema_to_gbnf(json.dumps(schema))
            GrammarMask(llama, grammar).close()  # Fail here, not per entry, if it is bad.
            max_tokens = min(llm_program.MAX_OUTPUT_TOKENS, self.settings.model_context // 4)
            choice = llm_program.choose_program(llm_program.compiled_path_for_model(path))
            try:
                piece = self._piece_tokens_for(llama, choice.program, max_tokens)
            except ExtractorUnavailable as exc:
                if not choice.compiled:
                    raise
                # A tuned program with more demos than a since-lowered model_context
                # holds: the hand-written one may still fit.
                problem = f"The tuned program {choice.path} does not fit: {exc.reason}"
                llm_program.log.warning("%s The hand-written program is used instead.", problem)
                choice = ProgramChoice(
                    llm_program.load_program(), llm_program.PROGRAM_STATE, None, problem
                )
                piece = self._piece_tokens_for(llama, choice.program, max_tokens)
        except BaseException:
            llama.close()
            raise
        self._llama, self._program, self._piece_tokens = llama, choice.program, piece
        self._max_tokens = max_tokens
        self.program_choice = choice
        self._runtime["program"] = choice.describe()
        self._lm = lm_class()(llama, grammar, max_tokens, path.name)
        self.model_path = path
        self.load_seconds = time.perf_counter() - started

    def _piece_tokens_for(self, llama: Any, program: Any, max_tokens: int) -> int:
        """The tokens left for a piece of an entry once ``program``'s instructions and
        demos and a reply are counted; ExtractorUnavailable if that is too few."""
        from plugins import llm_program

        prompt = llm_program.format_messages(program, "")
        fixed = sum(
            self.count_tokens(llama, m["content"]) + TEMPLATE_TOKENS_PER_MESSAGE for m in prompt
        )
        piece = self.settings.model_context - fixed - max_tokens
        if piece < MIN_PIECE_TOKENS:
            enough = -(-(fixed + llm_program.MAX_OUTPUT_TOKENS + 512) // 512) * 512
            raise ExtractorUnavailable(
                f"model_context {self.settings.model_context} is too small: the "
                f"instructions take {fixed} tokens and a reply up to {max_tokens}. Set "
                f"model_context to {enough} or more."
            )
        return piece

    def use_program(self, program: Any) -> None:
        """Run ``program`` from now on (``charlie model tune`` tries candidates this way,
        without reloading the model). ExtractorUnavailable if its prompt does not fit."""
        self.load()
        self._piece_tokens = self._piece_tokens_for(self._llama, program, self._max_tokens)
        self._program = program

    def unload(self) -> None:
        """Free the model and its context, so the worker gives the memory back."""
        llama, self._llama, self._lm = self._llama, None, None
        if llama is not None:
            llama.close()
            del llama
            gc.collect()
            release_freed_memory()

    @staticmethod
    def count_tokens(llama: Any, text: str) -> int:
        """The exact number of tokens ``text`` is to this model."""
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    @property
    def lm(self) -> Any:
        """The loaded ``LlamaCppLM`` (for benchmarks and tests); None when unloaded."""
        return self._lm

    @property
    def program(self) -> Any:
        """The loaded extraction program (for benchmarks and tests)."""
        return self._program

    def extract(self, text: str) -> Extraction:
        from plugins.llm_program import run_program

        self.load()
        llama = self._llama
        return run_program(
            self._program,
            self._lm,
            text,
            self.settings.max_entities,
            self._piece_tokens,
            count=lambda piece: self.count_tokens(llama, piece),
        )
