#!/bin/bash
# Measure a trained line model on this CPU: Copiste validation writers (split.json), greedy and
# with a 6-gram of the training writers' texts; DHSD words of writers 28-30 next to the shipped
# word model; line-reading speed next to kraken's default network on the same 100 line images
# (kraken's side from a kraken_side.py folder with val_lines/ and a model).
#   bash benchmarks/line_model/evaluate_line_model.sh MODEL_DIR OUT_DIR KRAKEN_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=$1 OUT=$2 KRAKEN=$3
PY=.venv/bin/python
mkdir -p "$OUT/package"
ln -sfn "$(realpath "$MODEL")" "$OUT/package/model"
$PY benchmarks/copiste_lines/package_side.py test --out "$OUT/package" > "$OUT/copiste_test.txt"
for m in "$MODEL" Models/dhsd_words; do
  name=$(basename "$m")
  $PY inferenceModel.py --model "$m" --dataset ../shared/data/dhsd --split val --val-writers 28,29,30 \
    --report "$OUT/dhsd_$name" > "$OUT/dhsd_$name.txt" 2>&1
done
# one after the other in this script run: the package, then kraken, on the same 100 lines
$PY benchmarks/copiste_lines/package_side.py speed --out "$OUT/package" --lines "$KRAKEN/val_lines" --limit 100 \
  > "$OUT/package_speed.txt"
$PY benchmarks/copiste_lines/kraken_side.py speed --model "$KRAKEN/best.safetensors" --out "$KRAKEN" --limit 100 \
  > "$OUT/kraken_speed.txt"
cp "$KRAKEN/speed_summary.json" "$OUT/kraken_speed_summary.json"
rm "$OUT/package/model"
