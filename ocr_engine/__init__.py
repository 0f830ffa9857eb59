"""OCR for Chinese and English text on the CPU with ONNX Runtime. No AWS imports here.

    from ocr_engine import OcrEngine
    engine = OcrEngine()              # once per process
    result = engine.read("page.png")  # mode="auto" | "line" | "page"
    print(result.text, result.to_dict()["lines"])
"""

import os

# ONNX Runtime's telemetry writes ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ and
# $TMPDIR/.ses, and a process that lives ~30 s looks up mobile.events.data.microsoft.com:
# only this variable, set before onnxruntime loads, stops both (disable_telemetry_events()
# alone did not stop the lookup). Every entry point imports this package first.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

from .engine import MODES, OcrEngine  # noqa: E402
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
from .result import Line, OcrResult, Page, Word
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
    "Word",
    "find_pack",
]
