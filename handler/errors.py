"""Every error the service answers: a typed error with a stable code (the engine's and the
ones below), and one table from code to HTTP status. The API answers from this table; the
drop folder writes the same codes into `.error.json`."""

from __future__ import annotations

from ocr_engine.errors import OcrError


class PayloadTooLarge(OcrError):
    """Over the synchronous request's limit: the jobs API takes larger files."""

    code = "payload_too_large"

    @classmethod
    def over(cls, limit: int) -> "PayloadTooLarge":
        return cls(f"the upload is over the {limit:,}-byte limit of a synchronous request; "
                   "send larger files through the async jobs API (POST /api/v1/jobs)")


class InvalidMultipart(OcrError):
    code = "invalid_multipart"


class MissingFile(OcrError):
    code = "missing_file"


class MultipleFiles(OcrError):
    code = "multiple_files"


class ClientGone(OcrError):
    """The client disconnected mid-upload: nobody reads the answer."""

    code = "client_disconnected"


class BadRequest(OcrError):
    """A request the HTTP layer refused before any route saw it."""

    code = "bad_request"


class Unauthorized(OcrError):
    code = "unauthorized"


class NotFound(OcrError):
    code = "not_found"


class MethodNotAllowed(OcrError):
    code = "method_not_allowed"


class NotAcceptable(OcrError):
    """The Accept header allows none of the output formats."""

    code = "not_acceptable"


class ResponseTooLarge(OcrError):
    """A rendering larger than a synchronous answer can carry (Lambda returns 6 MB at most)."""

    code = "response_too_large"


class JobsUnavailable(OcrError):
    code = "jobs_unavailable"


class InternalError(OcrError):
    code = "internal_error"


STATUS_BY_CODE = {
    "empty_input": 400,
    "invalid_image": 400,
    "invalid_document": 400,
    "encrypted_document": 400,
    "image_too_small": 400,
    "invalid_multipart": 400,
    "missing_file": 400,
    "multiple_files": 400,
    "bad_request": 400,
    "client_disconnected": 400,
    "cancelled": 400,  # the client went away while its file was read: nobody reads this
    "unauthorized": 401,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "input_too_large": 413,
    "payload_too_large": 413,
    "image_too_large": 413,
    "too_many_pages": 413,
    "too_many_lines": 413,
    "response_too_large": 413,
    "unsupported_media_type": 415,
    "invalid_parameter": 422,
    "document_too_complex": 422,
    "internal_error": 500,
    "model_pack_error": 500,  # the engine loads its pack at import: a broken deployment
    "invalid_settings": 500,  # so are malformed OCR_* variables
    "jobs_unavailable": 503,
    "timeout": 504,
}

ERROR_BY_HTTP_STATUS = {404: NotFound, 405: MethodNotAllowed}


def status_of(error: OcrError) -> int:
    return STATUS_BY_CODE[error.code]


def from_http_status(status: int, message: str) -> OcrError:
    """Starlette's own refusals (no such route, wrong method) as typed errors."""
    return ERROR_BY_HTTP_STATUS.get(status, BadRequest)(message)


def openapi_responses() -> dict:
    """Every status the table can answer, for the routes' OpenAPI `responses` (429 comes from
    API Gateway's throttling, before the app)."""
    from .models import ErrorResponse

    return {status: {"model": ErrorResponse} for status in sorted({*STATUS_BY_CODE.values(), 429})}
