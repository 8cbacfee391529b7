"""Errors meant for the user: the CLI prints them as one line, without a traceback.

:class:`UserError` is a :class:`ValueError`, so a library user's ``except ValueError`` catches a
bad argument (a wrong array shape, an unknown device, a missing file) like any other.
"""


class UserError(ValueError):
    """A problem the user can fix (bad path, wrong checkpoint, bad value); the message says what to do."""


class CheckpointMismatchError(UserError, RuntimeError):
    """A checkpoint's keys or shapes do not match the model it is loaded into."""
