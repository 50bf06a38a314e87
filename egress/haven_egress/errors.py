"""Domain errors. Handlers translate them to HTTP (404, 403, 409, 422, 429) and do nothing else."""


class EgressError(Exception):
    """Base of every refusal the service gives; the message is meant for a person."""


class NotFound(EgressError):
    """No such thing, or the caller may not know it exists (another project's request)."""


class Forbidden(EgressError):
    """The caller is known and may see the thing, but may not do this to it."""


class Conflict(EgressError):
    """The request's state does not allow this now (e.g. a vote on a released request)."""


class Invalid(EgressError):
    """The input itself is wrong: a checksum mismatch, a path outside the workspace …"""


class TooMany(EgressError):
    """A limit on how often something may be done is reached for now (a project's daily
    number of new requests); ``retry_after`` is the seconds until it resets."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
