"""Domain errors raised by services; the REST layer and the UI state turn them into responses."""

from __future__ import annotations


class DomainError(Exception):
    """A failure the user can act on; `field` names the input at fault, when there is one."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __reduce__(self):
        # Picklable across Celery/process boundaries with the keyword argument intact.
        return (_rebuild, (type(self), self.message, self.field))


def _rebuild(cls: type[DomainError], message: str, field: str | None) -> DomainError:
    return cls(message, field=field)


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class Unauthenticated(DomainError):
    status_code = 401


class Invalid(DomainError):
    """Bad input; always names the field."""

    status_code = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)

    def __reduce__(self):
        return (type(self), (self.field, self.message))


class Conflict(DomainError):
    status_code = 409


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self):
        return (_rebuild_throttle, (type(self), self.message, self.retry_after))


def _rebuild_throttle(cls, message: str, retry_after: int):
    return cls(message, retry_after=retry_after)


class TransientError(Exception):
    """A failure worth retrying (lost connection, worker gone, source busy)."""


class TerminalError(Exception):
    """A failure that retrying will not fix (bad credentials, bad config)."""


class SkipRun(Exception):
    """A claimed run must not do its work now (its source cools down after a 503): the claim is
    rolled back and the run ends `skipped` with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConfigError(RuntimeError):
    """The platform cannot start with this configuration; the message names the variable."""


class Unavailable(DomainError):
    """The work cannot be done now (no worker answered in time); trying again may succeed."""

    status_code = 503
