"""Errors meant for the user: the CLI prints them as one line, without a traceback."""


class UserError(Exception):
    """A problem the user can fix (bad path, wrong checkpoint, ...); the message says what to do."""


class CheckpointMismatchError(UserError, RuntimeError):
    """A checkpoint's keys or shapes do not match the model it is loaded into."""
