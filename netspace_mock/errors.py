"""The error codes of the platform as typed exceptions, and the one place they become the wire envelope."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    code = "INTERNAL_ERROR"
    status = 500
    message = "internal error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details
        self.headers = headers or {}  # answer headers besides the envelope's (Retry-After)


class InvalidRequest(ApiError):
    code, status, message = "INVALID_REQUEST", 400, "the request is invalid"

    @classmethod
    def at(cls, path: str, message: str) -> InvalidRequest:
        """One problem with one field: the message and details.errors both name it."""
        return cls(f"{path}: {message}", details={"errors": [{"path": path, "message": message}]})


class Unauthorized(ApiError):
    code, status, message = "UNAUTHORIZED", 401, "the request is not correctly signed"


class PlayerNotFound(ApiError):
    code, status, message = "PLAYER_NOT_FOUND", 404, "player does not exist"


class InvalidSession(ApiError):
    code, status, message = "INVALID_SESSION", 404, "session invalid or expired"


class NotFound(ApiError):
    code, status, message = "NOT_FOUND", 404, "not found"


class MethodNotAllowed(ApiError):
    code, status, message = "METHOD_NOT_ALLOWED", 405, "method not allowed"


class DuplicateTransaction(ApiError):
    code, status, message = "DUPLICATE_TRANSACTION", 409, "transaction already processed"


class InvalidState(ApiError):
    code, status, message = "INVALID_STATE", 409, "the object is not in a state that allows this"


class RequestTimeout(ApiError):
    code, status, message = "INVALID_REQUEST", 408, "the request did not arrive in time"


class PayloadTooLarge(ApiError):
    code, status, message = "PAYLOAD_TOO_LARGE", 413, "request body too large"


class WebhookError(ApiError):
    code, status, message = "WEBHOOK_ERROR", 502, "the operator's webhook failed"


class StorageUnavailable(ApiError):
    code, status = "STORAGE_UNAVAILABLE", 503
    message = "the mock's database cannot be written (disk full or read-only); free space and retry"


class RateLimited(ApiError):
    """Only ever an injected fault (domain/faults.py): the platform itself limits no operator's rate."""

    code, status, message = "RATE_LIMITED", 429, "too many requests; wait for Retry-After seconds"


class ServiceUnavailable(ApiError):
    """Only ever an injected fault (domain/faults.py)."""

    code, status, message = "SERVICE_UNAVAILABLE", 503, "the platform is unavailable; retry later"


class InternalError(ApiError):
    pass


def envelope(err: ApiError) -> dict[str, Any]:
    """The PROTOCOL §2 error envelope: the single renderer every failure goes through."""
    body: dict[str, Any] = {"code": err.code, "message": err.message}
    if err.details:
        body["details"] = err.details
    return {"success": False, "error": body}
