"""The errors services raise. Each message is a sentence a user can read and act on."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every refusal; pages show `str(error)` as it is."""


class PermissionDenied(ServiceError):
    """The actor's role does not allow this, or the row is outside the actor's scope."""


class NotFound(ServiceError):
    """The thing asked for does not exist (or is outside the actor's scope, which looks the same)."""


class ValidationFailed(ServiceError):
    """The input is malformed or out of range; `fields` maps field names to messages for inline display."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}

    def numbered(self, position: int, noun: str) -> ValidationFailed:
        """The same refusal for the `position`th of several items: the message and the field names say which."""
        fields = {f'{position}.{name}': text for name, text in self.fields.items()}
        return ValidationFailed(f'{noun} {position}: {self}', fields)


class Conflict(ServiceError):
    """Someone else changed the row first, or a unique value is taken."""


class InvalidTransition(ServiceError):
    """The workflow has no such move, or not for this actor's role; the message says which."""


class AuthenticationFailed(ServiceError):
    """Wrong email or password (deliberately not saying which)."""


class AccountLocked(ServiceError):
    """Too many failed logins; the account opens again after the lock-out period."""


class StartupError(Exception):
    """The app cannot start (database or Redis unreachable, schema behind); one sentence for the operator."""
