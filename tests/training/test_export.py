"""Export: ONNX with LSTM ops, hard-swish as one op, batch norms folded, INT8 weights
for the LSTM and MatMul layers; and the comma defect of the shipped weights it starts from."""

from conftest import left_of_comma_lost, onnx_ops


def test_export_writes_lstm_ops_fused_hardswish_and_int8_weights(tmp_path, student):
    from training.export import export_onnx, quantize_int8

    model, encoder = student
    fp32, int8 = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    export_onnx(model, fp32, encoder.charset[1:])
    quantize_int8(fp32, int8)
    fp32_ops, int8_ops = onnx_ops(fp32), onnx_ops(int8)
    assert fp32_ops["LSTM"] == 2  # one bidirectional LSTM op per layer
    assert fp32_ops["HardSwish"] == 27 and "Clip" not in fp32_ops and "BatchNormalization" not in fp32_ops
    assert int8_ops["DynamicQuantizeLSTM"] == 2 and int8_ops["MatMulInteger"] == 2
    assert int8.stat().st_size < fp32.stat().st_size


def test_shipped_v2_crnn_loses_text_left_of_commas(comma_lines, student):
    """The defect the trained model must not have; this guard sees it in the shipped weights."""
    from training.evaluate import read_lines

    model, encoder = student
    reads = read_lines(model, [image for image, _ in comma_lines], encoder.charset)
    assert sum(left_of_comma_lost(truth, read) for (_, truth), read in zip(comma_lines, reads)) >= len(comma_lines) // 2
