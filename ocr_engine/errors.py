"""Typed errors with stable codes. Handlers map codes to statuses in one place."""


class OcrError(Exception):
    """Base for everything the engine refuses on purpose. `code` is stable API."""

    code = "ocr_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class EmptyInput(OcrError):
    code = "empty_input"


class InvalidImage(OcrError):
    """Bytes that claim a supported format but cannot be decoded (corrupt, truncated)."""

    code = "invalid_image"


class InvalidDocument(OcrError):
    code = "invalid_document"


class DocumentTooComplex(OcrError):
    """A document whose page needs more memory or time to render than allowed (a bomb)."""

    code = "document_too_complex"


class EncryptedDocument(OcrError):
    code = "encrypted_document"


class UnsupportedMediaType(OcrError):
    code = "unsupported_media_type"


class InputTooLarge(OcrError):
    """More bytes than the limit allows."""

    code = "input_too_large"


class ImageTooLarge(OcrError):
    """Too many pixels or too long a side; checked from the header, before decoding."""

    code = "image_too_large"


class ImageTooSmall(OcrError):
    code = "image_too_small"


class TooManyPages(OcrError):
    """`pages`: the document's page count, known from its header before anything is
    rendered (the drop folder fans out on it)."""

    code = "too_many_pages"

    def __init__(self, message: str, pages: int | None = None):
        super().__init__(message)
        self.pages = pages


class TooManyLines(OcrError):
    code = "too_many_lines"


class InvalidParameter(OcrError):
    code = "invalid_parameter"


class DeadlineExceeded(OcrError):
    """The caller's time budget ran out (checked between pages and stages)."""

    code = "timeout"


class Cancelled(OcrError):
    """The caller gave up on the read (its client went away)."""

    code = "cancelled"


class SettingsError(OcrError):
    """A malformed setting (an `OCR_*` variable): the deployment's fault, not the request's."""

    code = "invalid_settings"


class ModelPackError(OcrError):
    """The model pack is missing, incomplete or fails its checksums."""

    code = "model_pack_error"
