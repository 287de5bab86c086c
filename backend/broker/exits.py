"""How a child process ended, in words: signal names, never bare negative numbers."""

from __future__ import annotations

import signal

# Signals a process gets from its own fault (bad memory access, an illegal instruction, an
# abort in native code), as opposed to one another process or the kernel sent it.
CRASH_SIGNALS = frozenset(
    {
        signal.SIGSEGV,
        signal.SIGBUS,
        signal.SIGILL,
        signal.SIGFPE,
        signal.SIGABRT,
        signal.SIGSYS,
        signal.SIGTRAP,
    }
)


def signal_of(returncode: int | None) -> signal.Signals | None:
    """The signal that ended a process (``Popen.returncode`` < 0), if one did."""
    if returncode is None or returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode)
    except ValueError:
        return None


def signal_words(sig: signal.Signals) -> str:
    """``SIGSEGV (segmentation fault)``: the name, then what it means."""
    meaning = signal.strsignal(sig) or ""
    return f"{sig.name} ({meaning[:1].lower() + meaning[1:]})" if meaning else sig.name


def describe_exit(returncode: int | None) -> str:
    """``killed by SIGSEGV (segmentation fault)`` or ``exited with code 3``."""
    if returncode is None:
        return "still running"
    sig = signal_of(returncode)
    if sig is not None:
        return f"killed by {signal_words(sig)}"
    if returncode < 0:
        return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


def is_crash(returncode: int | None) -> bool:
    """Whether the process died of a fault of its own (not a kill from outside)."""
    return signal_of(returncode) in CRASH_SIGNALS
