"""``python -m backend.doctor llama-build``: print the llama.cpp build's facts as JSON.

:func:`backend.doctor.model.check_llama_build` runs this in a child process, so that
neither doctor nor the app loads llama.cpp (a build this CPU cannot run kills the child).
"""

from __future__ import annotations

import json
import sys

from backend.doctor.model import llama_build_facts


def main(argv: list[str]) -> int:
    """``python -m backend.doctor llama-build``: print the build's facts as JSON."""
    if argv[1:] == ["llama-build"]:
        print(json.dumps(llama_build_facts()), flush=True)
        return 0
    print("usage: python -m backend.doctor llama-build", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
