#!/usr/bin/env bash
# `ocr read` over the eval lines and pages for each pack, one process per set at 1 thread:
# whole-process wall time, peak RSS (GNU time) and the eval's own score.py.
# Usage: bench/eval_cli.sh [PACK...]   (default: the four packs; build them first with
#        .venv/bin/ocr pack build ppocr-v4 ppocr-v6 && .venv/bin/ocr pack build ppocr-v4 ppocr-v6 --precision fp32)
set -euo pipefail
cd "$(dirname "$0")/.."
eval_dir=../shared/eval
out=$(mktemp -d)
packs=("$@")
[ ${#packs[@]} -gt 0 ] || packs=(ppocr-v6 ppocr-v6-fp32 ppocr-v4 ppocr-v4-fp32)
printf '| pack | set | mode | images | wall s | s/image | peak RSS MB | exact | CER | char F1 |\n|---|---|---|---|---|---|---|---|---|---|\n'
for pack in "${packs[@]}"; do
    for set in lines pages; do
        mode=line; [ $set = pages ] && mode=page
        files=("$eval_dir/$set"/*)
        /usr/bin/time -f '%e %M' -o "$out/time" .venv/bin/ocr read --quiet --json --threads 1 \
            --pack "$pack" --mode $mode "${files[@]}" > "$out/pred.json" || true
        read -r wall rss_kb < "$out/time"
        kind=${set%s}
        .venv/bin/python "$eval_dir/score.py" "$out/pred.json" --kind "$kind" > "$out/score.json"
        .venv/bin/python - "$pack" "$set" "$mode" "${#files[@]}" "$wall" "$rss_kb" "$out/score.json" <<'PY'
import json, sys
pack, set_, mode, n, wall, rss_kb, score = sys.argv[1:]
s = json.load(open(score))["all"]
print(f"| {pack} | {set_} | {mode} | {n} | {float(wall):.1f} | {float(wall)/int(n):.3f} | {int(rss_kb)/1024:.0f} | {s['exact']:.4f} | {s['cer']:.4f} | {s['char_f1']:.4f} |")
PY
    done
done
rm -rf "$out"
