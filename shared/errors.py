"""One root exception so the CLI can tell bad input and known failures from bugs.

Messages are one line, say what to do, and never carry credentials.
"""


class BackfillError(Exception):
    """A known failure the CLI prints as one line."""


class ConfigError(BackfillError):
    """Bad flags, paths or settings: the user must change the command (exit 2)."""


class CheckpointError(BackfillError):
    """The checkpoint is unreadable, corrupt or held by another run (exit 2)."""


class WarehouseError(BackfillError):
    """The warehouse refused a statement.

    ``transient``: the same statement may succeed if retried after a backoff.
    ``stop_run``: no further day can succeed now (e.g. a quota is exhausted), so the
    runner starts no new days and ends the run resumably.
    """

    def __init__(self, message: str, *, transient: bool = False, stop_run: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.stop_run = stop_run
