"""The one error type that services raise for anything a caller can fix.

The API turns it into {"error": {"code", "message", "fields"}} and the web views into a
form error, so a service never needs to know who called it.
"""

from typing import Any

from django.utils.translation import gettext


class ApplicationError(Exception):
    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        fields: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFoundError(ApplicationError):
    """An object that does not exist, or exists outside the caller's reach (both answer 404)."""

    status_code = 404

    def __init__(self, message: str | None = None, *, code: str = "not_found") -> None:
        # Translated when raised, not at import: the caller's language is active by then.
        super().__init__(gettext("Not found.") if message is None else message, code=code)
