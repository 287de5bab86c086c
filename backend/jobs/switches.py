"""The user's switches on background work: the editing flag and the inference toggle.

- Editing presence: set with a short TTL while the editor is open and refreshed by the
  UI, so a crash cannot leave it set. The worker does not load the model meanwhile.
- The inference toggle: persisted in the database; off pauses the queue (nothing is lost).
"""

from __future__ import annotations

import redis

from backend.jobs.keys import EDITING_KEY, INFERENCE_KEY
from backend.jobs.records import Jobs

EDITING_TTL_SECONDS = 30
INFERENCE_CAUSE = "inference"
"""The queue's pause cause while inference is off."""


def set_editing(client: redis.Redis, editing: bool) -> None:
    """Say the user is (or is no longer) typing; call again within the TTL to keep it."""
    if editing:
        client.set(EDITING_KEY, "1", ex=EDITING_TTL_SECONDS)
    else:
        client.delete(EDITING_KEY)


def is_editing(client: redis.Redis) -> bool:
    return bool(client.exists(EDITING_KEY))


def set_inference(client: redis.Redis, jobs: Jobs, enabled: bool) -> None:
    """Turn background inference on or off; off pauses the queue (nothing is lost)."""
    client.set(INFERENCE_KEY, "on" if enabled else "off")
    if enabled:
        jobs.resume(INFERENCE_CAUSE)
    else:
        jobs.pause(INFERENCE_CAUSE, "Inference is turned off in Settings.")


def inference_enabled(client: redis.Redis) -> bool:
    return client.get(INFERENCE_KEY) != b"off"
