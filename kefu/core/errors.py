"""Domain errors with stable codes: the API turns them into JSON problem details, the UI into form errors."""

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    BAD_CREDENTIALS = "bad_credentials"
    ACCOUNT_LOCKED = "account_locked"


_STATUS = {
    ErrorCode.INVALID: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.CONFLICT: 409,
    ErrorCode.BAD_CREDENTIALS: 401,
    ErrorCode.ACCOUNT_LOCKED: 423,
}


class DomainError(Exception):
    """A business rule refused the operation; nothing was changed."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None, **extra):
        super().__init__(str(message))
        self.code = code
        self.message = str(message)
        self.field = field
        self.extra = extra

    @property
    def status(self) -> int:
        return _STATUS[self.code]

    def as_problem(self) -> dict:
        problem = {"code": str(self.code), "detail": self.message}
        if self.field:
            problem["field"] = self.field
        problem.update(self.extra)
        return problem


class NotFound(DomainError):
    def __init__(self, message: str):
        super().__init__(ErrorCode.NOT_FOUND, message)
