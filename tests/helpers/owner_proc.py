"""A tiny Charlie process for crash tests: opens the API, then obeys JSON lines on stdin.

Each command line is answered with one JSON line on stdout, written only after the
call has returned, so a test that reads the answer knows the call completed.
"""

from __future__ import annotations

import json
import sys

from backend.errors import CharlieError
from backend.root import Charlie
from backend.settings import load_settings


def main() -> int:
    api = Charlie.open(load_settings())
    print(json.dumps({"ready": True, "role": api.backend.broker.role}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            if cmd["op"] == "add":
                entry = api.journal().entries.add(
                    cmd["body"], title=cmd.get("title", ""), source="test"
                )
                reply: dict[str, object] = {"id": entry.id}
            elif cmd["op"] == "count":
                reply = {"count": api.journal().entries.count()}
            elif cmd["op"] == "quit":
                break
            else:
                reply = {"error": f"unknown op {cmd['op']}"}
        except CharlieError as exc:
            reply = {"error": str(exc)}
        print(json.dumps(reply), flush=True)
    api.close()
    print(json.dumps({"closed": True}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
