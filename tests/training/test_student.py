"""The student is PP-OCRv2's CRNN: the PyTorch module with the weights read out of the
shipped ONNX file computes what ONNX Runtime computes on that file."""

import numpy as np
import onnxruntime as ort
import pytest
import torch

from training.student import CRNN, load_onnx_weights, pretrained_charset


@pytest.mark.parametrize("width", [96, 260])
def test_torch_module_matches_onnx_runtime(pretrained, width):
    onnx_path, _ = pretrained
    model = load_onnx_weights(CRNN(6625), onnx_path).eval()
    x = np.random.default_rng(width).uniform(-1, 1, (2, 3, 32, width)).astype(np.float32)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    expected = session.run(None, {session.get_inputs()[0].name: x})[0]
    with torch.no_grad():
        got = torch.softmax(model(torch.from_numpy(x)), dim=-1).numpy()
    assert got.shape == expected.shape == (2, width // 4, 6625)
    assert np.abs(got - expected).max() < 1e-4
    assert (got.argmax(-1) == expected.argmax(-1)).all()


def test_charset_is_ppocr_keys_v1_plus_space(pretrained):
    characters = pretrained_charset(pretrained[1])
    assert len(characters) + 1 == 6625  # + blank
    assert characters[-1] == " " and not any(c.endswith("\r") for c in characters)


def test_widened_head_keeps_the_pretrained_classes(pretrained):
    onnx_path, _ = pretrained
    narrow = load_onnx_weights(CRNN(6625), onnx_path)
    wide = load_onnx_weights(CRNN(6700), onnx_path)
    assert torch.equal(wide.head.weight[:6625], narrow.head.weight)
    assert (wide.head.bias[6625:] <= narrow.head.bias[1:].min()).all()  # new characters start unlikely
