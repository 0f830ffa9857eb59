"""OCR for Chinese and English text on the CPU with ONNX Runtime. No AWS imports here.

    from ocr_engine import OcrEngine
    engine = OcrEngine()              # once per process
    result = engine.read("page.png")  # mode="auto" | "line" | "page"
    print(result.text, result.to_dict()["lines"])
"""

from .engine import MODES, OcrEngine
from .errors import (
    EmptyInput,
    EncryptedDocument,
    ImageTooLarge,
    ImageTooSmall,
    InputTooLarge,
    InvalidDocument,
    InvalidImage,
    InvalidParameter,
    ModelPackError,
    OcrError,
    TooManyLines,
    TooManyPages,
    UnsupportedMediaType,
)
from .packs import ModelPack, find_pack
from .result import Line, OcrResult, Page
from .settings import Settings

__all__ = [
    "MODES",
    "EmptyInput",
    "EncryptedDocument",
    "ImageTooLarge",
    "ImageTooSmall",
    "InputTooLarge",
    "InvalidDocument",
    "InvalidImage",
    "InvalidParameter",
    "Line",
    "ModelPack",
    "ModelPackError",
    "OcrEngine",
    "OcrError",
    "OcrResult",
    "Page",
    "Settings",
    "TooManyLines",
    "TooManyPages",
    "UnsupportedMediaType",
    "find_pack",
]
