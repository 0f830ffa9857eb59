"""Quantization-aware training: the rounding simulated in PyTorch is the rounding ONNX
Runtime does in the exported INT8 model, tensor for tensor; a tiny QAT run lowers its loss
and exports INT8 convolutions that ONNX Runtime runs as QLinearConv."""

import copy
from collections import defaultdict

import numpy as np
import pytest
import torch

from training import qat
from training.export import export_onnx, quantize_convolutions


@pytest.fixture(scope="module")
def rendered_batch():
    from ocr_engine.preprocess import pad_batch, resize_to_height
    from training.evaluate import padded_width
    from training.render import LineRenderer

    renderer = LineRenderer(seed=7)
    strips = [resize_to_height(renderer.render(text), 32) for text in
              ("TOTAL RM 12.50", "发票代码 044031900111", "NO.89&91, JALAN UTAMA,", "全场包邮 限时抢购")]
    return torch.from_numpy(pad_batch(strips, padded_width(max(s.shape[1] for s in strips))))


@pytest.fixture(scope="module")
def quantized_student(student, rendered_batch, tmp_path_factory):
    """PP-OCRv2's weights prepared and calibrated on rendered lines, with its QDQ export."""
    model = qat.prepare(copy.deepcopy(student[0]))
    qat.calibrate(model, [rendered_batch])
    folder = tmp_path_factory.mktemp("qat")
    fp32, int8 = folder / "fp32.onnx", folder / "convolutions-int8.onnx"
    export_onnx(model, fp32, student[1].charset[1:])
    qat.set_enabled(model, True)
    quantize_convolutions(model, fp32, int8)
    return model.eval(), int8


def _onnx_convolution_tensors(path):
    """Each quantized Conv node's dequantized input and dequantized output, in graph order,
    made graph outputs of a copy of the model."""
    import onnx

    model = onnx.load(str(path))
    consumers = defaultdict(list)
    for node in model.graph.node:
        for name in node.input:
            consumers[name].append(node)
    pairs = []
    for node in model.graph.node:
        if node.op_type == "Conv" and "/se/" not in node.name:
            (quantize,) = consumers[node.output[0]]
            assert quantize.op_type == "QuantizeLinear"
            pairs.append((node.input[0], consumers[quantize.output[0]][0].output[0]))
    for name in {name for pair in pairs for name in pair}:
        model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    return model, pairs


def test_every_quantized_convolution_computes_in_pytorch_what_onnx_runtime_computes(quantized_student, rendered_batch):
    """Layer by layer, fed the very input ONNX Runtime's INT8 graph gave that convolution
    (so that a rounding tie broken differently upstream cannot snowball), the PyTorch
    module with its fake quantizers must land on ONNX Runtime's output grid point for
    nearly every value: same scales, zero points, per-channel weights, folded batch norm."""
    import onnxruntime as ort

    model, int8 = quantized_student
    graph, pairs = _onnx_convolution_tensors(int8)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    values = dict(zip(names, session.run(None, {"x": rendered_batch.numpy()})))
    convolutions = qat.quantized_convolutions(model)
    assert len(pairs) == len(convolutions) == 27
    for (input_name, output_name), module in zip(pairs, convolutions):
        with torch.no_grad():
            y = module.quantization(torch.from_numpy(values[input_name]), module.conv, module.bn).numpy()
        scale = module.quantization.output.quantization()[0].item()
        steps = np.abs(y - values[output_name]) / scale
        assert float(np.mean(steps > 0.5)) < 0.002, (output_name, float(np.mean(steps > 0.5)))
        assert float(steps.max()) <= 1.01, (output_name, float(steps.max()))


def test_quantized_export_runs_int8_convolutions(quantized_student, tmp_path):
    import onnx
    import onnxruntime as ort

    _, int8 = quantized_student
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimised.onnx")
    ort.InferenceSession(str(int8), options, providers=["CPUExecutionProvider"])
    optimised = [node.op_type for node in onnx.load(options.optimized_model_filepath).graph.node]
    assert optimised.count("QLinearConv") == 27  # all but the squeeze-excite pair, which stay fp32
    assert optimised.count("Conv") + optimised.count("FusedConv") == 4


def test_a_prepared_model_reads_like_the_fp32_one_when_its_rounding_is_off(student, rendered_batch):
    model, _ = student
    prepared = qat.prepare(copy.deepcopy(model))
    qat.calibrate(prepared, [rendered_batch])
    qat.set_enabled(prepared, False)
    with torch.no_grad():
        assert torch.allclose(prepared.eval()(rendered_batch), model.eval()(rendered_batch), atol=1e-4)
        qat.set_enabled(prepared, True)
        assert not torch.allclose(prepared(rendered_batch), model(rendered_batch), atol=1e-4)


def test_the_front_blocks_can_stay_fp32(student, rendered_batch, tmp_path):
    """`qat_float_blocks`: the stem and the first blocks keep fp32 convolutions in the
    export, the rest are INT8, each still at the ranges it learnt."""
    import onnx
    import onnxruntime as ort

    model = qat.prepare(copy.deepcopy(student[0]), float_blocks=3)
    assert len(qat.quantized_convolutions(model)) == 27 - 7  # stem + 3 blocks x (depthwise, pointwise)
    qat.calibrate(model, [rendered_batch])
    fp32, int8 = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    export_onnx(model, fp32, student[1].charset[1:])
    quantize_convolutions(model, fp32, int8)
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimised.onnx")
    ort.InferenceSession(str(int8), options, providers=["CPUExecutionProvider"])
    optimised = [node.op_type for node in onnx.load(options.optimized_model_filepath).graph.node]
    assert optimised.count("QLinearConv") == 20
    assert optimised.count("Conv") + optimised.count("FusedConv") == 4 + 7
