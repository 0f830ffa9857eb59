"""Build-time tools, never shipped in the Lambda function code (layers/build.py stages
handler/ and ocr_engine/ only): model packs from pinned wheels (pack_build: recipes,
quantize, calibration) and packs around the recognisers the project trained
(trained_pack). `ocr pack build` imports them when it runs."""
