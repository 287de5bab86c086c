"""The errors Charlie's backend raises. Each message is written for the user to read."""


class CharlieError(Exception):
    """Base class: anything the UI or CLI should show to the user as-is."""


class SettingsError(CharlieError):
    """A setting has a bad value; the message names the key and its source."""


class BrokerError(CharlieError):
    """The database server could not be started, found or trusted."""


class ValidationError(CharlieError):
    """Input was rejected before anything was written."""


class NotFoundError(CharlieError):
    """An entry or journal that does not exist was asked for."""


class JournalGone(NotFoundError):
    """A write into a journal deleted (elsewhere) after it was opened here."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"The journal {name!r} was deleted (in another window or by a command), so "
            "nothing more can be saved into it. Copy what you wrote before you leave."
        )


class EditConflict(CharlieError):
    """An edit started from a revision the entry has moved on from; nothing was written.

    ``current`` is the entry as it is now (a :class:`backend.models.Entry`), so the user
    can see the other version beside theirs and choose.
    """

    def __init__(self, current: object, started_from: int) -> None:
        revision = getattr(current, "revision", "?")
        super().__init__(
            f"The entry was changed elsewhere since you began (it is at revision {revision}, "
            f"you began from {started_from}); nothing was overwritten."
        )
        self.current = current
        self.started_from = started_from
