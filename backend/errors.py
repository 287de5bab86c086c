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
